"""``/feeds.opml``: every feed, to import into a reader.

The OPML lists ``/rss`` and ``/rss/<category>`` for each configured category and each profile's
``/p/<name>/rss``, with absolute URLs (``public_url``, else the request's own address).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.render.opml import feed_outlines, profile_outline, render_opml
from app.serving import base_url
from app.wiring import ServicesDep

router = APIRouter(tags=["feeds"])

OPML = "text/x-opml; charset=utf-8"
OPML_CACHE = "public, max-age=3600"


@router.get(
    "/feeds.opml",
    summary="OPML subscription list",
    response_class=Response,
    responses={200: {"content": {"text/x-opml": {}}}},
)
async def opml(request: Request, services: ServicesDep) -> Response:
    """Every configured feed as an OPML 2.0 list, to import into a feed reader."""
    settings = services.settings
    base = base_url(request, settings.public_url)
    outlines = feed_outlines(settings.categories, base, settings.feed_title)
    for p in await services.profiles.all():
        outlines.append(profile_outline(p.name, p.title(settings), base, p.query.categories))
    return Response(
        content=render_opml(settings.feed_title, outlines),
        media_type=OPML,
        headers={
            "Content-Disposition": 'attachment; filename="arxiv-feeds.opml"',
            "Cache-Control": OPML_CACHE,
        },
    )

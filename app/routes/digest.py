"""``/digest.md``: the configured feed as the Markdown digest; ``/feeds.opml``: every feed.

The digest takes the feeds' query parameters and their caching (ETag, 304, Cache-Control until
arXiv's next update); the OPML lists ``/rss`` and ``/rss/<category>`` for each configured
category, with absolute URLs (``public_url``, else the request's own address).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request, Response

from app.http_cache import Rendered
from app.pipeline import feed_for
from app.render.markdown import render_digest
from app.render.opml import feed_outlines, render_opml
from app.serving import (
    FEED_RESPONSES,
    OPENAPI_EXTRA,
    base_url,
    digest_meta,
    request_query,
    respond,
)
from app.wiring import ServicesDep

if TYPE_CHECKING:
    pass

router = APIRouter(tags=["feeds"])

MARKDOWN = "text/markdown; charset=utf-8"
OPML = "text/x-opml; charset=utf-8"
OPML_CACHE = "public, max-age=3600"
DIGEST_RESPONSES = {s: r for s, r in FEED_RESPONSES.items() if s not in (200, 404)} | {
    200: {"content": {"text/markdown": {}}}
}


@router.get(
    "/digest.md",
    summary="Markdown digest",
    responses=DIGEST_RESPONSES,
    response_class=Response,
    openapi_extra=OPENAPI_EXTRA,
)
async def digest(request: Request, services: ServicesDep) -> Response:
    """The configured feed as a Markdown digest (the older bot's README format)."""
    settings = services.settings
    query = request_query(request, services)
    feed = await feed_for(services, query)
    meta = digest_meta(settings, base_url(request, settings.public_url))
    template = hashlib.sha256((meta.template or "").encode()).hexdigest()[:16]
    key = f"md|{meta.base_url}|{query.cache_key}|{template}"

    def make() -> Rendered:
        return Rendered.of(render_digest(feed, meta).encode("utf-8"), MARKDOWN, feed.updated())

    response = respond(request, services.render(key, feed, make), feed)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@router.get(
    "/feeds.opml",
    summary="OPML subscription list",
    response_class=Response,
    responses={200: {"content": {"text/x-opml": {}}}},
)
async def opml(request: Request, services: ServicesDep) -> Response:
    """Every configured feed as an OPML 2.0 list, to import into a feed reader."""
    settings = services.settings
    outlines = feed_outlines(
        settings.categories, base_url(request, settings.public_url), settings.feed_title
    )
    return Response(
        content=render_opml(settings.feed_title, outlines),
        media_type=OPML,
        headers={
            "Content-Disposition": 'attachment; filename="arxiv-feeds.opml"',
            "Cache-Control": OPML_CACHE,
        },
    )

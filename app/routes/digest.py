"""``/digest.md``: the configured feed as the Markdown digest; ``/feeds.opml``: every feed.

The digest takes the feeds' query parameters and their caching (ETag, 304, Cache-Control until
arXiv's next update); the OPML lists ``/rss`` and ``/rss/<category>`` for each configured
category, with absolute URLs (``public_url``, else the request's own address).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request, Response

from app.deps import ServicesDep
from app.errors import ConfigError
from app.http_cache import Rendered
from app.pipeline import feed_for
from app.render.markdown import DigestMeta, render_digest
from app.render.opml import feed_outlines, render_opml
from app.routes.feeds import FEED_RESPONSES, OPENAPI_EXTRA, request_query, respond

if TYPE_CHECKING:
    from app.config import Settings

router = APIRouter(tags=["feeds"])

MARKDOWN = "text/markdown; charset=utf-8"
OPML = "text/x-opml; charset=utf-8"
OPML_CACHE = "public, max-age=3600"
DIGEST_RESPONSES = {s: r for s, r in FEED_RESPONSES.items() if s not in (200, 404)} | {
    200: {"content": {"text/markdown": {}}}
}


def read_template(settings: Settings) -> str | None:
    """The text of the ``digest_template`` file, or None when none is set."""
    path = settings.digest_template
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"digest_template {str(path)!r} cannot be read: {exc}") from exc


def digest_meta(settings: Settings, base_url: str | None) -> DigestMeta:
    """What the digest needs from the settings; ``base_url`` makes its feed links absolute."""
    return DigestMeta(
        title=settings.feed_title,
        base_url=base_url,
        feed_paths=("/rss", "/atom", "/feed.json"),
        template=read_template(settings),
    )


def base_url(request: Request, public_url: str | None) -> str:
    """The service's address: ``public_url``, else the one the request came to."""
    return (public_url or str(request.base_url)).rstrip("/")


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

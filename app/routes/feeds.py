"""RSS, Atom and JSON Feed: ``/rss``, ``/atom``, ``/feed.json`` (the configured feed) and
``/rss/{categories}``, ``/atom/{categories}``, ``/feed.json/{categories}``."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from app.http_cache import Rendered
from app.models import RankedFeed
from app.pipeline import feed_for
from app.render.feeds import FeedMeta, render_atom, render_rss
from app.render.jsonfeed import MEDIA_TYPE as JSON_FEED
from app.render.jsonfeed import JSONFeed, render_json_feed
from app.serving import (
    FEED_RESPONSES,
    OPENAPI_EXTRA,
    request_query,
    respond,
    self_url,
    site_url,
)
from app.wiring import get_services

router = APIRouter(tags=["feeds"])

Renderer = Callable[[RankedFeed, FeedMeta], bytes]
FORMATS: dict[str, tuple[Renderer, str]] = {
    "rss": (render_rss, "application/rss+xml; charset=utf-8"),
    "atom": (render_atom, "application/atom+xml; charset=utf-8"),
    "json": (render_json_feed, JSON_FEED),
}
JSON_FEED_RESPONSES = {status: r for status, r in FEED_RESPONSES.items() if status != 200}


class JSONFeedResponse(JSONResponse):
    """Documents the JSON Feed media type and schema in OpenAPI (the body is pre-rendered)."""

    media_type = "application/feed+json"


async def serve_feed(fmt: str, request: Request, categories: str | None = None) -> Response:
    """Rank the listing for the request's query and render it (cached by listing and query).

    Services and parameters are read here rather than through FastAPI dependencies: this is
    the hot path every reader poll takes, and it stays a dictionary lookup when warm.
    """
    services = await get_services(request)
    settings = services.settings
    query = request_query(request, services, categories)
    feed = await feed_for(services, query)
    scope = request.scope
    key = f"{fmt}|{request.headers.get('host')}|{scope['path']}|{scope['query_string']!r}"

    def make() -> Rendered:
        url = self_url(request, settings.public_url)
        renderer, media_type = FORMATS[fmt]
        meta = FeedMeta(title=settings.feed_title, self_url=url, site_url=site_url(url))
        return Rendered.of(renderer(feed, meta), media_type, feed.updated())

    return respond(request, services.render(key, feed, make), feed)


@router.get("/rss", responses=FEED_RESPONSES, response_class=Response, openapi_extra=OPENAPI_EXTRA)
async def rss(request: Request) -> Response:
    """The configured feed as RSS 2.0."""
    return await serve_feed("rss", request)


@router.get("/atom", responses=FEED_RESPONSES, response_class=Response, openapi_extra=OPENAPI_EXTRA)
async def atom(request: Request) -> Response:
    """The configured feed as Atom 1.0."""
    return await serve_feed("atom", request)


@router.get(
    "/rss/{categories}",
    responses=FEED_RESPONSES,
    response_class=Response,
    openapi_extra=OPENAPI_EXTRA,
)
async def rss_for(categories: str, request: Request) -> Response:
    """RSS 2.0 for one category or several joined with ``+``."""
    return await serve_feed("rss", request, categories)


@router.get(
    "/atom/{categories}",
    responses=FEED_RESPONSES,
    response_class=Response,
    openapi_extra=OPENAPI_EXTRA,
)
async def atom_for(categories: str, request: Request) -> Response:
    """Atom 1.0 for one category or several joined with ``+``."""
    return await serve_feed("atom", request, categories)


@router.get(
    "/feed.json",
    response_model=JSONFeed,
    response_class=JSONFeedResponse,
    responses=JSON_FEED_RESPONSES,
    openapi_extra=OPENAPI_EXTRA,
)
async def json_feed(request: Request) -> Response:
    """The configured feed as JSON Feed 1.1."""
    return await serve_feed("json", request)


@router.get(
    "/feed.json/{categories}",
    response_model=JSONFeed,
    response_class=JSONFeedResponse,
    responses=JSON_FEED_RESPONSES,
    openapi_extra=OPENAPI_EXTRA,
)
async def json_feed_for(categories: str, request: Request) -> Response:
    """JSON Feed 1.1 for one category or several joined with ``+``."""
    return await serve_feed("json", request, categories)

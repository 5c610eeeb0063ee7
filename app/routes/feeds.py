"""RSS, Atom and JSON Feed: ``/rss``, ``/atom``, ``/feed.json`` (the configured feed) and
``/rss/{categories}``, ``/atom/{categories}``, ``/feed.json/{categories}``."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from app.arxiv.schedule import next_update
from app.deps import get_services
from app.http_cache import Rendered, cache_headers, is_not_modified
from app.models import FeedQuery, RankedFeed
from app.pipeline import feed_for
from app.queries import FEED_PARAMETERS, FeedParams, apply_overrides, parse_feed_params
from app.render.feeds import FeedMeta, render_atom, render_rss
from app.render.jsonfeed import MEDIA_TYPE as JSON_FEED
from app.render.jsonfeed import JSONFeed, render_json_feed
from app.runtime import Services

router = APIRouter(tags=["feeds"])

Renderer = Callable[[RankedFeed, FeedMeta], bytes]
FORMATS: dict[str, tuple[Renderer, str]] = {
    "rss": (render_rss, "application/rss+xml; charset=utf-8"),
    "atom": (render_atom, "application/atom+xml; charset=utf-8"),
    "json": (render_json_feed, JSON_FEED),
}
FEED_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {"application/rss+xml": {}, "application/atom+xml": {}}},
    404: {"description": "Unknown arXiv category"},
    422: {"description": "Malformed category or parameter"},
    502: {"description": "arXiv answered with something unusable"},
    503: {"description": "arXiv unreachable and nothing stored"},
}
JSON_FEED_RESPONSES = {status: r for status, r in FEED_RESPONSES.items() if status != 200}


class JSONFeedResponse(JSONResponse):
    """Documents the JSON Feed media type and schema in OpenAPI (the body is pre-rendered)."""

    media_type = "application/feed+json"


NO_PARAMS = FeedParams()
OPENAPI_EXTRA = {"parameters": FEED_PARAMETERS}


def request_query(request: Request, services: Services, categories: str | None = None) -> FeedQuery:
    """The configured query with the request's overrides (categories from the path)."""
    scope = request.scope
    params = parse_feed_params(request.query_params) if scope["query_string"] else NO_PARAMS
    settings = services.settings
    return apply_overrides(
        services.configured,
        categories=categories,
        keywords=params.keywords,
        exclude=params.exclude,
        types=params.types,
        min_score=params.min_score,
        limit=params.limit,
        max_keywords=settings.max_query_keywords,
        max_limit=settings.max_limit,
    )


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
        self_url = _self_url(request, settings.public_url)
        renderer, media_type = FORMATS[fmt]
        meta = FeedMeta(title=settings.feed_title, self_url=self_url, site_url=_site(self_url))
        return Rendered.of(renderer(feed, meta), media_type, feed.updated())

    return respond(request, services.render(key, feed, make), feed)


def respond(request: Request, rendered: Rendered, feed: RankedFeed) -> Response:
    """200 with the body, or 304 when the client's copy is current; caching headers on both."""
    headers = dict(_cache_headers(rendered, feed.stale, int(time.time())))
    if feed.sample:
        headers["X-Arxiv-Feeds-Sample"] = "1"
    if feed.stale:
        headers["X-Arxiv-Feeds-Stale"] = "1"
    if is_not_modified(request.headers, rendered):
        return Response(status_code=304, headers=headers)
    return Response(content=rendered.body, media_type=rendered.media_type, headers=headers)


@lru_cache(maxsize=256)
def _cache_headers(rendered: Rendered, stale: bool, second: int) -> tuple[tuple[str, str], ...]:
    """The caching headers, worked out once per body and second."""
    now = datetime.fromtimestamp(second, UTC)
    return tuple(cache_headers(rendered, next_update(now), now, stale=stale).items())


def _self_url(request: Request, public_url: str | None) -> str:
    if not public_url:
        return str(request.url)
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{public_url.rstrip('/')}{request.url.path}{query}"


def _site(self_url: str) -> str:
    scheme, _, rest = self_url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}/"


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

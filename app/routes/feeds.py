"""RSS, Atom and JSON Feed: ``/rss``, ``/atom``, ``/feed.json`` (the configured feed) and
``/rss/{categories}``, ``/atom/{categories}``, ``/feed.json/{categories}``."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from app.render.jsonfeed import JSONFeed
from app.serving import FEED_RESPONSES, OPENAPI_EXTRA, serve_feed

router = APIRouter(tags=["feeds"])

JSON_FEED_RESPONSES = {status: r for status, r in FEED_RESPONSES.items() if status != 200}


class JSONFeedResponse(JSONResponse):
    """Documents the JSON Feed media type and schema in OpenAPI (the body is pre-rendered)."""

    media_type = "application/feed+json"


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

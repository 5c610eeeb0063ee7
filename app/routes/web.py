"""The web page: ``GET /`` (the configured feeds, a feed builder, today's top papers) and
``GET /build`` (the builder's form: a 303 redirect to the feed URL it describes), and
``GET /favicon.ico``.

The page is rendered by ``app.render.page`` from the configured feed and cached like the feeds
(ETag, 304, Cache-Control until arXiv's next update). Both answers carry a Content-Security-Policy
that allows only this origin and the page's own inline script and style (by hash). A bad value
on ``/build`` is the usual JSON error, or a short HTML page when a browser asks.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from app.errors import ArxivFeedsError, InvalidQuery
from app.queries import (
    MAX_PARAM_LENGTH,
    apply_overrides,
    parse_feed_params,
    parse_keywords,
    parse_likes,
)
from app.render.builder import choices
from app.render.favicon import favicon_ico
from app.render.page import default_links, feed_path, render_error_page
from app.serving import SECURITY_HEADERS, serve_page
from app.wiring import ServicesDep

router = APIRouter(tags=["web"])


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def page(request: Request, services: ServicesDep) -> Response:
    """The web page for the configured feed."""
    profiles = [
        (f"Profile: {p.title(services.settings)}", f"/p/{p.name}/")
        for p in await services.profiles.all()
    ]
    links = (*default_links(), *profiles)
    return await serve_page(request, services, services.settings.feed_title, links=links)


@router.get("/favicon.ico", include_in_schema=False)
async def favicon() -> Response:
    """The site icon browsers and feed readers ask for."""
    headers = {"Cache-Control": "public, max-age=604800"}
    return Response(favicon_ico(), media_type="image/x-icon", headers=headers)


@router.get(
    "/build",
    status_code=303,
    response_class=RedirectResponse,
    responses={303: {"description": "To the feed URL"}, 404: {}, 422: {}},
)
async def build(request: Request, services: ServicesDep) -> Response:
    """The feed builder's form -> ``303`` to ``/rss/cs.AI+cs.LG?keywords=...`` (or Atom, JSON).

    Takes ``categories`` (repeated, or joined with ``+`` or ``,``; none: the configured ones),
    ``keywords``, ``exclude``, ``authors`` (names to follow), ``like`` (arXiv ids of papers you
    like), ``min_score`` and ``format`` (``rss``, ``atom``, ``json``: a feed served per category).
    """
    try:
        return RedirectResponse(_target(request, services), status_code=303)
    except ArxivFeedsError as exc:
        if "text/html" not in request.headers.get("accept", ""):
            raise
        body = render_error_page(exc.status, exc.message, exc.hint)
        headers = SECURITY_HEADERS | exc.headers()
        return HTMLResponse(body, status_code=exc.status, headers=headers)


def _target(request: Request, services: ServicesDep) -> str:
    """The path the form describes, every value checked like the feeds check it."""
    args = request.query_params
    fmt = args.get("format") or "rss"
    offered = [f.key for f in choices()]
    if fmt not in offered:
        raise InvalidQuery(f"format: {fmt[:20]!r} is not one of {', '.join(offered)}")
    raw = "+".join(c for c in args.getlist("categories") if c.strip())
    if len(raw) > MAX_PARAM_LENGTH:
        raise InvalidQuery(f"categories: longer than {MAX_PARAM_LENGTH} characters")
    blank = {k: v for k, v in args.items() if v.strip()}  # an empty field means "not set"
    params = parse_feed_params(blank)
    settings = services.settings
    query = apply_overrides(
        services.configured,
        categories=raw or None,
        keywords=params.keywords,
        exclude=params.exclude,
        min_score=params.min_score,
        max_keywords=settings.max_query_keywords,
        max_limit=settings.max_limit,
    )
    return feed_path(
        fmt,
        query.categories if raw else (),
        query.keywords if params.keywords is not None else None,
        query.exclude if params.exclude is not None else None,
        params.min_score,
        authors=parse_keywords(blank.get("authors", ""), settings.max_query_keywords, "authors"),
        like=parse_likes(blank.get("like", ""), settings.max_query_keywords),
    )

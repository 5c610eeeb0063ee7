"""What the routes share: a request's feed query, conditional responses, the public address.

Routes are thin leaves; anything two of them need lives here (or deeper), never in a route.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Collection, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from app.address import canonical_base
from app.arxiv.schedule import next_update
from app.catalog.history import merge_papers
from app.errors import ConfigError, InvalidQuery, ResponseTooLarge
from app.http_cache import Rendered, cache_headers, is_not_modified
from app.models import FeedQuery, Paper, RankedFeed
from app.pipeline import feed_for
from app.plan import FeedPlan, plan_feed
from app.profiles import feedback
from app.profiles.tokens import secret_of
from app.queries import (
    FEED_NAMES,
    FEED_PARAMETERS,
    FeedParams,
    apply_overrides,
    explain,
    names_header,
    parse_feed_params,
    unknown_note,
    unknown_params,
)
from app.render.feeds import FeedMeta
from app.render.formats import FORMATS, Format, feed_links
from app.render.markdown import DigestMeta
from app.render.page import CSP, PageMeta, render_page
from app.wiring import get_services

if TYPE_CHECKING:
    from app.config import Settings
    from app.profiles.registry import ProfileFeed
    from app.wiring import Services

NO_PARAMS = FeedParams()
IGNORED = "X-Arxiv-Feeds-Ignored"
OPENAPI_EXTRA = {"parameters": FEED_PARAMETERS}
FEED_ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"description": "Malformed category or parameter, or too many new categories"},
    502: {"description": "arXiv answered with something unusable"},
    503: {"description": "arXiv unreachable and nothing stored"},
}


def request_query(
    request: Request,
    services: Services,
    categories: str | None = None,
    *,
    base: FeedQuery | None = None,
) -> FeedQuery:
    """``base`` (default: the configured query) with the request's overrides (categories from
    the path)."""
    scope = request.scope
    params = parse_feed_params(request.query_params) if scope["query_string"] else NO_PARAMS
    settings = services.settings
    return apply_overrides(
        base or services.configured,
        categories=categories,
        keywords=params.keywords,
        exclude=params.exclude,
        types=params.types,
        min_score=params.min_score,
        limit=params.limit,
        like=params.like,
        dislike=params.dislike,
        authors=params.authors,
        max_keywords=settings.max_query_keywords,
        max_limit=settings.max_limit,
    )


def ignored_params(request: Request, also: Collection[str] = ()) -> tuple[str, ...]:
    """The request's query parameters no feed route reads (nor ``also``), harmless ones left
    out (see ``app.queries.unknown_params``)."""
    if not request.scope["query_string"]:
        return ()
    return unknown_params(request.query_params.keys(), (*FEED_NAMES, *also))


def refuse_unknown_params(request: Request, also: Collection[str]) -> None:
    """A 422 naming the parameters neither a feed route nor ``also`` names."""
    if unknown := ignored_params(request, also):
        s = "s" if len(unknown) > 1 else ""
        said = explain(unknown, (*FEED_NAMES, *also))
        raise InvalidQuery(f"unknown parameter{s}: {said}", hint="GET /docs lists the parameters")


def noted(request: Request, feed: RankedFeed) -> tuple[RankedFeed, tuple[str, ...], str]:
    """``feed`` with a note naming the request's ignored parameters (the names and the note;
    the feed itself, no names and "" when there are none)."""
    ignored = ignored_params(request)
    if not ignored:
        return feed, (), ""
    note = unknown_note(ignored)
    return feed.model_copy(update={"notes": (*feed.notes, note)}), ignored, note


def respond(request: Request, rendered: Rendered, feed: RankedFeed) -> Response:
    """200 with the body, or 304 when the client's copy is current; caching headers on both."""
    headers = dict(_cache_headers(rendered, feed.stale, int(time.time())))
    if feed.sample:
        headers["X-Arxiv-Feeds-Sample"] = "1"
    if feed.stale:
        headers["X-Arxiv-Feeds-Stale"] = "1"
    if is_not_modified(request.headers, rendered):
        return Response(status_code=304, headers=headers)
    check_size(len(rendered.body))
    return Response(content=rendered.body, media_type=rendered.media_type, headers=headers)


@lru_cache(maxsize=256)
def _cache_headers(rendered: Rendered, stale: bool, second: int) -> tuple[tuple[str, str], ...]:
    """The caching headers, worked out once per body and second."""
    now = datetime.fromtimestamp(second, UTC)
    return tuple(cache_headers(rendered, next_update(now), now, stale=stale).items())


def response_limit() -> int | None:
    """Bytes one response may carry here: 4.5 MB on Vercel, 6 MB on AWS Lambda, else no limit."""
    if os.environ.get("VERCEL"):
        return 4_500_000
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        return 6_000_000
    return None


def check_size(size: int, limit: int | None = None) -> None:
    """Refuse, with a 422 naming the limit, a body the platform would fail to send."""
    limit = response_limit() if limit is None else limit
    if limit is not None and size > limit:
        raise ResponseTooLarge(
            f"this answer would be {size:,} bytes; responses here are limited to {limit:,} bytes",
            hint="ask for fewer papers (?limit=) or fewer categories",
        )


FEED_PARAMS = ("keywords", "exclude", "types", "min_score", "limit")
PAGE_PARAMS = ("category", "day", "offset", *FEED_PARAMS)


def base_url(request: Request, public_url: str | None) -> str:
    """The service's address, the one function every self link starts from.

    ``canonical_base`` when the deployment declares one, else the address the request came to
    (its Host, checked against ``allowed_hosts`` by ``app.http_basics`` when that is set).
    """
    return canonical_base(public_url) or str(request.base_url).rstrip("/")


def self_url(request: Request, public_url: str | None) -> str:
    """The request's own URL under ``base_url``, with only the parameters feeds read."""
    return _under_base(request, public_url, FEED_PARAMS)


def page_url(request: Request, public_url: str | None, **params: int) -> str:
    """The request's URL with ``params`` replaced, under ``base_url``, ignored ones dropped."""
    return _under_base(request, public_url, PAGE_PARAMS, **params)


def _under_base(
    request: Request, public_url: str | None, names: tuple[str, ...], **params: int
) -> str:
    kept = [(k, v) for k, v in request.query_params.multi_items() if k in names and k not in params]
    kept += [(k, str(v)) for k, v in params.items()]
    query = f"?{urlencode(kept, safe=',+:')}" if kept else ""
    return f"{base_url(request, public_url)}{request.url.path}{query}"


def site_url(url: str) -> str:
    """``https://host/`` of an absolute URL."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}/"


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
    """The configured feed's digest (``arxiv-feeds digest``); ``base_url`` makes its feed
    links absolute."""
    return DigestMeta(
        title=settings.feed_title,
        base_url=base_url,
        feeds=feed_links(),
        template=read_template(settings),
    )


def format_route(fmt: Format, not_found: str | None = None) -> dict[str, Any]:
    """How a route serving ``fmt`` is documented: its media type (and schema), the feed
    parameters, the errors (and a 404 saying what ``not_found`` names)."""
    responses: dict[int | str, dict[str, Any]] = {}
    route: dict[str, Any] = {"response_class": Response, "openapi_extra": OPENAPI_EXTRA}
    if fmt.schema is None:
        responses[200] = {"content": {fmt.mime: {}}}
    else:  # the body is pre-rendered: the class and model only document it
        route["response_class"] = type("Documented", (JSONResponse,), {"media_type": fmt.mime})
        route["response_model"] = fmt.schema
    if not_found:
        responses[404] = {"description": not_found}
    return route | {"responses": responses | FEED_ERRORS}


async def serve_format(
    fmt: str,
    request: Request,
    categories: str | None = None,
    *,
    profile: ProfileFeed | None = None,
    title: str | None = None,
    prefix: str = "",
) -> Response:
    """The request's feed (default: the configured one; ``profile``'s with its overrides) in
    the registered format ``fmt``, cached by listing and query and conditional.

    A feed readers poll (RSS, Atom, JSON Feed) is the hot path every poll takes: it stays a
    dictionary lookup when warm, so services and parameters are read here rather than through
    FastAPI dependencies. A document (the Markdown digest) is also laid out by the
    ``digest_template`` (read on every request, so a changed file shows at once) and links the
    feeds under ``prefix``.
    """
    services = await get_services(request)
    settings = services.settings
    query = request_query(request, services, categories, base=profile.query if profile else None)
    plan = plan_feed(services, query, profile)
    feed = await feed_for(services, plan)
    form = FORMATS[fmt]
    # keyed by what the body depends on: format, address, path, parsed query, title, a
    # document's layout and the note naming the parameters the service ignored (kept with
    # strangers' bodies, so that made-up parameters never evict the owner's)
    address = base_url(request, settings.public_url)
    template = None if form.feed else read_template(settings)
    layout = "" if form.feed else hashlib.sha256((template or "").encode()).hexdigest()[:16]
    shown, ignored, note = noted(request, feed)
    key = f"{fmt}|{address}|{request.scope['path']}|{query.cache_key}|{layout}|{title}|{note}"

    def make() -> Rendered:
        url = self_url(request, settings.public_url)
        meta = FeedMeta(title=title or settings.feed_title, self_url=url, site_url=site_url(url))
        if not form.feed:
            meta = replace(meta, base_url=address, feeds=feed_links(prefix), template=template)
        body = form.render(with_feedback(shown, plan, address, settings), meta)
        return Rendered.of(body, form.media_type, feed.updated())

    response = respond(request, services.render(key, feed, make, shared=bool(ignored)), feed)
    if not form.feed:
        response.headers["X-Content-Type-Options"] = "nosniff"
    if ignored:
        response.headers[IGNORED] = names_header(ignored)
    return response


HTML = "text/html; charset=utf-8"
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


async def serve_page(
    request: Request,
    services: Services,
    title: str,
    *,
    profile: ProfileFeed | None = None,
    feed_paths: Mapping[str, str] | None = None,
    links: tuple[tuple[str, str], ...] | None = None,
) -> Response:
    """The reading page of the configured feed or ``profile``'s, as defined, cached and
    conditional like the feeds."""
    query = profile.query if profile is not None else services.configured
    plan = plan_feed(services, query, profile)
    feed = await feed_for(services, plan)
    base = base_url(request, services.settings.public_url)
    extras = hashlib.sha256(repr((title, feed_paths, links)).encode()).hexdigest()[:16]
    key = f"page|{base}|{query.cache_key}|{extras}"

    def make() -> Rendered:
        extra: dict[str, Any] = {}
        if feed_paths is not None:
            extra = {"feed_paths": feed_paths, "category_feeds": False}
        if links is not None:
            extra["links"] = links
        meta = PageMeta(
            title=title,
            base_url=base,
            categories=query.categories,
            keywords=query.keywords,
            exclude=query.exclude,
            min_score=query.min_score,
            owner=plan.name,
            **extra,
        )
        shown = with_feedback(feed, plan, base, services.settings)
        return Rendered.of(render_page(shown, meta), HTML, feed.updated())

    response = respond(request, services.render(key, feed, make), feed)
    response.headers.update(SECURITY_HEADERS)
    return response


def with_feedback(feed: RankedFeed, plan: FeedPlan, base: str, settings: Settings) -> RankedFeed:
    """``feed`` with signed feedback links on each item when it is a profile's feed as defined
    (and a ``feedback_secret`` is set); any other feed as it is."""
    if not plan.owned or plan.name is None:
        return feed
    return feedback.links(feed, base, plan.name, secret_of(settings))


async def listed_paper(services: Services, query: FeedQuery, arxiv_id: str) -> Paper | None:
    """The paper ``arxiv_id`` (newest version) among the days ``query``'s feed draws on."""
    listing = await services.catalog.get(query.categories)
    days = await services.catalog.history.recent(listing, query.days_back)
    found = [p for p in merge_papers(days) if p.arxiv_id == arxiv_id]
    return max(found, key=lambda p: p.version, default=None)

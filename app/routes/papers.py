"""The JSON API: ``/api/papers`` (ranked, paged), ``/api/papers/{arxiv_id}`` and ``/api/config``.

Papers come from ``feed_for``, the pipeline and caches the feeds use. None of these queries is
the configured feed (they rank the whole listing), so they never cause LLM calls: they show the
summaries and ratings that already exist. Pages and papers carry ETag, Last-Modified and
Cache-Control like the feeds, and answer ``304`` to a client whose copy is current.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response

from app.arxiv.ids import parse_arxiv_id
from app.auth import owns_profile
from app.config_view import ConfigOut, config_out
from app.errors import InvalidQuery, NotFound
from app.http_cache import Rendered
from app.models import AnnounceType, ScoredPaper
from app.pipeline import feed_for
from app.plan import plan_feed
from app.queries import FEED_PARAMETERS, MAX_PARAM_LENGTH
from app.schemas import ErrorOut, PaperDetail, PaperPage, paper_detail, paper_page, select
from app.serving import page_url, refuse_unknown_params, request_query, respond
from app.wiring import ServicesDep

router = APIRouter(tags=["api"])

JSON = "application/json"
EVERY = 1_000_000  # rank the whole listing: pages are cut from it, not by the ranking
MAX_OFFSET = 1_000_000
_DAY = r"^\d{4}-\d{2}-\d{2}$"
ERRORS: dict[int | str, dict[str, object]] = {
    404: {"model": ErrorOut, "description": "Unknown category or paper"},
    422: {"model": ErrorOut, "description": "Malformed category, id, day or parameter"},
    502: {"model": ErrorOut, "description": "arXiv answered with something unusable"},
    503: {"model": ErrorOut, "description": "arXiv unreachable and nothing stored"},
}
ID_HINT = "an arXiv id like 2601.01209 or 2601.01209v1; GET /api/papers lists the papers"
PAGE_NAMES = ("category", "day", "offset", "profile")  # besides the feeds' parameters
LIST_HINT = "GET /api/papers?types=all&keywords= lists every paper of the current listing"


def parse_day(raw: str | None) -> date | None:
    """``2026-01-06`` -> a date; an impossible date is an ``InvalidQuery``."""
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidQuery(f"day: {raw[:20]!r} is not a date (YYYY-MM-DD)") from None


def parse_paper_id(raw: str) -> tuple[str, int | None]:
    """``2601.01209v1`` -> ``("2601.01209", 1)``; without a version, ``(id, None)``."""
    found = parse_arxiv_id(raw)
    if found is None:
        raise InvalidQuery(f"{raw[:40]!r} is not an arXiv id", hint=ID_HINT)
    return found.id, found.version


@router.get(
    "/api/papers",
    response_model=PaperPage,
    responses=ERRORS,
    openapi_extra={"parameters": FEED_PARAMETERS},
)
async def papers(
    request: Request,
    services: ServicesDep,
    category: Annotated[
        str | None,
        Query(
            max_length=MAX_PARAM_LENGTH,
            description="One category or several joined with + or , (default: the configured)",
        ),
    ] = None,
    day: Annotated[
        str | None,
        Query(pattern=_DAY, description="Only papers announced that day (YYYY-MM-DD)"),
    ] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Papers to skip")] = 0,
    profile: Annotated[
        str | None,
        Query(max_length=40, description="Rank as this profile does (GET /api/profiles)"),
    ] = None,
    authorization: Annotated[
        str | None,
        Header(description="Bearer ADMIN_TOKEN: the profile's library titles in similar_to"),
    ] = None,
) -> Response:
    """The ranked papers for a query, a page at a time (``limit`` is the page size).

    With ``profile``, ``similar_to`` names the papers of the profile's library by id only,
    unless the request is the owner's: a library is private.
    """
    settings = services.settings
    refuse_unknown_params(request, PAGE_NAMES)
    named = await services.profiles.get(profile) if profile is not None else None
    query = request_query(request, services, category, base=named.query if named else None)
    wanted = parse_day(day)
    size = query.limit
    every = query.model_copy(update={"limit": EVERY})  # pages are cut from the whole ranking
    feed = await feed_for(services, plan_feed(services, every, named))
    url = page_url(request, settings.public_url)
    titles = profile is None or owns_profile(settings, authorization, profile)
    key = f"papers|{'titles' if titles else 'ids'}|{url}"

    def make() -> Rendered:
        page = paper_page(
            feed,
            select(feed, wanted),
            offset=offset,
            limit=size,
            day=wanted,
            next_url=page_url(request, settings.public_url, offset=offset + size, limit=size),
            titles=titles,
        )
        return Rendered.of(page.model_dump_json().encode(), JSON, feed.updated())

    response = respond(request, services.render(key, feed, make), feed)
    if profile is not None:  # the owner's answer differs, and no shared cache may keep it
        response.headers["Vary"] = "Authorization"
        if titles:
            response.headers["Cache-Control"] = "private, no-cache"
    return response


@router.get("/api/papers/{arxiv_id:path}", response_model=PaperDetail, responses=ERRORS)
async def paper(arxiv_id: str, request: Request, services: ServicesDep) -> Response:
    """One paper of the configured categories' listing, with its score explained."""
    wanted, version = parse_paper_id(arxiv_id)
    every = services.configured.model_copy(
        update={"types": frozenset(AnnounceType), "min_score": 0.0, "limit": EVERY}
    )
    feed = await feed_for(services, plan_feed(services, every, None))
    item, others = _find(feed.items, wanted, version)
    matches = item is not None
    if item is None and not others:  # in the listing, but filtered out by the keywords?
        unfiltered = every.model_copy(update={"keywords": (), "exclude": ()})
        feed = await feed_for(services, plan_feed(services, unfiltered, None))
        item, others = _find(feed.items, wanted, version)
    if item is None:
        cats = "+".join(every.categories)
        hint = f"the listing has {', '.join(others)}" if others else LIST_HINT
        raise NotFound(f"{arxiv_id[:40]!r} is not in the current listing of {cats}", hint=hint)
    rated = services.ai is not None  # else no rating, and the relevance weight shows as 0
    weights = every.weights if rated else every.weights.model_copy(update={"relevance_weight": 0.0})
    detail = paper_detail(item, matches=matches, weights=weights)
    changed = max([item.paper.published] + ([item.summary.created_at] if item.summary else []))
    rendered = Rendered.of(detail.model_dump_json().encode(), JSON, changed)
    return respond(request, rendered, feed)


def _find(
    items: list[ScoredPaper], arxiv_id: str, version: int | None
) -> tuple[ScoredPaper | None, list[str]]:
    """The paper (that version, else the first listed) and, if absent, the versions there are."""
    same = [i for i in items if i.paper.arxiv_id == arxiv_id]
    for item in same:
        if version is None or item.paper.version == version:
            return item, []
    return None, [i.paper.versioned_id for i in same]


@router.get("/api/config", response_model=ConfigOut)
async def config(services: ServicesDep) -> ConfigOut:
    """The effective configuration; secrets show only whether they are set."""
    return config_out(services.settings, services.store.name)

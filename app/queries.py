"""Turn what a URL says into a checked ``FeedQuery`` (pure; errors are ``InvalidQuery``).

Categories come from the path (``cs.AI+cs.LG``; ``,`` and spaces work too, since a ``+`` in a
query string arrives as a space). Each is checked against arXiv's taxonomy: a malformed one is a
422, an unknown one a 404 that suggests close names. Nothing unchecked reaches an upstream URL.

A parameter no route reads (``keyword`` for ``keywords``) is ``unknown_params``: feeds say they
ignored it, the JSON API refuses it, each with a suggestion. Cache busters (``_``) and campaign
tags (``utm_*``) are not reported.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from difflib import get_close_matches
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from app.arxiv import taxonomy
from app.arxiv.ids import parse_arxiv_id
from app.errors import ArxivFeedsError, InvalidQuery, UnknownCategory
from app.keywords import distinct_keywords
from app.models import AnnounceType, FeedQuery
from app.validation import canonical_categories

if TYPE_CHECKING:
    from collections.abc import Sequence

    from app.config import Settings

MAX_CATEGORIES = 20
MAX_PARAM_LENGTH = 2000
MAX_LIKES = 50  # ids in like= or dislike=, names in authors=
MAX_KEYWORD_LENGTH = 100
_SPLIT = re.compile(r"[+,\s]+")
CATEGORY_HINT = "GET /api/categories lists every valid category (arXiv's taxonomy)"


def default_query(settings: Settings) -> FeedQuery:
    """The configured feed, before any per-request overrides."""
    return FeedQuery(
        categories=tuple(settings.categories),
        keywords=tuple(settings.keywords),
        exclude=tuple(settings.exclude_keywords),
        types=frozenset(settings.announce_types),
        min_score=settings.min_score,
        limit=settings.max_papers,
        weights=settings.weights(),
        days_back=settings.days_back,
    )


def parse_categories(raw: str) -> tuple[str, ...]:
    """``"cs.AI+cs.LG"`` -> ``("cs.AI", "cs.LG")``, each a known arXiv category."""
    names = [n for n in _SPLIT.split(raw.strip()) if n]
    if not names:
        raise InvalidQuery("no category given", hint=CATEGORY_HINT)
    if len(names) > MAX_CATEGORIES:
        raise InvalidQuery(f"at most {MAX_CATEGORIES} categories per feed, got {len(names)}")

    def refuse(name: str, well_formed: bool) -> ArxivFeedsError:
        if not well_formed:
            return InvalidQuery(
                f"{name[:40]!r} is not a valid arXiv category name (like cs.AI or hep-th)",
                hint=_hint(name),
            )
        return UnknownCategory(f"arXiv has no category {name!r}", hint=_hint(name))

    return tuple(canonical_categories(names, refuse))


def _hint(name: str) -> str:
    near = taxonomy.suggest(name[:40])
    return (f"did you mean {', '.join(near)}? " if near else "") + CATEGORY_HINT


def parse_keywords(raw: str, limit: int, what: str) -> tuple[str, ...]:
    """Comma-separated keywords or phrases (``title:``, ``author:``... scope one); blanks
    dropped, duplicates counted once exactly as the matcher counts them."""
    parts = [" ".join(p.split()) for p in raw.split(",")]
    if any(len(p) > MAX_KEYWORD_LENGTH for p in parts):
        raise InvalidQuery(f"{what}: a keyword is longer than {MAX_KEYWORD_LENGTH} characters")
    found = distinct_keywords(parts)
    if len(found) > limit:
        raise InvalidQuery(f"{what}: at most {limit} keywords, got {len(found)}")
    return found


def parse_types(raw: str) -> frozenset[AnnounceType]:
    """``"new,cross"``; ``all`` means every type."""
    names = {n.strip().lower() for n in raw.split(",") if n.strip()}
    if "all" in names:
        return frozenset(AnnounceType)
    valid = {t.value: t for t in AnnounceType}
    bad = sorted(names - set(valid))
    if bad or not names:
        raise InvalidQuery(
            f"types: unknown announce type {', '.join(bad) or '(empty)'}; "
            f"use any of {', '.join(valid)} or all"
        )
    return frozenset(valid[n] for n in names)


def apply_overrides(
    base: FeedQuery,
    *,
    categories: str | None = None,
    keywords: str | None = None,
    exclude: str | None = None,
    types: str | None = None,
    min_score: float | None = None,
    limit: int | None = None,
    like: str | None = None,
    dislike: str | None = None,
    authors: str | None = None,
    max_keywords: int = 50,
    max_limit: int = 500,
) -> FeedQuery:
    """The configured query with whatever the request overrides."""
    update: dict[str, object] = {}
    if like is not None:
        update["like"] = parse_likes(like, MAX_LIKES)
    if dislike is not None:
        update["dislike"] = parse_likes(dislike, MAX_LIKES, "dislike")
    if authors is not None:
        update["authors"] = parse_keywords(authors, MAX_LIKES, "authors")
    if categories is not None:
        update["categories"] = parse_categories(categories)
    if keywords is not None:
        update["keywords"] = parse_keywords(keywords, max_keywords, "keywords")
    if exclude is not None:
        update["exclude"] = parse_keywords(exclude, max_keywords, "exclude")
    if types is not None:
        update["types"] = parse_types(types)
    if min_score is not None:
        if not 0 <= min_score <= 1000:
            raise InvalidQuery("min_score must be between 0 and 1000")
        update["min_score"] = min_score
    if limit is not None:
        if not 1 <= limit <= max_limit:
            raise InvalidQuery(f"limit must be between 1 and {max_limit}")
        update["limit"] = limit
    return base.model_copy(update=update) if update else base


@dataclass(frozen=True, slots=True)
class FeedParams:
    """Query parameters that override the configured feed for one request."""

    keywords: str | None = None
    exclude: str | None = None
    min_score: float | None = None
    limit: int | None = None
    types: str | None = None
    like: str | None = None
    dislike: str | None = None
    authors: str | None = None


# The same parameters as OpenAPI describes them (the routes read them straight from the query
# string: cheaper than FastAPI's per-request validation on the hot path).
FEED_PARAMETERS: list[dict[str, Any]] = [
    {"name": "keywords", "in": "query", "required": False,
     "description": "Comma-separated keywords or phrases (replaces the configured ones)",
     "schema": {"type": "string", "maxLength": MAX_PARAM_LENGTH}},
    {"name": "exclude", "in": "query", "required": False,
     "description": "Comma-separated keywords; papers mentioning any are dropped",
     "schema": {"type": "string", "maxLength": MAX_PARAM_LENGTH}},
    {"name": "min_score", "in": "query", "required": False,
     "schema": {"type": "number", "minimum": 0, "maximum": 1000}},
    {"name": "limit", "in": "query", "required": False, "description": "Number of items",
     "schema": {"type": "integer", "minimum": 1}},
    {"name": "types", "in": "query", "required": False,
     "description": "Announce types: new, cross, replace, replace-cross or all",
     "schema": {"type": "string", "maxLength": 100}},
    {"name": "like", "in": "query", "required": False,
     "description": "Comma-separated arXiv ids (at most 50): rank by similarity to these papers",
     "schema": {"type": "string", "maxLength": MAX_PARAM_LENGTH}},
    {"name": "dislike", "in": "query", "required": False,
     "description": "Comma-separated arXiv ids (at most 50): push papers like these down",
     "schema": {"type": "string", "maxLength": MAX_PARAM_LENGTH}},
    {"name": "authors", "in": "query", "required": False,
     "description": "Comma-separated author names to follow: their papers come first",
     "schema": {"type": "string", "maxLength": MAX_PARAM_LENGTH}},
]  # fmt: skip


FEED_NAMES = tuple(p["name"] for p in FEED_PARAMETERS)
_HARMLESS = re.compile(r"_|utm_\w*")  # cache busters and campaign tags: never reported
_ELSEWHERE = {"category": "categories go in the path: /rss/cs.AI+cs.LG"}
MAX_NAMED = 10  # unknown parameters named; more are counted


def unknown_params(names: Iterable[str], known: Collection[str] = FEED_NAMES) -> tuple[str, ...]:
    """The names not in ``known`` (nor harmless), each once, sorted, as ``shown``."""
    unknown = {n for n in names if n not in known and not _HARMLESS.fullmatch(n)}
    return tuple(sorted({shown(n) for n in unknown}))


def shown(name: str) -> str:
    """A parameter's name made safe for a header or a text: percent-encoded, 40 characters."""
    safe = quote(name, safe="-_.~[]")
    return safe if len(safe) <= 40 else re.sub(r"%[0-9A-F]?$", "", safe[:40]) + "..."


def names_header(names: Sequence[str]) -> str:
    """The first ``MAX_NAMED`` names for a response header."""
    return ", ".join(names[:MAX_NAMED]) + (", ..." if len(names) > MAX_NAMED else "")


def unknown_note(names: Sequence[str], known: Collection[str] = FEED_NAMES) -> str:
    """``Ignored parameter: keyword (did you mean keywords?).`` for ``unknown_params``' names."""
    return f"Ignored parameter{'s' if len(names) > 1 else ''}: {explain(names, known)}."


def explain(names: Sequence[str], known: Collection[str] = FEED_NAMES) -> str:
    """``keyword (did you mean keywords?), zeta``: the first ``MAX_NAMED`` names, each with
    the known name it is close to, if any."""
    said = []
    for name in names[:MAX_NAMED]:
        near = get_close_matches(name, known, n=1, cutoff=0.6)
        why = _ELSEWHERE.get(name) or (f"did you mean {near[0]}?" if near else None)
        said.append(f"{name} ({why})" if why else name)
    if len(names) > MAX_NAMED:
        said.append(f"and {len(names) - MAX_NAMED} more")
    return ", ".join(said)


def parse_feed_params(query: Mapping[str, str]) -> FeedParams:
    """Read and check the feed parameters of a query string."""
    for name in ("keywords", "exclude", "types", "like", "dislike", "authors"):
        if len(query.get(name) or "") > MAX_PARAM_LENGTH:
            raise InvalidQuery(f"{name}: longer than {MAX_PARAM_LENGTH} characters")
    return FeedParams(
        like=query.get("like"),
        dislike=query.get("dislike"),
        authors=query.get("authors"),
        keywords=query.get("keywords"),
        exclude=query.get("exclude"),
        min_score=_number(query, "min_score", float),
        limit=_number(query, "limit", int),
        types=query.get("types"),
    )


def _number[N: (int, float)](query: Mapping[str, str], name: str, kind: type[N]) -> N | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = kind(raw)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise InvalidQuery(f"{name}: {raw[:20]!r} is not {what}") from None
    if value != value or value in (float("inf"), float("-inf")):  # NaN, infinity
        raise InvalidQuery(f"{name}: {raw[:20]!r} is not a finite number")
    return value


def parse_likes(raw: str, limit: int, what: str = "like") -> tuple[str, ...]:
    """Comma-separated arXiv ids, in any form ``app.arxiv.ids`` reads, as version-free ids
    (a feed likes a paper, whatever its version), each once."""
    if len(raw) > MAX_PARAM_LENGTH:
        raise InvalidQuery(f"{what}: longer than {MAX_PARAM_LENGTH} characters")
    out: list[str] = []
    for text in parse_keywords(raw.replace(" ", ","), limit, what):
        found = parse_arxiv_id(text)
        if found is None:
            raise InvalidQuery(
                f"{what}: {text[:30]!r} is not an arXiv id",
                hint="like 2601.01493, 2601.01493v2, arXiv:2601.01493 or hep-th/9901001",
            )
        if found.id not in out:
            out.append(found.id)
    return tuple(out)

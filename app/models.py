"""The types passed between pipeline stages: fetch -> parse -> rank -> render.

``Paper`` is one announcement as arXiv lists it, ``Listing`` one fetched listing (one or more
categories, one announcement day), ``FeedQuery`` what a feed asks for, and ``ScoredPaper`` a
paper with the points each signal earned it (``app.ranking.signals``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any, Self
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from app.ranking.signals import KEYWORDS, Weights, total

Points = Annotated[float, PlainSerializer(lambda v: round(v, 4), return_type=float)]
"""A score as JSON shows it: rounded to 4 decimals (``0.763``, never ``0.7630000000000001``)."""


class AnnounceType(StrEnum):
    """How a paper appears in a day's listing."""

    NEW = "new"
    CROSS = "cross"
    REPLACE = "replace"
    REPLACE_CROSS = "replace-cross"


class Paper(BaseModel):
    """One paper as announced in an arXiv listing."""

    model_config = ConfigDict(frozen=True)

    arxiv_id: str = Field(description="Version-free arXiv id, e.g. 2512.07710")
    version: int = Field(ge=1, description="Version announced, e.g. 1 for v1")
    title: str
    authors: list[str]
    abstract: str
    categories: list[str] = Field(description="All categories, the primary one first")
    primary_category: str
    announce_type: AnnounceType
    announced: date = Field(description="Announcement day (America/New_York)")
    published: datetime = Field(description="The listing's pubDate for the item")
    license: str | None = None
    doi: str | None = None
    journal_ref: str | None = None

    @property
    def versioned_id(self) -> str:
        """``2512.07710v1``."""
        return f"{self.arxiv_id}v{self.version}"

    @property
    def link(self) -> str:
        """The abstract page (always the latest version)."""
        return f"https://arxiv.org/abs/{self.arxiv_id}"

    @property
    def guid(self) -> str:
        """A stable, version-specific permalink: one item per announcement."""
        return f"https://arxiv.org/abs/{self.versioned_id}"


class Listing(BaseModel):
    """One listing fetched from arXiv: the papers of one announcement day."""

    categories: list[str]
    day: date | None = Field(description="Announcement day; None when arXiv did not say")
    papers: list[Paper]
    fetched_at: datetime
    sample: bool = Field(default=False, description="Served from bundled sample data")
    stale: bool = Field(default=False, description="arXiv failed; this is an older copy")
    etag: str | None = None
    last_modified: str | None = None

    @staticmethod
    def key_for(categories: Sequence[str]) -> str:
        """Store key: the same set of categories is the same listing, whatever the order."""
        return "listing:" + "+".join(sorted(categories))


class FeedQuery(BaseModel):
    """What a feed asks for: the configured defaults, overridden per request."""

    model_config = ConfigDict(frozen=True)

    categories: tuple[str, ...]
    keywords: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    types: frozenset[AnnounceType] = frozenset({AnnounceType.NEW})
    min_score: float = 0.0
    limit: int = Field(default=30, ge=1)
    weights: Weights = Field(default_factory=Weights, description="What each signal is worth")
    days_back: int = Field(default=1, ge=1)
    profile: str | None = Field(default=None, description="The profile whose library ranks")
    like: tuple[str, ...] = Field(default=(), description="arXiv ids to rank by similarity to")
    dislike: tuple[str, ...] = Field(default=(), description="arXiv ids that push similar down")
    authors: tuple[str, ...] = Field(default=(), description="Followed authors: pinned first")
    min_similarity: float = 0.0
    hidden: tuple[str, ...] = Field(
        default=(), description="arXiv ids left out (the owner's 'less like this')"
    )

    @property
    def personal(self) -> bool:
        """Whether similarity or followed authors take part in the ranking."""
        return bool(self.profile or self.like or self.dislike or self.authors)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy; the memoized ``cache_key`` is not carried over to it."""
        copy = super().model_copy(update=update, deep=deep)
        copy.__dict__.pop("cache_key", None)
        return copy

    @cached_property
    def cache_key(self) -> str:
        """A canonical string naming this query; computed once.

        A JSON array (no separator can be forged) of what ranking actually uses: the keyword
        texts the matcher compiles (``distinct_keywords``), never a looser normalization, so
        two queries share a key only if they rank, score and show the same papers.
        """
        from app.keywords import distinct_keywords

        parts = [
            list(self.categories),
            list(distinct_keywords(self.keywords)),
            list(distinct_keywords(self.exclude)),
            sorted(self.types),
            self.min_score,
            self.limit,
            self.weights.model_dump(),
            self.days_back,
            self.profile or "",
            list(self.like),
            list(self.dislike),
            [a.casefold() for a in self.authors],  # as app.ranking's author matching folds them
            self.min_similarity,
            sorted(self.hidden),
        ]
        return json.dumps(parts, ensure_ascii=False, separators=(",", ":"))


class SummaryText(BaseModel):
    """An LLM summary, as the raw Markdown the model wrote (the JSON API shows this much)."""

    markdown: str
    model: str
    language: str
    source: str = Field(description="abstract or pdf")
    created_at: datetime


class Summary(SummaryText):
    """An LLM's Markdown summary of one version of one paper."""

    model_config = ConfigDict(frozen=True)

    versioned_id: str


class Relevance(BaseModel):
    """An LLM's 0-10 rating of a paper against the configured research interests."""

    model_config = ConfigDict(frozen=True)

    score: float = Field(ge=0, le=10)
    reason: str = Field(max_length=500)
    model: str


class SimilarTo(BaseModel):
    """A library or liked paper close to a candidate."""

    model_config = ConfigDict(frozen=True)

    id: str | None = Field(description="arXiv id, else DOI; None when the entry has neither")
    title: str
    similarity: float = Field(ge=0, le=1)


class Personal(BaseModel):
    """What a profile's library, likes and followed authors say of one paper."""

    model_config = ConfigDict(frozen=True)

    similarity: float | None = Field(default=None, ge=0, le=1)
    similar_to: list[SimilarTo] = Field(default_factory=list)
    author_match: list[str] = Field(default_factory=list, description="Followed authors")
    disliked_by: float = Field(
        default=0.0, ge=0, description="How far dislikes and 'less' clicks moved similarity down"
    )


class FeedbackLinks(BaseModel):
    """The two signed feedback URLs of a paper in an owner's profile feed (GET: a page asking
    to confirm; POST: recorded)."""

    model_config = ConfigDict(frozen=True)

    more: str = Field(description="More like this")
    less: str = Field(description="Less like this (the paper leaves the feed)")


class ScoredPaper(BaseModel):
    """A paper that passed the filters, with its score and why.

    ``contributions`` are the points each signal adds (``app.ranking.signals``); the score is
    their sum, never stored apart from them.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    paper: Paper
    contributions: dict[str, float] = Field(
        default_factory=dict, description="Points by signal (keywords, relevance, similarity)"
    )
    matched: list[str] = Field(description="Configured keywords found in title or abstract")
    title_matched: list[str] = Field(description="Those of them found in the title")
    rank: int = Field(ge=1)
    relevance: Relevance | None = None
    summary: Summary | None = None
    similarity: float | None = Field(default=None, description="0-1, to the library and likes")
    similar_to: list[SimilarTo] = Field(default_factory=list)
    author_match: list[str] = Field(default_factory=list, description="Followed authors")
    disliked_by: float = Field(
        default=0.0, ge=0, description="How far dislikes and 'less' clicks moved similarity down"
    )
    feedback: FeedbackLinks | None = Field(
        default=None, description="Signed feedback URLs (only in an owner's profile feed)"
    )

    @property
    def score(self) -> float:
        """The sum of the contributions."""
        return total(self.contributions)

    @property
    def keyword_score(self) -> float:
        """What the keywords add (keyword weight per keyword, title bonus per title match)."""
        return self.contributions.get(KEYWORDS, 0.0)


class RankedFeed(BaseModel):
    """The result of ranking a listing for a query: what the renderers draw."""

    query: FeedQuery
    listing_day: date | None
    fetched_at: datetime
    sample: bool = False
    stale: bool = False
    total_listed: int = Field(description="Papers in the listing before filtering")
    items: list[ScoredPaper]
    owned: bool = Field(default=False, description="One of the owner's feeds, as defined")
    notes: tuple[str, ...] = Field(
        default=(), description="What the reader should know of this feed (ids not found, ...)"
    )

    def updated(self) -> datetime:
        """When the feed's content last changed: newest announcement or summary (an empty feed:
        midnight New York of the listing's day, else when it was fetched)."""
        moments = [i.paper.published for i in self.items]
        moments += [i.summary.created_at for i in self.items if i.summary is not None]
        if not moments and self.listing_day is not None:  # empty: the listing's day, not a clock
            return datetime.combine(self.listing_day, time(0), tzinfo=ZoneInfo("America/New_York"))
        return max(moments, default=self.fetched_at)

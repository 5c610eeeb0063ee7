"""Response models of the JSON API for papers, and how they are built from the pipeline's
models (pure).

``PaperPage`` answers ``/api/papers``, ``PaperDetail`` ``/api/papers/{arxiv_id}``, ``PaperOut``
is one paper (also in JSON webhooks), and ``ErrorOut`` documents every error; ``/api/config``'s
``ConfigOut`` is ``app.config_view``'s. Each model builds its validator and serializer on first
use (``defer_build``): a cold instance that only serves feeds never needs them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Self

from pydantic import BaseModel, ConfigDict, Field

from app.arxiv.links import CodeLink, code_links
from app.models import (
    AnnounceType,
    FeedbackLinks,
    Paper,
    Points,
    RankedFeed,
    Relevance,
    ScoredPaper,
    SimilarTo,
    Summary,
    SummaryText,
)
from app.ranking.signals import RELEVANCE, Weights
from app.render.feeds import doi_url


class ErrorDetail(BaseModel):
    """What went wrong, and what to do about it."""

    model_config = ConfigDict(defer_build=True)

    code: str = Field(description="Machine-readable, e.g. not_found or invalid_query")
    message: str
    hint: str | None = None


class ErrorOut(BaseModel):
    """Every error response: ``{"error": {"code", "message", "hint"}}``."""

    model_config = ConfigDict(defer_build=True)

    error: ErrorDetail


class SummaryOut(SummaryText):
    """An LLM summary of the paper, as the raw Markdown the model wrote."""

    model_config = ConfigDict(defer_build=True)

    @classmethod
    def of(cls, summary: Summary) -> Self:
        """The API view of a stored summary."""
        return cls.model_validate(summary.model_dump(include=set(cls.model_fields)))


class SimilarOut(BaseModel):
    """A library or liked paper close to this one. A library is private: its titles show only
    to the profile's owner (``Authorization: Bearer <ADMIN_TOKEN>``); others get the ids."""

    model_config = ConfigDict(defer_build=True)

    id: str | None = Field(description="arXiv id, else DOI; null when the entry has neither")
    title: str | None = Field(description="null unless the request is the profile's owner's")
    similarity: float = Field(ge=0, le=1)

    @classmethod
    def of(cls, similar: SimilarTo, *, titles: bool) -> Self:
        """The API view of one close paper, with its title only when ``titles``."""
        return cls(
            id=similar.id, title=similar.title if titles else None, similarity=similar.similarity
        )


class PaperOut(BaseModel):
    """One paper as announced, with its score for the query and the LLM's take, if any."""

    model_config = ConfigDict(defer_build=True)

    arxiv_id: str = Field(description="Version-free arXiv id, e.g. 2601.01209")
    version: int = Field(ge=1)
    versioned_id: str = Field(description="e.g. 2601.01209v1")
    guid: str = Field(description="Version-specific permalink, the feeds' GUID")
    title: str
    authors: list[str]
    categories: list[str] = Field(description="All categories, the primary one first")
    primary_category: str
    announce_type: AnnounceType
    announced: date = Field(description="Announcement day (America/New_York)")
    published: datetime
    link: str = Field(description="The abstract page (latest version)")
    pdf_link: str = Field(description="The PDF of this version")
    abstract: str
    license: str | None
    doi: str | None
    journal_ref: str | None
    doi_link: str | None = Field(description="https://doi.org/<doi>, when there is a DOI")
    code_links: list[CodeLink] = Field(
        description="Code, model, data or project pages named in the abstract"
    )
    score: Points = Field(description="The points of every signal (keywords, relevance, ...) added")
    keyword_score: Points
    matched: list[str] = Field(description="Keywords found in title or abstract")
    title_matched: list[str] = Field(description="Those of them found in the title")
    relevance: Relevance | None = Field(description="The LLM's 0-10 rating, when one exists")
    summary: SummaryOut | None = Field(description="The LLM summary, when one exists")
    similarity: float | None = Field(
        default=None, description="0-1, to the profile's library and likes (null: none)"
    )
    similar_to: list[SimilarOut] = Field(
        default_factory=list,
        description="Up to 3 closest library or liked papers; for a profile's ranking their "
        "titles are null unless the request carries the owner's token",
    )
    author_match: list[str] = Field(default_factory=list, description="Followed authors")
    disliked_by: float = Field(
        default=0.0, description="How far dislikes and 'less' clicks moved similarity down"
    )
    feedback: FeedbackLinks | None = Field(
        default=None, description="Signed 'more/less like this' URLs (an owner's profile digest)"
    )

    @classmethod
    def of(cls, item: ScoredPaper, *, titles: bool = True, **extra: object) -> Self:
        """The API view of a ranked paper (``extra``: the subclass's fields); ``titles``:
        whether ``similar_to`` names the library's papers."""
        p: Paper = item.paper
        return cls.model_validate(
            {
                "arxiv_id": p.arxiv_id,
                "version": p.version,
                "versioned_id": p.versioned_id,
                "guid": p.guid,
                "title": p.title,
                "authors": p.authors,
                "categories": p.categories,
                "primary_category": p.primary_category,
                "announce_type": p.announce_type,
                "announced": p.announced,
                "published": p.published,
                "link": p.link,
                "pdf_link": f"https://arxiv.org/pdf/{p.versioned_id}",
                "abstract": p.abstract,
                "license": p.license,
                "doi": p.doi,
                "journal_ref": p.journal_ref,
                "doi_link": doi_url(p.doi) if p.doi else None,
                "code_links": code_links(p.abstract),
                "score": item.score,
                "keyword_score": item.keyword_score,
                "matched": item.matched,
                "title_matched": item.title_matched,
                "relevance": item.relevance,
                "summary": SummaryOut.of(item.summary) if item.summary else None,
                "similarity": item.similarity,
                "similar_to": [SimilarOut.of(s, titles=titles) for s in item.similar_to],
                "author_match": item.author_match,
                "disliked_by": round(item.disliked_by, 4),
                "feedback": item.feedback,
                **extra,
            }
        )


class RankedPaperOut(PaperOut):
    """A paper of a result list."""

    model_config = ConfigDict(defer_build=True)

    rank: int = Field(ge=1, description="1-based position in the whole result list")


class PaperPage(BaseModel):
    """One page of the ranked papers for a query."""

    model_config = ConfigDict(defer_build=True)

    total: int = Field(ge=0, description="Papers matching the query, over all pages")
    offset: int = Field(ge=0)
    limit: int = Field(ge=1, description="Page size")
    next: str | None = Field(description="URL of the next page; null on the last")
    categories: list[str]
    day: date | None = Field(description="Only papers announced that day, when asked")
    listing_day: date | None = Field(description="Announcement day of the current listing")
    fetched_at: datetime = Field(description="When the listing was fetched from arXiv")
    sample: bool = Field(description="Bundled sample data, not a live listing")
    stale: bool = Field(description="arXiv failed; an older copy of the listing")
    notes: list[str] = Field(
        default_factory=list, description="What to know of this answer (ids not found, ...)"
    )
    items: list[RankedPaperOut]


def select(feed: RankedFeed, day: date | None) -> list[ScoredPaper]:
    """The feed's papers (only those announced on ``day`` when given), ranked 1..n."""
    if day is None:
        return feed.items
    kept = [i for i in feed.items if i.paper.announced == day]
    return [i.model_copy(update={"rank": n}) for n, i in enumerate(kept, 1)]


def paper_page(
    feed: RankedFeed,
    items: list[ScoredPaper],
    *,
    offset: int,
    limit: int,
    day: date | None,
    next_url: str | None,
    titles: bool,
) -> PaperPage:
    """Page ``items[offset:offset + limit]``; ``next_url`` is used only if more follow;
    ``titles``: whether ``similar_to`` names the library's papers."""
    return PaperPage(
        total=len(items),
        offset=offset,
        limit=limit,
        next=next_url if offset + limit < len(items) else None,
        categories=list(feed.query.categories),
        day=day,
        listing_day=feed.listing_day,
        fetched_at=feed.fetched_at,
        notes=list(feed.notes),
        sample=feed.sample,
        stale=feed.stale,
        items=[
            RankedPaperOut.of(i, rank=i.rank, titles=titles) for i in items[offset : offset + limit]
        ],
    )


class KeywordPoints(BaseModel):
    """What one matched keyword adds to the score."""

    model_config = ConfigDict(defer_build=True)

    keyword: str
    in_title: bool
    points: Points = Field(description="keyword_weight, plus title_bonus when in the title")


class ScoreBreakdown(BaseModel):
    """How the score is made: the points of each signal, added up."""

    model_config = ConfigDict(defer_build=True)

    keyword_weight: float
    title_bonus: float
    relevance_weight: float = Field(description="0 when no LLM rates papers")
    keywords: list[KeywordPoints]
    keyword_score: Points
    relevance_points: Points = Field(description="relevance_weight x the LLM's rating")
    contributions: dict[str, Points] = Field(
        description="Points by signal (keywords, relevance, similarity, ...): total is their sum"
    )
    total: Points


class PaperDetail(PaperOut):
    """One paper of the configured categories' listing, with its score explained."""

    model_config = ConfigDict(defer_build=True)

    matches_filters: bool = Field(
        description="Whether it passes the configured keywords and exclusions (announce type "
        "and min_score aside); when not, it is shown unscored"
    )
    breakdown: ScoreBreakdown


def paper_detail(item: ScoredPaper, *, matches: bool, weights: Weights) -> PaperDetail:
    """``item`` with the weights that scored it (and the points each signal earned it)."""
    in_title = set(item.title_matched)
    keywords = [
        KeywordPoints(
            keyword=k,
            in_title=k in in_title,
            points=weights.keyword_weight + (weights.title_bonus if k in in_title else 0.0),
        )
        for k in item.matched
    ]
    breakdown = ScoreBreakdown(
        keyword_weight=weights.keyword_weight,
        title_bonus=weights.title_bonus,
        relevance_weight=weights.relevance_weight,
        keywords=keywords,
        keyword_score=item.keyword_score,
        relevance_points=item.contributions.get(RELEVANCE, 0.0),
        contributions=item.contributions,
        total=item.score,
    )
    return PaperDetail.of(item, matches_filters=matches, breakdown=breakdown)

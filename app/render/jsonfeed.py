"""JSON Feed 1.1 from a ``RankedFeed`` (pure: models in, UTF-8 bytes out).

https://jsonfeed.org/version/1.1: ``version``, ``title``, ``home_page_url``, ``feed_url`` and the
items, each with ``id`` (the same version-specific GUID as RSS and Atom), ``url``, ``title``,
``content_html`` (the same HTML as the RSS description), ``summary`` (the abstract),
``date_published`` (RFC 3339), ``authors``, ``tags`` (categories) and an ``_arxiv`` extension
object with the score, the matched keywords, the announce type, license, DOI, journal reference
and code links (and, in an owner's profile feed, ``feedback``: the signed "more" and "less"
URLs). The models below are both the
document and its OpenAPI schema. Like RSS and Atom, the same feed renders the same bytes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.arxiv.links import CodeLink, code_links
from app.models import AnnounceType, FeedbackLinks, Points, RankedFeed, ScoredPaper, SimilarTo
from app.render.feeds import FeedMeta, feed_description, feed_title, item_html

VERSION: Literal["https://jsonfeed.org/version/1.1"] = "https://jsonfeed.org/version/1.1"
MEDIA_TYPE = "application/feed+json; charset=utf-8"


class JSONFeedAuthor(BaseModel):
    """One author of an item."""

    name: str


class ArxivExtension(BaseModel):
    """The ``_arxiv`` extension object: why the paper is in the feed."""

    about: str = Field(description="Where this extension is described (the service's /docs)")
    versioned_id: str = Field(description="e.g. 2601.01209v1")
    rank: int = Field(ge=1)
    score: Points = Field(description="The points of every signal (keywords, relevance, ...) added")
    matched: list[str] = Field(description="Keywords found in title or abstract")
    announce_type: AnnounceType
    license: str | None = Field(description="The license URL arXiv gives")
    doi: str | None
    journal_ref: str | None
    code_links: list[CodeLink] = Field(description="Code and project pages in the abstract")
    similarity: float | None = Field(default=None, description="0-1, to the library and likes")
    similar_to: list[SimilarTo] = Field(default_factory=list)
    author_match: list[str] = Field(default_factory=list, description="Followed authors")
    disliked_by: float = Field(
        default=0.0, description="How far dislikes and 'less' clicks moved similarity down"
    )
    feedback: FeedbackLinks | None = Field(
        default=None, description="Signed 'more/less like this' URLs (an owner's profile feed)"
    )


class JSONFeedItem(BaseModel):
    """One item of a JSON Feed 1.1."""

    model_config = ConfigDict(
        validate_by_name=True, validate_by_alias=True, serialize_by_alias=True
    )

    id: str = Field(description="The version-specific permalink, as the RSS guid")
    url: str = Field(description="The abstract page")
    title: str
    content_html: str = Field(description="The same HTML as the RSS description")
    summary: str = Field(description="The abstract")
    date_published: datetime = Field(description="Announcement date (RFC 3339)")
    authors: list[JSONFeedAuthor]
    tags: list[str] = Field(description="arXiv categories, the primary one first")
    arxiv: ArxivExtension = Field(alias="_arxiv")


class JSONFeed(BaseModel):
    """A JSON Feed 1.1 document."""

    version: Literal["https://jsonfeed.org/version/1.1"] = VERSION
    title: str
    home_page_url: str
    feed_url: str
    description: str
    language: str = "en"
    items: list[JSONFeedItem]


def json_feed(feed: RankedFeed, meta: FeedMeta) -> JSONFeed:
    """The JSON Feed document for ``feed``."""
    return JSONFeed(
        title=feed_title(feed, meta.title),
        home_page_url=meta.site_url,
        feed_url=meta.self_url,
        description=feed_description(feed),
        items=[_item(i, f"{meta.site_url}docs") for i in feed.items],
    )


def _item(item: ScoredPaper, about: str) -> JSONFeedItem:
    p = item.paper
    published = p.published if p.published.tzinfo else p.published.replace(tzinfo=UTC)
    return JSONFeedItem(
        id=p.guid,
        url=p.link,
        title=p.title,
        content_html=item_html(item),
        summary=p.abstract,
        date_published=published,
        authors=[JSONFeedAuthor(name=a) for a in p.authors],
        tags=list(p.categories),
        arxiv=ArxivExtension(
            about=about,
            versioned_id=p.versioned_id,
            rank=item.rank,
            score=item.score,
            matched=list(item.matched),
            announce_type=p.announce_type,
            license=p.license,
            doi=p.doi,
            journal_ref=p.journal_ref,
            code_links=code_links(p.abstract),
            similarity=item.similarity,
            similar_to=item.similar_to,
            author_match=item.author_match,
            disliked_by=round(item.disliked_by, 4),
            feedback=item.feedback,
        ),
    )


def render_json_feed(feed: RankedFeed, meta: FeedMeta) -> bytes:
    """JSON Feed 1.1 as UTF-8 (non-ASCII characters are not escaped)."""
    return json_feed(feed, meta).model_dump_json(by_alias=True).encode()

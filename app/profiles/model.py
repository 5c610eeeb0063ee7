"""A profile: a personal feed defined by the owner, in ``config.json`` or through the API.

A profile may set any feed setting and inherits the rest from the top level of the
configuration; it adds a library, liked and disliked papers, followed authors and the weight
of similarity. ``app.profiles.registry.resolve`` turns one into the ``FeedQuery`` the
pipeline ranks by.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.arxiv.ids import parse_arxiv_id
from app.delivery.settings import Delivery
from app.models import AnnounceType
from app.validation import clean_keywords, known_categories

NAME = re.compile(r"[a-z0-9-]{1,40}")
MAX_IDS = 500  # liked or disliked ids per profile


def check_name(name: str) -> str:
    """A profile name: 1-40 of ``a-z``, ``0-9`` and ``-``."""
    if not NAME.fullmatch(name):
        raise ValueError(f"profile name {name[:50]!r} must be 1-40 of a-z, 0-9 and '-'")
    return name


def arxiv_ids(values: list[str], what: str) -> list[str]:
    """Version-free arXiv ids from any form ``app.arxiv.ids`` reads; a bad one is an error
    naming it."""
    out: list[str] = []
    for raw in values:
        found = parse_arxiv_id(raw)
        if found is None:
            raise ValueError(f"{what}: {raw[:60]!r} is not an arXiv id")
        if found.id not in out:
            out.append(found.id)
    if len(out) > MAX_IDS:
        raise ValueError(f"{what}: at most {MAX_IDS} ids, got {len(out)}")
    return out


class ProfileAI(BaseModel):
    """What a profile may change about summaries (the model, prompt and language are the
    deployment's, so every profile shares one summary per paper)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool | None = None
    max_papers_to_summarize: int | None = Field(default=None, ge=0, le=200)
    daily_call_cap: int | None = Field(
        default=None, ge=0, description="Summaries this profile may cause a day (null: no own cap)"
    )


class Profile(BaseModel):
    """One profile as written in ``config.json`` ``profiles`` or sent to the API."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str | None = Field(default=None, max_length=200)
    categories: list[str] | None = Field(default=None, min_length=1, max_length=20)
    keywords: list[str] | None = Field(default=None, max_length=200)
    exclude_keywords: list[str] | None = Field(default=None, max_length=200)
    announce_types: list[AnnounceType] | None = Field(default=None, min_length=1)
    max_papers: int | None = Field(default=None, ge=1, le=2000)
    days_back: int | None = Field(default=None, ge=1, le=60)
    min_score: float | None = Field(default=None, ge=0)
    interests: str | None = Field(default=None, max_length=2000)
    ai_summary: ProfileAI = Field(default_factory=ProfileAI)
    library: str | None = Field(
        default=None, description="A library file, relative to the config file"
    )
    like: list[str] = Field(default_factory=list)
    dislike: list[str] = Field(default_factory=list)
    authors: list[str] = Field(default_factory=list, max_length=200)
    similarity_weight: float = Field(default=1.0, ge=0, le=10)
    min_similarity: float = Field(default=0.0, ge=0, le=1)
    delivery: Delivery | None = None

    @field_validator("categories")
    @classmethod
    def _known(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else known_categories(value)

    @field_validator("keywords", "exclude_keywords")
    @classmethod
    def _clean(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else clean_keywords(value)

    @field_validator("like", "dislike")
    @classmethod
    def _ids(cls, value: list[str]) -> list[str]:
        return arxiv_ids(value, "like/dislike")

    @field_validator("authors")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        return [n for n in (" ".join(a.split()) for a in value) if n]

"""A profile: a personal feed defined by the owner, in ``config.json`` or through the API.

A profile may set any feed setting and inherits the rest from the top level of the
configuration; it adds a library (a file, or a Zotero library read through Zotero's Web API:
``ZoteroSource``), liked and disliked papers, followed authors and the weight of similarity.
``app.profiles.registry.resolve`` turns one into the ``FeedQuery`` the pipeline ranks by.
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
ZOTERO_LIBRARY = re.compile(r"(users|groups)/[1-9][0-9]{0,11}")
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")
COLLECTION_KEY = re.compile(r"[A-Z0-9]{8}")


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


class ZoteroSource(BaseModel):
    """A Zotero library a profile reads its papers from (``app.profiles.zotero``): the
    library, the environment variable holding a read key (none: a public library), and
    optionally the collections to read instead of the whole library."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    library: str = Field(description="users/<id> or groups/<id>, as in Zotero's API paths")
    api_key_env: str | None = Field(
        default=None, description="The environment variable holding the key (never the key)"
    )
    collections: list[str] = Field(default_factory=list, max_length=20)

    @field_validator("library")
    @classmethod
    def _library(cls, value: str) -> str:
        if not ZOTERO_LIBRARY.fullmatch(value):
            raise ValueError("must be users/<numeric id> or groups/<numeric id>")
        return value

    @field_validator("api_key_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        if value is not None and not ENV_NAME.fullmatch(value):
            raise ValueError("must be the name of an environment variable, e.g. ZOTERO_API_KEY")
        return value

    @field_validator("collections")
    @classmethod
    def _collections(cls, value: list[str]) -> list[str]:
        for key in value:
            if not COLLECTION_KEY.fullmatch(key):
                raise ValueError(f"{key[:20]!r} is not a collection key (8 of A-Z, 0-9)")
        return list(dict.fromkeys(value))


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
    zotero: ZoteroSource | None = Field(
        default=None, description="A Zotero library, read through Zotero's Web API"
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

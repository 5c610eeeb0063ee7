"""What an OpenAI-compatible endpoint is (``Provider``: where, and which variable holds its key),
and the ``embeddings`` setting (``EmbeddingsSettings``): which endpoint embeds papers for
profiles, and how. The ``ai_summary`` block (``app.summaries.settings``) is a ``Provider`` too.

Apart from ``app.llm.client`` and ``app.llm.embeddings`` so that ``Settings`` can be validated
without loading the clients.
"""

from __future__ import annotations

import hashlib
import os
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Provider(BaseModel):
    """An OpenAI-compatible endpoint: where it is and which variable holds its key."""

    model_config = ConfigDict(extra="forbid")

    api_key_env: str = "OPENAI_API_KEY"
    base_url: str | None = Field(
        default=None, description="e.g. http://localhost:11434/v1 (Ollama); None: OpenAI"
    )

    @field_validator("base_url")
    @classmethod
    def _http_base(cls, value: str | None) -> str | None:
        if value is not None and urlsplit(value).scheme not in ("http", "https"):
            raise ValueError("must be an http(s) URL")  # never echoed: it may hold a password
        return value

    def api_key(self) -> str | None:
        """The key from the variable named by ``api_key_env``, else ``OPENAI_API_KEY``."""
        return os.environ.get(self.api_key_env) or os.environ.get("OPENAI_API_KEY")

    def resolved_base_url(self) -> str | None:
        """``base_url``, else ``OPENAI_BASE_URL``, else the provider default (OpenAI)."""
        return self.base_url or os.environ.get("OPENAI_BASE_URL") or None


class EmbeddingsSettings(Provider):
    """The ``embeddings`` block: which OpenAI-compatible endpoint embeds papers, and how."""

    model: str = Field(default="text-embedding-3-small", min_length=1, max_length=200)
    dimensions: int | None = Field(
        default=None, ge=1, le=8192, description="Ask for shorter vectors (text-embedding-3)"
    )
    batch_size: int = Field(default=128, ge=1, le=2048, description="Texts per request")
    concurrency: int = Field(default=2, ge=1, le=16, description="Requests at a time")
    timeout: float = Field(default=30.0, gt=0, le=600, description="Per request (s)")
    max_chars: int = Field(default=8000, ge=100, le=200_000, description="Text cut to this")
    retry_after: float = Field(
        default=300.0, ge=0, description="Wait after a failure (s, doubling with each)"
    )
    encoding_format: Literal["base64", "float"] = Field(
        default="base64", description="base64 is quicker; float is used when it is refused"
    )

    @property
    def tag(self) -> str:
        """Names the vector space in cache keys: the model and the dimensions asked for."""
        space = f"{self.model}|{self.dimensions or 'native'}"
        return hashlib.sha256(space.encode()).hexdigest()[:16]

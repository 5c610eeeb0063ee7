"""The ``embeddings`` setting (``EmbeddingsSettings``): which OpenAI-compatible endpoint embeds
papers for profiles, and how.

Apart from ``app.llm.embeddings`` so that ``Settings`` can be validated without loading the
embeddings client and the LLM parts it builds on.
"""

from __future__ import annotations

import hashlib
from typing import Literal

from pydantic import Field

from app.summaries.settings import Provider


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

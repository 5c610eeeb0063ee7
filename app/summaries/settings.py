"""The ``ai_summary`` settings block, an ``app.llm.settings.Provider`` (kept apart from
``app.config`` so that response models can reuse it without loading pydantic-settings)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from app.llm.settings import Provider


class AISummary(Provider):
    """The legacy ``ai_summary`` block: which LLM summarizes the top papers, and how."""

    enabled: bool = False
    model: str = "gpt-4o-mini"
    prompt_file: Path | None = None
    max_papers_to_summarize: int = Field(default=15, ge=0, le=200)
    max_workers: int = Field(default=5, ge=1, le=64)
    summary_language: str = Field(
        default="zh", min_length=2, max_length=40, description="zh (default), en, ja, ..."
    )
    source: Literal["abstract", "pdf"] = "abstract"
    timeout: float = Field(default=120.0, gt=0, le=900, description="Per LLM call (s)")
    time_budget: float = Field(
        default=25.0, gt=0, le=900, description="LLM time one feed request may spend (s)"
    )
    daily_call_cap: int = Field(default=500, ge=0, description="LLM calls per UTC day")
    retry_after: float = Field(
        default=900.0, ge=0, description="Wait before retrying a failed paper (s, doubling)"
    )

    @model_validator(mode="after")
    def _prompt_exists(self) -> AISummary:
        if self.prompt_file is not None and not self.prompt_file.is_file():
            raise ValueError(f"prompt_file {str(self.prompt_file)!r} does not exist")
        return self

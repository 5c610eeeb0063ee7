"""The LLM parts of the running service, present when a provider is configured."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.llm import LLMClient
    from app.summaries.relevance import RelevanceRater
    from app.summaries.summarize import CallBudget, Summarizer


@dataclass
class AIServices:
    """Summarizer and relevance rater sharing one provider client and one daily cap."""

    budget: CallBudget
    summarizer: Summarizer | None
    rater: RelevanceRater | None
    max_to_summarize: int
    time_budget: float
    relevance_weight: float
    relevance_candidates: int
    llm: LLMClient

    def generation(self) -> int:
        """Grows whenever this instance stores a new summary or rating."""
        made = self.summarizer.stored if self.summarizer else 0
        return made + (self.rater.stored if self.rater else 0)

    async def aclose(self) -> None:
        """Stop the calls under way, then close the provider client."""
        if self.summarizer is not None:
            await self.summarizer.cancel_pending()
        await self.llm.aclose()

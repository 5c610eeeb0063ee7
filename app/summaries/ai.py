"""The LLM parts of the running service, present when a provider is configured."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.llm.budget import CallBudget
    from app.llm.client import LLMClient
    from app.summaries.relevance import RelevanceRater
    from app.summaries.summarize import Summarizer


@dataclass
class AIServices:
    """Summarizer and relevance rater sharing one provider client and one daily cap."""

    budget: CallBudget
    summarizer: Summarizer | None
    make_rater: Callable[[str], RelevanceRater]
    interests: str | None  # the configured feed's
    max_to_summarize: int
    time_budget: float
    relevance_candidates: int
    llm: LLMClient
    _raters: dict[str, RelevanceRater] = field(default_factory=dict)

    @property
    def rater(self) -> RelevanceRater | None:
        """The rater for the configured feed's interests (None without interests)."""
        return self.rater_for(self.interests)

    def rater_for(self, interests: str | None) -> RelevanceRater | None:
        """The rater for ``interests`` (one per text: profiles may have their own)."""
        if not interests:
            return None
        if interests not in self._raters:
            self._raters[interests] = self.make_rater(interests)
        return self._raters[interests]

    def generation(self) -> int:
        """Grows whenever this instance stores a new summary or rating."""
        made = self.summarizer.stored if self.summarizer else 0
        return made + sum(r.stored for r in self._raters.values())

    async def aclose(self) -> None:
        """Stop the calls under way, then close the provider client."""
        if self.summarizer is not None:
            await self.summarizer.cancel_pending()
        await self.llm.aclose()

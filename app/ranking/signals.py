"""What ranks one paper: its signals, the weights that make them points, and its score (pure).

A paper's ``Signals`` are what is known of it for one reader: the keywords found in its title
or abstract (and those of them in its title), the LLM's 0-10 relevance rating, its 0-1
similarity to a profile's library and likes, and whether a followed author wrote it. ``Weights``
say what each is worth. ``contributions`` is the one place that turns signals into points, one
entry per signal present, and ``total`` adds them up: that sum is the score. A followed author
adds no points: such a paper passes every filter and is pinned first (``app.ranking.rank``).

Everything that explains a score (the JSON API's breakdown, the reasons every format prints)
reads the contributions a ``ScoredPaper`` carries, so a new signal needs a field here, its
weight, and its line in ``contributions``; the evidence it comes from reaches ``rank`` through
``app.ranking.rank.Evidence``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

KEYWORDS = "keywords"
RELEVANCE = "relevance"
SIMILARITY = "similarity"


class Weights(BaseModel):
    """What each signal is worth, in points."""

    model_config = ConfigDict(frozen=True)

    keyword_weight: float = Field(default=1.0, description="Per keyword in title or abstract")
    title_bonus: float = Field(default=0.5, description="Per keyword in the title, on top")
    relevance_weight: float = Field(default=0.5, description="Per point of the LLM's 0-10 rating")
    similarity_weight: float = Field(default=1.0, description="Per 0.1 of similarity")


@dataclass(slots=True)
class Signals:
    """What is known of one paper for one reader (``None``: not known); made for every
    candidate of a ranking, so a plain slotted class (a frozen one costs twice as much)."""

    keyword_hits: int = 0
    title_hits: int = 0
    relevance: float | None = None
    similarity: float | None = None
    followed: bool = False


def contributions(signals: Signals, weights: Weights) -> dict[str, float]:
    """The points each signal adds, by signal name, in a fixed order (keywords always)."""
    points = {
        KEYWORDS: weights.keyword_weight * signals.keyword_hits
        + weights.title_bonus * signals.title_hits
    }
    if signals.relevance is not None:
        points[RELEVANCE] = weights.relevance_weight * signals.relevance
    if signals.similarity is not None:
        points[SIMILARITY] = weights.similarity_weight * 10 * signals.similarity
    return points


def total(points: Mapping[str, float]) -> float:
    """The score: the contributions added in order (plain float addition, so the same points
    always give the same score to the last bit; ``sum`` compensates since Python 3.12)."""
    score = 0.0
    for value in points.values():
        score += value
    return score

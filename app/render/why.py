"""Why a paper is in a feed, in words every format shows (pure).

Every format draws the keywords, the LLM's rating and the personal reasons (followed authors,
similarity) its own way. Any other signal's points in ``ScoredPaper.contributions`` (one added
to ``app.ranking.signals``) come as a further reason with its points, so each format shows it
without knowing it by name.
"""

from __future__ import annotations

from app.models import ScoredPaper
from app.ranking.signals import KEYWORDS, RELEVANCE, SIMILARITY

DRAWN = frozenset({KEYWORDS, RELEVANCE, SIMILARITY})  # shown with their evidence, not as points


def reasons(item: ScoredPaper) -> list[tuple[str, str]]:
    """``(label, text)`` pairs: the personal reasons, then every further signal's points."""
    return personal_reasons(item) + signal_reasons(item)


def personal_reasons(item: ScoredPaper) -> list[tuple[str, str]]:
    """``(label, text)`` pairs: the followed authors, and the similarity with its closest
    library or liked papers (plain text; each renderer escapes it)."""
    reasons: list[tuple[str, str]] = []
    if item.author_match:
        reasons.append(("Followed", ", ".join(item.author_match)))
    if item.similarity is not None:
        near = "; ".join(
            f"{s.title[:120]}{f' ({s.id})' if s.id else ''}: {s.similarity:.2f}"
            for s in item.similar_to
        )
        text = f"{item.similarity:.2f}" + (f", closest to {near}" if near else "")
        if item.disliked_by >= 0.005:
            text += (
                f"; {item.disliked_by:.2f} lower for its likeness to papers you disliked or"
                " marked less like this"
            )
        reasons.append(("Similarity", text))
    return reasons


def signal_reasons(item: ScoredPaper) -> list[tuple[str, str]]:
    """``(label, text)`` for each contribution no format draws by name: ``("Feedback", "+2
    points")`` for a ``feedback`` signal worth 2."""
    return [
        (name.replace("_", " ").capitalize(), f"{points:+.3g} points")
        for name, points in item.contributions.items()
        if name not in DRAWN
    ]

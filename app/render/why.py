"""Why a paper is in a personal feed, in words every format shows (pure)."""

from __future__ import annotations

from app.models import ScoredPaper


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
        reasons.append(("Similarity", text))
    return reasons

"""Checks shared by ``Settings`` and profiles: category names and keyword lists."""

from __future__ import annotations

from app.arxiv import taxonomy
from app.keywords import distinct_keywords


def known_categories(value: list[str]) -> list[str]:
    """Each name checked against arXiv's taxonomy (canonical spelling, duplicates once)."""
    out: list[str] = []
    for raw in value:
        cat = taxonomy.lookup(raw.strip()) if taxonomy.is_well_formed(raw.strip()) else None
        if cat is None:
            near = ", ".join(taxonomy.suggest(raw)) or "see https://arxiv.org/category_taxonomy"
            raise ValueError(f"unknown arXiv category {raw!r} (did you mean: {near})")
        if cat.id not in out:
            out.append(cat.id)
    return out


def clean_keywords(value: list[str]) -> list[str]:
    """Blank entries dropped, spacing folded, duplicates counted once exactly as the matcher
    counts them (``app.keywords.distinct_keywords``: ``re``'s case-insensitivity)."""
    return list(distinct_keywords(value))

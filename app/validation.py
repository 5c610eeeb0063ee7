"""Checks shared by ``Settings`` and profiles: category names and keyword lists."""

from __future__ import annotations

from app.arxiv import taxonomy


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
    """Blank entries dropped, spacing folded, duplicates (ignoring case) counted once."""
    seen: dict[str, str] = {}
    for kw in value:
        kw = " ".join(kw.split())
        if kw and kw.casefold() not in seen:
            seen[kw.casefold()] = kw
    return list(seen.values())

"""Checks shared by ``Settings``, profiles and queries: category names, keyword lists, loopback
hosts."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from ipaddress import ip_address

from app.arxiv import taxonomy
from app.keywords import distinct_keywords


def canonical_categories(
    names: Iterable[str], refuse: Callable[[str, bool], Exception]
) -> list[str]:
    """Each name's canonical category id (aliases resolved), in order, duplicates once; for the
    first name arXiv does not know, ``refuse(name, well_formed)`` is raised."""
    out: list[str] = []
    for name in names:
        cat = taxonomy.lookup(name.strip()) if taxonomy.is_well_formed(name.strip()) else None
        if cat is None:
            raise refuse(name, taxonomy.is_well_formed(name.strip()))
        if cat.id not in out:
            out.append(cat.id)
    return out


def known_categories(value: list[str]) -> list[str]:
    """Each name checked against arXiv's taxonomy (canonical spelling, duplicates once)."""

    def refuse(raw: str, _: bool) -> ValueError:
        near = ", ".join(taxonomy.suggest(raw)) or "see https://arxiv.org/category_taxonomy"
        return ValueError(f"unknown arXiv category {raw!r} (did you mean: {near})")

    return canonical_categories(value, refuse)


def clean_keywords(value: list[str]) -> list[str]:
    """Blank entries dropped, spacing folded, duplicates counted once exactly as the matcher
    counts them (``app.keywords.distinct_keywords``: ``re``'s case-insensitivity)."""
    return list(distinct_keywords(value))


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (brackets around an IPv6 address allowed)."""
    if host.lower() == "localhost":
        return True
    try:
        return ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False

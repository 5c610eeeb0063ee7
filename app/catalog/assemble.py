"""Per-category views of a listing, and any set of categories assembled from them (pure).

arXiv lists a paper in every category it carries: in its primary category as ``new`` (or
``replace`` for a later version), in the others as ``cross`` (or ``replace-cross``). A listing
of several categories joined with ``+`` shows each paper once, ``new`` when its primary
category is in the set, ``cross`` when only a cross-list is (arXiv's RSS specification,
info.arxiv.org/help/rss_specifications.html). An archive (``cs``) stands for all its
categories. So a feed for any set is a filter of the per-category views plus this rule.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from app.models import AnnounceType, Listing, Paper

REPLACED = frozenset({AnnounceType.REPLACE, AnnounceType.REPLACE_CROSS})


def covers(wanted: Collection[str], category: str) -> bool:
    """Whether ``category`` is in ``wanted``, itself or through its archive."""
    return category in wanted or category.split(".", 1)[0] in wanted


def announce_type(paper: Paper, wanted: Collection[str]) -> AnnounceType:
    """How a listing of ``wanted`` announces ``paper``."""
    primary = covers(wanted, paper.primary_category)
    if paper.announce_type in REPLACED:
        return AnnounceType.REPLACE if primary else AnnounceType.REPLACE_CROSS
    return AnnounceType.NEW if primary else AnnounceType.CROSS


def split(listing: Listing, categories: Sequence[str]) -> dict[str, Listing]:
    """``listing`` (of ``categories``) as each of them would list it on its own.

    A listing of one category is that category's view as arXiv gave it.
    """
    if len(categories) == 1:
        return {categories[0]: listing.model_copy(update={"categories": list(categories)})}
    views: dict[str, Listing] = {}
    for category in categories:
        one = (category,)
        papers = [
            _typed(p, one) for p in listing.papers if any(covers(one, c) for c in p.categories)
        ]
        views[category] = listing.model_copy(update={"categories": [category], "papers": papers})
    return views


def _typed(paper: Paper, wanted: Collection[str]) -> Paper:
    kind = announce_type(paper, wanted)
    return (
        paper if kind == paper.announce_type else paper.model_copy(update={"announce_type": kind})
    )


def assemble(views: Sequence[Listing], wanted: Sequence[str]) -> Listing:
    """One listing of ``wanted`` from per-category views: each paper once, typed for the set.

    A paper seen in several views carries the union of the categories they show, primary
    first. The day is the newest view's; the listing is stale or sample if any view is.
    """
    if len(views) == 1 and views[0].categories == list(wanted):
        return views[0]  # one category's own view, as arXiv listed it
    merged: dict[str, Paper] = {}
    extra: dict[str, list[str]] = {}
    for view in views:
        for paper in view.papers:
            key = paper.versioned_id
            if key not in merged:
                merged[key] = paper
            else:
                known = merged[key].categories + extra.get(key, [])
                more = [c for c in paper.categories if c not in known]
                if more:
                    extra.setdefault(key, []).extend(more)
    papers: list[Paper] = []
    for key, paper in merged.items():
        update: dict[str, object] = {}
        if key in extra:
            update["categories"] = paper.categories + extra[key]
        kind = announce_type(paper, wanted)
        if kind != paper.announce_type:
            update["announce_type"] = kind
        papers.append(paper.model_copy(update=update) if update else paper)
    days = [v.day for v in views if v.day is not None]
    return Listing(
        categories=list(wanted),
        day=max(days, default=None),
        papers=papers,
        fetched_at=max(v.fetched_at for v in views),
        sample=any(v.sample for v in views),
        stale=any(v.stale for v in views),
    )

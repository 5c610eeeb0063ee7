"""Filter and score papers for a ``FeedQuery`` (pure functions).

Keywords match as ``app.ranking.keywords`` describes. Score = ``keyword_weight`` per keyword
found in title or abstract, plus ``title_bonus`` per keyword found in the title, plus
``relevance_weight`` x the LLM's rating, plus ``similarity_weight`` x 10 x the similarity to a
profile's library and likes. With similarity, a paper that matches no keyword still passes when
its similarity reaches ``min_similarity``; papers by followed authors always pass and come
first. Order: followed first, then score (high first), then the query's category order, then
arXiv id, so the same listing always ranks the same way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from app.models import FeedQuery, Paper, Personal, Relevance, ScoredPaper
from app.ranking.index import INDEXES, Hits, hits
from app.ranking.keywords import compile_keywords


def category_rank(paper: Paper, categories: Sequence[str]) -> int:
    """Position of the paper's first listed category in the query (archives match members)."""
    best = len(categories)
    for cat in paper.categories or [paper.primary_category]:
        archive = cat.split(".", 1)[0]
        for i, wanted in enumerate(categories[:best]):
            if wanted in (cat, archive):
                best = i
                break
        if best == 0:
            break
    return best


def rank(
    papers: Iterable[Paper],
    query: FeedQuery,
    *,
    dedupe: bool = True,
    relevance: Mapping[str, Relevance] | None = None,
    relevance_weight: float = 0.0,
    limit: int | None = None,
    personal: Mapping[str, Personal] | None = None,
) -> list[ScoredPaper]:
    """Filter by type and keywords, score, order, de-duplicate and cut to the limit.

    ``relevance`` (LLM ratings by versioned id) adds ``relevance_weight`` x rating to the
    keyword score; ``limit`` overrides ``query.limit`` (e.g. to list every candidate);
    ``personal`` (by versioned id) brings similarity and followed authors in.
    """
    listed = papers if isinstance(papers, Sequence) else list(papers)
    include = compile_keywords(query.keywords)
    exclude = compile_keywords(query.exclude)
    index = INDEXES.get(listed) if include or exclude else None
    excluded: set[int] = set()
    found: list[Hits] = []
    if index is not None:
        for kw in exclude:
            excluded |= hits(kw, index).matched
        found = [hits(kw, index) for kw in include]
    counts: Counter[int] = Counter()
    titled: Counter[int] = Counter()
    for h in found:
        counts.update(h.matched)
        titled.update(h.in_title)
    extra = personal or {}
    similar = any(p.similarity is not None for p in extra.values())
    following = any(p.author_match for p in extra.values())
    everyone = not include or similar or following
    positions: Iterable[int] = range(len(listed)) if everyone else sorted(counts)
    ratings = relevance or {}
    candidates: list[tuple[bool, float, int, str, int, float, int]] = []
    for i in positions:
        paper = listed[i]
        if paper.announce_type not in query.types or i in excluded:
            continue
        mine = extra.get(paper.versioned_id)
        followed = bool(mine and mine.author_match)
        sim = mine.similarity if mine is not None and mine.similarity is not None else None
        if not followed and not counts[i]:  # no keyword: close enough to the library or likes?
            if sim is not None and sim < query.min_similarity:
                continue
            if include and (sim is None or sim <= 0.0):
                continue
        keyword_score = query.keyword_weight * counts[i] + query.title_bonus * titled[i]
        rated = ratings.get(paper.versioned_id)
        score = keyword_score + (relevance_weight * rated.score if rated else 0.0)
        if sim is not None:
            score += query.similarity_weight * 10 * sim
        if score < query.min_score and not followed:
            continue
        order = category_rank(paper, query.categories)
        candidates.append(
            (not followed, -score, order, paper.arxiv_id, -paper.version, keyword_score, i)
        )
    candidates.sort(key=lambda c: c[:5])
    ranked: list[ScoredPaper] = []
    seen: set[str] = set()
    wanted = query.limit if limit is None else limit
    for _, neg_score, _, arxiv_id, _, keyword_score, i in candidates:
        if dedupe and arxiv_id in seen:
            continue
        seen.add(arxiv_id)
        paper = listed[i]
        mine = extra.get(paper.versioned_id)
        ranked.append(
            ScoredPaper(
                paper=paper,
                score=-neg_score,
                keyword_score=keyword_score,
                matched=[kw.text for kw, h in zip(include, found, strict=True) if i in h.matched],
                title_matched=[
                    kw.text for kw, h in zip(include, found, strict=True) if i in h.in_title
                ],
                rank=len(ranked) + 1,
                relevance=ratings.get(paper.versioned_id),
                similarity=mine.similarity if mine is not None else None,
                similar_to=mine.similar_to if mine is not None else [],
                author_match=mine.author_match if mine is not None else [],
            )
        )
        if len(ranked) >= wanted:
            break
    return ranked


def rank_days(
    days: Sequence[Sequence[Paper]],
    query: FeedQuery,
    *,
    dedupe: bool = True,
    relevance: Mapping[str, Relevance] | None = None,
    relevance_weight: float = 0.0,
    limit: int | None = None,
    personal: Mapping[str, Personal] | None = None,
) -> list[ScoredPaper]:
    """Each day's own top ``limit`` (default ``query.limit``), newest day first.

    A feed holding several days never lets a strong day push a weak one out: a reader who
    polls once a day sees every day's best. Ranks run on through the days, in feed order.
    """
    items: list[ScoredPaper] = []
    seen: set[str] = set()
    for papers in days:
        ids = [p.versioned_id for p in papers]
        # the day itself when it repeats nothing: its word index is then reused
        fresh = (
            papers if seen.isdisjoint(ids) else [p for p in papers if p.versioned_id not in seen]
        )
        seen.update(ids)
        ranked = rank(
            fresh,
            query,
            dedupe=dedupe,
            relevance=relevance,
            relevance_weight=relevance_weight,
            limit=limit,
            personal=personal,
        )
        items += [i.model_copy(update={"rank": len(items) + n}) for n, i in enumerate(ranked, 1)]
    return items

"""Filter, score and order papers for a ``FeedQuery`` (pure functions).

Keywords match as ``app.keywords`` describes. Each paper's signals (keywords, the LLM's
rating, similarity to a profile's library and likes, followed authors) become points as
``app.ranking.signals`` says, with the query's ``weights``; the score is their sum. Ratings and
what a profile says of each paper arrive as one ``Evidence``. With similarity, a paper that
matches no keyword still passes when its similarity reaches ``min_similarity``; papers by
followed authors always pass and come first. Order: followed first, then score (high first),
then the query's category order, then arXiv id, so the same listing always ranks the same way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter

from app.keywords import Keywords, compile_keywords
from app.models import FeedQuery, Paper, Personal, Relevance, ScoredPaper
from app.ranking.index import INDEXES, Hits, hits
from app.ranking.signals import Signals, contributions, total


@dataclass(frozen=True, slots=True)
class Evidence:
    """What is known of the papers beyond their text, each by versioned id: the LLM's
    relevance ratings, and what a profile's library, likes and followed authors say."""

    relevance: Mapping[str, Relevance] = field(default_factory=dict)
    personal: Mapping[str, Personal] = field(default_factory=dict)


NO_EVIDENCE = Evidence()


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


@dataclass(slots=True)
class _Matches:
    """What the query's keywords found in a listing, by position in it."""

    include: Keywords
    found: list[Hits]  # one per included keyword
    counts: Counter[int]  # keywords found in title or abstract
    titled: Counter[int]  # of them, found in the title
    excluded: set[int]

    def texts(self, i: int, *, title: bool = False) -> list[str]:
        """The keywords found in paper ``i`` (only those in its title, with ``title``)."""
        pairs = zip(self.include, self.found, strict=True)
        if title:
            return [kw.text for kw, h in pairs if i in h.in_title]
        return [kw.text for kw, h in pairs if i in h.matched]


def _match(listed: Sequence[Paper], query: FeedQuery) -> _Matches:
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
    return _Matches(include, found, counts, titled, excluded)


# (not followed, -score, category order, arXiv id, -version): sorts best first, always alike
type _Key = tuple[bool, float, int, str, int]


def rank(
    papers: Iterable[Paper],
    query: FeedQuery,
    evidence: Evidence = NO_EVIDENCE,
    *,
    dedupe: bool = True,
    limit: int | None = None,
) -> list[ScoredPaper]:
    """Filter by type and keywords, score, order, de-duplicate and cut to the limit.

    ``limit`` overrides ``query.limit`` (e.g. to list every candidate).
    """
    listed = papers if isinstance(papers, Sequence) else list(papers)
    matches = _match(listed, query)
    candidates = _candidates(listed, query, evidence, matches)
    candidates.sort(key=itemgetter(0))
    ranked: list[ScoredPaper] = []
    seen: set[str] = set()
    wanted = query.limit if limit is None else limit
    for key, i, points in candidates:
        if dedupe and key[3] in seen:
            continue
        seen.add(key[3])
        paper = listed[i]
        mine = evidence.personal.get(paper.versioned_id)
        ranked.append(
            ScoredPaper(
                paper=paper,
                contributions=points,
                matched=matches.texts(i),
                title_matched=matches.texts(i, title=True),
                rank=len(ranked) + 1,
                relevance=evidence.relevance.get(paper.versioned_id),
                similarity=mine.similarity if mine is not None else None,
                similar_to=mine.similar_to if mine is not None else [],
                author_match=mine.author_match if mine is not None else [],
                disliked_by=mine.disliked_by if mine is not None else 0.0,
            )
        )
        if len(ranked) >= wanted:
            break
    return ranked


def _candidates(
    listed: Sequence[Paper], query: FeedQuery, evidence: Evidence, matches: _Matches
) -> list[tuple[_Key, int, dict[str, float]]]:
    """Every paper that passes the filters: its sort key, position and points (unsorted)."""
    personal, ratings, weights = evidence.personal, evidence.relevance, query.weights
    counts, titled, excluded = matches.counts, matches.titled, matches.excluded
    keyworded = bool(matches.include)
    similar = any(p.similarity is not None for p in personal.values())
    following = any(p.author_match for p in personal.values())
    everyone = not keyworded or similar or following
    positions: Iterable[int] = range(len(listed)) if everyone else sorted(counts)
    out: list[tuple[_Key, int, dict[str, float]]] = []
    orders: dict[tuple[str, ...], int] = {}
    hidden = frozenset(query.hidden)
    for i in positions:
        paper = listed[i]
        if paper.announce_type not in query.types or i in excluded or paper.arxiv_id in hidden:
            continue
        vid = paper.versioned_id
        mine = personal.get(vid)
        rated = ratings.get(vid)
        signals = Signals(  # positional: twice as fast as by keyword, thousands of times
            counts[i],
            titled[i],
            rated.score if rated is not None else None,
            mine.similarity if mine is not None else None,
            bool(mine and mine.author_match),
        )
        if not _passes(signals, query, keyworded):
            continue
        points = contributions(signals, weights)
        score = total(points)
        if score < query.min_score and not signals.followed:
            continue
        cats = tuple(paper.categories) or (paper.primary_category,)
        order = orders.get(cats)
        if order is None:  # the same categories, the same place: worked out once
            order = orders[cats] = category_rank(paper, query.categories)
        key = (not signals.followed, -score, order, paper.arxiv_id, -paper.version)
        out.append((key, i, points))
    return out


def _passes(signals: Signals, query: FeedQuery, keywords: bool) -> bool:
    """Whether a paper may be listed before its score is known: a followed author's paper or
    one with a keyword always; else one close enough to the library or likes."""
    if signals.followed or signals.keyword_hits:
        return True
    sim = signals.similarity
    if sim is not None and sim < query.min_similarity:
        return False
    return not keywords or not (sim is None or sim <= 0.0)


def rank_days(
    days: Sequence[Sequence[Paper]],
    query: FeedQuery,
    evidence: Evidence = NO_EVIDENCE,
    *,
    dedupe: bool = True,
    limit: int | None = None,
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
        ranked = rank(fresh, query, evidence, dedupe=dedupe, limit=limit)
        items += [i.model_copy(update={"rank": len(items) + n}) for n, i in enumerate(ranked, 1)]
    return items

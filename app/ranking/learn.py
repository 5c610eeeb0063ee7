"""Ranking that learns from likes and dislikes, over the similarity default's vectors (numpy only).

With judgements (liked and disliked papers, "more/less like this" clicks), a profile or a feed's
``like=``/``dislike=`` ranks in the space the default already computes for the day's candidates
(``app.ranking.similarity``: BM25 x idf^2 term vectors and a 128-dimension latent space; a
pair's similarity is ``(cosine + 0.3 x latent cosine) / 1.3``). A candidate's score is

    positives  the weighted mean of its similarities to the closest ``neighbours`` library and
               liked papers: the default's similarity (a liked paper weighs ``like_weight``, a
               "more" click ``click_weight``, a library paper 1)
  - disliked   ``dislike_weight`` x the sum of its ``dislike_neighbours`` largest positive
               similarities to disliked papers ("less" clicks weigh ``click_weight``), over
               ``dislike_neighbours`` (fewer dislikes count as zeros)
  + learned    ``logistic`` x (p - 1/2), p a logistic regression over the latent coordinates of
               the positives against the unjudged candidates as weak negatives (off by
               default: it measured no better), from ``min_judgements`` likes on

clipped to 0..1; a disliked paper itself scores 0. The dislike term is never negative and never
shrinks when a dislike is added, and dislikes enter nothing else: a dislike never raises a
paper. With no judgements at all it is
the default scorer itself. The method was chosen by measurement (``bench/feedback.py``: a
reader judging the top 20 for 3 rounds; README "Similarity ranking").

Each result also says how far the dislikes (and the learned part) moved it from the default's
similarity to the library and likes; ``similar_to`` names the closest of those, whose
similarity is never below that default's. The model depends on the candidates (their terms and
latent space are the day's), so it is fitted when a candidate list is scored and kept with the
scorer for that list. Import this module only where a profile needs it: it loads numpy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from app.models import Paper
from app.profiles.library import LibraryEntry
from app.ranking.similarity import (
    DEFAULT,
    Method,
    Neighbour,
    Similarity,
    _entry_item,
    _Index,
    _index,
    _Item,
    _paper_item,
    _weigh,
    build_scorer,
)
from app.ranking.termvectors import (
    Float32Array,
    FloatArray,
    IntArray,
    Prepared,
    count_in,
    prepare,
    tokenize,
)


@dataclass(frozen=True, slots=True)
class Model:
    """The knobs ``bench/feedback.py`` compares; ``LEARNED`` is the measured choice."""

    neighbours: int = 10
    like_weight: float = 1.0
    """A liked paper's weight among the positives; a library paper weighs 1."""
    click_weight: float = 2.0
    """A "more like this" click's among the positives, a "less like this" one's among the
    disliked (where a dislike weighs 1)."""
    dislike_weight: float = 0.25
    dislike_neighbours: int = 3
    logistic: float = 0.0
    min_judgements: int = 10
    """Liked papers and "more" clicks the logistic part needs (dislikes do not count: they
    must not switch it on)."""
    unlabelled_weight: float = 1.0
    """Total weight of the unjudged candidates (weak negatives), the positives' being 1."""
    l2: float = 1.0
    steps: int = 8


LEARNED = Model()


@dataclass(frozen=True, slots=True)
class Scored(Similarity):
    """A ``Similarity`` that also says how much dislikes (and the learned part) moved it:
    ``similarity`` minus the default's similarity to the library and liked papers."""

    moved: float = 0.0


class Scorer(Protocol):
    """What ``Personalizer`` needs of a scorer: ``SimilarityScorer`` or ``LearnedScorer``."""

    @property
    def positives(self) -> Sequence[object]: ...

    @property
    def negatives(self) -> Sequence[object]: ...

    def __bool__(self) -> bool: ...

    def score(self, papers: Sequence[Paper], *, explain: int = 3) -> Sequence[Similarity]: ...


@dataclass(frozen=True, slots=True)
class _Side:
    items: list[_Item]
    weights: FloatArray
    prepared: Prepared


def _side(items: list[_Item], weights: list[float]) -> _Side:
    texts = tokenize([i.text for i in items])
    return _Side(items, np.array(weights, dtype=np.float64), prepare(texts))


def _embed(index: _Index, side: _Side, method: Method) -> tuple[Float32Array, Float32Array | None]:
    """(candidates x items) similarities in the index's order, computed as the default computes
    them (the same operations: the same figures), and the items' latent coordinates (rows
    normalized; None without a latent space)."""
    counts = count_in(index.terms, side.prepared)
    vectors = _weigh(counts, index.idf, index.average_length, index.terms.size, method)
    cosine = index.cross.times(vectors)  # items x candidates
    weight = method.latent_weight if index.latent.shape[1] else 0.0
    if not weight:
        return np.ascontiguousarray(cosine.T), None
    folded = (cosine @ index.fold).T  # k x items
    norms = np.maximum(np.linalg.norm(folded, axis=0, keepdims=True), 1e-12)
    pairs = index.latent @ (folded * (np.float32(weight / (1 + weight)) / norms))
    pairs += cosine.T * np.float32(1 / (1 + weight))
    return np.asarray(pairs, dtype=np.float32), np.ascontiguousarray((folded / norms).T)


def _closest(pairs: Float32Array, near: int) -> tuple[IntArray, FloatArray]:
    """Per row, the columns of the ``near`` largest values and those values (float64), largest
    first, as the default picks them."""
    count = pairs.shape[1]
    if near < count:
        nearest = np.argpartition(pairs, count - near, axis=1)[:, count - near :]
    else:
        nearest = np.broadcast_to(np.arange(count), pairs.shape)
    values = np.take_along_axis(pairs, nearest, axis=1).astype(np.float64)
    order = np.argsort(-values, axis=1, kind="stable")
    return np.take_along_axis(nearest, order, axis=1), np.take_along_axis(values, order, axis=1)


def dislike_penalty(pairs: Float32Array, weights: FloatArray, keep: int) -> FloatArray:
    """Per row, the sum of the ``keep`` largest of ``weights`` x the positive similarities,
    over ``keep``: never negative, and never smaller when a column is added."""
    weighted = pairs * weights.astype(np.float32) if np.any(weights != 1) else pairs
    count = weighted.shape[1]
    if keep < count:
        weighted = np.partition(weighted, count - keep, axis=1)[:, count - keep :]
    return np.asarray(np.maximum(weighted, 0).sum(axis=1, dtype=np.float64) / keep)


def logistic_fit(
    features: FloatArray, labels: FloatArray, weights: FloatArray, l2: float, steps: int
) -> FloatArray:
    """An L2-regularized logistic regression by Newton's method: the coefficients, the last
    one the (unregularized) intercept of a column of ones appended to ``features``."""
    x = np.hstack([features, np.ones((features.shape[0], 1))])
    ridge = np.full(x.shape[1], l2)
    ridge[-1] = 1e-6
    w = np.zeros(x.shape[1])
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        gradient = x.T @ (weights * (p - labels)) + ridge * w
        hessian = (x.T * (weights * p * (1 - p))) @ x + np.diag(ridge)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if float(np.abs(step).max()) < 1e-6:
            break
    return w


class LearnedScorer:
    """Scores candidates with the model fitted to them (kept for the last candidate list)."""

    def __init__(
        self,
        positives: tuple[list[_Item], list[float]],
        negatives: tuple[list[_Item], list[float]],
        positive_ids: frozenset[str],
        likes: int,
        model: Model = LEARNED,
        method: Method = DEFAULT,
    ) -> None:
        """``positive_ids``: the arXiv ids of the library and liked papers (not weak negatives:
        disliked papers stay among them, so dislikes enter nothing but their own term);
        ``likes``: how many liked and "more" papers (the logistic part's condition)."""
        self.model = model
        self.method = method
        self._neg = _side(*negatives)
        total = sum(positives[1]) or 1.0
        self._pos = _side(positives[0], [w / total for w in positives[1]])
        self._positive_ids = positive_ids
        self._negative_ids = frozenset(i.id for i in self._neg.items if i.id)
        self._likes = likes
        self._last: tuple[tuple[object, ...], list[Scored]] | None = None

    @property
    def positives(self) -> list[_Item]:
        """The library and liked papers (and "more" clicks)."""
        return self._pos.items

    @property
    def negatives(self) -> list[_Item]:
        """The disliked papers (and "less" clicks)."""
        return self._neg.items

    def __bool__(self) -> bool:
        return bool(self._pos.items)

    def score(self, papers: Sequence[Paper], *, explain: int = 3) -> list[Scored]:
        """One ``Scored`` per paper, in the order given, naming up to ``explain`` of the
        closest library or liked papers."""
        if not papers or not self._pos.items:
            return [Scored(0.0, ()) for _ in papers]
        key = (explain, *(p.versioned_id for p in papers))
        if self._last is not None and self._last[0] == key:
            return list(self._last[1])
        results = self._score(papers, explain)
        self._last = (key, results)
        return list(results)

    def _score(self, papers: Sequence[Paper], explain: int) -> list[Scored]:
        model = self.model
        index = _index(papers, self.method)
        pairs, folded = _embed(index, self._pos, self.method)
        count = len(self._pos.items)
        nearest, values = _closest(pairs, min(count, max(explain, model.neighbours, 1)))
        keep = min(count, model.neighbours)
        weights = self._pos.weights[nearest[:, :keep]]
        base = (weights * values[:, :keep]).sum(axis=1) / weights.sum(axis=1)
        score = base.copy()
        if model.logistic and folded is not None and self._likes >= model.min_judgements:
            score += model.logistic * (self._learned(index, papers, folded) - 0.5)
        if self._neg.items:
            against, _ = _embed(index, self._neg, self.method)
            score -= model.dislike_weight * dislike_penalty(
                against, self._neg.weights, max(model.dislike_neighbours, 1)
            )
        final = np.clip(score, 0.0, 1.0)[index.position].round(4)
        disliked = [i for i, p in enumerate(papers) if p.arxiv_id in self._negative_ids]
        final[disliked] = 0.0  # the reader said no to these themselves
        moved = (final - np.clip(base, 0.0, 1.0)[index.position].round(4)).round(4).tolist()
        shown = min(explain, count)
        ids = nearest[index.position, :shown].tolist()
        sims = np.clip(values[index.position, :shown], 0.0, 1.0).round(4).tolist()
        items = self._pos.items
        return [
            Scored(
                value,
                tuple(
                    [
                        Neighbour(items[i].id, items[i].title, v)
                        for i, v in zip(r, row, strict=True)
                        if v > 0
                    ]
                ),
                m,
            )
            for value, m, r, row in zip(final.tolist(), moved, ids, sims, strict=True)
        ]

    def _learned(self, index: _Index, papers: Sequence[Paper], folded: Float32Array) -> FloatArray:
        """Per candidate (index order), the logistic regression's probability of a positive:
        the positives (weighted) against the unjudged candidates."""
        rows = index.latent.astype(np.float64)
        unjudged = np.ones(len(papers), dtype=bool)
        for i, paper in enumerate(papers):
            if paper.arxiv_id in self._positive_ids:
                unjudged[index.position[i]] = False
        weak = rows[unjudged]
        features = np.vstack([folded.astype(np.float64), weak])
        labels = np.concatenate([np.ones(len(folded)), np.zeros(len(weak))])
        weights = np.concatenate(
            [
                self._pos.weights / self._pos.weights.sum(),
                np.full(len(weak), self.model.unlabelled_weight / max(len(weak), 1)),
            ]
        )
        weights *= len(labels) / weights.sum()
        coef = logistic_fit(features, labels, weights, self.model.l2, self.model.steps)
        return np.asarray(1.0 / (1.0 + np.exp(-(rows @ coef[:-1] + coef[-1]))))


def build_learner(
    library: Sequence[LibraryEntry] = (),
    liked: Sequence[Paper] = (),
    disliked: Sequence[Paper] = (),
    *,
    more: Sequence[Paper] = (),
    less: Sequence[Paper] = (),
    model: Model = LEARNED,
    method: Method = DEFAULT,
) -> Scorer:
    """A profile's scorer: the default (``build_scorer``) for a library alone, else the model.
    A paper both liked (or clicked "more") and disliked counts as liked; a library entry also
    liked counts once, as liked."""
    if not (liked or disliked or more or less):
        return build_scorer(library, method=method)
    positives: tuple[list[_Item], list[float]] = ([], [])
    seen: set[str] = set()
    for papers, weight in ((more, model.click_weight), (liked, model.like_weight)):
        for paper in papers:
            if paper.arxiv_id not in seen:
                seen.add(paper.arxiv_id)
                positives[0].append(_paper_item(paper))
                positives[1].append(weight)
    liked_ids = set(seen)
    for entry in library:
        item = _entry_item(entry)
        if item is not None and (entry.arxiv_id is None or entry.arxiv_id not in liked_ids):
            positives[0].append(item)
            positives[1].append(1.0)
            if entry.arxiv_id:
                seen.add(entry.arxiv_id)
    positive_ids = frozenset(seen)
    negatives: tuple[list[_Item], list[float]] = ([], [])
    for papers, weight in ((less, model.click_weight), (disliked, 1.0)):
        for paper in papers:
            if paper.arxiv_id not in seen:
                seen.add(paper.arxiv_id)
                negatives[0].append(_paper_item(paper))
                negatives[1].append(weight)
    return LearnedScorer(positives, negatives, positive_ids, len(liked_ids), model, method)

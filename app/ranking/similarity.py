"""Similarity to a user's library, likes and dislikes: the embedded default (numpy only).

No key, no server, no model download: the candidates themselves define the term space. Each
paper (title twice, abstract; words and bigrams) is weighted BM25 tf x idf^2 and normalized.
The day's candidates also get a 128-dimension latent semantic space (a truncated
eigendecomposition of their cosine matrix), into which library papers are folded. The
similarity of a candidate to one library paper is ``(cosine + 0.3 x latent cosine) / 1.3``; its
``similarity`` is the (weighted) mean over library and liked papers, minus the mean over
disliked ones (each taken as at least 0, so a dislike never raises a paper), clipped to 0..1,
and ``similar_to`` names the three closest library or liked papers. The choice of this method
over plain tf-idf, a linear model with negatives, Rocchio and others was made by measurement
(``bench/recommend.py``, README "Similarity ranking").

The candidate index (tokens, weights, latent space) is kept for the last few candidate lists,
so every profile ranking the same listing shares it. Import this module only when a profile
or ``like=`` needs it: it loads numpy.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import numpy.typing as npt

from app.models import Paper
from app.profiles.library import LibraryEntry
from app.ranking.termvectors import (
    Counts,
    Cross,
    Float32Array,
    FloatArray,
    Prepared,
    Sparse,
    Terms,
    build_terms,
    count_in,
    document_text,
    prepare,
    tokenize,
    weigh,
)


@dataclass(frozen=True, slots=True)
class Neighbour:
    """A library or liked paper close to a candidate: its arXiv id (else DOI, else None), its
    title, and the pair's similarity (0-1). ``app.models.SimilarTo`` once shown."""

    id: str | None
    title: str
    similarity: float


@dataclass(frozen=True, slots=True)
class Similarity:
    """How close a candidate is to a profile (0-1), and the (up to 3) closest library or liked
    papers, closest first. Plain dataclasses: thousands are made per ranking, few are shown."""

    similarity: float
    similar_to: tuple[Neighbour, ...]


@dataclass(frozen=True, slots=True)
class Method:
    """The knobs ``bench/recommend.py`` compares; ``DEFAULT`` is the measured choice."""

    tf: Literal["bm25", "sublinear"] = "bm25"
    idf_power: float = 2.0
    latent_weight: float = 0.3
    latent_dims: int = 128
    aggregate: Literal["mean", "max"] = "mean"
    neighbours: int = 10
    """``mean``: over the this many closest library papers (all of them in a small library), so
    a large library with several interests does not dilute each one."""
    recency: bool = False
    """Weight library item i (newest first) by 1 / (1 + log10(i + 1)), as zotero-arxiv-daily."""
    max_df: float = 0.1
    """Terms in more than this share of the candidates are left out of the products."""
    background: float = 0.0
    """Rocchio: subtract this times the similarity to the candidates' centroid."""
    dislike_weight: float = 1.0


DEFAULT = Method()


@dataclass(frozen=True, slots=True)
class _Item:
    id: str | None
    title: str
    text: str
    key: str | None


@dataclass(frozen=True, slots=True)
class _Index:
    terms: Terms
    matrix: Sparse
    cross: Cross
    idf: FloatArray
    average_length: float
    latent: Float32Array
    """Candidates in the latent space, rows normalized (n x k)."""
    fold: Float32Array
    """Maps cosines with the candidates to latent coordinates (n x k)."""
    centroid: FloatArray
    position: npt.NDArray[np.int64]
    """Row of each paper as given (the index keeps papers sorted by versioned id)."""


_INDEXES: OrderedDict[tuple[object, ...], _Index] = OrderedDict()
_INDEX_CACHE = 4
_LOCK = threading.Lock()  # scoring may run in worker threads
EXACT_BELOW = 600
"""Candidate lists up to this size get an exact eigendecomposition, larger ones a randomized
one (seeded; the same candidates in any order give the same space)."""


def _paper_item(paper: Paper) -> _Item:
    return _Item(
        paper.arxiv_id, paper.title, document_text(paper.title, paper.abstract), paper.versioned_id
    )


def _entry_item(entry: LibraryEntry) -> _Item | None:
    if not entry.title:
        return None
    ident = entry.arxiv_id or entry.doi  # never the title: ``SimilarTo.id`` is an id or None
    return _Item(ident, entry.title, document_text(entry.title, entry.abstract), None)


def _idf(df: FloatArray, n: int, power: float) -> FloatArray:
    return np.asarray((np.log((1 + n) / (1 + df)) + 1) ** power, dtype=np.float64)


def _index(papers: Sequence[Paper], method: Method) -> _Index:
    dims = method.latent_dims if method.latent_weight else 0
    order = sorted(range(len(papers)), key=lambda i: papers[i].versioned_id)
    position = np.empty(len(papers), dtype=np.int64)
    position[order] = np.arange(len(papers))
    key = (
        method.tf,
        method.idf_power,
        dims,
        method.max_df,
        *(papers[i].versioned_id for i in order),
    )
    with _LOCK:
        found = _INDEXES.get(key)
        if found is not None:
            _INDEXES.move_to_end(key)
    if found is not None:
        return replace(found, position=position)
    items = [_paper_item(papers[i]) for i in order]
    tokens = tokenize([i.text for i in items], [i.key or "" for i in items])
    terms, counts = build_terms(tokens)
    n = len(papers)
    df = np.bincount(counts.cols, minlength=terms.size).astype(np.float64)
    idf = _idf(df, n, method.idf_power)
    average = float(counts.lengths.mean()) if n else 1.0
    matrix = _weigh(counts, idf, average, terms.size, method)
    cross = Cross.of(matrix, max_df=method.max_df)
    latent, fold = _latent_space(matrix, cross, dims)
    centroid = matrix.column_sums(np.full(n, 1.0 / max(n, 1)))
    index = _Index(terms, matrix, cross, idf, average, latent, fold, centroid, position)
    with _LOCK:
        _INDEXES[key] = index
        while len(_INDEXES) > _INDEX_CACHE:
            _INDEXES.popitem(last=False)
    return index


def _weigh(counts: Counts, idf: FloatArray, average: float, size: int, method: Method) -> Sparse:
    """Weighted, normalized rows: BM25 tf (default) or sublinear tf (1 + log tf), times idf."""
    if method.tf == "bm25":
        return weigh(counts, idf, average, size)
    data = (1 + np.log(counts.counts)) * idf[counts.cols]
    norm = np.sqrt(np.bincount(counts.rows, weights=data * data, minlength=counts.n_docs))
    data = data / np.maximum(norm, 1e-12)[counts.rows]
    return Sparse(counts.rows, counts.cols, data, (counts.n_docs, size))


def _latent_space(matrix: Sparse, cross: Cross, dims: int) -> tuple[Float32Array, Float32Array]:
    """Top eigenvectors of the candidates' cosine matrix (randomized, seeded, float32 products
    and float64 orthonormalization): latent rows ``U sqrt(L)`` normalized, and the fold-in map
    ``U / sqrt(L)``."""
    n = matrix.shape[0]
    k = min(dims, n // 4)
    if k < 2:
        return np.zeros((n, 0), np.float32), np.zeros((n, 0), np.float32)
    gram = cross.times(matrix)
    if n <= EXACT_BELOW:
        values, u = np.linalg.eigh(gram.astype(np.float64))
        top = np.argsort(values)[::-1][:k]
        return _coordinates(u[:, top], values[top])
    rng = np.random.default_rng(0)
    basis = gram @ rng.standard_normal((n, min(n, k + 10))).astype(np.float32)
    for _ in range(3):
        basis = gram @ _orthonormal(basis).astype(np.float32)
    basis64 = _orthonormal(basis)
    projected = (gram @ basis64.astype(np.float32)).astype(np.float64)
    values, vectors = np.linalg.eigh(basis64.T @ projected)
    top = np.argsort(values)[::-1][:k]
    return _coordinates(basis64 @ vectors[:, top], values[top])


def _coordinates(u: FloatArray, values: FloatArray) -> tuple[Float32Array, Float32Array]:
    """Latent rows ``U sqrt(L)`` normalized, and the fold-in map ``U / sqrt(L)``."""
    roots = np.sqrt(np.maximum(values, 1e-12))
    latent = u * roots
    latent /= np.maximum(np.linalg.norm(latent, axis=1, keepdims=True), 1e-12)
    return latent.astype(np.float32), (u / roots).astype(np.float32)


def _orthonormal(columns: npt.NDArray[np.floating]) -> FloatArray:
    """Orthonormal columns (float64) spanning ``columns``, through their small Gram matrix
    (far cheaper than a QR factorization of the tall matrix). One pass is enough: the columns
    given are a product with orthonormal ones, or random."""
    out = np.asarray(columns, dtype=np.float64)
    values, vectors = np.linalg.eigh(out.T @ out)
    scale = 1.0 / np.sqrt(np.maximum(values, values.max() * 1e-12))
    return np.asarray(out @ (vectors * scale), dtype=np.float64)


class SimilarityScorer:
    """Scores candidates against a fixed set of library/liked (and disliked) papers."""

    def __init__(
        self,
        positives: Sequence[_Item],
        negatives: Sequence[_Item],
        weights: Sequence[float],
        method: Method = DEFAULT,
    ) -> None:
        self.positives = list(positives)
        self.negatives = list(negatives)
        total = sum(weights) or 1.0
        self.weights = np.array([w / total for w in weights], dtype=np.float64)
        self.method = method
        self._pos = prepare(tokenize([i.text for i in self.positives], None))
        self._neg = prepare(tokenize([i.text for i in self.negatives], None))
        self._last: tuple[tuple[object, ...], list[Similarity]] | None = None

    def __bool__(self) -> bool:
        return bool(self.positives)

    def _pairwise(self, index: _Index, items: Prepared) -> Float32Array:
        """(candidates x items) similarities, float32: (cosine + w x latent cosine) / (1 + w)."""
        counts = count_in(index.terms, items)
        vectors = _weigh(counts, index.idf, index.average_length, index.terms.size, self.method)
        cosine = index.cross.times(vectors)  # items x candidates
        weight = self.method.latent_weight if index.latent.shape[1] else 0.0
        if not weight:
            return np.ascontiguousarray(cosine.T)
        folded = (cosine @ index.fold).T  # k x items
        norms = np.maximum(np.linalg.norm(folded, axis=0, keepdims=True), 1e-12)
        latent = index.latent @ (folded * (np.float32(weight / (1 + weight)) / norms))
        latent += cosine.T * np.float32(1 / (1 + weight))
        return np.asarray(latent, dtype=np.float32)

    def score(self, papers: Sequence[Paper], *, explain: int = 3) -> list[Similarity]:
        """One ``Similarity`` per paper, in the order given, naming up to ``explain`` of the
        closest library or liked papers."""
        if not papers or not self.positives:
            return [Similarity(0.0, ()) for _ in papers]
        key = (explain, *(p.versioned_id for p in papers))
        last = self._last
        if last is not None and last[0] == key:
            return list(last[1])
        results = self._score(papers, explain)
        self._last = (key, results)
        return list(results)

    def _score(self, papers: Sequence[Paper], explain: int) -> list[Similarity]:
        index = _index(papers, self.method)
        pairs = self._pairwise(index, self._pos)  # in the index's order, not the papers'
        count = len(self.positives)
        near = min(count, max(explain, self.method.neighbours, 1))
        if near < count:
            nearest = np.argpartition(pairs, count - near, axis=1)[:, count - near :]
        else:
            nearest = np.broadcast_to(np.arange(count), pairs.shape)
        values = np.take_along_axis(pairs, nearest, axis=1)[index.position].astype(np.float64)
        nearest = nearest[index.position]
        order = np.argsort(-values, axis=1, kind="stable")
        nearest = np.take_along_axis(nearest, order, axis=1)
        values = np.take_along_axis(values, order, axis=1)
        if self.method.aggregate == "max":
            scores = values[:, 0]
        else:
            keep = min(count, self.method.neighbours)
            weights = self.weights[nearest[:, :keep]]
            scores = (weights * values[:, :keep]).sum(axis=1) / weights.sum(axis=1)
        if self.method.background:
            background = index.matrix.dot(index.centroid)[index.position]
            scores = scores - self.method.background * background
        if self.negatives:  # only likeness to a disliked paper counts: unlikeness raises none
            against = np.maximum(self._pairwise(index, self._neg)[index.position], 0.0)
            scores = scores - self.method.dislike_weight * against.mean(axis=1, dtype=np.float64)
        final = np.clip(scores, 0.0, 1.0).round(4).tolist()
        shown = min(explain, count)
        ids = nearest[:, :shown].tolist()
        sims = np.clip(values[:, :shown], 0.0, 1.0).round(4).tolist()
        items = self.positives
        return [
            Similarity(
                value,
                tuple(
                    [
                        Neighbour(items[i].id, items[i].title, v)
                        for i, v in zip(r, s, strict=True)
                        if v > 0
                    ]
                ),
            )
            for value, r, s in zip(final, ids, sims, strict=True)
        ]


def recency_weights(count: int) -> list[float]:
    """zotero-arxiv-daily's weights for items newest first: 1 / (1 + log10(i + 1))."""
    return [1.0 / (1.0 + math.log10(i + 1)) for i in range(count)]


def build_scorer(
    library: Sequence[LibraryEntry] = (),
    liked: Sequence[Paper] = (),
    disliked: Sequence[Paper] = (),
    *,
    method: Method = DEFAULT,
) -> SimilarityScorer:
    """A scorer for a profile: library entries with a title, then liked papers (an entry and a
    liked paper with the same arXiv id count once); disliked papers push similar ones down."""
    entries = list(library)
    if method.recency:
        entries.sort(key=lambda e: -(e.year or 0))
    liked_ids = {p.arxiv_id for p in liked}
    positives = [_paper_item(p) for p in liked]
    for entry in entries:
        item = _entry_item(entry)
        if item is not None and (entry.arxiv_id is None or entry.arxiv_id not in liked_ids):
            positives.append(item)
    weights = recency_weights(len(positives)) if method.recency else [1.0] * len(positives)
    negatives = [_paper_item(p) for p in disliked if p.arxiv_id not in liked_ids]
    return SimilarityScorer(positives, negatives, weights, method)

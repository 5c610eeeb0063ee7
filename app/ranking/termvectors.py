"""Term vectors for similarity ranking (pure, numpy only): tokens, weights, sparse products.

Text is a paper's title (twice) and abstract, lower-cased, with inline TeX (``$...$``) and
TeX commands dropped; tokens are words of two or more letters or digits starting with a
letter, minus stop words, plus the bigrams of adjacent kept words. Term weights are BM25's
saturated term frequency (k1 = 1.2, b = 0.75) times a squared smooth idf, each document
L2-normalized, so a dot product is a cosine. ``Sparse`` keeps a matrix as coordinate arrays
sorted by row and offers the few products the scorer needs without scipy.

This module imports numpy at the top: import it only where similarity is needed.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
Float32Array = npt.NDArray[np.float32]

K1 = 1.2
B = 0.75
SEPARATOR = "\x01"
_TOKEN = re.compile(r"[a-z][a-z0-9]+")
_TEX = re.compile(r"\$[^$\x01]{0,300}\$|\\[a-zA-Z]+")
STOP_WORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each few
    for from further had has have having he her here hers him his how i if in into is it its
    itself just me more most my no nor not now of off on once only or other our ours out over
    own same she should so some such than that the their them then there these they this those
    through to too under until up very was we were what when where which while who whom why
    will with would you your yours however thus therefore hence show shown shows paper study
    present presented propose proposed obtain obtained find found result results using use used
    based given new one two three first second well may might must via et al""".split()  # noqa: SIM905
)
_MEMO_SIZE = 50_000
_memo: OrderedDict[str, tuple[str, ...]] = OrderedDict()
_memo_lock = threading.Lock()


def document_text(title: str, abstract: str) -> str:
    """What a paper contributes: the title counts twice."""
    return f"{title} . {title} \n {abstract}"


def tokenize(texts: Sequence[str], keys: Sequence[str] | None = None) -> list[tuple[str, ...]]:
    """Kept words of each text; with ``keys`` (e.g. versioned ids) results are memoized."""
    out: list[tuple[str, ...] | None] = [None] * len(texts)
    todo: list[int] = []
    with _memo_lock:
        for i in range(len(texts)):
            cached = _memo.get(keys[i]) if keys is not None else None
            if cached is None:
                todo.append(i)
            else:
                out[i] = cached
    if todo:
        joined = SEPARATOR.join(texts[i].replace(SEPARATOR, " ") for i in todo)
        blob = _TEX.sub(" ", joined.lower())
        find, stop = _TOKEN.findall, STOP_WORDS
        for i, text in zip(todo, blob.split(SEPARATOR), strict=True):
            out[i] = tuple([t for t in find(text) if t not in stop])
        if keys is not None:
            with _memo_lock:
                for i in todo:
                    _memo[keys[i]] = out[i]  # type: ignore[assignment]
                while len(_memo) > _MEMO_SIZE:
                    _memo.popitem(last=False)
    return [t if t is not None else () for t in out]


@dataclass(frozen=True, slots=True)
class Sparse:
    """A sparse matrix as (row, col, value) arrays sorted by row, plus a by-column view."""

    rows: IntArray
    cols: IntArray
    data: FloatArray
    shape: tuple[int, int]

    def dot(self, vector: FloatArray) -> FloatArray:
        """``M @ v`` for a dense vector over the columns."""
        return np.bincount(
            self.rows, weights=self.data * vector[self.cols], minlength=self.shape[0]
        )

    def column_sums(self, row_weights: FloatArray) -> FloatArray:
        """``M.T @ w``: the weighted sum of the rows, a dense vector over the columns."""
        return np.bincount(
            self.cols, weights=self.data * row_weights[self.rows], minlength=self.shape[1]
        )


@dataclass(frozen=True, slots=True)
class Postings:
    """A by-column view of a ``Sparse`` (which rows hold each term): for pair products."""

    start: IntArray
    rows: IntArray
    data: FloatArray
    n_rows: int

    @classmethod
    def of(cls, matrix: Sparse) -> Postings:
        order = np.argsort(matrix.cols, kind="stable")
        counts = np.bincount(matrix.cols, minlength=matrix.shape[1])
        start = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        return cls(start, matrix.rows[order], matrix.data[order], matrix.shape[0])

    def df(self) -> IntArray:
        return np.diff(self.start)


def pair_product(
    left: Sparse,
    right: Postings,
    *,
    max_df: float = 1.0,
    max_pairs: int = 2_000_000,
    columns: BoolArray | None = None,
) -> FloatArray:
    """``left @ right.T`` as a dense (left rows x right rows) array, term by term in chunks
    of at most ``max_pairs`` multiplications (memory stays bounded). Terms in more than
    ``max_df`` of the right rows are left out: with idf^2 weights they add little to a cosine
    and most of the work. With ``columns``, only the terms it marks are used."""
    n_left, n_right = left.shape[0], right.n_rows
    out: FloatArray | None = None
    df = right.df()
    reps = df[left.cols]
    keep = (reps > 0) & (reps <= max_df * n_right)
    if columns is not None:
        keep &= columns[left.cols]
    rows, cols, data, reps = left.rows[keep], left.cols[keep], left.data[keep], reps[keep]
    bounds = np.cumsum(reps)
    begin = 0
    while begin < len(reps):
        base = int(bounds[begin - 1]) if begin else 0
        end = max(begin + 1, int(np.searchsorted(bounds, base + max_pairs, side="right")))
        r = reps[begin:end]
        # the pairs of entry e are right.start[col e] + 0 .. reps e - 1: one arange, shifted
        first = np.cumsum(r) - r
        where = np.arange(int(r.sum())) + np.repeat(right.start[cols[begin:end]] - first, r)
        keys = np.repeat(rows[begin:end] * n_right, r) + right.rows[where]
        weights = np.repeat(data[begin:end], r) * right.data[where]
        part = np.bincount(keys, weights=weights, minlength=n_left * n_right)
        out = part if out is None else np.add(out, part, out=out)
        begin = end
    return (np.zeros(n_left * n_right) if out is None else out).reshape(n_left, n_right)


@dataclass(frozen=True, slots=True)
class Cross:
    """Products with a fixed right-hand matrix (the candidates): its frequent terms as a dense
    float32 block (one matrix product, BLAS), the rare ones through ``pair_product``."""

    postings: Postings
    slot: IntArray
    """Column of each term in ``block``, -1 for terms left to the sparse product."""
    block: Float32Array
    """(right rows x dense terms)."""
    max_df: float

    @classmethod
    def of(cls, matrix: Sparse, *, max_df: float, dense_share: float = 0.03) -> Cross:
        """Terms in more than ``dense_share`` of the rows go dense: for those, one row pair
        costs less in a matrix product than their pairs do one by one."""
        postings = Postings.of(matrix)
        df = postings.df()
        n = matrix.shape[0]
        dense = (df > dense_share * n) & (df <= max_df * n)
        slot = np.where(dense, np.cumsum(dense) - 1, -1)
        return cls(postings, slot, _scatter(matrix, slot, int(dense.sum())), max_df)

    def times(self, left: Sparse) -> Float32Array:
        """``left @ right.T`` (left rows x right rows), float32."""
        sparse = pair_product(left, self.postings, max_df=self.max_df, columns=self.slot < 0)
        if not self.block.shape[1]:
            return sparse.astype(np.float32)
        out = np.matmul(_scatter(left, self.slot, self.block.shape[1]), self.block.T)
        return np.add(out, sparse, out=out, casting="same_kind")


def _scatter(matrix: Sparse, slot: IntArray, width: int) -> Float32Array:
    """The columns of ``matrix`` that have a slot, as a dense float32 array."""
    out = np.zeros((matrix.shape[0], width), dtype=np.float32)
    where = slot[matrix.cols]
    mine = where >= 0
    out[matrix.rows[mine], where[mine]] = matrix.data[mine]
    return out


@dataclass(frozen=True, slots=True)
class Counts:
    """Term counts of a set of documents (coordinate arrays sorted by row)."""

    rows: IntArray
    cols: IntArray
    counts: FloatArray
    lengths: FloatArray
    """Tokens per document (words and bigrams, known or not)."""
    unknown_rows: IntArray
    unknown_counts: FloatArray
    """Per document (row), the counts of its words the vocabulary does not hold."""
    n_docs: int


@dataclass(frozen=True, slots=True)
class Terms:
    """The vocabulary of a candidate set: words, then bigrams seen in two documents or more."""

    words: dict[str, int]
    pair_keys: IntArray
    """Sorted ``first * (len(words) + 1) + second`` of the kept bigrams."""

    @property
    def size(self) -> int:
        return len(self.words) + len(self.pair_keys)


class _Growing(dict[str, int]):
    """A vocabulary that gives an unseen word the next id."""

    def __missing__(self, word: str) -> int:
        column = len(self)
        self[word] = column
        return column


class _Lookup(dict[str, int]):
    """A read-only view for lookups: unseen words are -1."""

    def __missing__(self, word: str) -> int:
        return -1


def _word_ids(docs: Sequence[tuple[str, ...]], lookup: dict[str, int]) -> IntArray:
    """Word ids of all documents, each document followed by -2."""
    sizes = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
    flat = np.fromiter(
        map(lookup.__getitem__, chain.from_iterable(docs)), dtype=np.int64, count=int(sizes.sum())
    )
    return np.insert(flat, np.cumsum(sizes), -2)


def _tally(doc: IntArray, col: IntArray) -> tuple[IntArray, IntArray, FloatArray]:
    """(row, column, count) of the distinct (document, column) pairs, sorted by row."""
    width = int(col.max()) + 1 if len(col) else 1
    keys, counts = np.unique(doc * width + col, return_counts=True)
    return keys // width, keys % width, counts.astype(np.float64)


_NONE = np.zeros(0, dtype=np.int64)


def _split(tokens: IntArray) -> tuple[IntArray, BoolArray, BoolArray, IntArray]:
    """(document of each token, known-word mask, mask of tokens starting a bigram of two known
    words, document of each such bigram)."""
    ends = tokens == -2
    doc = np.cumsum(ends) - ends
    known = tokens >= 0
    adjacent = known[:-1] & known[1:]
    return doc, known, adjacent, doc[:-1][adjacent]


def _distinct(values: IntArray) -> IntArray:
    """The distinct values, sorted (by a sort: faster here than ``np.unique``'s hashing)."""
    ordered = np.sort(values)
    return (
        ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))] if len(ordered) else ordered
    )


def build_terms(docs: Sequence[tuple[str, ...]]) -> tuple[Terms, Counts]:
    """The vocabulary of ``docs`` and their counts in it."""
    words: dict[str, int] = _Growing()
    tokens = _word_ids(docs, words)
    doc, known, adjacent, pair_doc = _split(tokens)
    base = len(words) + 1
    pair_keys = tokens[:-1][adjacent] * base + tokens[1:][adjacent]
    unique, inverse = np.unique(pair_keys, return_inverse=True)
    seen = _distinct(pair_doc * (len(unique) + 1) + inverse) % (len(unique) + 1)
    kept = np.bincount(seen, minlength=len(unique)) >= 2
    column = np.where(kept, np.cumsum(kept) - 1 + len(words), -1)[inverse]
    found = column >= 0
    lengths = np.array([2 * len(w) for w in docs], dtype=np.float64)
    rows, cols, tally = _tally(
        np.concatenate((doc[known], pair_doc[found])),
        np.concatenate((tokens[known], column[found])),
    )
    counts = Counts(rows, cols, tally, lengths, _NONE, np.zeros(0), len(docs))
    return Terms(_Lookup(words), unique[kept]), counts


@dataclass(frozen=True, slots=True)
class Prepared:
    """Documents (a library) tokenized once, as ids into their own vocabulary: counting them
    in a candidate set's vocabulary then takes one lookup per distinct word."""

    words: list[str]
    tokens: IntArray
    """Word ids of all documents, each document followed by -2."""
    lengths: FloatArray
    n_docs: int


def prepare(docs: Sequence[tuple[str, ...]]) -> Prepared:
    words: dict[str, int] = _Growing()
    tokens = _word_ids(docs, words)
    lengths = np.array([2 * len(w) for w in docs], dtype=np.float64)
    return Prepared(list(words), tokens, lengths, len(docs))


def count_in(terms: Terms, docs: Sequence[tuple[str, ...]] | Prepared) -> Counts:
    """Counts of other documents (a library) in a candidate set's vocabulary."""
    prepared = docs if isinstance(docs, Prepared) else prepare(docs)
    lookup = terms.words
    mapping = np.array([lookup[w] for w in prepared.words] + [-2, -2], dtype=np.int64)
    local = prepared.tokens
    tokens = mapping[local]  # a separator, -2, picks the first -2 appended
    doc, known, adjacent, pair_doc = _split(tokens)
    base = len(terms.words) + 1
    pair_keys = tokens[:-1][adjacent] * base + tokens[1:][adjacent]
    at = np.searchsorted(terms.pair_keys, pair_keys)
    at = np.minimum(at, max(len(terms.pair_keys) - 1, 0))
    found = (terms.pair_keys[at] == pair_keys) if len(terms.pair_keys) else np.zeros(0, bool)
    rows, cols, tally = _tally(
        np.concatenate((doc[known], pair_doc[found])),
        np.concatenate((tokens[known], at[found] + len(terms.words))),
    )
    missing = tokens == -1
    unknown_rows, _, unknown_counts = _tally(doc[missing], local[missing])
    return Counts(
        rows, cols, tally, prepared.lengths, unknown_rows, unknown_counts, prepared.n_docs
    )


def bm25_tf(counts: FloatArray, lengths: FloatArray, average: float) -> FloatArray:
    """BM25's saturated term frequency."""
    return counts * (K1 + 1) / (counts + K1 * (1 - B + B * lengths / max(average, 1.0)))


def weigh(counts: Counts, idf: FloatArray, average_length: float, n_cols: int) -> Sparse:
    """BM25 tf x idf, each row L2-normalized (unknown words count in the norm at ``idf0``)."""
    n = counts.n_docs
    data = bm25_tf(counts.counts, counts.lengths[counts.rows], average_length) * idf[counts.cols]
    # float even when no word is known (numpy counts an empty input as int64)
    norm2 = np.bincount(counts.rows, weights=data * data, minlength=n).astype(np.float64)
    idf0 = float(idf.max()) if len(idf) else 1.0
    if len(counts.unknown_rows):
        rows = counts.unknown_rows
        tf = bm25_tf(counts.unknown_counts, counts.lengths[rows], average_length)
        norm2 += np.bincount(rows, weights=(tf * idf0) ** 2, minlength=n)
    data = data / np.maximum(np.sqrt(norm2), 1e-12)[counts.rows]
    return Sparse(counts.rows, counts.cols, data, (n, n_cols))

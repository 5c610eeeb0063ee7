"""Similarity ranking: real papers of four fields, likes, dislikes, explanations, the numpy
helpers against dense arithmetic, and that nothing of it loads with the app."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.models import Paper
from app.profiles.library import LibraryEntry
from app.ranking.similarity import Method, build_scorer, recency_weights
from app.ranking.termvectors import (
    Cross,
    Postings,
    Sparse,
    build_terms,
    count_in,
    pair_product,
    prepare,
    tokenize,
)

ROOT = Path(__file__).resolve().parent.parent
PAPERS = [
    Paper.model_validate(p)
    for p in json.loads((ROOT / "tests/data/similarity/papers.json").read_text("utf-8"))
]
# Four fields, 15 papers each. quant-ph's first 15 are too varied for 5 to define a topic.


def field(name: str) -> list[Paper]:
    return [p for p in PAPERS if p.primary_category == name]


def entry(paper: Paper) -> LibraryEntry:
    return LibraryEntry(title=paper.title, abstract=paper.abstract, arxiv_id=paper.arxiv_id)


def ranked(scores: list, papers: list[Paper]) -> list[Paper]:  # type: ignore[type-arg]
    order = sorted(range(len(papers)), key=lambda i: -scores[i].similarity)
    return [papers[i] for i in order]


@pytest.mark.parametrize("name", ["astro-ph", "cond-mat.supr-con", "math.AG"])
@pytest.mark.parametrize("method", [Method(), Method(latent_weight=0.0)])
def test_a_library_of_one_field_ranks_that_field_first(name: str, method: Method) -> None:
    library = [entry(p) for p in field(name)[:5]]
    candidates = [p for p in PAPERS if p not in field(name)[:5]]
    scores = build_scorer(library, method=method).score(candidates)
    top = ranked(scores, candidates)[:10]
    # 10 of the 55 candidates are of that field: chance puts about 2 in the top 10
    assert sum(p.primary_category == name for p in top) >= 6, [p.primary_category for p in top]
    assert all(0.0 <= s.similarity <= 1.0 for s in scores)


def test_similar_to_names_the_closest_library_papers() -> None:
    library = [entry(p) for p in field("math.AG")[:6]]
    candidates = PAPERS  # the library's own papers are among them
    scores = build_scorer(library).score(candidates)
    for paper, score in zip(candidates, scores, strict=True):
        assert len(score.similar_to) <= 3
        sims = [s.similarity for s in score.similar_to]
        assert sims == sorted(sims, reverse=True)
        if paper.arxiv_id in {e.arxiv_id for e in library}:
            assert score.similar_to[0].id == paper.arxiv_id
            assert score.similar_to[0].title == paper.title
            assert score.similar_to[0].similarity > 0.9
    assert build_scorer(library).score(candidates, explain=0)[0].similar_to == ()


def test_likes_count_like_library_papers_and_once() -> None:
    liked = field("astro-ph")[:4]
    candidates = [p for p in PAPERS if p not in liked]
    by_likes = build_scorer(liked=liked).score(candidates)
    top = ranked(by_likes, candidates)[:8]
    assert sum(p.primary_category == "astro-ph" for p in top) >= 5
    both = build_scorer([entry(p) for p in liked], liked=liked)
    assert len(both.positives) == 4
    assert [s.similarity for s in both.score(candidates)] == [s.similarity for s in by_likes]


def test_dislikes_push_similar_papers_down() -> None:
    library = [entry(p) for p in field("cond-mat.supr-con")[:5]]
    disliked = field("quant-ph")[:5]
    candidates = [p for p in PAPERS if p not in disliked and entry(p) not in library]
    plain = build_scorer(library).score(candidates)
    pushed = build_scorer(library, disliked=disliked).score(candidates)
    quantum = [i for i, p in enumerate(candidates) if p.primary_category == "quant-ph"]
    assert quantum
    assert all(pushed[i].similarity <= plain[i].similarity for i in range(len(candidates)))
    drop = np.mean([plain[i].similarity - pushed[i].similarity for i in quantum])
    others = [i for i in range(len(candidates)) if i not in quantum]
    assert drop > np.mean([plain[i].similarity - pushed[i].similarity for i in others])


def test_a_dislike_never_raises_a_paper() -> None:
    # similarities can be negative (the latent cosine): subtracting one raised papers unlike
    # the disliked paper (liking PAPERS[14] and disliking PAPERS[26] raised 16 of 58, by 0.09)
    for liked in PAPERS[0:60:7]:
        for disliked in [PAPERS[26], *PAPERS[3:60:6]]:
            if disliked == liked:
                continue
            candidates = [p for p in PAPERS if p not in (liked, disliked)]
            plain = build_scorer(liked=[liked]).score(candidates)
            pushed = build_scorer(liked=[liked], disliked=[disliked]).score(candidates)
            raised = [
                (c.arxiv_id, b.similarity, a.similarity)
                for c, b, a in zip(candidates, plain, pushed, strict=True)
                if a.similarity > b.similarity
            ]
            assert raised == [], (liked.arxiv_id, disliked.arxiv_id)


def test_a_liked_paper_sharing_no_word_with_the_candidates_scores_nothing() -> None:
    stranger = PAPERS[0].model_copy(update={"title": "Zyxqv", "abstract": "Qwxzy vzyxq."})
    scores = build_scorer(liked=[stranger]).score(PAPERS[1:])
    assert [s.similarity for s in scores] == [0.0] * len(PAPERS[1:])


def test_empty_inputs_and_untitled_entries() -> None:
    assert build_scorer().score(PAPERS[:3]) == build_scorer(
        [LibraryEntry(arxiv_id="2501.01234")]
    ).score(PAPERS[:3])
    assert [s.similarity for s in build_scorer().score(PAPERS[:3])] == [0.0, 0.0, 0.0]
    assert not build_scorer([LibraryEntry(doi="10.1/x")])
    assert build_scorer([entry(PAPERS[0])]).score([]) == []


def test_scores_keep_the_papers_order_and_do_not_depend_on_it() -> None:
    library = [entry(p) for p in field("astro-ph")[:4]]
    scorer = build_scorer(library)
    forward = scorer.score(PAPERS)
    backward = scorer.score(PAPERS[::-1])
    assert [s.similarity for s in forward] == pytest.approx(
        [s.similarity for s in backward[::-1]], abs=2e-3
    )


def test_the_same_candidates_again_give_the_same_answer() -> None:
    entries = [entry(p) for p in field("math.AG")[:3]]
    scorer = build_scorer(entries)
    first = scorer.score(PAPERS)
    assert scorer.score(PAPERS) == first
    assert scorer.score(PAPERS[:10]) == build_scorer(entries).score(PAPERS[:10])


def test_recency_weights_follow_zotero_arxiv_daily() -> None:
    weights = recency_weights(5)
    assert weights[0] == 1.0
    assert weights == sorted(weights, reverse=True)
    assert weights[9 - 5] == pytest.approx(1 / (1 + np.log10(5)))


def test_tokens_drop_tex_and_stop_words() -> None:
    (tokens,) = tokenize([r"The $\mathbb{P}^1$ bundles of \emph{genus} two curves"])
    assert tokens == ("bundles", "genus", "curves")


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 6),
    st.integers(1, 7),
    st.integers(1, 9),
    st.integers(0, 2**32 - 1),
    st.sampled_from([1.0, 0.5]),
)
def test_pair_product_equals_the_dense_product(
    n_left: int, n_right: int, n_cols: int, seed: int, max_df: float
) -> None:
    rng = np.random.default_rng(seed)
    a = rng.random((n_left, n_cols)) * (rng.random((n_left, n_cols)) < 0.5)
    b = rng.random((n_right, n_cols)) * (rng.random((n_right, n_cols)) < 0.5)
    df = (b > 0).sum(axis=0)
    expected = (a * (df <= max_df * n_right)) @ b.T

    def sparse(m: np.ndarray) -> Sparse:
        rows, cols = np.nonzero(m)
        return Sparse(rows.astype(np.int64), cols.astype(np.int64), m[rows, cols], m.shape)

    got = pair_product(sparse(a), Postings.of(sparse(b)), max_df=max_df, max_pairs=3)
    assert got == pytest.approx(expected)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 6),
    st.integers(2, 12),
    st.integers(1, 9),
    st.integers(0, 2**32 - 1),
    st.sampled_from([0.0, 0.3, 1.0]),
)
def test_cross_splits_dense_and_sparse_terms_and_equals_the_dense_product(
    n_left: int, n_right: int, n_cols: int, seed: int, dense_share: float
) -> None:
    rng = np.random.default_rng(seed)
    a = rng.random((n_left, n_cols)) * (rng.random((n_left, n_cols)) < 0.5)
    b = rng.random((n_right, n_cols)) * (rng.random((n_right, n_cols)) < 0.6)
    df = (b > 0).sum(axis=0)
    expected = (a * (df <= 0.8 * n_right)) @ b.T

    def sparse(m: np.ndarray) -> Sparse:
        rows, cols = np.nonzero(m)
        return Sparse(rows.astype(np.int64), cols.astype(np.int64), m[rows, cols], m.shape)

    cross = Cross.of(sparse(b), max_df=0.8, dense_share=dense_share)
    assert cross.block.shape[1] == ((df > dense_share * n_right) & (df <= 0.8 * n_right)).sum()
    got = cross.times(sparse(a))
    assert got.dtype == np.float32
    assert got == pytest.approx(expected, rel=1e-5, abs=1e-6)


def test_counting_documents_in_their_own_terms_gives_their_counts() -> None:
    texts = [p.title + " " + p.abstract for p in PAPERS]
    docs = tokenize(texts)
    terms, counts = build_terms(docs)
    again = count_in(terms, prepare(docs))
    assert np.array_equal(again.rows, counts.rows)
    assert np.array_equal(again.cols, counts.cols)
    assert np.array_equal(again.counts, counts.counts)
    assert len(again.unknown_rows) == 0
    other = count_in(terms, [("zzunseen", "zzunseen", docs[0][0], "qqnew")])
    assert other.unknown_rows.tolist() == [0, 0]
    assert sorted(other.unknown_counts.tolist()) == [1.0, 2.0]
    assert other.cols.tolist() == [terms.words[docs[0][0]]]


def test_a_separator_character_inside_a_text_does_not_shift_the_others() -> None:
    tokens = tokenize(["alpha \x01 beta", "gamma"])
    assert tokens == [("alpha", "beta"), ("gamma",)]


def test_importing_the_app_loads_neither_numpy_nor_the_parsers() -> None:
    code = (
        "import sys, app.main; "
        "print(sorted(m for m in ('numpy', 'bibtexparser', 'rispy', 'app.ranking.similarity',"
        " 'app.profiles.library') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"

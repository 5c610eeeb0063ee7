"""The ranking that learns from likes and dislikes (``app.ranking.learn``): it learns from both
sides on real papers, a dislike never raises a paper (random texts), it is the default without
judgements, it is deterministic, and its explanations agree with its figures."""

from __future__ import annotations

import itertools
import json
import random
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.models import AnnounceType, Paper
from app.profiles.library import LibraryEntry
from app.ranking.learn import (
    LEARNED,
    LearnedScorer,
    Model,
    Scored,
    build_learner,
    dislike_penalty,
    logistic_fit,
)
from app.ranking.similarity import SimilarityScorer, build_scorer

ROOT = Path(__file__).resolve().parent.parent
PAPERS = [
    Paper.model_validate(p)
    for p in json.loads((ROOT / "tests/data/similarity/papers.json").read_text("utf-8"))
]
LOGISTIC = replace(LEARNED, logistic=0.4, min_judgements=1)


def field(name: str) -> list[Paper]:
    return [p for p in PAPERS if p.primary_category == name]


def entry(paper: Paper) -> LibraryEntry:
    return LibraryEntry(title=paper.title, abstract=paper.abstract, arxiv_id=paper.arxiv_id)


def similarities(scored: object) -> list[float]:
    return [s.similarity for s in scored]  # type: ignore[attr-defined]


def ranks(scores: list[float], among: list[int]) -> dict[int, int]:
    return {i: r for r, i in enumerate(sorted(among, key=lambda i: (-scores[i], i)))}


@pytest.mark.parametrize("model", [LEARNED, LOGISTIC], ids=["default", "logistic"])
def test_likes_and_dislikes_rank_the_liked_field_first_and_the_disliked_one_down(
    model: Model,
) -> None:
    # a superconductivity reader whose 2-paper library says little; 3 likes, 4 dislikes of
    # quant-ph (the field that shares "quantum", "state", "coherent" with it)
    wanted, other = field("cond-mat.supr-con"), field("quant-ph")
    library = [entry(p) for p in wanted[:2]]
    liked, disliked = wanted[2:5], other[:4]
    judged = {p.arxiv_id for p in (*wanted[:5], *disliked)}
    open_ = [i for i, p in enumerate(PAPERS) if p.arxiv_id not in judged]
    scorer = build_learner(library, liked, disliked, model=model)
    assert isinstance(scorer, LearnedScorer)
    assert (len(scorer.positives), len(scorer.negatives)) == (5, 4)
    learned = ranks(similarities(scorer.score(PAPERS)), open_)
    alone = ranks(similarities(build_scorer(library).score(PAPERS)), open_)
    plain = ranks(similarities(build_learner(library, liked, model=model).score(PAPERS)), open_)

    def mean_rank(rank: dict[int, int], name: str) -> float:
        return float(np.mean([r for i, r in rank.items() if PAPERS[i].primary_category == name]))

    top = [i for i, r in learned.items() if r < 10]
    assert sum(PAPERS[i].primary_category == "cond-mat.supr-con" for i in top) >= 8
    # the 10 unjudged superconductivity papers come out higher than by the library alone
    assert mean_rank(learned, "cond-mat.supr-con") < mean_rank(alone, "cond-mat.supr-con") - 1
    # and the disliked field lower than with the same likes and no dislikes
    assert mean_rank(learned, "quant-ph") > mean_rank(plain, "quant-ph") + 1


def test_the_logistic_part_learns_positives_from_weak_negatives() -> None:
    rng = np.random.default_rng(0)
    direction = rng.standard_normal(8)
    x = rng.standard_normal((400, 8))
    y = (x @ direction + 0.3 * rng.standard_normal(400) > 1.0).astype(np.float64)
    weights = np.ones(400)
    coef = logistic_fit(x, y, weights, l2=1.0, steps=20)
    cosine = coef[:-1] @ direction / np.linalg.norm(coef[:-1]) / np.linalg.norm(direction)
    assert cosine > 0.95
    # Newton's method reached the optimum: the regularized gradient vanishes
    p = 1 / (1 + np.exp(-(x @ coef[:-1] + coef[-1])))
    gradient = x.T @ (weights * (p - y)) + 1.0 * coef[:-1]
    assert np.abs(gradient).max() < 1e-6
    assert abs(np.sum(weights * (p - y))) < 1e-4


WORDS = [f"w{a}{b}" for a in "abcdefghij" for b in "abcd"]  # 40 words: topics overlap
_ids = itertools.count(1)


def random_paper(rnd: random.Random) -> Paper:
    """A paper of random words (a unique id each: the shared caches key on ids)."""
    number = next(_ids)
    topic = rnd.randrange(4)
    words = [rnd.choice(WORDS[topic * 10 : topic * 10 + 14]) for _ in range(rnd.randint(3, 25))]
    return Paper(
        arxiv_id=f"2601.{number:05d}",
        version=1,
        title=" ".join(words[:3]),
        authors=["A. Author"],
        abstract=" ".join(words[3:] + [rnd.choice(WORDS) for _ in range(rnd.randint(0, 6))]),
        categories=["cs.LG"],
        primary_category="cs.LG",
        announce_type=AnnounceType.NEW,
        announced=date(2026, 1, 6),
        published=datetime(2026, 1, 6, tzinfo=UTC),
    )


@settings(max_examples=40, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(8, 60),
    st.integers(0, 4),
    st.integers(0, 6),
    st.integers(1, 8),
    st.sampled_from([LEARNED, LOGISTIC, replace(LEARNED, dislike_neighbours=1)]),
)
def test_a_dislike_never_raises_a_paper(
    seed: int, n: int, n_library: int, n_liked: int, n_disliked: int, model: Model
) -> None:
    rnd = random.Random(seed)
    papers = [random_paper(rnd) for _ in range(n)]
    library = [entry(random_paper(rnd)) for _ in range(n_library)]
    liked = rnd.sample(papers, min(n_liked, n // 2))
    rest = [p for p in papers if p not in liked]
    disliked = rnd.sample(rest, min(n_disliked, len(rest)))
    if not library and not liked:
        liked = [rest[0]]
    if liked and rnd.random() < 0.3:
        disliked.append(liked[0])  # liked and disliked: counts as liked
    order = papers[:]
    rnd.shuffle(order)
    without = similarities(build_learner(library, liked, model=model).score(order))
    fewer = similarities(build_learner(library, liked, disliked[:-1], model=model).score(order))
    more = similarities(build_learner(library, liked, disliked, model=model).score(order))
    for none, one_less, all_ in zip(without, fewer, more, strict=True):
        assert all_ <= one_less <= none


def test_without_judgements_it_is_the_default() -> None:
    library = [entry(p) for p in field("math.AG")[:4]]
    scorer = build_learner(library)
    assert isinstance(scorer, SimilarityScorer)
    assert scorer.score(PAPERS) == build_scorer(library).score(PAPERS)
    # a dislike that resembles nothing: the model's figures are the default's, to the digit
    far = PAPERS[0].model_copy(
        update={"arxiv_id": "2601.99999", "title": "Zq9 zq8", "abstract": "Zq7 zq6 zq5."}
    )
    learned = build_learner(library, disliked=[far]).score(PAPERS)
    assert similarities(learned) == similarities(build_scorer(library).score(PAPERS))
    assert [s.similar_to for s in learned] == [s.similar_to for s in scorer.score(PAPERS)]
    # likes alone score as the default scores library papers and likes
    liked = field("math.AG")[4:7]
    assert similarities(build_learner(library, liked).score(PAPERS)) == similarities(
        build_scorer(library, liked).score(PAPERS)
    )


def test_the_logistic_part_waits_for_enough_likes() -> None:
    library = [entry(p) for p in field("astro-ph")[:3]]
    liked = field("astro-ph")[3:6]
    waiting = replace(LEARNED, logistic=0.4, min_judgements=4)
    off = similarities(build_learner(library, liked, model=LEARNED).score(PAPERS))
    assert similarities(build_learner(library, liked, model=waiting).score(PAPERS)) == off
    more = field("astro-ph")[3:7]
    assert similarities(build_learner(library, more, model=waiting).score(PAPERS)) != (
        similarities(build_learner(library, more, model=LEARNED).score(PAPERS))
    )


@pytest.mark.parametrize("model", [LEARNED, LOGISTIC], ids=["default", "logistic"])
def test_the_same_judgements_give_the_same_scores_in_any_order(model: Model) -> None:
    library = [entry(p) for p in field("quant-ph")[:3]]
    liked, disliked = field("quant-ph")[3:6], field("cond-mat.supr-con")[:3]
    first = build_learner(library, liked, disliked, model=model).score(PAPERS)
    again = build_learner(library, liked, disliked, model=model).score(PAPERS)
    assert again == first
    backward = build_learner(library, liked[::-1], disliked, model=model).score(PAPERS[::-1])
    assert similarities(backward[::-1]) == pytest.approx(similarities(first), abs=2e-3)


def test_each_item_says_why_and_its_figures_agree() -> None:
    library = [entry(p) for p in field("cond-mat.supr-con")[:3]]
    liked = field("cond-mat.supr-con")[3:5]
    disliked = field("quant-ph")[:3]
    scored = build_learner(library, liked, disliked).score(PAPERS)
    assert all(isinstance(s, Scored) for s in scored)
    default = build_scorer(library, liked).score(PAPERS)
    names = {p.arxiv_id for p in liked} | {e.arxiv_id for e in library}
    for paper, mine, plain in zip(PAPERS, scored, default, strict=True):
        assert isinstance(mine, Scored)
        assert 0.0 <= mine.similarity <= 1.0
        # the similarity is the default's to library and likes, moved by the dislikes
        assert mine.moved <= 0.0
        assert mine.similarity == pytest.approx(plain.similarity + mine.moved, abs=1e-4)
        assert mine.similar_to == plain.similar_to
        assert {n.id for n in mine.similar_to} <= names
        if mine.similar_to:
            assert mine.similar_to[0].similarity >= plain.similarity
        if paper in liked:
            assert mine.similar_to[0].id == paper.arxiv_id
        if paper in disliked:  # the reader said no to it: 0, and the why says dislikes did it
            assert mine.similarity == 0.0
            assert mine.moved == -plain.similarity
    quantum = [s.moved for p, s in zip(PAPERS, scored, strict=True) if p in field("quant-ph")[3:]]
    assert min(quantum) < -0.01
    assert all(s.moved == 0.0 for s in build_learner(library, liked).score(PAPERS))  # type: ignore[attr-defined]


def test_more_and_less_clicks_weigh_more_than_likes_and_dislikes() -> None:
    library = [entry(p) for p in field("math.AG")[:3]]
    clicked = field("astro-ph")[:1]
    liked = similarities(build_learner(library, clicked).score(PAPERS))
    more = similarities(build_learner(library, more=clicked).score(PAPERS))
    astro = [i for i, p in enumerate(PAPERS) if p in field("astro-ph")[1:]]
    assert np.mean([more[i] for i in astro]) > np.mean([liked[i] for i in astro])
    disliked = similarities(build_learner(library, disliked=clicked).score(PAPERS))
    less = similarities(build_learner(library, less=clicked).score(PAPERS))
    assert all(b <= a for a, b in zip(disliked, less, strict=True))
    assert less != disliked


def test_the_dislike_penalty_counts_missing_dislikes_as_zeros() -> None:
    pairs = np.array([[0.5, -0.2, 0.1], [0.0, 0.0, 0.9]], dtype=np.float32)
    assert dislike_penalty(pairs, np.ones(3), 3) == pytest.approx([0.2, 0.3])
    assert dislike_penalty(pairs, np.ones(3), 1) == pytest.approx([0.5, 0.9])
    assert dislike_penalty(pairs[:, :1], np.ones(1), 3) == pytest.approx([0.5 / 3, 0.0])
    assert dislike_penalty(pairs, np.array([2.0, 1.0, 1.0]), 1) == pytest.approx([1.0, 0.9])


def test_papers_whose_words_the_listing_lacks_count_for_nothing() -> None:
    unknown = LibraryEntry(title="Zq9 zq8", abstract="Zq7 zq6.")
    library = [entry(p) for p in field("math.AG")[:3]]
    assert similarities(build_scorer([unknown]).score(PAPERS)) == [0.0] * len(PAPERS)
    plain = build_scorer(library).score(PAPERS)
    assert build_scorer([*library, unknown]).score(PAPERS)[0].similar_to == plain[0].similar_to
    far = PAPERS[0].model_copy(
        update={"arxiv_id": "2601.99999", "title": unknown.title, "abstract": unknown.abstract}
    )
    assert similarities(build_learner(library, disliked=[far]).score(PAPERS)) == similarities(plain)

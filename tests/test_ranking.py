"""Filtering and scoring: whole-word keywords, weights, order, de-duplication."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest

from app.arxiv.parse import parse_listing
from app.keywords import compile_keywords
from app.models import AnnounceType, FeedQuery, Paper
from app.ranking.index import find_keywords
from app.ranking.rank import rank
from app.ranking.signals import Weights
from tests.conftest import ALL4, listing

NOW = datetime(2026, 1, 6, tzinfo=UTC)


def paper(arxiv_id: str = "2601.00001", **kw: Any) -> Paper:
    fields: dict[str, Any] = {
        "arxiv_id": arxiv_id,
        "version": 1,
        "title": "A title",
        "authors": ["A. Author"],
        "abstract": "An abstract.",
        "categories": ["cs.LG"],
        "primary_category": "cs.LG",
        "announce_type": AnnounceType.NEW,
        "announced": date(2026, 1, 6),
        "published": NOW,
    }
    return Paper(**(fields | kw))


def query(**kw: Any) -> FeedQuery:
    return FeedQuery(categories=kw.pop("categories", ("cs.LG",)), **kw)


@pytest.mark.parametrize(
    ("keyword", "text", "found"),
    [
        ("RL", "A new world order", False),
        ("RL", "Offline RL at scale", True),
        ("RL", "RL-based control", True),
        ("RL", "(RL)", True),
        ("RL", "RLHF pipelines", False),
        ("Fast", "breakfast is served", False),
        ("Fast", "FAST inference", True),
        ("LLM", "Serving LLMs cheaply", True),
        ("LLM", "LLMOps", False),
        ("Network", "neural networks", True),
        ("Attention", "inattention", False),
        ("speculative decoding", "Speculative   decoding for LLMs", True),
        ("speculative decoding", "speculative execution of decoding", False),
        ("FP8", "FP8 training", True),
        ("FP8", "FP80 format", False),
        ("C++", "written in C++ for speed", True),
        ("MoE", "Sparse MOE layers", True),
    ],
)
def test_whole_word_matching(keyword: str, text: str, found: bool) -> None:
    assert (find_keywords(compile_keywords((keyword,)), text) == [keyword]) is found


def test_duplicate_keywords_count_once() -> None:
    kws = compile_keywords(("RL", "rl", " RL ", "Fast", "FAST"))
    assert [k.text for k in kws] == ["RL", "Fast"]
    (scored,) = rank([paper(title="Fast RL", abstract="RL")], query(keywords=("RL", "rl")))
    assert scored.score == 1.5


def test_score_weights_title_and_abstract() -> None:
    p = paper(title="Efficient LLM Inference", abstract="We make LLM serving fast and efficient.")
    (scored,) = rank([p], query(keywords=("LLM", "Efficient", "Fast", "Kernel")))
    # Efficient and LLM in title (1 + 0.5 each), Fast only in abstract (1)
    assert scored.score == 4.0
    assert scored.matched == ["LLM", "Efficient", "Fast"]
    assert scored.title_matched == ["LLM", "Efficient"]
    (weighted,) = rank(
        [p], query(keywords=("LLM",), weights=Weights(keyword_weight=2, title_bonus=3))
    )
    assert weighted.score == 5.0


def test_include_keywords_filter_and_exclude_wins() -> None:
    papers = [
        paper("1", title="Fast RL"),
        paper("2", title="A survey of RL"),
        paper("3", title="Nothing relevant"),
    ]
    got = rank(papers, query(keywords=("RL",), exclude=("Survey",)))
    assert [s.paper.arxiv_id for s in got] == ["1"]
    everything = rank(papers, query())
    assert len(everything) == 3
    assert {s.score for s in everything} == {0.0}


def test_types_min_score_and_limit() -> None:
    papers = [
        paper("1", title="RL", announce_type=AnnounceType.NEW),
        paper("2", title="RL Fast", announce_type=AnnounceType.CROSS),
        paper("3", title="RL Fast LLM", announce_type=AnnounceType.REPLACE),
    ]
    kws = ("RL", "Fast", "LLM")
    assert [s.paper.arxiv_id for s in rank(papers, query(keywords=kws))] == ["1"]
    every = frozenset(AnnounceType)
    assert [s.paper.arxiv_id for s in rank(papers, query(keywords=kws, types=every))] == [
        "3",
        "2",
        "1",
    ]
    high = rank(papers, query(keywords=kws, types=every, min_score=3))
    assert [s.paper.arxiv_id for s in high] == ["3", "2"]
    top = rank(papers, query(keywords=kws, types=every, limit=1))
    assert [(s.paper.arxiv_id, s.rank) for s in top] == [("3", 1)]


def test_ties_follow_category_order_then_id() -> None:
    papers = [
        paper("2601.00003", title="RL", categories=["cs.LG"], primary_category="cs.LG"),
        paper("2601.00002", title="RL", categories=["cs.AI"], primary_category="cs.AI"),
        paper("2601.00001", title="RL", categories=["cs.LG"], primary_category="cs.LG"),
        paper("2601.00004", title="RL", categories=["stat.ML", "cs.AI"], primary_category="x"),
    ]
    got = rank(papers, query(categories=("cs.AI", "cs.LG"), keywords=("RL",)))
    assert [s.paper.arxiv_id for s in got] == [
        "2601.00002",
        "2601.00004",
        "2601.00001",
        "2601.00003",
    ]
    assert [s.rank for s in got] == [1, 2, 3, 4]
    again = rank(list(reversed(papers)), query(categories=("cs.AI", "cs.LG"), keywords=("RL",)))
    assert again == got


def test_archive_category_counts_for_its_members() -> None:
    papers = [paper("1", title="RL"), paper("2", title="RL", categories=["math.OC"])]
    got = rank(papers, query(categories=("math", "cs"), keywords=("RL",)))
    assert [s.paper.arxiv_id for s in got] == ["2", "1"]


def test_deduplication_keeps_the_best_entry_once() -> None:
    papers = [
        paper("1", title="RL", version=1),
        paper("1", title="RL Fast", version=2, announce_type=AnnounceType.NEW),
        paper("2", title="RL"),
    ]
    got = rank(papers, query(keywords=("RL", "Fast")))
    assert [(s.paper.arxiv_id, s.paper.version) for s in got] == [("1", 2), ("2", 1)]
    dupes = rank(papers, query(keywords=("RL", "Fast")), dedupe=False)
    assert len(dupes) == 3


def test_recorded_listing_ranks_deterministically() -> None:
    papers = parse_listing(listing(f"{ALL4}-2026-01-06"), ["x"], NOW).papers
    q = query(categories=("cs.AI", "cs.CL", "cs.DC", "cs.LG"), keywords=("RL", "LLM", "Training"))
    first = rank(papers, q)
    assert first == rank(list(reversed(papers)), q)
    scores = [s.score for s in first]
    assert scores == sorted(scores, reverse=True)
    assert all(s.paper.announce_type is AnnounceType.NEW for s in first)
    assert all(s.matched for s in first)
    with_rl = rank(papers, query(keywords=("RL",), limit=500))
    assert with_rl
    for s in with_rl:
        assert re.search(r"\bRLs?\b", f"{s.paper.title} {s.paper.abstract}", re.IGNORECASE)


def test_query_key_follows_copies() -> None:
    base = query(keywords=("RL",))
    assert base.cache_key == base.cache_key
    narrowed = base.model_copy(update={"limit": 5})
    assert narrowed.cache_key != base.cache_key
    assert narrowed.cache_key == query(keywords=("RL",), limit=5).cache_key

"""Each paper's signals and their points: one place computes them, everything else shows them.

The score is the sum of the contributions a ``ScoredPaper`` carries; the JSON API's breakdown
and every format's reasons print those contributions (a signal none of them knows by name
included) instead of working the formula out again.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from app.delivery.content import paper_text, why_line
from app.models import FeedQuery, Personal, Relevance, ScoredPaper
from app.profiles.model import Profile
from app.profiles.registry import resolve
from app.queries import default_query
from app.ranking.rank import Evidence, rank, rank_days
from app.ranking.signals import Signals, Weights, contributions, total
from app.render.feeds import item_html
from app.render.markdown import paper_block
from app.render.page import why
from app.schemas import paper_detail
from tests.conftest import make_paper, make_settings

WORDS = ["RL", "LLM", "agents", "graph", "serving", "x"]
text = st.lists(st.sampled_from(WORDS), max_size=6).map(" ".join)
weight = st.floats(min_value=0, max_value=10, allow_nan=False)
weights = st.builds(
    Weights,
    keyword_weight=weight,
    title_bonus=weight,
    relevance_weight=weight,
    similarity_weight=weight,
)
per_paper = st.tuples(
    st.none() | st.integers(0, 10),  # the LLM's rating
    st.none() | st.floats(0, 1),  # similarity
    st.booleans(),  # by a followed author
)


def test_each_signal_contributes_its_weighted_points() -> None:
    w = Weights(keyword_weight=2, title_bonus=0.5, relevance_weight=0.3, similarity_weight=1.5)
    assert contributions(Signals(keyword_hits=3, title_hits=1), w) == {"keywords": 6.5}
    points = contributions(Signals(1, 0, relevance=7, similarity=0.4, followed=True), w)
    assert points == {"keywords": 2.0, "relevance": 0.3 * 7, "similarity": 1.5 * 10 * 0.4}
    assert total(points) == 2.0 + 0.3 * 7 + 1.5 * 10 * 0.4  # added in order, to the last bit
    assert list(points) == ["keywords", "relevance", "similarity"]


@settings(max_examples=150, deadline=None)
@given(
    docs=st.lists(st.tuples(text, text, per_paper), min_size=1, max_size=10),
    keywords=st.lists(st.sampled_from(WORDS), max_size=3),
    w=weights,
    min_score=st.floats(0, 5),
)
def test_the_score_is_the_sum_of_the_contributions(
    docs: list[tuple[str, str, tuple[int | None, float | None, bool]]],
    keywords: list[str],
    w: Weights,
    min_score: float,
) -> None:
    papers = [make_paper(n, title, abstract) for n, (title, abstract, _) in enumerate(docs)]
    known = {p.versioned_id: extra for p, (_, _, extra) in zip(papers, docs, strict=True)}
    evidence = Evidence(
        relevance={
            vid: Relevance(score=r, reason="r", model="m")
            for vid, (r, _, _) in known.items()
            if r is not None
        },
        personal={
            vid: Personal(similarity=s, author_match=["A. Author"] if f else [])
            for vid, (_, s, f) in known.items()
        },
    )
    query = FeedQuery(
        categories=("cs.LG",), keywords=tuple(keywords), weights=w, min_score=min_score, limit=50
    )
    items = rank(papers, query, evidence)
    for item in items:
        rating, similarity, followed = known[item.paper.versioned_id]
        signals = Signals(len(item.matched), len(item.title_matched), rating, similarity, followed)
        assert item.contributions == contributions(signals, w)
        assert item.score == total(item.contributions)
        assert item.keyword_score == item.contributions["keywords"]
        assert item.score >= min_score or followed
        breakdown = paper_detail(item, matches=True, weights=w).breakdown
        assert breakdown.contributions == item.contributions
        assert breakdown.total == item.score
        assert breakdown.relevance_points == item.contributions.get("relevance", 0.0)
    order = [(not i.author_match, -i.score) for i in items]
    assert order == sorted(order)
    assert rank_days([papers], query, evidence) == items


def test_every_contribution_is_shown_with_its_points_everywhere() -> None:
    """A signal added to ``app.ranking.signals`` reaches the JSON breakdown and every format's
    reasons with its points; none of them reports it as relevance."""
    item = ScoredPaper(
        paper=make_paper(1, "Offline RL", "We study RL."),
        contributions={"keywords": 1.5, "similarity": 4.0, "reader_feedback": 2.0},
        matched=["RL"],
        title_matched=["RL"],
        rank=1,
        similarity=0.4,
    )
    assert item.score == 7.5
    detail = paper_detail(item, matches=True, weights=Weights()).model_dump(mode="json")
    breakdown = detail["breakdown"]
    assert breakdown["contributions"] == {
        "keywords": 1.5,
        "similarity": 4.0,
        "reader_feedback": 2.0,
    }
    assert breakdown["total"] == detail["score"] == 7.5
    assert breakdown["keyword_score"] == detail["keyword_score"] == 1.5
    assert breakdown["relevance_points"] == 0.0  # was score - keyword score: 6.0
    shown = {
        "feed item (RSS, Atom, JSON Feed, e-mail HTML)": item_html(item),
        "reading page": why(item),
        "Markdown digest": paper_block(1, item),
        "e-mail text": paper_text(1, item),
        "webhooks": why_line(item),
    }
    for where, words in shown.items():
        assert "reader feedback" in words.lower(), where
        assert "+2 points" in words, where
    for words in list(shown.values())[:3]:  # the feeds, page and digest show similarity as before
        assert "Similarity" in words or "similarity" in words
        assert "0.40" in words
    plain = item.model_copy(update={"contributions": {"keywords": 1.5}})
    assert "points" not in why(plain) + item_html(plain) + why_line(plain)


def test_the_query_carries_the_configured_weights(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path, {"keyword_weight": 2, "title_bonus": 0.25}, relevance_weight=0.8
    )
    configured = default_query(settings)
    assert configured.weights == Weights(keyword_weight=2, title_bonus=0.25, relevance_weight=0.8)
    mine = resolve("mine", Profile(similarity_weight=3), settings)
    assert mine.weights == configured.weights.model_copy(update={"similarity_weight": 3})
    heavier = configured.model_copy(update={"weights": mine.weights})
    assert heavier.cache_key != configured.cache_key  # another weight: another feed

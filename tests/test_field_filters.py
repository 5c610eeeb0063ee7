"""Field-scoped keywords and exclusions: ``title:``, ``abstract:``, ``author:``, ``cat:``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from app.models import AnnounceType, FeedQuery, Paper
from app.queries import apply_overrides
from app.ranking.rank import rank
from tests.conftest import ALL4

NOW = datetime(2026, 1, 6, 5, 0, tzinfo=UTC)


def paper(n: int, **kw: Any) -> Paper:
    fields: dict[str, Any] = {
        "arxiv_id": f"2601.{n:05d}",
        "version": 1,
        "title": "A title",
        "authors": ["Ada Lovelace"],
        "abstract": "An abstract.",
        "categories": ["cs.LG"],
        "primary_category": "cs.LG",
        "announce_type": AnnounceType.NEW,
        "announced": date(2026, 1, 6),
        "published": NOW,
    }
    return Paper(**(fields | kw))


PAPERS = [
    paper(1, title="Fast RL", abstract="Nothing else.", authors=["Yann LeCun", "Ada Lovelace"]),
    paper(2, title="Graphs", abstract="We use RL here.", categories=["math.OC", "cs.LG"]),
    paper(3, title="Kernels", abstract="Quantization.", authors=["Yann Dauphin"]),
    paper(4, title="LeCun's rule", abstract="RL.", categories=["stat.ML"]),
]
BASE = FeedQuery(categories=("cs.LG", "math.OC", "stat.ML"), limit=50)


def ids(keywords: str = "", exclude: str = "") -> list[str]:
    query = apply_overrides(BASE, keywords=keywords, exclude=exclude)
    return sorted(s.paper.arxiv_id[-1] for s in rank(PAPERS, query))


def test_unscoped_means_title_or_abstract() -> None:
    assert ids("RL") == ["1", "2", "4"]


def test_title_and_abstract_scopes() -> None:
    assert ids("title:RL") == ["1"]
    assert ids("abstract:RL") == ["2", "4"]
    assert ids("Title:  rl") == ["1"]  # the scope ignores case and spacing


def test_author_scope_is_whole_words_of_one_author() -> None:
    assert ids("author:LeCun") == ["1"]  # not paper 4, whose title says LeCun
    assert ids("author:Yann") == ["1", "3"]
    assert ids("author:Yann LeCun") == ["1"]
    assert ids("author:LeCun Ada") == []  # a phrase does not run across two authors
    assert ids("author:Lovelac") == []


def test_category_scope_takes_a_category_or_an_archive() -> None:
    assert ids("cat:math.OC") == ["2"]
    assert ids("cat:math") == ["2"]
    assert ids("cat:stat.ML,cat:math") == ["2", "4"]
    assert ids("cat:cs") == ["1", "2", "3"]


def test_scoped_exclusions() -> None:
    assert ids("", "author:LeCun") == ["2", "3", "4"]
    assert ids("RL", "cat:stat.ML") == ["1", "2"]
    assert ids("RL", "title:RL") == ["2", "4"]
    assert ids("RL", "abstract:RL") == ["1"]


def test_scores_and_matched_texts() -> None:
    query = apply_overrides(BASE, keywords="title:RL,author:LeCun,cat:cs.LG")
    (first, *_) = rank(PAPERS, query)
    assert first.paper.arxiv_id.endswith("1")
    assert first.matched == ["title:RL", "author:LeCun", "cat:cs.LG"]
    assert first.title_matched == ["title:RL"]
    assert first.score == 3.5  # 1 per keyword, 0.5 more for the one in the title


def test_scoped_and_unscoped_are_different_keys() -> None:
    keys = {apply_overrides(BASE, keywords=k).cache_key for k in ("RL", "title:RL", "abstract:RL")}
    assert len(keys) == 3
    assert apply_overrides(BASE, keywords="title:RL,TITLE: rl").keywords == ("title:RL",)


@pytest.mark.anyio
async def test_scoped_filters_in_a_feed_url(client: httpx.AsyncClient) -> None:
    everything = await client.get(f"/api/papers?category={ALL4}&keywords=&types=all&limit=500")
    assert everything.status_code == 200, everything.text
    papers = everything.json()["items"]
    author = papers[0]["authors"][0]
    base = f"/api/papers?category={ALL4}&types=all&limit=500"
    r = await client.get(f"{base}&keywords={quote('author:' + author)}")
    found = r.json()["items"]
    assert found
    assert all(author in p["authors"] for p in found)
    assert len(found) < len(papers)
    r = await client.get(f"{base}&keywords=&exclude=cat:cs")
    assert r.json()["total"] == 0

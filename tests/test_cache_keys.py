"""Cache keys name exactly what ranking does: no two queries that rank differently share one.

The matcher's case-insensitivity is ``re.IGNORECASE``; the key once case-folded keywords
(``ß`` -> ``ss``, ``ﬃ`` -> ``ffi``), so one URL's feed was served for another, and ``|`` inside a
keyword made keys ambiguous.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from app.keywords import compile_keywords, match_form
from app.models import FeedQuery
from app.queries import apply_overrides
from app.ranking.rank import rank
from tests.conftest import ALL4
from tests.conftest import make_paper as paper

NOW = datetime(2026, 1, 6, 5, 0, tzinfo=UTC)
TRICKY = ["ß", "ss", "SS", "ẞ", "ﬃ", "ffi", "ſ", "s", "K", "k", "K", "İ", "ı", "i", "I"]
PIECES = [*TRICKY, "|", ",", " ", "  ", "\t", "a", "b", "address", "addreß", "oﬃce", "office"]
WORDS = [
    "address", "addreß", "ADDRESS", "office", "oﬃce", "OFFICE", "ſtate", "state", "Kelvin",
    "Kelvin", "kelvin", "İstanbul", "ıstanbul", "istanbul", "Istanbul", "a|b", "a", "b", "c",
    "b|c", "ss", "ß", "s", "ﬃ", "ffi", "i", "ı", "İ", "k", "K",
]  # fmt: skip


PAPERS = [paper(i, w, f"about {w} and more") for i, w in enumerate(WORDS)]
PAIRS = zip(WORDS, WORDS[3:], strict=False)
PAPERS += [paper(100 + i, f"{a} {b}", f"{b}, {a}") for i, (a, b) in enumerate(PAIRS)]
BASE = FeedQuery(categories=("cs.LG",), limit=500)


def ranking(query: FeedQuery) -> list[tuple[str, float, list[str]]]:
    return [(s.paper.arxiv_id, s.score, s.matched) for s in rank(PAPERS, query)]


raw_list = st.lists(st.sampled_from(PIECES), max_size=6).map("".join)


@settings(max_examples=400, deadline=None)
@given(k1=raw_list, e1=raw_list, k2=raw_list, e2=raw_list)
@example(k1="addreß", e1="", k2="address", e2="")
@example(k1="oﬃce", e1="", k2="office", e2="")
@example(k1="a|b", e1="c", k2="a", e2="b|c")
@example(k1="ſtate", e1="", k2="state", e2="")
@example(k1="İstanbul", e1="", k2="ıstanbul", e2="")
def test_same_key_only_if_same_ranking(k1: str, e1: str, k2: str, e2: str) -> None:
    q1 = apply_overrides(BASE, keywords=k1, exclude=e1)
    q2 = apply_overrides(BASE, keywords=k2, exclude=e2)
    if q1.cache_key == q2.cache_key:
        assert ranking(q1) == ranking(q2)


def test_equivalent_spellings_share_a_key_and_count_once() -> None:
    """Spacing and what re's IGNORECASE equates (Kelvin sign, long s) are one keyword."""
    spaced = apply_overrides(BASE, keywords="  Kelvin ,kelvin,KELVIN\t")
    assert spaced.keywords == ("Kelvin",)
    assert spaced.cache_key == apply_overrides(BASE, keywords="Kelvin").cache_key
    assert [k.text for k in compile_keywords(("state", "ſtate", "STATE"))] == ["state"]
    # ß and ss are different keywords for re, so both count
    assert [k.text for k in compile_keywords(("address", "addreß"))] == ["address", "addreß"]


CASED = [chr(c) for c in range(0x250) if chr(c).lower() != chr(c).upper()]
CASED += list("ſKİıµμςσΣθϑϴßẞﬃﬀǅǄǆ")


@pytest.mark.parametrize("c", sorted(set(CASED)))
def test_match_form_is_exactly_re_ignorecase(c: str) -> None:
    """``match_form(c) == match_form(d)`` exactly when ``re`` (IGNORECASE) matches c to d."""
    pattern = re.compile(re.escape(c), re.IGNORECASE)
    for d in sorted(set(CASED)):
        assert (pattern.fullmatch(d) is not None) == (match_form(c) == match_form(d)), (c, d)
    assert (re.match(r"\w", c) is None) == (re.match(r"\w", match_form(c)) is None)


@pytest.mark.anyio
async def test_a_feed_is_not_served_for_a_lookalike_query(client: httpx.AsyncClient) -> None:
    poisoned = await client.get(f"/rss/{ALL4}?keywords=addre%C3%9F")
    real = await client.get(f"/rss/{ALL4}?keywords=address")
    assert poisoned.status_code == real.status_code == 200
    assert b"<item>" not in poisoned.content
    assert real.content.count(b"<item>") >= 1
    split_a = await client.get(f"/api/papers?category={ALL4}&keywords=a|b&exclude=c")
    split_b = await client.get(f"/api/papers?category={ALL4}&keywords=a&exclude=b|c")
    assert split_a.json()["total"] == 0
    assert split_b.json()["total"] > 0

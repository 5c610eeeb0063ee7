"""The word-index matcher agrees with plain case-insensitive patterns, and ranking a large
listing leaves the event loop free (speed itself is measured in ``bench/ranking.py``)."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import UTC, datetime

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from app.keywords import distinct_keywords, match_form
from app.models import FeedQuery
from app.ranking.index import INDEXES
from app.ranking.offload import THREAD_ABOVE, off_loop
from app.ranking.rank import rank
from tests.conftest import make_paper as paper

NOW = datetime(2026, 1, 6, 5, 0, tzinfo=UTC)
ATOMS = ["RL", "rl", "LLM", "LLMs", "llmes", "ſ", "s", "K", "k", "ß", "ss", "İ", "ı", "i", "C++"]
ATOMS += ["speculative", "decoding", "x", "é", "É", "ﬃ", "(", ")", "-", " ", "  ", "\n", ".", "_"]
text = st.lists(st.sampled_from(ATOMS), max_size=12).map("".join)
keyword = st.lists(st.sampled_from(ATOMS), min_size=1, max_size=4).map("".join)


def reference(kw: str, texts: list[str]) -> bool:
    """The matcher's definition, spelt out with ``re.IGNORECASE`` on the original text."""
    words = kw.split()
    body = r"\s+".join(re.escape(w) for w in words)
    start = r"(?<!\w)" if re.match(r"\w", words[0]) else ""
    plural = r"(?:e?s)?" if words[-1][-1].isalpha() else ""
    end = r"(?!\w)" if re.search(r"\w$", words[-1]) else ""
    pattern = re.compile(start + body + plural + end, re.IGNORECASE)
    return any(pattern.search(t) for t in texts)


@settings(max_examples=300, deadline=None)
@given(kws=st.lists(keyword, min_size=1, max_size=5), docs=st.lists(st.tuples(text, text)))
@example(kws=["LLM"], docs=[("Serving LLMs", ""), ("LLMOps", "")])
@example(kws=["ı"], docs=[("I", ""), ("i", ""), ("İ", "")])
@example(kws=["speculative  decoding"], docs=[("", "Speculative\ndecoding")])
def test_index_matches_like_re_ignorecase(kws: list[str], docs: list[tuple[str, str]]) -> None:
    kws = [k for k in kws if k.split() and ":" not in k]
    assume(kws)
    papers = [paper(i, t, a) for i, (t, a) in enumerate(docs)]
    query = FeedQuery(categories=("cs.LG",), keywords=tuple(kws), limit=500)
    got = {s.paper.arxiv_id: (set(s.matched), set(s.title_matched)) for s in rank(papers, query)}
    texts = distinct_keywords(kws)
    for p in papers:
        want = {k for k in texts if reference(k, [p.title, p.abstract])}
        want_title = {k for k in texts if reference(k, [p.title])}
        if want:
            assert got[p.arxiv_id] == (want, want_title)
        else:
            assert p.arxiv_id not in got


def test_ascii_match_form_is_lower() -> None:
    ascii_text = "".join(map(chr, range(128)))
    assert match_form(ascii_text) == ascii_text.lower()


def test_indexes_are_bounded_and_reused() -> None:
    INDEXES.clear()
    lists = [[paper(i, f"RL {n}", "x")] for n, i in enumerate(range(20))]
    query = FeedQuery(categories=("cs.LG",), keywords=("RL",))
    for papers in lists:
        assert len(rank(papers, query)) == 1
    assert len(INDEXES._items) == INDEXES.size
    again = INDEXES.get(lists[-1])
    assert INDEXES.get(lists[-1]) is again


@pytest.mark.anyio
async def test_a_large_ranking_does_not_block_the_event_loop() -> None:
    INDEXES.clear()
    words = [f"w{i}" for i in range(3000)]
    papers = [
        paper(i, f"Paper {i} about RL", " ".join(words[(i * 7 + j) % 3000] for j in range(150)))
        for i in range(4 * THREAD_ABOVE + 2000)
    ]
    query = FeedQuery(categories=("cs.LG",), keywords=("RL", "w1", "w2 w3"), limit=10)
    gaps: list[float] = []
    done = asyncio.Event()

    async def tick() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0.02)
    start = time.perf_counter()
    ranked = await off_loop(len(papers), lambda: rank(papers, query))
    took = time.perf_counter() - start
    done.set()
    await ticker
    assert len(ranked) == 10
    assert took > 0.1  # a ranking long enough to matter (the index is built here)
    assert max(gaps) < took / 2

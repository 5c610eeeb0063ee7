"""Listings across days: weekends, restarts, days_back and replaced papers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from app.arxiv.parse import parse_listing
from app.catalog.history import History, merge_papers
from app.main import create_app
from app.models import AnnounceType, FeedQuery, Listing
from app.ranking.rank import rank
from app.store import MemoryStore
from tests.conftest import ALL4, DAYS, FakeArxiv, listing, make_settings

pytestmark = pytest.mark.anyio
CATS = ["cs.AI", "cs.CL", "cs.DC", "cs.LG"]


def day_listing(day: str) -> Listing:
    return parse_listing(listing(f"{ALL4}-{day}"), CATS, datetime.now(UTC))


def weekend() -> Listing:
    return parse_listing(listing("cs.AI-weekend"), CATS, datetime.now(UTC))


async def test_recent_days_and_weekends() -> None:
    history = History(MemoryStore())
    for day in DAYS:
        await history.keep(day_listing(day))
    latest = day_listing(DAYS[-1])
    assert [d.day for d in await history.recent(latest, 1)] == [date(2026, 1, 6)]
    two = await history.recent(latest, 2)
    assert [d.day for d in two] == [date(2026, 1, 6), date(2025, 12, 16)]
    assert len(await history.recent(latest, 10)) == 3
    empty = await history.recent(weekend(), 1)  # the weekend never empties the feed
    assert [d.day for d in empty] == [date(2026, 1, 6)]


async def test_days_survive_a_restart_and_skip_empty_or_sample() -> None:
    store = MemoryStore()
    await History(store).keep(day_listing(DAYS[0]))
    await History(store).keep(weekend())
    await History(store).keep(day_listing(DAYS[1]).model_copy(update={"sample": True}))
    fresh = History(store)
    got = await fresh.recent(weekend(), 3)
    assert [d.day for d in got] == [date(2025, 12, 9)]


async def test_replaced_paper_stays_in_a_new_only_feed() -> None:
    days = [day_listing(DAYS[1]), day_listing(DAYS[0])]  # newest first
    papers = merge_papers(days)
    replaced = {p.arxiv_id for p in papers if p.announce_type is AnnounceType.REPLACE}
    first_new = {p.arxiv_id for p in days[1].papers if p.announce_type is AnnounceType.NEW}
    both = replaced & first_new
    assert both  # the fixture's older papers come back as v2 replacements
    q = FeedQuery(categories=tuple(CATS), limit=500)
    shown = {s.paper.arxiv_id: s.paper for s in rank(papers, q)}
    for arxiv_id in both:
        assert shown[arxiv_id].version == 1  # still there, as it was announced
    everything = rank(papers, q.model_copy(update={"types": frozenset(AnnounceType)}))
    versions = {s.paper.arxiv_id: s.paper.version for s in everything}
    assert all(versions[i] >= 2 for i in both)  # with replacements shown, the newest wins
    assert len(everything) == len({s.paper.arxiv_id for s in everything})


async def get_once(app: FastAPI) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        response = await c.get("/rss", params={"limit": 500})
    await app.state.runtime.aclose()
    return response


async def test_feed_keeps_last_days_over_a_weekend(tmp_path: Path) -> None:
    fake = FakeArxiv(day=DAYS[-1])
    store = MemoryStore()
    settings = make_settings(tmp_path, {"days_back": 2, "keywords": []})
    first = create_app(settings, transport=httpx.MockTransport(fake), store=store)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=first), base_url="http://t"
    ) as c:
        friday = await c.get("/rss", params={"limit": 500})
    await first.state.runtime.aclose()
    fake.serve(ALL4, body=listing("cs.AI-weekend"))
    for key in [Listing.key_for(CATS), *(f"cat:{c}" for c in CATS)]:
        await store.delete(key)  # as if the cache expired at midnight
    second = create_app(settings, transport=httpx.MockTransport(fake), store=store)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=second), base_url="http://t"
    ) as c:
        saturday = await c.get("/rss", params={"limit": 500})
    await second.state.runtime.aclose()
    assert len(fake.requests) == 2
    assert friday.status_code == saturday.status_code == 200
    guids = lambda body: [line for line in body.split(b"<guid") if b"arxiv.org/abs" in line]  # noqa: E731
    assert len(guids(saturday.content)) == len(guids(friday.content)) > 20


async def test_each_kept_day_contributes_its_own_top_papers(tmp_path: Path) -> None:
    """A strong day never pushes a weak one out: each day brings its own max_papers."""
    store = MemoryStore()
    weak = day_listing(DAYS[1])
    await History(store).keep(weak)
    # the older day matches one keyword once; today matches it often
    settings = make_settings(
        tmp_path, {"days_back": 2, "max_papers": 4, "keywords": ["LLM", "Reasoning"]}
    )
    app = create_app(settings, transport=httpx.MockTransport(FakeArxiv()), store=store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        body = (await c.get("/feed.json")).json()
    await app.state.runtime.aclose()
    days = [p["date_published"][:10] for p in body["items"]]
    query = FeedQuery(categories=tuple(CATS), keywords=("LLM", "Reasoning"), limit=4)
    older = rank(weak.papers, query)
    assert 0 < len(older) <= 4
    assert days == ["2026-01-06"] * 4 + ["2025-12-16"] * len(older)  # newest day first
    assert [p["id"] for p in body["items"][4:]] == [s.paper.guid for s in older]
    assert [p["_arxiv"]["rank"] for p in body["items"]] == list(range(1, len(days) + 1))

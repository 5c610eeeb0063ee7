"""The catalog: per-category listings, any set assembled from them, fetched fairly.

The announce-type rule is checked against the recorded per-category listings, which hold each
category's own view of the same day: a set assembled from them must list each paper once, with
the type arXiv's listing of that set gives it (``new`` when its primary category is in the set,
``cross`` when only a cross-list is; the same for ``replace`` and ``replace-cross``).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path

import httpx
import pytest
from lxml import etree

from app.arxiv.parse import parse_listing
from app.catalog.assemble import announce_type, assemble, split
from app.catalog.scheduler import OWNER, STRANGER, Scheduler
from app.main import create_app
from app.models import AnnounceType, Listing, Paper
from app.store import MemoryStore
from tests.conftest import ALL4, DAYS, FakeArxiv, listing, make_settings

pytestmark = pytest.mark.anyio
CATS = ["cs.AI", "cs.CL", "cs.DC", "cs.LG"]
NOW = datetime(2026, 1, 6, 12, tzinfo=UTC)


def own_view(cat: str, day: str) -> Listing:
    return parse_listing(listing(f"{cat}-{day}"), [cat], NOW)


def expected_types(cats: tuple[str, ...], day: str) -> dict[str, AnnounceType]:
    """What arXiv's listing of ``cats`` shows, from the categories' own recorded views."""
    seen: dict[str, set[AnnounceType]] = {}
    for cat in cats:
        for p in own_view(cat, day).papers:
            seen.setdefault(p.versioned_id, set()).add(p.announce_type)
    out: dict[str, AnnounceType] = {}
    for vid, kinds in seen.items():
        if AnnounceType.NEW in kinds:
            out[vid] = AnnounceType.NEW
        elif AnnounceType.REPLACE in kinds:
            out[vid] = AnnounceType.REPLACE
        elif AnnounceType.CROSS in kinds:
            out[vid] = AnnounceType.CROSS
        else:
            out[vid] = AnnounceType.REPLACE_CROSS
    return out


def types_of(listing_: Listing) -> dict[str, AnnounceType]:
    return {p.versioned_id: p.announce_type for p in listing_.papers}


@pytest.mark.parametrize("day", DAYS)
@pytest.mark.parametrize("size", [1, 2, 3, 4])
async def test_every_subset_has_the_types_of_its_own_listing(day: str, size: int) -> None:
    views = {c: own_view(c, day) for c in CATS}
    for cats in combinations(CATS, size):
        got = assemble([views[c] for c in cats], cats)
        assert types_of(got) == expected_types(cats, day), cats
        assert len(got.papers) == len({p.versioned_id for p in got.papers})  # each once


@pytest.mark.parametrize("day", DAYS)
async def test_the_four_categories_assembled_match_arxivs_combined_listing(day: str) -> None:
    combined = parse_listing(listing(f"{ALL4}-{day}"), CATS, NOW)
    got = assemble([own_view(c, day) for c in CATS], CATS)
    assert types_of(got) == types_of(combined)


def combined_with_every_category(day: str) -> Listing:
    """A combined listing as arXiv serves it: each paper once with all its categories.

    (The recorded combined files name only the primary category of a cross-listed paper; the
    per-category files name them all, so the paper's full list is taken from those.)
    """
    cats: dict[str, list[str]] = {}
    for c in CATS:
        for p in own_view(c, day).papers:
            cats.setdefault(p.versioned_id, list(p.categories))
            cats[p.versioned_id] += [x for x in p.categories if x not in cats[p.versioned_id]]
    combined = parse_listing(listing(f"{ALL4}-{day}"), CATS, NOW)
    papers = [p.model_copy(update={"categories": cats[p.versioned_id]}) for p in combined.papers]
    return combined.model_copy(update={"papers": papers})


@pytest.mark.parametrize("day", DAYS)
async def test_one_combined_fetch_splits_into_each_categorys_own_view(day: str) -> None:
    views = split(combined_with_every_category(day), CATS)
    for cat in CATS:
        assert types_of(views[cat]) == types_of(own_view(cat, day)), cat
        assert types_of(assemble([views[cat]], [cat])) == types_of(own_view(cat, day))


def test_an_archive_covers_its_categories() -> None:
    paper = own_view("cs.DC", DAYS[0]).papers[0]
    assert announce_type(paper, ["cs"]) is AnnounceType.NEW
    assert announce_type(paper, ["math"]) is AnnounceType.CROSS


# -- the scheduler --------------------------------------------------------------------------


class SlowFetch:
    def __init__(self, seconds: float = 0.05) -> None:
        self.seconds = seconds
        self.batches: list[tuple[str, ...]] = []

    async def __call__(self, batch: tuple[str, ...]) -> None:
        self.batches.append(batch)
        await asyncio.sleep(self.seconds)


async def test_a_category_wanted_many_times_at_once_is_fetched_once() -> None:
    fetch = SlowFetch()
    scheduler = Scheduler(fetch, max_batch=10)
    wants = [scheduler.want(["cs.IR", "cs.CV"], STRANGER) for _ in range(20)]
    assert await asyncio.gather(*wants) == [None] * 20
    assert fetch.batches == [("cs.CV", "cs.IR")]


async def test_the_owner_never_waits_behind_a_queue_of_strangers() -> None:
    fetch = SlowFetch()
    scheduler = Scheduler(fetch, max_batch=2)
    strangers = [f"math.{s}" for s in ("AG", "AT", "CO", "CT", "DG", "GT", "NT", "PR", "RT", "ST")]
    crowd = [asyncio.create_task(scheduler.want([c], STRANGER)) for c in strangers]
    await asyncio.sleep(0.01)  # the first strangers' request is under way
    await scheduler.want(["cs.AI"], OWNER)
    assert fetch.batches.index(("cs.AI", "math.CO")) == 1  # right after the one under way
    await asyncio.gather(*crowd)
    assert sorted(c for b in fetch.batches for c in b) == sorted([*strangers, "cs.AI"])


async def test_a_failed_batch_fails_each_of_its_waiters_once() -> None:
    calls: list[tuple[str, ...]] = []

    async def broken(batch: tuple[str, ...]) -> None:
        calls.append(batch)
        raise RuntimeError("arXiv is down")

    scheduler = Scheduler(broken)
    errors = await asyncio.gather(*(scheduler.want(["cs.IR"], STRANGER) for _ in range(3)))
    assert all(isinstance(e, RuntimeError) for e in errors)
    assert calls == [("cs.IR",)]


# -- through the app ------------------------------------------------------------------------


def combined_xml_with_every_category(day: str) -> bytes:
    """The recorded combined listing, each item naming all its categories, as arXiv's do."""
    full = {p.versioned_id: p.categories for p in combined_with_every_category(day).papers}
    root = etree.fromstring(listing(f"{ALL4}-{day}"))
    for item in root.iter("item"):
        vid = (item.findtext("guid") or "").rsplit(":", 1)[-1]
        named = [c.text for c in item.findall("category")]
        anchor = item.findall("category")[-1]
        for cat in reversed([c for c in full[vid] if c not in named]):
            extra = etree.Element("category")
            extra.text = cat
            extra.tail = anchor.tail
            anchor.addnext(extra)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


async def get_all(
    tmp_path: Path, paths: list[str], fake: FakeArxiv | None = None, **settings: object
) -> tuple[FakeArxiv, list[httpx.Response]]:
    fake = fake or FakeArxiv()
    transport = httpx.MockTransport(fake)
    app = create_app(make_settings(tmp_path, **settings), transport=transport, store=MemoryStore())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        responses = [await c.get(p) for p in paths]
    await app.state.runtime.aclose()
    return fake, responses


async def test_subsets_and_orders_of_the_configured_set_need_no_upstream_call(
    tmp_path: Path,
) -> None:
    paths = [
        "/rss",
        "/rss/cs.DC",
        "/atom/cs.LG+cs.AI",
        "/feed.json/cs.AI+cs.LG",
        "/api/papers?category=cs.CL",
        "/rss/cs.CL+cs.DC+cs.AI?types=all",
        "/digest.md",
    ]
    fake, responses = await get_all(tmp_path, paths)
    assert [r.status_code for r in responses] == [200] * len(paths)
    assert fake.paths() == [f"/rss/{ALL4}"]


async def test_a_cross_listed_paper_is_new_in_its_primary_and_cross_elsewhere(
    tmp_path: Path,
) -> None:
    day = "2026-01-06"
    paper: Paper = next(
        p for p in own_view("cs.LG", day).papers if p.announce_type is AnnounceType.CROSS
    )
    primary = paper.primary_category
    query = "?types=all&keywords=&limit=500"
    fake = FakeArxiv(day)
    fake.serve(ALL4, body=combined_xml_with_every_category(day))
    fake, (_, own, other) = await get_all(
        tmp_path, ["/rss", f"/feed.json/{primary}{query}", f"/feed.json/cs.LG{query}"], fake
    )

    def kind(response: httpx.Response) -> str:
        items = [i for i in response.json()["items"] if paper.arxiv_id in i["id"]]
        assert len(items) == 1  # listed once
        return str(items[0]["_arxiv"]["announce_type"])

    assert own.status_code == other.status_code == 200
    assert fake.paths() == [f"/rss/{ALL4}"]
    assert primary in CATS
    assert kind(own) == "new"
    assert kind(other) == "cross"


async def test_strangers_categories_are_batched_and_budgeted(tmp_path: Path) -> None:
    paths = ["/rss/cs.IR", "/rss/cs.CV+cs.IR", "/rss/cs.CR", "/rss/cs.CV", "/rss", "/health"]
    fake, responses = await get_all(tmp_path, paths, adhoc_fetch_budget=2)
    codes = [r.status_code for r in responses]
    assert codes == [200, 200, 503, 200, 200, 200]
    refused = responses[2]
    assert refused.json()["error"]["code"] == "adhoc_budget_exhausted"
    assert "cs.CR" in refused.json()["error"]["message"]
    assert int(refused.headers["retry-after"]) >= 60
    assert fake.paths() == ["/rss/cs.IR", "/rss/cs.CV", f"/rss/{ALL4}"]  # each category once
    health = responses[-1].json()
    assert health["adhoc_budget"] == {"limit": 2, "used_today": 2}


async def test_concurrent_cold_sets_cost_one_request_per_batch(tmp_path: Path) -> None:
    fake = FakeArxiv()
    app = create_app(
        make_settings(tmp_path), transport=httpx.MockTransport(fake), store=MemoryStore()
    )
    pairs = list(combinations(["cs.IR", "cs.CV", "cs.CR", "cs.NE", "cs.RO"], 2))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        got = await asyncio.gather(*(c.get(f"/rss/{a}+{b}") for a, b in pairs), c.get("/rss"))
    await app.state.runtime.aclose()
    assert [r.status_code for r in got] == [200] * len(got)
    fetched = [p.rsplit("/", 1)[-1].split("+") for p in fake.paths()]
    flat = [c for batch in fetched for c in batch]
    assert len(flat) == len(set(flat)) == 9  # five strangers' categories and the four owner's
    assert len(fake.paths()) <= 3


async def test_strangers_feeds_queue_while_the_owners_are_served(tmp_path: Path) -> None:
    app = create_app(
        make_settings(tmp_path), transport=httpx.MockTransport(FakeArxiv()), store=MemoryStore()
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        services = await app.state.runtime.services()
        assert (await c.get("/rss/cs.DC?keywords=GPU")).status_code == 200  # all held now
        async with services.strangers:  # as if a stranger's feed were being built
            owner = await asyncio.wait_for(c.get("/rss"), 10)
            stranger = asyncio.create_task(c.get("/rss/cs.AI?keywords=Agent"))
            await asyncio.sleep(0.3)
            assert not stranger.done()  # it waits its turn
        assert owner.status_code == 200
        assert (await stranger).status_code == 200
        first = await c.get("/atom")
        for n in range(600):  # far more strangers' queries than the shared caches hold
            await c.get(f"/rss/cs.LG?keywords=x{n}")
        again = await c.get("/atom")
    await app.state.runtime.aclose()
    assert len(services.feeds) <= 512
    assert again.content == first.content
    assert len(services.owned_feeds) == 1  # the configured feed, never evicted by strangers


async def test_every_stored_key_has_a_lifetime_and_memory_is_bounded(tmp_path: Path) -> None:
    """Listings expire after the next update (plus a margin), days after KEEP_DAYS; the
    in-process maps stay bounded however many distinct sets readers ask for."""
    store = MemoryStore()
    fake = FakeArxiv()
    app = create_app(make_settings(tmp_path), transport=httpx.MockTransport(fake), store=store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        assert (await c.get("/rss")).status_code == 200
        assert (await c.get("/rss/cs.IR")).status_code == 200
        services = await app.state.runtime.services()
    await app.state.runtime.aclose()
    data = store._data
    kinds = ("listing:", "cat:", "day:", "days:")
    stored = {k: exp for k, (_, exp) in data.items() if k.startswith(kinds)}
    assert {k.split(":", 1)[0] for k in stored} == {"listing", "cat", "day", "days"}
    assert all(exp is not None for exp in stored.values()), stored
    now = store._clock()
    days = [exp - now for k, exp in stored.items() if k.startswith(("day:", "days:"))]
    assert all(80 * 86400 < d <= 90 * 86400 + 1 for d in days if d is not None)
    listings = [exp - now for k, exp in stored.items() if k.startswith(("listing:", "cat:"))]
    assert all(86400 < d < 4 * 86400 for d in listings if d is not None)
    assert services.listings._memory.size <= 256
    assert services.catalog.history._days.size <= 1024

"""The strangers' budget: whose categories it covers, and that it holds under concurrency.

The owner's categories (the configured feed's and every profile's, stored ones included, as
every instance reads them from the store) never draw on it; strangers' new categories are
charged in one atomic step per category, so however many arrive at once, no more than the
budget are fetched; and one request may name only so many strangers' categories.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.main import create_app
from app.store import MemoryStore, SQLiteStore, Store
from tests.conftest import FakeArxiv, make_settings
from tests.test_store import Backend, backend, redis_server

__all__ = ["backend", "redis_server"]

pytestmark = pytest.mark.anyio
TOKEN = "owner-token-123"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
# cs categories the configured feed does not use, and that no test profile names
STRANGERS = ["cs.CV", "cs.CR", "cs.NE", "cs.RO", "cs.SE", "cs.PL", "cs.DB", "cs.GT", "cs.HC",
             "cs.CY", "cs.SY", "cs.MA"]  # fmt: skip


@asynccontextmanager
async def instance(
    tmp_path: Path, store: Store, fake: FakeArxiv | None = None, **settings: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """One instance of the app on ``store`` (several may share it), arXiv answered by ``fake``."""
    app = create_app(
        make_settings(tmp_path, {}, admin_token=TOKEN, **settings),
        transport=httpx.MockTransport(fake or FakeArxiv()),
        store=store,
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        yield c
    await app.state.runtime.aclose()


async def test_a_stored_profile_is_the_owners_on_every_instance(tmp_path: Path) -> None:
    shared = tmp_path / "shared.sqlite3"
    fake_b = FakeArxiv()
    async with instance(tmp_path, SQLiteStore(shared)) as a:
        made = await a.put("/api/profiles/ir", json={"categories": ["cs.IR"]}, headers=ADMIN)
        assert made.status_code == 200, made.text
    # another instance (or this one after a restart), whose strangers spent the day's budget
    async with instance(tmp_path, SQLiteStore(shared), fake_b, adhoc_fetch_budget=2) as b:
        spent = [await b.get(f"/rss/{c}") for c in STRANGERS[:3]]
        assert [r.status_code for r in spent] == [200, 200, 503]
        own = await b.get("/p/ir/rss")
        assert own.status_code == 200, own.text  # fetched as the owner's, budget or not
        overridden = await b.get("/p/ir/atom?keywords=retrieval")
        assert overridden.status_code == 200  # a stranger's override: the profile's categories
        health = (await b.get("/health")).json()
    assert "/rss/cs.IR" in fake_b.paths()
    assert health["adhoc_budget"] == {"limit": 2, "used_today": 2}  # cs.IR cost none of it


async def test_a_profile_deleted_is_no_longer_the_owners(tmp_path: Path) -> None:
    async with instance(tmp_path, MemoryStore(), adhoc_fetch_budget=0) as c:
        await c.put("/api/profiles/ir", json={"categories": ["cs.IR"]}, headers=ADMIN)
        assert (await c.delete("/api/profiles/ir", headers=ADMIN)).status_code == 204
        refused = await c.get("/rss/cs.IR")
    assert refused.status_code == 503
    assert refused.json()["error"]["code"] == "adhoc_budget_exhausted"


async def concurrent_strangers(tmp_path: Path, store: Store, budget: int) -> list[int]:
    """Status codes of 12 strangers' requests for 12 distinct new categories, all at once."""
    fake = FakeArxiv()
    async with instance(tmp_path, store, fake, adhoc_fetch_budget=budget) as c:
        responses = await asyncio.gather(*(c.get(f"/rss/{cat}") for cat in STRANGERS))
        used = (await c.get("/health")).json()["adhoc_budget"]["used_today"]
    fetched = {cat for p in fake.paths() for cat in p.rsplit("/", 1)[-1].split("+")}
    assert len(fetched) == budget  # arXiv was asked for no more categories than the budget
    assert used == budget
    return [r.status_code for r in responses]


async def test_concurrent_strangers_get_no_more_than_the_budget(
    tmp_path: Path, backend: Backend
) -> None:
    codes = await concurrent_strangers(tmp_path, backend.open(), budget=3)
    assert sorted(codes) == [200] * 3 + [503] * 9


async def test_many_at_once_for_one_new_category_are_all_served_by_one_fetch(
    tmp_path: Path, backend: Backend
) -> None:
    fake = FakeArxiv()
    async with instance(tmp_path, backend.open(), fake, adhoc_fetch_budget=1) as c:
        responses = await asyncio.gather(*(c.get("/rss/cs.CV") for _ in range(10)))
        used = (await c.get("/health")).json()["adhoc_budget"]["used_today"]
    assert [r.status_code for r in responses] == [200] * 10
    assert fake.paths() == ["/rss/cs.CV"]
    assert used == 1


async def test_one_request_names_only_so_many_strangers_categories(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARXIV_FEEDS_MAX_REQUEST_CATEGORIES", "10")
    fake = FakeArxiv()
    async with instance(tmp_path, MemoryStore(), fake) as c:
        eleven = await c.get(f"/rss/{'+'.join(STRANGERS[:11])}")
        api = await c.get(f"/api/papers?category={'+'.join(STRANGERS[:11])}")
        archive = await c.get("/atom/cs")
        ten = await c.get(f"/rss/{'+'.join(STRANGERS[:10])}")
        with_owners = await c.get(f"/rss/cs.AI+cs.CL+cs.DC+cs.LG+{'+'.join(STRANGERS[:10])}")
        small_archive = await c.get("/rss/astro-ph")  # six categories
        used = (await c.get("/health")).json()["adhoc_budget"]["used_today"]
    for refused in (eleven, api, archive):
        assert refused.status_code == 422, refused.text
        error = refused.json()["error"]
        assert "at most 10 categories" in error["message"]
    assert "11" in eleven.json()["error"]["message"]
    assert "cs counts as its 40 categories" in archive.json()["error"]["hint"]
    assert [ten.status_code, with_owners.status_code, small_archive.status_code] == [200] * 3
    assert used == 10 + 6  # an archive is charged as its categories too
    assert not any(p.endswith(("/rss/cs", "cs.MA", "cs.CY")) for p in fake.paths())

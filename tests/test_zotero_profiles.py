"""Profiles with a Zotero library, served: a first read syncs it and the feed is ranked by
its papers; the daily refresh asks again with ``If-Modified-Since-Version``; a wrong or unset
key keeps the last good copy, shows in ``GET /api/profiles`` and in the refresh's report, and
is never in a response or a log line."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.arxiv.parse import parse_listing
from app.models import AnnounceType
from app.profiles.registry import ProfileRegistry
from app.store import MemoryStore, Store
from tests.conftest import ALL4, listing, make_settings, open_client
from tests.test_zotero import ENV, KEY, LIB, SECRET, WRONG, papers, zotero
from tests.zotero_server import ZoteroServer, item

__all__ = ["zotero"]

pytestmark = pytest.mark.anyio
TOKEN = "owner-token-123"


def zotero_config(library: str = LIB, library_file: str | None = None) -> dict[str, Any]:
    """A profile ``reading`` ranked by its Zotero library (and a library file) alone."""
    source = {"library": library, "api_key_env": ENV}
    reading = {"keywords": [], "max_papers": 10, "zotero": source, "library": library_file}
    return {"profiles": {"reading": reading}}


async def app(
    tmp_path: Path, zotero: ZoteroServer, store: Store
) -> AsyncIterator[httpx.AsyncClient]:
    async for c in open_client(
        tmp_path, zotero_config(), store, zotero_api_url=zotero.url, cron_secret=SECRET
    ):
        yield c


async def test_a_profile_is_ranked_by_its_synced_library(
    tmp_path: Path, zotero: ZoteroServer
) -> None:
    day = parse_listing(listing(f"{ALL4}-2026-01-06"), ALL4.split("+"), datetime.now(UTC))
    new = [p for p in day.papers if p.announce_type is AnnounceType.NEW]
    mine = [
        item(f"M{n:07d}", p.title, abstract=p.abstract, added=n, item_type="preprint",
             archiveID=f"arXiv:{p.arxiv_id}")
        for n, p in enumerate(new[:3])
    ]  # fmt: skip
    zotero.add(LIB, *mine, item("NOTE0001", item_type="note"))
    async for c in app(tmp_path, zotero, MemoryStore()):
        listed = (await c.get("/api/profiles")).json()
        assert listed[0]["zotero"]["last_sync"] is None  # a listing syncs nothing
        assert zotero.seen == []
        feed = (await c.get("/p/reading/feed.json")).json()
        again = await c.get("/p/reading/rss")
        status = (await c.get("/api/profiles")).json()[0]
        shown = (await c.get("/api/config")).json()
    assert again.status_code == 200
    assert shown["zotero_api_url"] == "custom"  # a loopback address is not shown
    assert len(zotero.seen) == 1  # the first read synced; later ones use the copy
    titles = {p.title for p in new[:3]}
    items = feed["items"]
    assert items
    assert all(i["_arxiv"]["similarity"] is not None for i in items)
    ranked = [i["_arxiv"]["similar_to"][0]["title"] for i in items[:3]]
    assert set(ranked) == titles  # its own papers first, each closest to itself
    assert {i["title"] for i in items[:3]} == titles
    assert status["zotero"]["items"] == 3
    assert status["zotero"]["library"] == LIB
    assert status["zotero"]["version"] == zotero.libraries[LIB].version
    assert status["zotero"]["error"] is None
    assert status["library_entries"] == 3


async def test_a_wrong_key_keeps_the_last_copy_and_never_shows_the_key(
    tmp_path: Path,
    zotero: ZoteroServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    zotero.add(LIB, *papers(5))
    store = MemoryStore()
    auth = {"Authorization": f"Bearer {SECRET}"}
    bodies: list[str] = []
    async for c in app(tmp_path, zotero, store):
        bodies.append((await c.get("/p/reading/feed.json")).text)
        monkeypatch.setenv(ENV, WRONG)  # the key was revoked and replaced by a wrong one
        zotero.add(LIB, item("NEWPAPER", "Added after the key broke", added=999))
        refreshed = await c.post("/api/cron/refresh", headers=auth)
        bodies.append(refreshed.text)
        listed = await c.get("/api/profiles")
        bodies.append(listed.text)
        bodies.append((await c.get("/p/reading/feed.json")).text)
    assert refreshed.status_code == 200
    assert zotero.seen[-1].since is not None  # the refresh asked if anything changed
    status = listed.json()[0]["zotero"]
    assert status["items"] == 5  # the last good copy
    assert status["error"] is not None
    assert "'reading'" in status["error"]
    assert f"${ENV}" in status["error"]
    assert "403" in status["error"]
    assert refreshed.json()["zotero"]["reading"]["error"] == status["error"]
    for text in [*bodies, caplog.text]:
        assert KEY not in text
        assert WRONG not in text
    assert "zotero sync failed" in caplog.text


async def test_a_first_read_that_fails_serves_the_feed_and_waits_before_trying_again(
    tmp_path: Path, zotero: ZoteroServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV, WRONG)
    zotero.add(LIB, *papers(5))
    async for c in app(tmp_path, zotero, MemoryStore()):
        first = await c.get("/p/reading/rss")
        second = await c.get("/p/reading/rss")
        status = (await c.get("/api/profiles")).json()[0]["zotero"]
    assert (first.status_code, second.status_code) == (200, 200)
    assert len(zotero.seen) == 1  # strangers' reads do not hammer Zotero with a wrong key
    assert status["items"] == 0
    assert "403" in status["error"]


async def test_the_refresh_asks_with_the_version_and_an_unset_variable_is_named(
    tmp_path: Path, zotero: ZoteroServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    zotero.add(LIB, *papers(5))
    auth = {"Authorization": f"Bearer {SECRET}"}
    async for c in app(tmp_path, zotero, MemoryStore()):
        first = (await c.post("/api/cron/refresh", headers=auth)).json()
        second = (await c.post("/api/cron/refresh", headers=auth)).json()
        monkeypatch.delenv(ENV)
        third = (await c.post("/api/cron/refresh", headers=auth)).json()
    assert [s.since for s in zotero.seen] == [None, str(zotero.libraries[LIB].version)]
    assert first["zotero"]["reading"]["items"] == second["zotero"]["reading"]["items"] == 5
    assert second["zotero"]["reading"]["error"] is None
    assert f"${ENV}" in third["zotero"]["reading"]["error"]
    assert "not set" in third["zotero"]["reading"]["error"]
    assert third["zotero"]["reading"]["items"] == 5


async def test_an_unchanged_library_keeps_the_same_profile_and_merges_with_the_file(
    tmp_path: Path, zotero: ZoteroServer
) -> None:
    (tmp_path / "mine.txt").write_text("2401.12345\n", encoding="utf-8")
    twin = item("TWIN0001", "Also in the file", archiveID="arXiv:2401.12345", added=50)
    zotero.add(LIB, *papers(4), twin)
    config = zotero_config(library=LIB, library_file="mine.txt")
    registry = ProfileRegistry(
        make_settings(tmp_path, config, zotero_api_url=zotero.url), MemoryStore()
    )
    first = await registry.get("reading")
    assert len(first.library) == 5  # the file's id, then the 4 others (the twin counts once)
    assert first.library[0].arxiv_id == "2401.12345"
    assert first.library[0].title is None
    await registry.sync_zotero(time.monotonic() + 10)
    assert zotero.seen[-1].since is not None
    assert await registry.get("reading") is first  # a 304: its similarity scorer is kept
    zotero.add(LIB, item("NEWPAPER", "Added today", added=999))
    await registry.sync_zotero(time.monotonic() + 10)
    changed = await registry.get("reading")
    assert changed is not first
    assert [e.title for e in changed.library[:2]] == [None, "Added today"]


async def test_a_stored_profile_may_name_a_library_and_deleting_it_drops_the_copy(
    tmp_path: Path, zotero: ZoteroServer
) -> None:
    zotero.add(LIB, *papers(3))
    store = MemoryStore()
    admin = {"Authorization": f"Bearer {TOKEN}"}
    body = {"keywords": [], "zotero": {"library": LIB, "api_key_env": ENV}}
    async for c in open_client(tmp_path, {}, store, zotero_api_url=zotero.url, admin_token=TOKEN):
        made = await c.put("/api/profiles/mine", json=body, headers=admin)
        assert made.status_code == 200, made.text
        assert made.json()["zotero"]["last_sync"] is None
        assert (await c.get("/p/mine/feed.json")).status_code == 200
        status = (await c.get("/api/profiles")).json()[0]
        assert await store.get("zotero:mine") is not None
        assert (await c.delete("/api/profiles/mine", headers=admin)).status_code == 204
    assert status["zotero"]["items"] == 3
    assert status["library_entries"] == 3
    assert await store.get("zotero:mine") is None


async def test_a_zotero_profile_learns_from_its_readers_feedback(
    tmp_path: Path, zotero: ZoteroServer
) -> None:
    """Both reach the feed: the synced library ranks it, and a paper marked "less" through a
    signed link leaves it while the library's other papers stay."""
    from app.profiles.tokens import feedback_signature

    day = parse_listing(listing(f"{ALL4}-2026-01-06"), ALL4.split("+"), datetime.now(UTC))
    new = [p for p in day.papers if p.announce_type is AnnounceType.NEW]
    mine = [
        item(f"M{n:07d}", p.title, abstract=p.abstract, added=n, item_type="preprint",
             archiveID=f"arXiv:{p.arxiv_id}")
        for n, p in enumerate(new[:3])
    ]  # fmt: skip
    zotero.add(LIB, *mine)
    secret = "feedback-secret-for-tests"
    async for c in open_client(
        tmp_path, zotero_config(), MemoryStore(), zotero_api_url=zotero.url,
        feedback_secret=secret,
    ):  # fmt: skip
        before = [i["id"] for i in (await c.get("/p/reading/feed.json")).json()["items"][:3]]
        gone = next(p.arxiv_id for p in new[:3] if p.guid in before)
        sig = feedback_signature(secret.encode(), "reading", gone)
        done = await c.post(f"/p/reading/feedback/{gone}?choice=less&sig={sig}")
        after = [i["id"] for i in (await c.get("/p/reading/feed.json")).json()["items"]]
    assert done.status_code in (200, 303)
    assert not any(gone in i for i in after)  # marked "less": out of the feed
    kept = {p.guid for p in new[:3] if p.arxiv_id != gone}
    assert kept <= set(after[:3])  # the library still ranks its other papers first

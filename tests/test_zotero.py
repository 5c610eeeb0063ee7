"""Zotero libraries: read through Zotero's Web API v3 from a loopback stand-in that answers as
the documentation says (``tests/zotero_server.py``): every page, notes and attachments
skipped, arXiv ids from the URL, ``archiveID``, ``extra`` or the DOI; an unchanged library
costs one ``304``; a rate limit (429, ``Retry-After``, ``Backoff``) is waited out when short
and kept to when long, the last good copy staying. Served profiles: test_zotero_profiles.py."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from app.config import Settings
from app.errors import ConfigError, LibrarySyncError
from app.profiles.model import Profile, ZoteroSource
from app.profiles.synced import ZoteroLibraries
from app.profiles.zotero import ZoteroClient, item_entry
from app.store import MemoryStore, Store
from app.store.keys import durable, expiry_problem
from tests.conftest import make_settings
from tests.zotero_server import ZoteroServer, item

pytestmark = pytest.mark.anyio

LIB = "users/4242"
KEY = "zKey-Secret-4f9a1c77e0b2"
WRONG = "zKey-Revoked-99d0e1aa5b3c"
ENV = "ZOTERO_TEST_KEY"
SECRET = "cron-s3cret"
SOURCE = ZoteroSource(library=LIB, api_key_env=ENV)


@pytest.fixture
def zotero(monkeypatch: pytest.MonkeyPatch) -> Iterator[ZoteroServer]:
    monkeypatch.setenv(ENV, KEY)
    server = ZoteroServer()
    server.keys[KEY] = {LIB}
    with server:
        yield server


def libraries(tmp_path: Path, zotero: ZoteroServer, store: Store | None = None) -> ZoteroLibraries:
    settings = make_settings(tmp_path, zotero_api_url=zotero.url)
    return ZoteroLibraries(settings, store or MemoryStore())


def papers(count: int) -> list[dict[str, Any]]:
    return [item(f"P{n:07d}", f"Paper number {n}", added=n) for n in range(count)]


def test_arxiv_ids_come_from_the_url_archive_id_extra_or_doi() -> None:
    def entry(**fields: Any) -> Any:
        return item_entry({"data": item("KEY00001", **fields)})

    assert entry(title="T", url="https://arxiv.org/abs/2401.12345v2").arxiv_id == "2401.12345"
    assert entry(title="T", archiveID="arXiv:2401.12346").arxiv_id == "2401.12346"
    assert entry(title="T", extra="tex.x: y\narXiv: 2401.12347").arxiv_id == "2401.12347"
    assert entry(title="T", DOI="10.48550/arXiv.2401.12348").arxiv_id == "2401.12348"
    assert entry(title="T", extra="arXiv: hep-th/9901001").arxiv_id == "hep-th/9901001"
    book = entry(title="A  book", item_type="book", DOI="10.1000/xyz", date="March 2021")
    assert (book.title, book.arxiv_id, book.doi, book.year) == ("A book", None, "10.1000/xyz", 2021)
    assert entry(title="T", extra="DOI: 10.1000/abc").doi == "10.1000/abc"
    bare = entry(url="https://arxiv.org/abs/2401.12349")
    assert (bare.title, bare.arxiv_id) == (None, "2401.12349")  # looked up like a liked id
    added = entry(title="T", added=10).added
    assert added == datetime(2025, 1, 11, tzinfo=UTC)
    people = [{"creatorType": "author", "lastName": "Lovelace", "firstName": "Ada"},
              {"creatorType": "editor", "lastName": "Editor", "firstName": "E."},
              {"creatorType": "author", "name": "The Team"}]  # fmt: skip
    assert entry(title="T", creators=people).authors == ["Ada Lovelace", "The Team"]
    assert entry(item_type="note") is None
    assert entry(item_type="attachment") is None
    assert entry(title="") is None  # neither a title nor an id: nothing to compare


async def test_a_sync_reads_every_page_newest_first_without_notes(
    tmp_path: Path, zotero: ZoteroServer
) -> None:
    notes = [item(f"N{n:07d}", item_type="note", added=300 + n) for n in range(30)]
    files = [item(f"F{n:07d}", item_type="attachment", added=400 + n) for n in range(30)]
    zotero.add(LIB, *papers(250), *notes, *files)
    copy = await libraries(tmp_path, zotero).sync("reading", SOURCE, within=10)
    assert copy.error is None
    assert len(copy.entries) == 250
    assert [e.title for e in copy.entries[:2]] == ["Paper number 249", "Paper number 248"]
    assert copy.version == zotero.libraries[LIB].version
    assert [s.query.get("start") for s in zotero.seen] == [None, "100", "200"]
    assert all(s.keyed and s.query["itemType"] == "-attachment || note" for s in zotero.seen)
    assert copy.status().items == 250
    assert not copy.status().truncated


async def test_an_unchanged_library_costs_one_304_and_keeps_its_entries(
    tmp_path: Path, zotero: ZoteroServer
) -> None:
    zotero.add(LIB, *papers(120))
    store = MemoryStore()
    first = await libraries(tmp_path, zotero, store).sync("reading", SOURCE, within=10)
    assert len(zotero.seen) == 2
    # another instance, on the same store
    second = await libraries(tmp_path, zotero, store).sync("reading", SOURCE, within=10)
    assert len(zotero.seen) == 3
    assert zotero.seen[-1].since == str(first.version)
    assert second.entries == first.entries
    assert second.last_sync is not None
    assert first.last_sync is not None
    assert second.last_sync > first.last_sync
    zotero.add(LIB, item("NEWPAPER", "A paper added today", added=999))
    third = await libraries(tmp_path, zotero, store).sync("reading", SOURCE, within=10)
    assert len(third.entries) == 121
    assert third.entries[0].title == "A paper added today"
    assert third.version == first.version + 1


async def test_a_rate_limit_is_waited_out_when_short_and_kept_to_when_long(
    tmp_path: Path, zotero: ZoteroServer
) -> None:
    zotero.add(LIB, *papers(3))
    libs = libraries(tmp_path, zotero)
    zotero.queue.append((429, {"Retry-After": "1"}))
    began = time.monotonic()
    copy = await libs.sync("reading", SOURCE, within=10)
    assert time.monotonic() - began >= 1.0
    assert copy.error is None
    assert len(copy.entries) == 3
    assert len(zotero.seen) == 2  # the 429, then the page
    zotero.add(LIB, item("NEWPAPER", "Another", added=999))
    zotero.queue.append((429, {"Retry-After": "600"}))
    limited = await libs.sync("reading", SOURCE, within=10)
    assert limited.error is not None
    assert "asked to wait 600 s" in limited.error
    assert len(limited.entries) == 3  # the last good copy
    asked = len(zotero.seen)
    again = await libs.sync("reading", SOURCE, within=10)
    assert len(zotero.seen) == asked  # not before the wait is over
    assert again.entries == limited.entries


async def test_backoff_on_a_success_delays_the_next_page(
    tmp_path: Path, zotero: ZoteroServer
) -> None:
    zotero.add(LIB, *papers(150))
    zotero.backoff = "1"
    began = time.monotonic()
    copy = await libraries(tmp_path, zotero).sync("reading", SOURCE, within=10)
    assert time.monotonic() - began >= 1.0
    assert len(copy.entries) == 150


async def test_collections_are_read_instead_of_the_library(
    tmp_path: Path, zotero: ZoteroServer
) -> None:
    zotero.add(LIB, *papers(10))
    zotero.libraries[LIB].collections["ABCD2345"] = ["P0000001", "P0000004"]
    source = ZoteroSource(library=LIB, api_key_env=ENV, collections=["ABCD2345"])
    copy = await libraries(tmp_path, zotero).sync("reading", source, within=10)
    assert sorted(e.title or "" for e in copy.entries) == ["Paper number 1", "Paper number 4"]
    assert zotero.seen[0].path == f"/{LIB}/collections/ABCD2345/items"


async def test_a_next_page_on_another_host_is_refused() -> None:
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url.host))
        link = '<https://elsewhere.example/users/4242/items?start=100>; rel="next"'
        page = [{"key": "K1", "data": item("K1", "A title")}]
        return httpx.Response(200, json=page, headers={"Link": link})

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        client = ZoteroClient(http, "https://api.zotero.test")
        with pytest.raises(LibrarySyncError, match="another host"):
            await client.read(SOURCE, KEY, since=None, where="profile 'x'")
    assert asked == ["api.zotero.test"]


def test_a_zotero_source_is_checked(tmp_path: Path) -> None:
    for bad in (
        {"library": "users/abc"},
        {"library": "people/12"},
        {"library": LIB, "api_key_env": "NOT-A-NAME"},
        {"library": LIB, "collections": ["lowercase"]},
    ):
        with pytest.raises(ValidationError, match="zotero"):
            Profile.model_validate({"zotero": bad})
    good = Profile.model_validate({"zotero": {"library": "groups/77", "collections": ["ABCD2345"]}})
    assert good.zotero is not None
    assert good.zotero.api_key_env is None
    with pytest.raises(ConfigError, match="zotero_api_url"):
        make_settings(tmp_path, zotero_api_url="ftp://api.zotero.org")
    assert Settings.model_fields["zotero_api_url"].default == "https://api.zotero.org"
    config = {"profiles": {"reading": {"zotero": {"library": "users/0x1"}}}}
    (tmp_path / "c.json").write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"zotero\.library"):
        make_settings(tmp_path, config)


def test_the_synced_copies_are_durable() -> None:
    assert durable("zotero:reading")
    assert expiry_problem("zotero:reading", expires=False) is None
    assert expiry_problem("zotero:reading", expires=True) is not None


async def test_a_library_over_the_cap_keeps_its_newest_papers(zotero: ZoteroServer) -> None:
    zotero.add(LIB, *papers(250))
    async with httpx.AsyncClient() as http:
        client = ZoteroClient(http, zotero.url, max_entries=150)
        read = await client.read(SOURCE, KEY, since=None, where="profile 'x'")
    assert read is not None
    assert read.truncated
    assert len(read.entries) == 150
    assert read.entries[-1].title == "Paper number 100"
    assert len(zotero.seen) == 2  # no page beyond the cap is asked for

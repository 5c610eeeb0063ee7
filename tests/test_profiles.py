"""Profiles: personal feeds from config.json and from the API, sharing one catalog and cache."""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path
from typing import Any

import feedparser
import httpx
import pytest

from app.config import load_settings
from app.errors import ConfigError
from app.main import create_app
from app.store import MemoryStore, Store
from tests.conftest import ALL4, FakeArxiv, ai_config, make_settings
from tests.openai_stub import OpenAIStub

pytestmark = pytest.mark.anyio
LIBRARY = Path(__file__).parent / "data" / "library"
TOKEN = "owner-token-123"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}


def config(tmp_path: Path, **extra: Any) -> dict[str, Any]:
    shutil.copy(LIBRARY / "zotero.bib", tmp_path / "mine.bib")
    profiles = {
        "ml": {"title": "My ML feed", "categories": ["cs.LG"], "keywords": ["Learning"]},
        "systems": {"categories": ["cs.DC"], "keywords": [], "library": "mine.bib"},
    }
    return {"profiles": profiles} | extra


async def app_client(
    tmp_path: Path, cfg: dict[str, Any], store: Store | None = None, **settings: Any
) -> tuple[httpx.AsyncClient, Any, FakeArxiv]:
    fake = FakeArxiv()
    app = create_app(
        make_settings(tmp_path, cfg, **settings),
        transport=httpx.MockTransport(fake),
        store=store or MemoryStore(),
    )
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
    return client, app, fake


async def test_profile_feeds_read_like_feeds_and_share_the_catalog(tmp_path: Path) -> None:
    client, app, fake = await app_client(tmp_path, config(tmp_path))
    async with client as c:
        assert (await c.get("/rss")).status_code == 200
        rss = await c.get("/p/ml/rss")
        atom = await c.get("/p/ml/atom")
        feed_json = await c.get("/p/ml/feed.json")
        digest = await c.get("/p/ml/digest.md")
        page = await c.get("/p/ml/")
        listed = (await c.get("/api/profiles")).json()
        opml = await c.get("/feeds.opml")
        home = await c.get("/")
    await app.state.runtime.aclose()
    assert [r.status_code for r in (rss, atom, feed_json, digest, page)] == [200] * 5
    parsed = feedparser.parse(rss.content)
    assert parsed.bozo == 0
    assert parsed.feed.title.startswith("My ML feed")
    assert parsed.entries
    for entry in parsed.entries:
        assert "cs.LG" in [t.term for t in entry.tags]
        text = (entry.title + entry.summary).lower()
        assert "learning" in text
    assert feedparser.parse(atom.content).entries
    assert "My ML feed" in digest.text
    assert "/p/ml/rss" in digest.text
    assert "My ML feed" in page.text
    assert "/p/ml/atom" in page.text
    assert fake.paths() == [f"/rss/{ALL4}"]  # both profiles' categories came from one fetch
    by_name = {p["name"]: p for p in listed}
    assert set(by_name) == {"ml", "systems"}
    assert by_name["ml"]["feeds"]["rss"] == "http://t/p/ml/rss"
    assert by_name["systems"]["library_entries"] > 0
    assert by_name["systems"]["title"] == "arXiv papers: systems"  # inherits the title
    assert b"http://t/p/ml/rss" in opml.content
    assert b'htmlUrl="http://t/p/ml/"' in opml.content
    assert 'href="/p/ml/"' in home.text


async def test_a_profiles_digest_names_the_profiles_feeds(tmp_path: Path) -> None:
    client, app, _ = await app_client(tmp_path, config(tmp_path))
    async with client as c:
        digest = (await c.get("/p/ml/digest.md")).text
    await app.state.runtime.aclose()
    feeds = (
        "[RSS](http://t/p/ml/rss), [Atom](http://t/p/ml/atom), [JSON Feed](http://t/p/ml/feed.json)"
    )
    assert f"- These papers: {feeds}\n" in digest


async def test_an_unknown_profile_is_a_404_naming_close_ones(tmp_path: Path) -> None:
    client, app, _ = await app_client(tmp_path, config(tmp_path))
    async with client as c:
        missing = await c.get("/p/mll/rss")
        page = await c.get("/p/nothing-like-it/")
        too_long = await c.get("/p/" + "x" * 300 + "/atom")
    await app.state.runtime.aclose()
    assert missing.status_code == page.status_code == too_long.status_code == 404
    assert missing.json()["error"]["code"] == "unknown_profile"
    assert "did you mean ml" in missing.json()["error"]["hint"]


def test_bad_profiles_stop_start_up_with_a_clear_message(tmp_path: Path) -> None:
    (tmp_path / "broken.bib").write_text((LIBRARY / "malformed.bib").read_text(), "utf-8")
    bad = [
        ({"Bad Name": {}}, "profile name"),
        ({"ok": {"categories": ["cs.XY"]}}, "cs.XY"),
        ({"ok": {"like": ["not-an-id"]}}, "not-an-id"),
        ({"ok": {"colour": "blue"}}, "colour"),
    ]
    for profiles, needle in bad:
        (tmp_path / "config.json").write_text(__import__("json").dumps({"profiles": profiles}))
        with pytest.raises(ConfigError, match=needle):
            load_settings(config_file=tmp_path / "config.json")
    app = create_app(
        make_settings(tmp_path, {"profiles": {"x": {"library": "broken.bib"}}}),
        transport=httpx.MockTransport(FakeArxiv()),
        store=MemoryStore(),
    )
    with pytest.raises(ConfigError, match=r"broken\.bib"):
        app.state.runtime._build()


async def test_put_and_delete_profiles_through_the_api(tmp_path: Path) -> None:
    store = MemoryStore()
    client, app, _ = await app_client(tmp_path, config(tmp_path), store, admin_token=TOKEN)
    profile = {"categories": ["cs.CL"], "keywords": ["LLM"], "authors": ["Yann LeCun"]}
    async with client as c:
        assert (await c.put("/api/profiles/mine", json=profile)).status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert (await c.put("/api/profiles/mine", json=profile, headers=wrong)).status_code == 401
        made = await c.put("/api/profiles/mine", json=profile, headers=ADMIN)
        assert made.status_code == 200, made.text
        assert made.json()["source"] == "store"
        assert (await c.get("/p/mine/rss")).status_code == 200
        bib = (LIBRARY / "zotero.bib").read_bytes()
        lib = await c.put(
            "/api/profiles/mine",
            content=bib,
            headers=ADMIN | {"Content-Type": "application/x-bibtex"},
        )
        assert lib.status_code == 200
        assert lib.json()["library_entries"] > 0
        assert lib.json()["keywords"] == ["LLM"]  # the profile is kept, its library replaced
        broken = await c.put(
            "/api/profiles/mine",
            content=(LIBRARY / "malformed.bib").read_bytes(),
            headers=ADMIN | {"Content-Type": "application/x-bibtex"},
        )
        assert broken.status_code == 422
        assert broken.json()["error"]["code"] == "invalid_library"
        path = await c.put("/api/profiles/mine", json={"library": "x.bib"}, headers=ADMIN)
        assert path.status_code == 422
        bad_name = await c.put("/api/profiles/Not_OK", json=profile, headers=ADMIN)
        assert bad_name.status_code == 422
        bad_field = await c.put("/api/profiles/mine", json={"max_papers": 0}, headers=ADMIN)
        assert bad_field.status_code == 422
        assert "max_papers" in bad_field.json()["error"]["message"]
        big = await c.put("/api/profiles/mine", content=b"x" * (7 * 1024 * 1024), headers=ADMIN)
        assert big.status_code == 413
        config_only = await c.delete("/api/profiles/ml", headers=ADMIN)
        assert config_only.status_code == 409
    await app.state.runtime.aclose()

    again, app2, _ = await app_client(tmp_path, config(tmp_path), store, admin_token=TOKEN)
    async with again as c:  # another instance, the same store
        names = {p["name"] for p in (await c.get("/api/profiles")).json()}
        assert names == {"ml", "systems", "mine"}
        assert (await c.delete("/api/profiles/mine", headers=ADMIN)).status_code == 204
        assert (await c.get("/p/mine/rss")).status_code == 404
        assert (await c.delete("/api/profiles/mine", headers=ADMIN)).status_code == 404
    await app2.state.runtime.aclose()


def bibtex(entries: int) -> bytes:
    return "".join(
        f"@article{{k{n},\n  title = {{Paper {n} on sparse attention}},\n  year = {{2024}},\n}}\n"
        for n in range(entries)
    ).encode()


async def test_an_oversize_library_is_refused_at_once_and_parsing_leaves_the_loop_free(
    tmp_path: Path,
) -> None:
    client, app, _ = await app_client(tmp_path, {}, admin_token=TOKEN)
    headers = ADMIN | {"Content-Type": "application/x-bibtex"}
    body = bibtex(20_000)
    async with client as c:
        start = time.perf_counter()
        huge = await c.put("/api/profiles/huge", content=body, headers=headers)
        took = time.perf_counter() - start
        assert huge.status_code in (413, 422)
        assert "at most 5,000" in huge.json()["error"]["message"]
        assert took < 1.0  # parsing it all took minutes
        putting = asyncio.create_task(
            c.put("/api/profiles/fine", content=bibtex(400), headers=headers)
        )
        await asyncio.sleep(0.05)
        assert (await c.get("/health")).status_code == 200
        assert not putting.done()  # answered while the library was being parsed
        made = await putting
        assert made.status_code == 200, made.text
        assert made.json()["library_entries"] == 400
    await app.state.runtime.aclose()


async def test_profile_changes_are_off_without_an_admin_token(tmp_path: Path) -> None:
    client, app, _ = await app_client(tmp_path, config(tmp_path))
    async with client as c:
        off = await c.put("/api/profiles/mine", json={}, headers=ADMIN)
    await app.state.runtime.aclose()
    assert off.status_code == 403
    assert "ADMIN_TOKEN" in off.json()["error"]["message"]


async def test_only_the_profile_as_defined_spends_llm_money(
    tmp_path: Path, stub: OpenAIStub
) -> None:
    cfg = config(tmp_path, **ai_config(stub, max_papers_to_summarize=2))
    cfg["profiles"]["ml"]["ai_summary"] = {"max_papers_to_summarize": 3}
    cfg["profiles"]["quiet"] = {"categories": ["cs.AI"], "ai_summary": {"enabled": False}}
    client, app, _ = await app_client(tmp_path, cfg)
    async with client as c:
        for path in ("/p/ml/rss?keywords=LLM", "/p/ml/atom?limit=2", "/p/quiet/rss"):
            assert (await c.get(path)).status_code == 200
        assert stub.chat_calls() == []  # overrides and a profile with summaries off
        assert (await c.get("/p/ml/rss")).status_code == 200
        assert len(stub.chat_calls()) == 3  # its own top 3
        assert (await c.get("/p/ml/feed.json?limit=1")).status_code == 200
        assert len(stub.chat_calls()) == 3
    await app.state.runtime.aclose()


async def test_a_profiles_own_daily_cap_bounds_the_summaries_it_causes(
    tmp_path: Path, stub: OpenAIStub
) -> None:
    store = MemoryStore()
    cfg = config(tmp_path, **ai_config(stub, max_papers_to_summarize=5))
    cfg["profiles"]["ml"]["ai_summary"] = {"daily_call_cap": 2}
    client, app, _ = await app_client(tmp_path, cfg, store)
    async with client as c:
        assert (await c.get("/p/ml/rss")).status_code == 200
        assert len(stub.chat_calls()) == 2  # its cap, though 5 are due
    await app.state.runtime.aclose()
    again, app2, _ = await app_client(tmp_path, cfg, store)  # a restart: the count is stored
    async with again as c:
        assert (await c.get("/p/ml/rss")).status_code == 200
        assert len(stub.chat_calls()) == 2  # spent for today
        assert (await c.get("/rss")).status_code == 200  # the configured feed has no such cap
        assert len(stub.chat_calls()) > 2
    await app2.state.runtime.aclose()

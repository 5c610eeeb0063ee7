"""The JSON API over ASGI: /api/papers, /api/papers/{id}, /api/config, /health and /feed.json."""

from __future__ import annotations

import asyncio
import logging
import math
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import httpx
import pytest

from app.arxiv.parse import parse_listing
from app.catalog.history import History
from app.config import Settings
from app.config_view import AISummaryOut, ConfigOut, provider
from app.main import create_app
from app.routes import api
from app.store import MemoryStore, Store
from app.summaries.settings import AISummary
from tests.conftest import ALL4, FakeArxiv, ai_config, listing, make_settings
from tests.openai_stub import SUMMARY_HEADINGS, OpenAIStub

pytestmark = pytest.mark.anyio
CATS = ["cs.AI", "cs.CL", "cs.DC", "cs.LG"]
EVERYTHING = {"types": "all", "keywords": ""}  # every paper of the listing


def guids(rss: bytes) -> list[str]:
    return [i.findtext("guid", "") for i in ET.fromstring(rss).findall("./channel/item")]


async def app_client(
    tmp_path: Path,
    config: dict[str, Any] | None = None,
    *,
    store: Store | None = None,
    fake: FakeArxiv | None = None,
    **settings: Any,
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        make_settings(tmp_path, config, **settings),
        transport=httpx.MockTransport(fake or FakeArxiv()),
        store=store or MemoryStore(),
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://feeds.test"
    ) as c:
        yield c
    await app.state.runtime.aclose()


# -- /api/papers --------------------------------------------------------------------------------


async def test_papers_are_the_configured_feed_as_json(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/papers", params={"limit": 500})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    page = r.json()
    rss = await client.get("/rss", params={"limit": 500})
    assert [p["guid"] for p in page["items"]] == guids(rss.content)
    assert page["total"] == len(page["items"]) > 5
    assert page["next"] is None
    assert page["categories"] == CATS
    assert page["listing_day"] == "2026-01-06"
    assert [p["rank"] for p in page["items"]] == list(range(1, page["total"] + 1))
    first = page["items"][0]
    assert first["arxiv_id"] == "2601.01209"
    assert first["version"] == 1
    assert first["versioned_id"] == "2601.01209v1"
    assert first["title"].startswith("OrchestrRL")
    assert first["authors"][:2] == ["Xin Tan", "Yicheng Feng"]
    assert first["categories"] == ["cs.DC"]
    assert first["primary_category"] == "cs.DC"
    assert first["announce_type"] == "new"
    assert first["announced"] == "2026-01-06"
    assert first["published"] == "2026-01-06T00:00:00-05:00"
    assert first["link"] == "https://arxiv.org/abs/2601.01209"
    assert first["pdf_link"] == "https://arxiv.org/pdf/2601.01209v1"
    assert first["abstract"].startswith("Post-training with reinforcement learning")
    assert first["matched"][:2] == ["RL", "Training"]
    assert set(first["title_matched"]) <= set(first["matched"])
    assert first["score"] == first["keyword_score"] == 7.0
    assert first["relevance"] is None
    assert first["summary"] is None
    assert {"license", "doi", "journal_ref"} <= set(first)
    default = (await client.get("/api/papers")).json()  # default page size: max_papers
    assert default["limit"] == 30
    assert default["items"] == page["items"][:30]


async def test_pages_cover_every_paper_once(
    client: httpx.AsyncClient, fake_arxiv: FakeArxiv
) -> None:
    whole = (await client.get("/api/papers", params=EVERYTHING | {"limit": 500})).json()
    total = whole["total"]
    assert total == len(whole["items"]) > 40
    seen: list[str] = []
    url: str | None = "/api/papers?types=all&keywords=&limit=7"
    pages = 0
    while url is not None:
        page = (await client.get(url)).json()
        assert page["total"] == total
        assert page["offset"] == len(seen)
        assert [p["rank"] for p in page["items"]] == list(range(len(seen) + 1, len(seen) + 8))[
            : len(page["items"])
        ]
        seen += [p["versioned_id"] for p in page["items"]]
        pages += 1
        url = page["next"]
        if url is not None:
            assert url.startswith("http://feeds.test/api/papers?")
            assert "keywords=&" in url or url.endswith("keywords=")  # filters carried along
    assert pages == math.ceil(total / 7)
    assert len(seen) == len(set(seen)) == total
    assert seen == [p["versioned_id"] for p in whole["items"]]
    assert len(fake_arxiv.requests) == 1
    beyond = (await client.get("/api/papers", params={"offset": total + 5})).json()
    assert beyond["items"] == []
    assert beyond["next"] is None


async def test_filters_match_the_feeds(client: httpx.AsyncClient) -> None:
    params = {"keywords": "GPU, cluster", "limit": 500}
    rss = await client.get("/rss/cs.DC", params=params)
    page = (await client.get("/api/papers", params=params | {"category": "cs.DC"})).json()
    assert [p["guid"] for p in page["items"]] == guids(rss.content)
    assert page["items"]
    assert page["categories"] == ["cs.DC"]
    plus = await client.get(f"/api/papers?category={ALL4}&types=replace&min_score=2")
    comma = await client.get(
        f"/api/papers?category={ALL4.replace('+', ',')}&types=replace&min_score=2"
    )
    assert plus.json() == comma.json()
    assert plus.json()["categories"] == CATS
    assert plus.json()["items"]
    assert all(p["announce_type"] == "replace" for p in plus.json()["items"])
    assert all(p["score"] >= 2 for p in plus.json()["items"])
    excluded = await client.get("/api/papers", params={"keywords": "RL", "exclude": "RL"})
    assert excluded.json()["total"] == 0


async def test_day_filter(tmp_path: Path) -> None:
    store = MemoryStore()
    older = parse_listing(listing(f"{ALL4}-2025-12-16"), CATS, datetime.now(UTC))
    await History(store).keep(older)  # a day kept from before
    async for c in app_client(tmp_path, {"days_back": 2}, store=store):
        both = (await c.get("/api/papers", params=EVERYTHING | {"limit": 500})).json()
        days = {p["announced"] for p in both["items"]}
        assert days == {"2025-12-16", "2026-01-06"}
        totals = 0
        for day in sorted(days):
            page = (await c.get("/api/papers", params=EVERYTHING | {"day": day})).json()
            assert page["day"] == day
            assert page["items"]
            assert {p["announced"] for p in page["items"]} == {day}
            assert [p["rank"] for p in page["items"]] == list(range(1, len(page["items"]) + 1))
            kept = [p["guid"] for p in both["items"] if p["announced"] == day]
            assert [p["guid"] for p in page["items"]] == kept[: page["limit"]]
            totals += page["total"]
        assert totals == both["total"]
        none = (await c.get("/api/papers", params={"day": "2026-01-05"})).json()
        assert none["total"] == 0
        assert none["items"] == []


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("day=2026-13-01", 422, "invalid_query"),
        ("day=2026-02-30", 422, "invalid_query"),
        ("day=2026-1-6", 422, "invalid_query"),
        ("day=yesterday", 422, "invalid_query"),
        ("offset=-1", 422, "invalid_query"),
        ("offset=x", 422, "invalid_query"),
        ("limit=0", 422, "invalid_query"),
        ("limit=100000", 422, "invalid_query"),
        ("types=old", 422, "invalid_query"),
        ("category=", 422, "invalid_query"),
        ("category=cs..AI", 422, "invalid_query"),
        ("category=cs.XX", 404, "unknown_category"),
    ],
)
async def test_bad_papers_queries_are_json_errors(
    client: httpx.AsyncClient, fake_arxiv: FakeArxiv, query: str, status: int, code: str
) -> None:
    r = await client.get(f"/api/papers?{query}")
    assert r.status_code == status
    assert r.headers["content-type"] == "application/json"
    error = r.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert fake_arxiv.requests == []  # rejected before anything reached arXiv


async def test_papers_have_validators_and_answer_304(client: httpx.AsyncClient) -> None:
    first = await client.get("/api/papers", params={"limit": 5})
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert "s-maxage=" in first.headers["cache-control"]
    again = await client.get("/api/papers", params={"limit": 5}, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    since = await client.get(
        "/api/papers", params={"limit": 5}, headers={"If-Modified-Since": modified}
    )
    assert since.status_code == 304
    other = await client.get("/api/papers", params={"limit": 5, "offset": 5})
    assert other.headers["etag"] != etag
    changed = await client.get(
        "/api/papers", params={"limit": 5, "offset": 5}, headers={"If-None-Match": etag}
    )
    assert changed.status_code == 200


# -- /api/papers/{arxiv_id} ---------------------------------------------------------------------


async def test_paper_by_id_with_or_without_version(client: httpx.AsyncClient) -> None:
    plain = await client.get("/api/papers/2601.01209")
    versioned = await client.get("/api/papers/2601.01209v1")
    prefixed = await client.get("/api/papers/arXiv:2601.01209v1")
    assert plain.status_code == versioned.status_code == prefixed.status_code == 200
    assert plain.json() == versioned.json() == prefixed.json()
    paper = plain.json()
    assert paper["versioned_id"] == "2601.01209v1"
    assert paper["matches_filters"] is True
    breakdown = paper["breakdown"]
    assert breakdown["keyword_weight"] == 1.0
    assert breakdown["title_bonus"] == 0.5
    assert breakdown["relevance_weight"] == 0.0  # no LLM configured
    assert [k["keyword"] for k in breakdown["keywords"]] == paper["matched"]
    for k in breakdown["keywords"]:
        assert k["in_title"] == (k["keyword"] in paper["title_matched"])
        assert k["points"] == (1.5 if k["in_title"] else 1.0)
    assert {"RL", "Network"} == {k["keyword"] for k in breakdown["keywords"] if k["in_title"]}
    assert sum(k["points"] for k in breakdown["keywords"]) == breakdown["keyword_score"]
    assert breakdown["total"] == paper["score"] == 7.0
    assert breakdown["contributions"] == {"keywords": 7.0}  # no LLM: no relevance points
    assert "rank" not in paper
    assert plain.headers["etag"]
    cached = await client.get(
        "/api/papers/2601.01209", headers={"If-None-Match": plain.headers["etag"]}
    )
    assert cached.status_code == 304


async def test_paper_outside_the_keywords_is_shown_unscored(client: httpx.AsyncClient) -> None:
    everything = (await client.get("/api/papers", params=EVERYTHING | {"limit": 500})).json()
    matching = (await client.get("/api/papers", params={"types": "all", "limit": 500})).json()
    kept = {p["arxiv_id"] for p in matching["items"]}
    outside = [p for p in everything["items"] if p["arxiv_id"] not in kept]
    assert outside
    paper = (await client.get(f"/api/papers/{outside[0]['arxiv_id']}")).json()
    assert paper["matches_filters"] is False
    assert paper["matched"] == []
    assert paper["score"] == paper["breakdown"]["total"] == 0
    inside = (await client.get(f"/api/papers/{matching['items'][-1]['versioned_id']}")).json()
    assert inside["matches_filters"] is True  # other announce types are found too


@pytest.mark.parametrize(
    ("arxiv_id", "status", "hint"),
    [
        ("2601.99999", 404, "/api/papers?types=all&keywords="),
        ("2601.01209v2", 404, "the listing has 2601.01209v1"),
        ("abc", 422, "2601.01209v1"),
        ("2601.01209v0", 422, "2601.01209v1"),
        ("2601.01209v", 422, "2601.01209v1"),
        ("12345", 422, "2601.01209v1"),
        ("<script>", 422, "2601.01209v1"),
    ],
)
async def test_paper_errors(
    client: httpx.AsyncClient, arxiv_id: str, status: int, hint: str
) -> None:
    r = await client.get(f"/api/papers/{arxiv_id}")
    assert r.status_code == status
    error = r.json()["error"]
    assert error["code"] == ("not_found" if status == 404 else "invalid_query")
    assert hint in error["hint"]
    assert "<script>" not in r.text.replace("'<script>'", "")


# -- /api/config --------------------------------------------------------------------------------


async def test_config_never_shows_a_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = ["sk-fake-key-4f1e", "redis-pw-8c2d", "store-pw-1a9b", "query-pw-77e0"]
    secrets += ["cron-secret-52aa", "base-pw-3d3d", "pub-token-9e9e"]
    internal = ["10.1.2.3", "8001", "kv.example", "host:6379", "llm.example", "secret-dir"]
    internal += ["db.sqlite3", "me@example.org", "mirror-internal"]
    monkeypatch.setenv("ARXIV_TEST_LLM_KEY", secrets[0])
    config = {
        "ai_summary": {
            "api_key_env": "ARXIV_TEST_LLM_KEY",
            "base_url": f"https://bot:{secrets[5]}@llm.example:8001/v1",
        }
    }
    async for c in app_client(
        tmp_path,
        config,
        redis_url=f"redis://user:{secrets[1]}@host:6379/0",
        store_url=f"rediss://:{secrets[2]}@kv.example:6380/0?password={secrets[3]}",
        cron_secret=secrets[4],
        sqlite_path=tmp_path / "secret-dir" / "db.sqlite3",
        contact="me@example.org",
        arxiv_rss_url="http://127.0.0.1:9/mirror-internal/rss",
        public_url=f"https://feeds.example.org/?token={secrets[6]}",
    ):
        r = await c.get("/api/config")
    assert r.status_code == 200
    for hidden in secrets + internal + [str(tmp_path)]:
        assert hidden not in r.text
    body = r.json()
    assert body["redis_url"] is True
    assert body["store_url"] is True
    assert body["sqlite_path"] is True
    assert body["contact"] is True
    assert body["arxiv_rss_url"] == "custom"
    assert body["public_url"] == "https://feeds.example.org/?token=***"
    assert body["ai_summary"]["base_url"] is True
    assert body["ai_summary"]["provider"] == "custom"
    assert body["ai_summary"]["api_key_env"] == "ARXIV_TEST_LLM_KEY"
    assert body["ai_summary"]["api_key_set"] is True
    assert body["cron_secret_set"] is True
    assert "cron_secret" not in body
    assert body["categories"] == CATS
    assert body["store"] == "memory"


async def test_config_without_secrets(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    body = (await client.get("/api/config")).json()
    assert body["ai_summary"]["api_key_set"] is False
    assert body["ai_summary"]["api_key_env"] == "OPENAI_API_KEY"
    assert body["ai_summary"]["provider"] == "openai"
    assert body["ai_summary"]["base_url"] is False
    assert body["cron_secret_set"] is False
    assert body["redis_url"] is False
    assert body["contact"] is False


def test_known_providers_are_named() -> None:
    assert provider("https://dashscope.aliyuncs.com/compatible-mode/v1") == "dashscope"
    assert provider("https://api.deepseek.com") == "deepseek"
    assert provider("http://localhost:11434/v1") == "custom"


def test_every_setting_is_decided_for_the_config_endpoint() -> None:
    """A new setting must be added to ConfigOut (or kept out on purpose, like a secret)."""
    secret = {"cron_secret", "admin_token", "feedback_secret"}
    assert set(Settings.model_fields) - secret <= set(ConfigOut.model_fields)
    assert set(AISummary.model_fields) <= set(AISummaryOut.model_fields)


# -- /health ------------------------------------------------------------------------------------


class UnreachableStore(MemoryStore):
    async def ping(self) -> bool:
        raise ConnectionError("connection refused")


class HangingStore(MemoryStore):
    async def ping(self) -> bool:
        await asyncio.sleep(10)
        return True


async def test_health_reports_the_last_refresh(tmp_path: Path) -> None:
    fake = FakeArxiv()
    app = create_app(
        make_settings(tmp_path), transport=httpx.MockTransport(fake), store=MemoryStore()
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        before = (await c.get("/health")).json()
        assert before["store_reachable"] is True
        assert before["upstream"] == "unknown"
        assert before["last_refresh"] is None
        await c.get("/rss")
        after = (await c.get("/health")).json()
        assert after["upstream"] == "ok"
        assert after["serving"] == "arxiv"
        assert after["note"] is None
        refresh = after["last_refresh"]
        assert refresh["day"] == "2026-01-06"
        assert refresh["categories"] == CATS
        assert refresh["stale"] is False
        fetched = datetime.fromisoformat(refresh["fetched_at"])
        assert abs(datetime.now(UTC) - fetched) < timedelta(minutes=1)
        assert datetime.fromisoformat(refresh["next_check"]) > fetched
        assert len(fake.requests) == 1  # /health never goes upstream
        services = await app.state.runtime.services()
        services.listings.clock = lambda: datetime.now(UTC) + timedelta(days=1)  # arXiv is due
        fake.serve(ALL4, status=503)
        assert (await c.get("/rss")).headers["x-arxiv-feeds-stale"] == "1"
        stale = (await c.get("/health")).json()
        assert stale["upstream"] == "stale"
        assert stale["serving"] == "stale copy"
        assert stale["note"].startswith("arXiv failed: the feeds serve the copy fetched 20")
        assert stale["last_refresh"]["stale"] is True
        assert stale["upstream_fetches"] == 2
    await app.state.runtime.aclose()


async def test_health_when_the_store_is_down(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async for c in app_client(tmp_path, store=UnreachableStore()):
        r = await c.get("/health")
        assert r.status_code == 200
        assert r.json()["store_reachable"] is False
    monkeypatch.setattr(api, "STORE_PING_TIMEOUT", 0.05)
    async for c in app_client(tmp_path, store=HangingStore()):
        assert (await c.get("/health")).json()["store_reachable"] is False


async def test_health_in_auto_mode_on_samples_says_so(tmp_path: Path) -> None:
    def offline(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Name or service not known", request=request)

    app = create_app(
        make_settings(tmp_path, arxiv_source="auto"),
        transport=httpx.MockTransport(offline),
        store=MemoryStore(),
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        await c.get("/rss")
        body = (await c.get("/health")).json()
    await app.state.runtime.aclose()
    assert body["upstream"] == "unreachable"
    assert body["serving"] == "sample"
    assert body["note"].startswith("arXiv could not be reached: the feeds serve the bundled sample")
    assert body["last_refresh"]["sample"] is True
    assert body["last_refresh"]["stale"] is False
    assert body["last_refresh"]["fetched_at"] == "2026-01-06T05:00:02Z"  # when it was built


async def test_sample_mode_says_so_once_in_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def offline(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Name or service not known", request=request)

    app = create_app(
        make_settings(tmp_path, arxiv_source="auto"),
        transport=httpx.MockTransport(offline),
        store=MemoryStore(),
    )
    caplog.set_level(logging.INFO)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        assert (await c.get("/rss")).status_code == 200
        other = await c.get("/rss/stat.ML")  # a second request upstream, answered by the sample
        assert other.json()["error"]["code"] == "not_in_sample"
        r = await c.get("/health")
    await app.state.runtime.aclose()
    assert r.json()["upstream"] == "unreachable"
    said = [m for m in caplog.messages if "bundled sample" in m]
    warnings = [m for m in said if m.startswith("arXiv cannot be reached")]
    assert len(warnings) == 1, said
    assert "abstracts cut to about 300 characters" in warnings[0]
    requests = [m for m in caplog.messages if m.startswith("HTTP Request: GET http://127")]
    assert len(requests) == 2
    assert all(m.endswith('"sample 200 OK (bundled sample, not arXiv)"') for m in requests)


# -- /feed.json ---------------------------------------------------------------------------------


async def test_json_feed_is_the_rss_feed(client: httpx.AsyncClient) -> None:
    rss = await client.get("/rss")
    r = await client.get("/feed.json")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/feed+json; charset=utf-8"
    doc = r.json()
    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    assert doc["feed_url"] == "http://feeds.test/feed.json"
    assert doc["home_page_url"] == "http://feeds.test/"
    assert [i["id"] for i in doc["items"]] == guids(rss.content)
    description = ET.fromstring(rss.content).findtext("./channel/item/description")
    assert doc["items"][0]["content_html"] == description
    cached = await client.get("/feed.json", headers={"If-None-Match": r.headers["etag"]})
    assert cached.status_code == 304
    assert cached.headers["cache-control"] == r.headers["cache-control"]
    params = {"keywords": "GPU, cluster", "limit": 2}
    one = (await client.get("/feed.json/cs.DC", params=params)).json()
    assert 1 <= len(one["items"]) <= 2
    assert all({"GPU", "cluster"} & set(i["_arxiv"]["matched"]) for i in one["items"])
    assert one["title"].endswith(": cs.DC")
    missing = await client.get("/feed.json/cs.XX")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "unknown_category"


# -- OpenAPI ------------------------------------------------------------------------------------

DOCUMENTED = [
    ("/api/papers", "application/json", "PaperPage"),
    ("/api/papers/{arxiv_id}", "application/json", "PaperDetail"),
    ("/api/config", "application/json", "ConfigOut"),
    ("/health", "application/json", "Health"),
    ("/feed.json", "application/feed+json", "JSONFeed"),
    ("/feed.json/{categories}", "application/feed+json", "JSONFeed"),
]


async def test_openapi_describes_every_new_endpoint(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    schemas = spec["components"]["schemas"]
    for path, media, name in DOCUMENTED:
        operation = spec["paths"][path]["get"]
        schema = operation["responses"]["200"]["content"][media]["schema"]
        assert schema == {"$ref": f"#/components/schemas/{name}"}, path
        assert schemas[name]["properties"], name
    papers = spec["paths"]["/api/papers"]["get"]
    names = {p["name"] for p in papers["parameters"]}
    assert {"category", "day", "offset", "keywords", "exclude", "types", "min_score", "limit"} <= (
        names
    )
    for status in ("404", "422"):
        error = papers["responses"][status]["content"]["application/json"]["schema"]
        assert error == {"$ref": "#/components/schemas/ErrorOut"}
    assert "_arxiv" in schemas["JSONFeedItem"]["properties"]
    item = schemas["RankedPaperOut"]["properties"]
    assert {"relevance", "summary", "rank", "pdf_link", "matched"} <= set(item)
    assert "markdown" in schemas["SummaryOut"]["properties"]
    assert {"store_reachable", "upstream", "last_refresh"} <= set(schemas["Health"]["properties"])


# -- with an LLM --------------------------------------------------------------------------------


async def test_ad_hoc_json_queries_never_call_the_llm(tmp_path: Path, stub: OpenAIStub) -> None:
    async for c in app_client(tmp_path, ai_config(stub)):
        for path in (
            "/api/papers",
            "/api/papers?keywords=RL&limit=3",
            "/api/papers?category=cs.AI&types=all",
            "/api/papers?day=2026-01-06",
            "/api/papers/2601.01209",
            "/feed.json/cs.LG",
            "/feed.json?limit=3",
        ):
            r = await c.get(path)
            assert r.status_code == 200, path
        assert stub.chat_calls() == []
        assert all(p["summary"] is None for p in (await c.get("/api/papers")).json()["items"])


async def test_summaries_appear_as_raw_markdown(tmp_path: Path, stub: OpenAIStub) -> None:
    async for c in app_client(tmp_path, ai_config(stub)):
        await c.get("/rss")  # the configured feed summarizes its top five
        assert len(stub.chat_calls()) == 5
        items = (await c.get("/api/papers")).json()["items"]
        summaries = [p["summary"] for p in items]
        assert all(s is not None for s in summaries[:5])
        assert all(s is None for s in summaries[5:])
        first = summaries[0]
        assert first["markdown"].startswith(SUMMARY_HEADINGS[0])  # Markdown, not HTML
        assert all(h in first["markdown"] for h in SUMMARY_HEADINGS)
        assert "<h2>" not in first["markdown"]
        assert first["model"] == "stub-model"
        assert first["language"] == "zh"
        assert first["source"] == "abstract"
        datetime.fromisoformat(first["created_at"])
        paper = (await c.get(f"/api/papers/{items[0]['arxiv_id']}")).json()
        assert paper["summary"] == first
        feed = (await c.get("/feed.json")).json()
        assert "<h2>1." in feed["items"][0]["content_html"]  # the feeds show it as HTML
        assert len(stub.chat_calls()) == 5


async def test_relevance_and_its_share_of_the_score(tmp_path: Path, stub: OpenAIStub) -> None:
    config = ai_config(stub, enabled=False)
    async for c in app_client(
        tmp_path, config, interests="LLM serving systems", relevance_weight=1.0
    ):
        await c.get("/rss")
        calls = len(stub.chat_calls())
        assert calls >= 1
        items = (await c.get("/api/papers")).json()["items"]
        rated = [p for p in items if p["relevance"] is not None]
        assert rated
        top = rated[0]
        assert set(top["relevance"]) == {"score", "reason", "model"}
        assert top["score"] == pytest.approx(top["keyword_score"] + top["relevance"]["score"])
        paper = (await c.get(f"/api/papers/{top['versioned_id']}")).json()
        breakdown = paper["breakdown"]
        assert breakdown["relevance_weight"] == 1.0
        assert breakdown["relevance_points"] == pytest.approx(top["relevance"]["score"])
        assert breakdown["total"] == pytest.approx(paper["score"])
        assert paper["relevance"] == top["relevance"]
        assert len(stub.chat_calls()) == calls
        assert re.fullmatch(r"\d{4}\.\d{5}v\d+", paper["versioned_id"])


async def test_scores_print_rounded_in_json(tmp_path: Path) -> None:
    """Weights like 0.1 and 0.7 add up to 0.7999999999999999 in floats; JSON shows 0.8."""
    config = {"keywords": ["LLM", "agents", "model"]}
    async for c in app_client(tmp_path, config, keyword_weight=0.1, title_bonus=0.7):
        body = (await c.get("/api/papers?limit=50&types=all")).text
        first = (await c.get("/api/papers?limit=1&types=all")).json()["items"][0]
        detail = (await c.get(f"/api/papers/{first['arxiv_id']}")).text
        feed = (await c.get("/feed.json?limit=50&types=all")).text
    numbers = re.findall(r'"(?:score|keyword_score|total|points|keywords)": ?(-?[0-9.e-]+)', body)
    numbers += re.findall(r'"(?:score|total|points)": ?(-?[0-9.e-]+)', detail + feed)
    assert numbers
    assert all(len(n.partition(".")[2]) <= 4 for n in numbers), numbers

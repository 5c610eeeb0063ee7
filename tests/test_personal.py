"""Personal ranking through the app: a library, likes and dislikes, followed authors, and the
reasons every format gives."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.arxiv.parse import parse_listing
from app.main import create_app
from app.models import AnnounceType, Paper
from app.store import MemoryStore
from tests.conftest import ALL4, FakeArxiv, listing, make_settings
from tests.openai_stub import OpenAIStub

pytestmark = pytest.mark.anyio
CATS = ["cs.AI", "cs.CL", "cs.DC", "cs.LG"]
API = Path(__file__).parent / "data" / "arxiv-api" / "id_list.xml"


def new_papers() -> list[Paper]:
    day = parse_listing(listing(f"{ALL4}-2026-01-06"), CATS, datetime.now(UTC))
    return [p for p in day.papers if p.announce_type is AnnounceType.NEW]


def write_library(tmp_path: Path, papers: list[Paper]) -> None:
    """A Zotero CSL-JSON export of ``papers`` (titles and abstracts only)."""
    entries = [
        {"id": f"p{n}", "type": "article", "title": p.title, "abstract": p.abstract}
        for n, p in enumerate(papers)
    ]
    (tmp_path / "mine.json").write_text(json.dumps(entries), encoding="utf-8")


async def get(tmp_path: Path, cfg: dict[str, Any], *paths: str) -> tuple[list[Any], FakeArxiv]:
    fake = FakeArxiv()
    fake.serve("query", body=API.read_bytes(), **{"Content-Type": "application/atom+xml"})
    settings = make_settings(tmp_path, cfg, arxiv_api_url="http://127.0.0.1:9/api/query")
    app = create_app(settings, transport=httpx.MockTransport(fake), store=MemoryStore())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        out = []
        for path in paths:
            response = await c.get(path)
            assert response.status_code == 200, (path, response.text[:300])
            out.append(response.json() if "json" in response.headers["content-type"] else response)
    await app.state.runtime.aclose()
    return out, fake


async def test_a_library_ranks_its_own_kind_first_and_says_why(tmp_path: Path) -> None:
    papers = new_papers()
    dc = [p for p in papers if p.primary_category == "cs.DC"]
    write_library(tmp_path, dc[:4])  # a systems researcher's library
    cfg = {"profiles": {"mine": {"keywords": [], "library": "mine.json", "max_papers": 10}}}
    (body, rss, digest), _ = await get(
        tmp_path, cfg, "/api/papers?profile=mine&limit=10", "/p/mine/rss", "/p/mine/digest.md"
    )
    items = body["items"]
    assert len(items) == 10
    scores = [i["similarity"] for i in items]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= s <= 1 for s in scores)
    top = {i["arxiv_id"] for i in items[:4]}
    assert top == {p.arxiv_id for p in dc[:4]}  # the library's own papers are the closest
    assert items[0]["similar_to"][0]["similarity"] > 0.5
    assert items[0]["score"] == pytest.approx(10 * items[0]["similarity"])
    assert "Similarity:&lt;/strong&gt;" in rss.text  # in the escaped description
    assert "**Similarity**:" in digest.text


async def test_likes_dislikes_and_followed_authors_for_one_request(tmp_path: Path) -> None:
    papers = new_papers()
    liked, other = papers[0], papers[-1]
    author = other.authors[0]
    initial = f"{author.split()[0][0]}. {author.split()[-1]}"  # "Y. Yu" for "Yu Yu"
    (liked_page, followed_page, plain), fake = await get(
        tmp_path,
        {},
        f"/api/papers?keywords=&like={liked.arxiv_id}&limit=5",
        f"/api/papers?keywords=&like={liked.arxiv_id}&authors={initial}&limit=5",
        "/api/papers?keywords=&limit=5",
    )
    assert liked_page["items"][0]["arxiv_id"] == liked.arxiv_id
    assert liked_page["items"][0]["similarity"] > 0.5
    followed = followed_page["items"][0]
    assert followed["arxiv_id"] == other.arxiv_id  # pinned to the top
    assert followed["author_match"] == [initial]
    assert all(i["similarity"] is None for i in plain["items"])
    assert not any(r.url.path.endswith("/query") for r in fake.requests)  # liked was held

    second = liked_page["items"][1]
    (pushed,), _ = await get(
        tmp_path,
        {},
        f"/api/papers?keywords=&like={liked.arxiv_id}&dislike={second['arxiv_id']}&limit=500",
    )
    after = next(i for i in pushed["items"] if i["arxiv_id"] == second["arxiv_id"])
    assert after["similarity"] < second["similarity"]  # a disliked paper's kind goes down
    assert after["rank"] > second["rank"]
    # and says so: how far the dislike moved it, in the JSON and in every format's why line
    moved = [i for i in pushed["items"] if i["disliked_by"] > 0]
    assert moved
    assert all(i["disliked_by"] == 0 for i in liked_page["items"])  # no dislike, no move
    down = max(moved, key=lambda i: i["disliked_by"])
    (rss,), _ = await get(
        tmp_path,
        {},
        f"/rss?keywords=&like={liked.arxiv_id}&dislike={second['arxiv_id']}&limit=500",
    )
    assert f"{down['disliked_by']:.2f} lower for its likeness to papers you disliked" in rss.text


async def test_a_liked_paper_not_held_comes_from_arxivs_api_once(tmp_path: Path) -> None:
    (first, _), fake = await get(
        tmp_path,
        {},
        "/api/papers?keywords=&like=0704.0001&limit=3",
        "/api/papers?keywords=&like=0704.0001,0704.0002&limit=3",
    )
    api = [r for r in fake.requests if r.url.path.endswith("/query")]
    assert len(api) == 2  # each id asked for once, then kept
    assert "0704.0001" in api[0].url.params["id_list"]
    assert "0704.0001" not in api[1].url.params["id_list"]
    assert first["items"][0]["similarity"] is not None


async def test_keywords_still_filter_unless_similar_enough(tmp_path: Path) -> None:
    papers = new_papers()
    write_library(tmp_path, papers[:3])
    base = {"keywords": ["Nonexistentword"], "library": "mine.json", "max_papers": 50}
    cfg = {"profiles": {"strict": base | {"min_similarity": 0.99}, "loose": base}}
    (strict, loose), _ = await get(
        tmp_path, cfg, "/api/papers?profile=strict", "/api/papers?profile=loose"
    )
    assert {i["arxiv_id"] for i in strict["items"]} <= {p.arxiv_id for p in papers[:3]}
    assert len(loose["items"]) > len(strict["items"])
    assert all(i["matched"] == [] for i in loose["items"])


async def test_bad_likes_and_authors_are_clear_422s(tmp_path: Path) -> None:
    fake = FakeArxiv()
    app = create_app(make_settings(tmp_path), transport=httpx.MockTransport(fake))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        bad = await c.get("/rss?like=not-an-id")
        many = await c.get("/rss?like=" + ",".join(f"2601.{n:05d}" for n in range(51)))
        nobody = await c.get("/rss?dislike=x")
    await app.state.runtime.aclose()
    assert bad.status_code == many.status_code == nobody.status_code == 422
    assert "not an arXiv id" in bad.json()["error"]["message"]
    assert "at most 50" in many.json()["error"]["message"]


async def test_an_embeddings_endpoint_ranks_a_profile_and_falls_back_on_failure(
    tmp_path: Path, stub: OpenAIStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    papers = new_papers()
    write_library(tmp_path, papers[:3])
    cfg = {
        "embeddings": {"base_url": stub.base_url, "model": "stub-embed", "batch_size": 16},
        "profiles": {"mine": {"keywords": [], "library": "mine.json", "max_papers": 10}},
    }

    def ranked(feed: dict[str, Any]) -> list[tuple[str, float]]:
        return [(i["id"], i["_arxiv"]["similarity"]) for i in feed["items"]]

    (first, again, override), _ = await get(
        tmp_path,
        cfg,
        "/p/mine/feed.json",
        "/p/mine/feed.json",
        "/p/mine/feed.json?limit=5",
    )
    calls = stub.embedding_calls()
    assert calls  # the library and the candidates, in batches of at most 16
    assert all(len(c.body["input"]) <= 16 for c in calls)
    assert sum(len(c.body["input"]) for c in calls) >= len(papers) + 3  # candidates, library
    top = {i.rsplit("/", 1)[-1].split("v")[0] for i, _ in ranked(first)[:3]}
    assert top == {p.arxiv_id for p in papers[:3]}
    assert ranked(first) == ranked(again)
    assert len(stub.embedding_calls()) == len(calls)  # cached: nothing paid twice
    assert all(s is not None for _, s in ranked(override))  # an override: the embedded default
    assert len(stub.embedding_calls()) == len(calls)

    stub.reset()
    stub.always_fail = "500"
    other = tmp_path / "again"
    other.mkdir()
    (other / "mine.json").write_text((tmp_path / "mine.json").read_text(), encoding="utf-8")
    (broken,), _ = await get(other, cfg, "/p/mine/feed.json")
    assert stub.embedding_calls()  # it tried
    assert all(s is not None for _, s in ranked(broken))  # fell back, still ranked


async def test_a_library_of_bare_ids_ranks_like_liking_those_papers(tmp_path: Path) -> None:
    papers = new_papers()
    chosen = papers[2:4]
    lines = ["# my reading list", *(f"https://arxiv.org/abs/{p.versioned_id}" for p in chosen)]
    (tmp_path / "ids.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    cfg = {"profiles": {"ids": {"keywords": [], "library": "ids.txt", "max_papers": 5}}}
    (body,), fake = await get(tmp_path, cfg, "/p/ids/feed.json")
    top = [i["id"].rsplit("/", 1)[-1] for i in body["items"][:2]]
    assert set(top) == {p.versioned_id for p in chosen}
    assert not any(r.url.path.endswith("/query") for r in fake.requests)  # both were held

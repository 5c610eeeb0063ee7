"""A profile's library is private: ``/api/papers?profile=`` names its papers in ``similar_to`` by
id only, unless the request carries the owner's token; the profile's own feeds, which its owner
reads, still say which library paper each one is closest to."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from app.main import create_app
from app.store import MemoryStore
from tests.conftest import FakeArxiv, make_settings
from tests.test_personal import new_papers

pytestmark = pytest.mark.anyio
ADMIN = "owner-t0ken"
PRIVATE = "A Private Draft On Disaggregated Serving"


async def test_library_titles_show_only_to_the_owner(tmp_path: Path) -> None:
    dc = [p for p in new_papers() if p.primary_category == "cs.DC"][:4]
    entries = [
        {"id": f"p{n}", "type": "article", "title": f"{PRIVATE} {n}", "abstract": p.abstract}
        | ({"DOI": f"10.5555/private.{n}"} if n < 2 else {})  # the others have no id at all
        for n, p in enumerate(dc)
    ]
    (tmp_path / "mine.json").write_text(json.dumps(entries), encoding="utf-8")
    cfg = {"profiles": {"mine": {"keywords": [], "library": "mine.json", "max_papers": 10}}}
    settings = make_settings(tmp_path, cfg, admin_token=ADMIN)
    app = create_app(settings, transport=httpx.MockTransport(FakeArxiv()), store=MemoryStore())
    url = "/api/papers?profile=mine&limit=5"
    owner = {"Authorization": f"Bearer {ADMIN}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        first = await c.get(url, headers=owner)  # rendered for the owner first: not reused
        anyone = await c.get(url)
        wrong = await c.get(url, headers={"Authorization": "Bearer guess"})
        again = await c.get(url, headers=owner)
        feed = await c.get("/p/mine/feed.json")
    await app.state.runtime.aclose()
    for answer in (anyone, wrong):
        assert answer.status_code == 200
        assert PRIVATE not in answer.text
        close = answer.json()["items"][0]["similar_to"]
        assert close
        assert all(s["title"] is None and s["similarity"] > 0 for s in close)
        ids = {s["id"] for a in answer.json()["items"] for s in a["similar_to"]}
        assert ids == {"10.5555/private.0", "10.5555/private.1", None}
        assert "private" not in answer.headers["cache-control"]
        assert answer.headers["vary"] == "Authorization"
    for answer in (first, again):
        titles = [s["title"] for s in answer.json()["items"][0]["similar_to"]]
        assert titles
        assert all(t.startswith(PRIVATE) for t in titles)
        assert answer.headers["cache-control"] == "private, no-cache"
        assert answer.headers["vary"] == "Authorization"
    assert anyone.headers["etag"] != first.headers["etag"]
    assert PRIVATE in feed.text  # the profile's own feed keeps its "closest to" lines

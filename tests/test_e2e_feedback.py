"""End to end under uvicorn: feedback links and profile tokens.

Every format of an owner's profile feed carries signed "more/less like this" links; a GET of
one records nothing, a POST records; altered and cross-profile links are refused; feedback
survives a restart and is shared by two instances on one store; a profile's own token may
change that profile only.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import httpx
import pytest

from tests.arxiv_server import REPO, ArxivServer, UvicornProcess

pytestmark = pytest.mark.e2e

LIBRARY = Path(__file__).parent / "data" / "library" / "zotero.bib"
TOKEN = "e2e-admin-token"
SECRET = "e2e-feedback-secret"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
CATEGORIES = ["cs.AI", "cs.CL", "cs.DC", "cs.LG"]
SYSTEMS = {"categories": ["cs.DC"], "keywords": ["Distributed", "GPU"]}
JSON = {"Accept": "application/json"}


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, str], Path]]:
    folder = tmp_path_factory.mktemp("e2e-feedback")
    shutil.copy(LIBRARY, folder / "library.bib")
    profiles = {"reading": {"keywords": [], "library": "library.bib"}, "systems": SYSTEMS}
    (folder / "config.json").write_text(
        json.dumps({"categories": CATEGORIES, "profiles": profiles}), encoding="utf-8"
    )
    upstream = ArxivServer(day="2026-01-06")
    upstream.start()
    env = {
        "ARXIV_RSS_URL": upstream.base_url,
        "ARXIV_SOURCE": "live",
        "ARXIV_FEEDS_MIN_REQUEST_INTERVAL": "0",
        "ARXIV_FEEDS_CONFIG": str(folder / "config.json"),
        "STORE_URL": f"sqlite:///{folder / 'store.sqlite3'}",  # one store, kept across restarts
        "ADMIN_TOKEN": TOKEN,
        "FEEDBACK_SECRET": SECRET,
    }
    try:
        yield env, folder
    finally:
        upstream.stop()


def instance(env: dict[str, str]) -> UvicornProcess:
    proc = UvicornProcess("app.main:app", env=env, startup_timeout=30)
    proc.start()
    return proc


def feedback(client: httpx.Client, name: str = "systems") -> list[dict[str, str]]:
    got = client.get(f"/api/profiles/{name}", headers=ADMIN)
    assert got.status_code == 200, got.text
    return list(got.json()["feedback"])


def ids(client: httpx.Client, path: str = "/p/systems/feed.json") -> list[str]:
    return [i["_arxiv"]["versioned_id"].rsplit("v", 1)[0] for i in client.get(path).json()["items"]]


def until(check: object, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "not seen in time"
        time.sleep(0.2)


def test_feedback_links_record_only_on_post_and_last(
    setup: tuple[dict[str, str], Path],
) -> None:
    env, _ = setup
    proc = instance(env)
    try:
        with httpx.Client(base_url=proc.url, timeout=30) as client:
            items = client.get("/p/systems/feed.json").json()["items"]
            assert len(items) >= 3
            first = items[0]
            paper = first["_arxiv"]["versioned_id"].rsplit("v", 1)[0]
            links = first["_arxiv"]["feedback"]
            assert f"/p/systems/feedback/{paper}?" in links["less"]
            # a GET (a mail scanner, a prefetching reader) shows a form and records nothing
            page = client.get(links["less"])
            assert page.status_code == 200
            assert '<form method="post"' in page.text
            assert html.escape(first["title"]) in page.text
            assert "no-store" in page.headers["cache-control"]
            assert feedback(client) == []
            # altered links: the signature, the paper, the profile
            sig = links["less"].rsplit("sig=", 1)[1]
            forged = links["less"].replace(sig, ("A" if sig[0] != "A" else "B") + sig[1:])
            other = items[1]["_arxiv"]["versioned_id"].rsplit("v", 1)[0]
            for bad in (
                forged,
                links["less"].replace(paper, other),
                links["less"].replace("/p/systems/", "/p/reading/"),
                links["less"].split("&sig=")[0],
            ):
                assert client.post(bad).status_code in (403, 422), bad
                assert client.get(bad).status_code in (403, 422), bad
            assert feedback(client) == []
            # the POST records, and the paper leaves the feed on the next read
            done = client.post(links["less"])
            assert done.status_code == 303
            assert done.headers["location"].startswith("/p/systems/")
            assert paper not in ids(client)
            again = client.post(links["less"], headers=JSON)  # the same twice records once
            assert again.status_code == 200
            assert again.json()["changed"] is False
            assert [(j["arxiv_id"], j["choice"]) for j in feedback(client)] == [(paper, "less")]
            # the opposite replaces it; undo forgets it
            assert client.post(links["more"], headers=JSON).json()["changed"] is True
            assert [(j["arxiv_id"], j["choice"]) for j in feedback(client)] == [(paper, "more")]
            assert paper in ids(client)
            undo = links["more"].replace("choice=more", "choice=none")
            assert client.post(undo, headers=JSON).json()["changed"] is True
            assert feedback(client) == []
            assert client.post(links["less"]).status_code == 303
    finally:
        proc.stop()
    # a restart keeps it
    proc = instance(env)
    try:
        with httpx.Client(base_url=proc.url, timeout=30) as client:
            assert [(j["arxiv_id"], j["choice"]) for j in feedback(client)] == [(paper, "less")]
            assert paper not in ids(client)
    finally:
        proc.stop()


def test_two_instances_share_feedback(setup: tuple[dict[str, str], Path]) -> None:
    env, _ = setup
    one, two = instance(env), instance(env)
    try:
        with (
            httpx.Client(base_url=one.url, timeout=30) as a,
            httpx.Client(base_url=two.url, timeout=30) as b,
        ):
            before = ids(a)
            assert before == ids(b)
            item = a.get("/p/systems/feed.json").json()["items"][0]
            link = urlsplit(item["_arxiv"]["feedback"]["less"])  # A's link, posted to B
            assert b.post(f"{link.path}?{link.query}", headers=JSON).status_code == 200
            gone = item["_arxiv"]["versioned_id"].rsplit("v", 1)[0]
            assert gone not in ids(b)  # the instance that recorded it: at once
            until(lambda: gone not in ids(a))  # the other: on a read after its brief cache
            assert gone in {j["arxiv_id"] for j in feedback(a)}
    finally:
        one.stop()
        two.stop()


def test_links_in_every_format_of_an_owned_feed_only(setup: tuple[dict[str, str], Path]) -> None:
    env, _ = setup
    proc = instance(env)
    try:
        with httpx.Client(base_url=proc.url, timeout=30) as client:
            items = client.get("/p/systems/feed.json").json()["items"]
            wanted = [i["_arxiv"]["feedback"] for i in items]
            assert all(w and w["more"] and w["less"] for w in wanted)
            urls = {u for w in wanted for u in (w["more"], w["less"])}
            for path in ("/p/systems/rss", "/p/systems/atom"):
                body = client.get(path).content
                ET.fromstring(body)  # well-formed XML, '&' escaped
                parsed = feedparser.parse(body)
                assert parsed.bozo == 0
                for entry, w in zip(parsed.entries, wanted, strict=True):
                    text = html.unescape(
                        entry.get("content", [entry.get("summary_detail")])[0].value
                    )
                    assert w["more"] in text
                    assert w["less"] in text
            digest = client.get("/p/systems/digest.md").text
            page = client.get("/p/systems/").text
            for url in urls:
                assert url in digest
                assert f'action="{html.escape(url)}"' in page  # the page's buttons post
            for url in list(urls)[:4]:  # and each is a valid link
                assert client.get(url).status_code == 200
            # strangers' overrides of a profile carry none
            for path in (
                "/p/systems/feed.json?limit=2",
                "/p/systems/feed.json?keywords=Distributed",
            ):
                got = client.get(path)
                assert got.status_code == 200, got.text[:300]
                assert got.json()["items"], path
                assert all(i["_arxiv"]["feedback"] is None for i in got.json()["items"])
            assert "/feedback/" not in client.get("/p/systems/rss?limit=2").text
    finally:
        proc.stop()


def test_a_profile_token_changes_that_profile_only(setup: tuple[dict[str, str], Path]) -> None:
    env, _ = setup
    proc = instance(env)
    try:
        with httpx.Client(base_url=proc.url, timeout=30) as client:
            assert client.get("/api/profiles/systems/token").status_code == 401
            mine = client.get("/api/profiles/systems/token", headers=ADMIN).json()["token"]
            theirs = client.get("/api/profiles/reading/token", headers=ADMIN).json()["token"]
            own = {"Authorization": f"Bearer {mine}"}
            other = {"Authorization": f"Bearer {theirs}"}
            # the token is no admin token: it cannot read tokens
            assert client.get("/api/profiles/systems/token", headers=own).status_code == 401
            assert client.put("/api/profiles/systems", json=SYSTEMS).status_code == 401
            assert (
                client.put("/api/profiles/systems", json=SYSTEMS, headers=other).status_code == 403
            )
            assert client.put("/api/profiles/systems", json=SYSTEMS, headers=own).status_code == 200
            assert client.get("/api/profiles/systems", headers=own).status_code == 200
            assert client.get("/api/profiles/systems", headers=other).status_code == 403
            patched = client.patch("/api/profiles/systems", json={"authors": ["Ada"]}, headers=own)
            assert patched.status_code == 200
            assert patched.json()["authors"] == ["Ada"]
            assert patched.json()["keywords"] == SYSTEMS["keywords"]  # the rest kept
            lib = client.put(
                "/api/profiles/systems",
                content=LIBRARY.read_bytes(),
                headers=own | {"Content-Type": "application/x-bibtex"},
            )
            assert lib.status_code == 200
            assert lib.json()["library_entries"] > 0
            assert client.delete("/api/profiles/systems", headers=other).status_code == 403
            assert client.delete("/api/profiles/systems", headers=own).status_code == 204
            # a profile's token never creates one
            assert client.put("/api/profiles/nobody", json={}, headers=own).status_code == 403
            page = client.get("/p/systems/").text
            assert 'id="owner-form"' in page
            assert 'name="token"' in page
        printed = subprocess.run(
            [sys.executable, "-m", "app", "profile-token", "systems"],
            env=os.environ | env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert printed.stdout.strip() == mine
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", mine)
    finally:
        proc.stop()

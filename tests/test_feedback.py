"""Feedback in process: the links every delivery channel carries, how judgements reach the
ranking, the bound on what is kept, and which feeds carry links."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.delivery import email, webhooks
from app.delivery.content import digest_info
from app.delivery.settings import EmailDelivery, Webhook
from app.models import FeedQuery
from app.profiles.feedback import MAX_JUDGEMENTS, FeedbackBook, Judgement, links, merge
from app.profiles.tokens import feedback_signature, profile_token
from app.ranking.rank import rank
from app.store import MemoryStore
from tests.test_delivery import make_feed
from tests.test_profiles import app_client, config

pytestmark = pytest.mark.anyio

SECRET = b"a-deployment-secret"
BASE = "https://feeds.example.org"


def test_every_delivery_channel_carries_both_links() -> None:
    feed = links(make_feed(3), BASE, "ml", SECRET)
    info = digest_info(feed, "My ML", "ml", f"{BASE}/p/ml/")
    wanted = []
    for item in feed.items:
        sig = feedback_signature(SECRET, "ml", item.paper.arxiv_id)
        for choice in ("more", "less"):
            wanted.append((f"{BASE}/p/ml/feedback/{item.paper.arxiv_id}?choice={choice}", sig))
    cfg = EmailDelivery.model_validate(
        {"to": ["me@example.org"], "from": "f@example.org", "host": "localhost"}
    )
    msg = email.build_message(feed, info, cfg)
    bodies = {
        "email text": email.text_body(feed, info),
        "email html": email.html_body(feed, info),
        "message": msg.as_string(),
    }
    for kind in ("slack", "discord", "feishu", "generic"):
        hook = Webhook(kind=kind, url="https://hooks.example.org/x")
        bodies[kind] = json.dumps(webhooks.messages(feed, info, hook))
    for name, body in bodies.items():
        if name == "message":
            continue  # MIME-encoded: the parts above are its text
        for head, sig in wanted:
            assert head in body, (name, head)
            assert str(sig) in body, (name, head)


def test_judgements_are_likes_dislikes_and_less_leaves_the_feed() -> None:
    feed = make_feed(4)
    more, less = feed.items[0].paper.arxiv_id, feed.items[1].paper.arxiv_id
    now = datetime.now(UTC)
    query = FeedQuery(categories=feed.query.categories, like=(less,), dislike=(more,), limit=10)
    merged = merge(
        query,
        (
            Judgement(arxiv_id=more, choice="more", at=now),
            Judgement(arxiv_id=less, choice="less", at=now),
        ),
    )
    assert merged.like == (more,)
    assert merged.dislike == (less,)
    assert merged.hidden == (less,)
    assert merged.cache_key != query.cache_key  # the profile's cached feeds are not read again
    papers = [i.paper for i in feed.items]
    assert less in {i.paper.arxiv_id for i in rank(papers, query)}
    assert less not in {i.paper.arxiv_id for i in rank(papers, merged)}


async def test_the_book_records_once_replaces_undoes_and_is_bounded() -> None:
    store = MemoryStore()
    book = FeedbackBook(store)
    assert await book.record("ml", "2601.00001", "more") is True
    assert await book.record("ml", "2601.00001", "more") is False
    assert await book.record("ml", "2601.00001", "less") is True
    assert [(j.arxiv_id, j.choice) for j in await book.judgements("ml")] == [("2601.00001", "less")]
    assert await book.record("ml", "2601.00001", None) is True
    assert await book.judgements("ml") == ()
    for n in range(MAX_JUDGEMENTS + 5):
        await book.record("ml", f"2601.{n:05d}", "more")
    kept = await FeedbackBook(store).judgements("ml")  # as another instance reads it
    assert len(kept) == MAX_JUDGEMENTS
    assert kept[0].arxiv_id == "2601.00005"
    assert len(await store.get("feedback:ml") or b"") < 60 * MAX_JUDGEMENTS
    assert await store.get("feedback:ml:claim") is None  # the hold is let go


def test_tokens_and_signatures_need_the_secret_and_differ() -> None:
    assert profile_token(None, "ml") is None
    assert feedback_signature(None, "ml", "x") is None
    assert profile_token(SECRET, "ml") != profile_token(SECRET, "ai")
    assert profile_token(SECRET, "ml") != profile_token(b"rotated", "ml")
    assert feedback_signature(SECRET, "ml", "2601.00001") != feedback_signature(
        SECRET, "ml", "2601.00002"
    )


async def test_only_a_profile_as_defined_carries_links(tmp_path: Path) -> None:
    client, app, _ = await app_client(
        tmp_path, config(tmp_path), feedback_secret=SECRET.decode(), public_url=BASE
    )
    async with client as c:
        own = (await c.get("/p/ml/feed.json")).json()["items"]
        assert own
        assert all(i["_arxiv"]["feedback"] for i in own)
        assert own[0]["_arxiv"]["feedback"]["more"].startswith(f"{BASE}/p/ml/feedback/")
        for path in ("/feed.json", "/p/ml/feed.json?limit=3"):
            items = (await c.get(path)).json()["items"]
            assert items, path
            assert all(i["_arxiv"]["feedback"] is None for i in items), path
    await app.state.runtime.aclose()
    client, app, _ = await app_client(tmp_path, config(tmp_path))  # no secret: no links
    async with client as c:
        items = (await c.get("/p/ml/feed.json")).json()["items"]
        assert items
        assert all(i["_arxiv"]["feedback"] is None for i in items)
        assert (await c.get("/p/ml/feedback/2601.00001?choice=more&sig=x")).status_code == 403
    await app.state.runtime.aclose()

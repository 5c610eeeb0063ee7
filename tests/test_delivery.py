"""Delivery: e-mail through a real SMTP server (aiosmtpd) with STARTTLS and without, webhooks
through a real HTTP receiver on loopback, and the once-only ledger across runs and instances."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from app.arxiv.parse import parse_listing
from app.delivery.deliver import deliver
from app.delivery.email import smtp_connector
from app.delivery.settings import Delivery
from app.delivery.webhooks import feishu_sign
from app.models import AnnounceType, FeedQuery, RankedFeed, Relevance, Summary
from app.ranking.rank import rank
from app.store import MemoryStore, SQLiteStore, Store
from tests.conftest import ALL4, listing
from tests.delivery_servers import SMTPServer, WebhookReceiver, smtp_server

__all__ = ["smtp_server"]  # the fixture
pytestmark = pytest.mark.anyio
CATS = ("cs.AI", "cs.CL", "cs.DC", "cs.LG")
PAGE = "https://feeds.example.org/"
SUMMARY = "**Contributions**: a <script>alert(1)</script> faster *decoder*."
CODE = " Code: https://github.com/acme/fast-decoder."


def make_feed(n: int = 5, keywords: tuple[str, ...] = ("LLM",), **kw: Any) -> RankedFeed:
    parsed = parse_listing(
        listing(f"{ALL4}-2026-01-06"), list(CATS), datetime(2026, 1, 6, tzinfo=UTC)
    )
    query = FeedQuery(categories=CATS, keywords=keywords, types=frozenset(AnnounceType), limit=n)
    items = rank(parsed.papers, query)[:n]
    assert len(items) == n
    first = items[0]
    paper = first.paper.model_copy(update={"abstract": first.paper.abstract + CODE})
    summary = Summary(
        versioned_id=paper.versioned_id,
        model="m",
        language="en",
        source="abstract",
        markdown=SUMMARY,
        created_at=parsed.fetched_at,
    )
    relevance = Relevance(score=8, reason="about fast decoding", model="m")
    items[0] = first.model_copy(update={"paper": paper, "summary": summary, "relevance": relevance})
    return RankedFeed(
        query=query,
        listing_day=parsed.day,
        fetched_at=parsed.fetched_at,
        total_listed=len(parsed.papers),
        items=items,
        **kw,
    )


def email_config(port: int, security: str = "none", **kw: Any) -> dict[str, Any]:
    cfg = {
        "host": "127.0.0.1",
        "port": port,
        "security": security,
        "from": "Bøt 论文 <bot@example.org>",
        "to": ["Zoë <me@example.org>", "you@example.org"],
    }
    return {"email": cfg | kw}


async def run(
    feed: RankedFeed, delivery: Delivery, store: Store, *, smtp: Any = None, dry_run: bool = False
) -> Any:
    async with httpx.AsyncClient() as http:
        return await deliver(
            feed,
            delivery,
            feed_name="default",
            title="arXiv 论文",
            page_url=PAGE,
            store=store,
            http=http,
            smtp=smtp,
            dry_run=dry_run,
        )


async def test_email_without_tls(smtp_server: SMTPServer) -> None:
    feed = make_feed()
    store = MemoryStore()
    report = await run(feed, Delivery.model_validate(email_config(smtp_server.port)), store)
    assert [c.status for c in report.channels] == ["sent"]
    (msg,) = smtp_server.messages
    assert smtp_server.envelopes == [("bot@example.org", ["me@example.org", "you@example.org"])]
    assert msg["Subject"] == "arXiv 论文: 5 papers for 2026-01-06"
    assert msg["From"].addresses[0].display_name == "Bøt 论文"
    assert msg["List-Unsubscribe"] == f"<{PAGE}>"
    assert msg.get_content_type() == "multipart/alternative"
    text, html = msg.get_body(("plain",)), msg.get_body(("html",))
    assert text is not None
    assert html is not None
    plain, markup = text.get_content(), html.get_content()
    for item in feed.items:
        assert item.paper.title in plain
        assert item.paper.link in plain
    assert "Why: matched LLM; relevance 8/10: about fast decoding" in plain
    assert "GitHub: https://github.com/acme/fast-decoder" in plain
    assert "<strong>Contributions</strong>" in markup  # the summary's Markdown, rendered
    assert "<script>" not in markup  # and sanitized
    assert '<a href="https://github.com/acme/fast-decoder"' in markup
    # the same day again: nothing more
    again = await run(feed, Delivery.model_validate(email_config(smtp_server.port)), store)
    assert [c.status for c in again.channels] == ["already_sent"]
    assert len(smtp_server.messages) == 1


@pytest.mark.parametrize("smtp_server", [{"tls": True, "password": "pw-42"}], indirect=True)
async def test_email_with_starttls_and_login(
    smtp_server: SMTPServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("SMTP_PASSWORD", "pw-42")
    cfg = email_config(smtp_server.port, "starttls", user="bot", password_env="SMTP_PASSWORD")
    caplog.set_level(logging.DEBUG)
    report = await run(
        make_feed(),
        Delivery.model_validate(cfg),
        MemoryStore(),
        smtp=smtp_connector(smtp_server.client_tls),
    )
    assert [c.status for c in report.channels] == ["sent"]
    assert smtp_server.logins == [("bot", "pw-42")]
    assert len(smtp_server.messages) == 1
    assert "pw-42" not in caplog.text
    assert "pw-42" not in report.model_dump_json()
    # the system trust store does not know the test certificate: refused, and retried later
    store = MemoryStore()
    failed = await run(make_feed(), Delivery.model_validate(cfg), store)
    assert failed.channels[0].status == "failed"
    assert "pw-42" not in (failed.channels[0].error or "")
    ok = await run(
        make_feed(),
        Delivery.model_validate(cfg),
        store,
        smtp=smtp_connector(smtp_server.client_tls),
    )
    assert ok.channels[0].status == "sent"


async def test_email_server_failure_is_retried_once_it_recovers(smtp_server: SMTPServer) -> None:
    store, delivery = MemoryStore(), Delivery.model_validate(email_config(smtp_server.port))
    smtp_server.fail_next = 1
    first = await run(make_feed(), delivery, store)
    assert first.channels[0].status == "failed"
    assert "451" in (first.channels[0].error or "")
    second = await run(make_feed(), delivery, store)
    assert second.channels[0].status == "sent"
    third = await run(make_feed(), delivery, store)
    assert third.channels[0].status == "already_sent"
    assert len(smtp_server.messages) == 1


def hooks(url: str, **secrets: str) -> Delivery:
    return Delivery.model_validate(
        {
            "webhooks": [
                {"kind": "slack", "url": f"{url}/slack"},
                {"kind": "discord", "url": f"{url}/discord"},
                {"kind": "feishu", "url": f"{url}/feishu", **secrets},
                {"kind": "generic", "url": f"{url}/generic", **secrets},
            ]
        }
    )


async def test_every_webhook_kind_in_its_format(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_SECRET", "hook-secret")
    feed = make_feed(30, keywords=())
    with WebhookReceiver(default=b'{"code":0}') as rx:
        report = await run(feed, hooks(rx.url, secret_env="HOOK_SECRET"), MemoryStore())
    assert [c.status for c in report.channels] == ["sent"] * 4
    by_path: dict[str, list[Any]] = {}
    for r in rx.received:
        by_path.setdefault(r.path, []).append(r)
    slack = [r.json() for r in by_path["/slack"]]
    assert all(len(m["blocks"]) <= 50 and m["text"] for m in slack)
    sections = [b for m in slack for b in m["blocks"] if b["type"] == "section"]
    assert len(sections) == 30
    assert all(len(b["text"]["text"]) <= 3000 for b in sections)
    assert "<https://github.com/acme/fast-decoder|GitHub>" in sections[0]["text"]["text"]
    assert "&lt;script&gt;" in sections[0]["text"]["text"]  # mrkdwn control characters escaped
    discord = [r.json() for r in by_path["/discord"]]
    assert len(discord) >= 3  # 30 papers, at most 10 embeds a message
    for m in discord:
        assert len(m["content"]) <= 2000
        assert len(m["embeds"]) <= 10
        assert sum(len(e["title"]) + len(e["description"]) for e in m["embeds"]) <= 6000
        assert m["allowed_mentions"] == {"parse": []}
    assert sum(len(m["embeds"]) for m in discord) == 30
    for r in by_path["/feishu"]:
        assert len(r.body) <= 20 * 1024
        body = r.json()
        assert body["msg_type"] == "post"
        assert body["sign"] == feishu_sign("hook-secret", int(body["timestamp"]))
    (generic,) = by_path["/generic"]
    expected = "sha256=" + hmac.new(b"hook-secret", generic.body, hashlib.sha256).hexdigest()
    assert generic.headers["X-Arxiv-Feeds-Signature"] == expected
    papers = generic.json()["papers"]
    assert [p["versioned_id"] for p in papers] == [i.paper.versioned_id for i in feed.items]
    assert papers[0]["code_links"] == [
        {"kind": "github", "url": "https://github.com/acme/fast-decoder"}
    ]


async def test_a_failing_webhook_is_retried_and_never_repeats_what_was_accepted() -> None:
    feed = make_feed(30, keywords=())  # Discord: several messages
    store = MemoryStore()
    with WebhookReceiver() as rx:
        delivery = Delivery.model_validate({"webhooks": [{"kind": "discord", "url": rx.url}]})
        rx.replies = [(204, b""), (500, b"down")]
        first = await run(feed, delivery, store)
        assert first.channels[0].status == "failed"
        assert first.channels[0].messages == 1
        assert "500" in (first.channels[0].error or "")
        second = await run(feed, delivery, store)
        assert second.channels[0].status == "sent"
        third = await run(feed, delivery, store)
        assert third.channels[0].status == "already_sent"
    bodies = [r.json() for r in rx.received]
    assert bodies[1] == bodies[2]  # message 2: refused, then sent again on the next run
    accepted = [bodies[0], *bodies[2:]]
    titles = [e["title"] for m in accepted for e in m["embeds"]]
    assert titles == [f"{n}. {i.paper.title}"[:256] for n, i in enumerate(feed.items, 1)]


async def test_feishu_refusal_in_a_200_is_a_failure() -> None:
    with WebhookReceiver(default=b'{"code":19021,"msg":"sign match fail"}') as rx:
        delivery = Delivery.model_validate({"webhooks": [{"kind": "feishu", "url": rx.url}]})
        report = await run(make_feed(), delivery, MemoryStore())
    assert report.channels[0].status == "failed"
    assert "19021" in (report.channels[0].error or "")


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
async def test_once_only_across_two_instances(kind: str, tmp_path: Path) -> None:
    memory = MemoryStore()
    stores: list[Store] = (
        [memory, memory]
        if kind == "memory"
        else [SQLiteStore(tmp_path / "kv.sqlite3"), SQLiteStore(tmp_path / "kv.sqlite3")]
    )
    feed = make_feed()
    with WebhookReceiver() as rx:
        delivery = Delivery.model_validate({"webhooks": [{"kind": "generic", "url": rx.url}]})
        reports = await asyncio.gather(*(run(feed, delivery, s) for s in stores))
        again = await asyncio.gather(*(run(feed, delivery, s) for s in stores))
    statuses = sorted(r.channels[0].status for r in reports)
    assert statuses in (["in_progress", "sent"], ["already_sent", "sent"])
    assert {r.channels[0].status for r in again} == {"already_sent"}
    assert len(rx.received) == 1
    for s in set(stores):
        await s.close()


async def test_empty_sample_and_dry_run_send_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_SECRET", "hook-secret")
    with WebhookReceiver() as rx:
        delivery = hooks(rx.url, secret_env="HOOK_SECRET")
        empty = await run(make_feed().model_copy(update={"items": []}), delivery, MemoryStore())
        sample = await run(make_feed(sample=True), delivery, MemoryStore())
        store = MemoryStore()
        dry = await run(make_feed(), delivery, store, dry_run=True)
        assert rx.received == []
        assert empty.channels == []
        assert "no paper" in (empty.note or "")
        assert sample.channels == []
        assert "sample" in (sample.note or "")
        assert {c.status for c in dry.channels} == {"dry_run"}
        assert all(c.preview for c in dry.channels)
        assert "hook-secret" not in dry.model_dump_json()
        real = await run(make_feed(), delivery, store)  # a dry run records nothing
        assert {c.status for c in real.channels} == {"sent"}


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"webhooks": [{"kind": "teams", "url": "https://x.test/h"}]}, "kind"),
        ({"webhooks": [{"kind": "slack", "url": "http://hooks.example.org/x"}]}, "https"),
        (
            {
                "webhooks": [
                    {"kind": "slack", "url": "https://h.test/x", "secret_env": "HOOK_SECRET"}
                ]
            },
            "does not apply",
        ),
        (
            {"webhooks": [{"kind": "generic", "url": "https://h.test/x", "secret_env": "UNSET_X"}]},
            "UNSET_X",
        ),
        ({"email": {"host": "smtp.example.org", "from": "bot", "to": ["a@b.org"]}}, "e-mail"),
        ({"email": {"host": "smtp.example.org", "from": "a@b.org", "to": []}}, "at least 1"),
        (
            {
                "email": {
                    "host": "smtp.example.org",
                    "from": "a@b.org",
                    "to": ["c@d.org"],
                    "security": "none",
                    "user": "u",
                    "password_env": "HOOK_SECRET",
                }
            },
            "TLS",
        ),
        (
            {"email": {"host": "h", "from": "a@b.org", "to": ["c@d.org"], "pasword_env": "X"}},
            "extra",
        ),
    ],
)
def test_bad_delivery_settings_are_refused(
    config: dict[str, Any], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOK_SECRET", "x")
    monkeypatch.delenv("UNSET_X", raising=False)
    with pytest.raises(ValidationError, match=message):
        Delivery.model_validate(config)


def test_the_ledger_key_names_no_secret() -> None:
    delivery = Delivery.model_validate(
        {"webhooks": [{"kind": "slack", "url": "https://h.test/T0/B0/tok"}]}
    )
    hook = delivery.webhooks[0]
    assert "tok" not in hook.channel_id
    assert hook.label == "slack:h.test"
    assert json.dumps(hook.channel_id)

"""The ``delivery`` setting in config.json, the daily refresh delivering the configured feed
once a day, and ``python -m app deliver --dry-run``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from app.errors import ConfigError
from app.store import MemoryStore
from tests.conftest import make_settings, open_client
from tests.delivery_servers import SMTPServer, WebhookReceiver, smtp_server

__all__ = ["smtp_server"]
pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parent.parent
SECRET = "cron-s3cret"
LOOPBACK = {"delivery_allow_private": True}  # the receivers listen on loopback


def test_config_json_accepts_delivery(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_SECRET", "x")
    config = {
        "public_url": "https://feeds.example.org",
        "delivery": {
            "email": {
                "host": "smtp.example.org",
                "from": "Bot <bot@example.org>",
                "to": ["me@example.org"],
                "user": "bot",
                "password_env": "HOOK_SECRET",
            },
            "webhooks": [
                {"kind": "generic", "url": "https://example.org/h", "secret_env": "HOOK_SECRET"}
            ],
        },
    }
    settings = make_settings(tmp_path, config)
    assert settings.delivery is not None
    assert settings.delivery.email is not None
    assert settings.delivery.email.effective_port == 587
    assert settings.delivery.webhooks[0].kind == "generic"
    with pytest.raises(ConfigError, match="public_url"):
        make_settings(tmp_path, {"delivery": {"webhooks": []}})
    with pytest.raises(ConfigError, match=r"delivery\.webhooks\.0\.kind"):
        make_settings(
            tmp_path,
            {
                "public_url": "https://f.test",
                "delivery": {"webhooks": [{"kind": "x", "url": "https://h.test"}]},
            },
        )


async def test_refresh_delivers_once_a_day(tmp_path: Path, smtp_server: SMTPServer) -> None:
    store = MemoryStore()
    auth = {"Authorization": f"Bearer {SECRET}"}
    with WebhookReceiver() as rx:
        delivery = {
            "email": {
                "host": "127.0.0.1",
                "port": smtp_server.port,
                "security": "none",
                "from": "bot@example.org",
                "to": ["me@example.org"],
            },
            "webhooks": [{"kind": "slack", "url": f"{rx.url}/slack"}],
        }
        config = {"public_url": "https://feeds.example.org", "delivery": delivery}
        for _ in range(2):  # two runs, or two instances, on the same store
            async for c in open_client(tmp_path, config, store, cron_secret=SECRET, **LOOPBACK):
                first = (await c.post("/api/cron/refresh", headers=auth)).json()
                again = (await c.post("/api/cron/refresh", headers=auth)).json()
        assert len(rx.received) == 1
    assert len(smtp_server.messages) == 1
    assert first["delivery"]["day"] == "2026-01-06"
    assert {c["status"] for c in again["delivery"]["channels"]} == {"already_sent"}
    msg = smtp_server.messages[0]
    assert msg["List-Unsubscribe"] == "<https://feeds.example.org/>"
    assert msg["Subject"] == "arXiv papers: 30 papers for 2026-01-06"


async def test_refresh_without_delivery_reports_none(tmp_path: Path) -> None:
    async for c in open_client(tmp_path, {}, MemoryStore(), cron_secret=SECRET):
        report = (
            await c.post("/api/cron/refresh", headers={"Authorization": f"Bearer {SECRET}"})
        ).json()
    assert report["delivery"] is None


def test_cli_deliver_dry_run(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    delivery = {
        "webhooks": [{"kind": "discord", "url": "https://discord.example/api/webhooks/1/tok"}]
    }
    config.write_text(json.dumps({"public_url": "https://f.test", "delivery": delivery}), "utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARXIV_", "OPENAI_"))}
    env |= {"ARXIV_FEEDS_CONFIG": str(config), "ARXIV_SOURCE": "sample", "STORE_URL": "memory://"}
    done = subprocess.run(
        [sys.executable, "-m", "app", "deliver", "--dry-run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "===== default discord:discord.example: message 1 of" in done.stdout
    assert '"embeds"' in done.stdout
    assert "tok" not in done.stdout.replace("token", "")
    report = json.loads(done.stdout[done.stdout.rindex('{\n  "feed"') :])
    assert report["channels"][0]["status"] == "dry_run"


async def test_api_config_shows_delivery_without_secrets(tmp_path: Path) -> None:
    delivery = {
        "email": {"host": "smtp.example.org", "from": "bot@example.org", "to": ["me@example.org"]},
        "webhooks": [{"kind": "slack", "url": "https://hooks.slack.com/services/T0/B0/tok3n"}],
    }
    config = {"public_url": "https://f.test", "delivery": delivery}
    async for c in open_client(tmp_path, config, MemoryStore()):
        r = await c.get("/api/config")
    assert r.json()["delivery"] == {
        "email": "email:smtp.example.org",
        "email_recipients": 1,
        "webhooks": ["slack:hooks.slack.com"],
    }
    assert "tok3n" not in r.text
    assert "me@example.org" not in r.text


async def test_each_profile_delivers_its_own_digest_once(tmp_path: Path) -> None:
    store = MemoryStore()
    auth = {"Authorization": f"Bearer {SECRET}"}
    with WebhookReceiver() as rx:
        profiles = {
            "ml": {
                "categories": ["cs.LG"],
                "keywords": ["Learning"],
                "delivery": {"webhooks": [{"kind": "generic", "url": f"{rx.url}/ml"}]},
            },
            "quiet": {"categories": ["cs.AI"]},
        }
        config = {"public_url": "https://feeds.example.org", "profiles": profiles}
        for _ in range(2):
            async for c in open_client(tmp_path, config, store, cron_secret=SECRET, **LOOPBACK):
                report = (await c.post("/api/cron/refresh", headers=auth)).json()
        bodies = [r.json() for r in rx.received]
    assert report["delivery"] is None  # the configured feed delivers nowhere
    by_name = {p["name"]: p for p in report["profiles"]}
    assert set(by_name) == {"ml", "quiet"}
    assert by_name["quiet"]["delivery"] is None
    assert {c["status"] for c in by_name["ml"]["delivery"]["channels"]} == {"already_sent"}
    assert len(bodies) == 1  # once, across two runs
    assert bodies[0]["papers"]
    assert by_name["ml"]["items"] == len(bodies[0]["papers"])


async def test_a_profile_named_default_and_the_configured_feed_both_deliver(
    tmp_path: Path,
) -> None:
    """The ledger keys them apart (``default`` vs ``profile.default``), even on one channel."""
    store = MemoryStore()
    auth = {"Authorization": f"Bearer {SECRET}"}
    with WebhookReceiver() as rx:
        delivery = {"webhooks": [{"kind": "generic", "url": f"{rx.url}/both"}]}
        profiles = {"default": {"categories": ["cs.LG"], "delivery": delivery}}
        config = {"public_url": "https://f.test", "delivery": delivery, "profiles": profiles}
        for _ in range(2):  # and each of them once a day
            async for c in open_client(tmp_path, config, store, cron_secret=SECRET, **LOOPBACK):
                report = (await c.post("/api/cron/refresh", headers=auth)).json()
        bodies = [r.json() for r in rx.received]
    assert sorted(b["page_url"] for b in bodies) == ["https://f.test/", "https://f.test/p/default/"]
    assert [c["status"] for c in report["delivery"]["channels"]] == ["already_sent"]
    (profile,) = report["profiles"]
    assert [c["status"] for c in profile["delivery"]["channels"]] == ["already_sent"]


async def test_the_configured_feeds_earlier_ledger_records_still_count(tmp_path: Path) -> None:
    from app.delivery.ledger import Slot
    from app.delivery.settings import Webhook

    store = MemoryStore()
    auth = {"Authorization": f"Bearer {SECRET}"}
    with WebhookReceiver() as rx:
        hook = {"kind": "generic", "url": f"{rx.url}/h"}
        channel = Webhook.model_validate(hook).channel_id
        key = Slot("default", channel, date(2026, 1, 6)).key  # as written before profiles
        await store.set(f"{key}:sent", b"{}")
        config = {"public_url": "https://f.test", "delivery": {"webhooks": [hook]}}
        async for c in open_client(tmp_path, config, store, cron_secret=SECRET, **LOOPBACK):
            report = (await c.post("/api/cron/refresh", headers=auth)).json()
        assert rx.received == []
    assert [c["status"] for c in report["delivery"]["channels"]] == ["already_sent"]


async def test_a_profiles_earlier_ledger_records_still_count(tmp_path: Path) -> None:
    """Before profiles were keyed ``profile.<name>``, a profile's records were under its name:
    a day delivered then is not delivered again after the upgrade."""
    from app.delivery.ledger import Slot
    from app.delivery.settings import Webhook

    store = MemoryStore()
    auth = {"Authorization": f"Bearer {SECRET}"}
    with WebhookReceiver() as rx:
        hook = {"kind": "generic", "url": f"{rx.url}/h"}
        channel = Webhook.model_validate(hook).channel_id
        await store.set(f"{Slot('ml', channel, date(2026, 1, 6)).key}:sent", b"{}")
        profiles = {"ml": {"categories": ["cs.LG"], "delivery": {"webhooks": [hook]}}}
        config = {"public_url": "https://f.test", "profiles": profiles}
        async for c in open_client(tmp_path, config, store, cron_secret=SECRET, **LOOPBACK):
            report = (await c.post("/api/cron/refresh", headers=auth)).json()
        assert rx.received == []
    (profile,) = report["profiles"]
    assert [c["status"] for c in profile["delivery"]["channels"]] == ["already_sent"]

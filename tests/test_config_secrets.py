"""An unusable configuration shows no secret: every route's answer, the log and the CLI name the
setting and the rule, never the value of a secret (nor a dict or blob that holds one).

Each case sets every secret-bearing setting to a distinctive value: the cron secret, the admin
token, Redis and store passwords, the LLM and embeddings keys and the credentials in their base
URLs, the SMTP password, a webhook signing secret, and webhook URLs (whose path is the token),
configured and in a profile; then breaks the configuration in one way.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from app.config import get_settings
from app.main import create_app

ROOT = Path(__file__).resolve().parent.parent
SLACK = "https://hooks.slack.com/services/T000/B000/slacktoken-2Gh6"
DISCORD = "https://discord.com/api/webhooks/1/discordtoken-5Pk3"
PROFILE_HOOK = "https://hooks.slack.com/services/T1/B1/profiletoken-8Mn2"
SECRETS = {
    "CRON_SECRET": "cronsecret-7Hq2",
    "ADMIN_TOKEN": "admintoken-9Kd4",
    "PROVIDER_KEY": "sk-providerkey-2Wp6",
    "EMBED_KEY": "sk-embedkey-6Vn0",
    "SMTP_PASSWORD": "smtppw-1Cz5",
    "HOOK_SECRET": "hooksecret-0Bx7",
}
HIDDEN = [
    *SECRETS.values(),
    "redispw-3Jf8",
    "storepw-5Lm1",
    "basepw-8Rt3",
    "embedpw-4Ys9",
    "slacktoken-2Gh6",
    "discordtoken-5Pk3",
    "profiletoken-8Mn2",
]
EXTRA_KEY = {"kind": "slack", "url": PROFILE_HOOK, "token": "profiletoken-8Mn2"}
HEADERS = {"Authorization": "Bearer wrong", "Content-Type": "application/json"}
SAMPLE_PARAMS = {"categories": "cs.AI", "name": "mine", "arxiv_id": "2601.00001"}


def config(**change: Any) -> dict[str, Any]:
    """A configuration that holds every kind of secret; valid unless ``change`` breaks it."""
    delivery = {
        "email": {
            "host": "smtp.example.org",
            "from": "bot@example.org",
            "to": ["me@example.org"],
            "user": "bot",
            "password_env": "SMTP_PASSWORD",
        },
        "webhooks": [
            {"kind": "slack", "url": SLACK},
            {"kind": "discord", "url": DISCORD},
            {"kind": "generic", "url": "https://hooks.example.org/x", "secret_env": "HOOK_SECRET"},
        ],
    }
    return {
        "public_url": "https://feeds.example.org",
        "ai_summary": {
            "api_key_env": "PROVIDER_KEY",
            "base_url": "https://bot:basepw-8Rt3@llm.example/v1",
        },
        "embeddings": {
            "api_key_env": "EMBED_KEY",
            "base_url": "https://emb:embedpw-4Ys9@emb.example/v1",
        },
        "delivery": delivery,
        "profiles": {"mine": {"delivery": {"webhooks": [{"kind": "slack", "url": PROFILE_HOOK}]}}},
    } | change


def environment(tmp_path: Path, cfg: dict[str, Any], **extra: str) -> dict[str, str]:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg), encoding="utf-8")
    return SECRETS | {
        "ARXIV_FEEDS_CONFIG": str(path),
        "ARXIV_SOURCE": "sample",
        "ARXIV_FEEDS_SQLITE_PATH": str(tmp_path / "db.sqlite3"),
        "REDIS_URL": "redis://user:redispw-3Jf8@127.0.0.1:9/0",
        "STORE_URL": "rediss://:storepw-5Lm1@127.0.0.1:9/0",
        **extra,
    }


CASES = {
    # a model validator fails (delivery without public_url): its input is the whole settings
    "model validator": lambda tmp: environment(tmp, config(public_url=None)),
    # field validators fail on secret fields; a nested setting arrives as an unparsable blob
    "secret fields": lambda tmp: environment(
        tmp,
        config(
            ai_summary={"base_url": "ftp://bot:basepw-8Rt3@llm.example/v1"},
            embeddings={"base_url": "ftp://emb:embedpw-4Ys9@emb.example/v1"},
            profiles={"mine": {"delivery": {"webhooks": [EXTRA_KEY]}}},
        ),
        ARXIV_FEEDS_DELIVERY=json.dumps({"webhooks": [{"kind": "slack", "url": SLACK}]})[:-3],
        ARXIV_FEEDS_MAX_PAPERS="0",
    ),
    # an unencoded '/' in the password: the URL parser reads the password as the port
    "redis password as port": lambda tmp: environment(
        tmp, config(), STORE_URL="", REDIS_URL="redis://user:redispw-3Jf8/x@127.0.0.1:6379/0"
    ),
    "redis password with a space": lambda tmp: environment(
        tmp, config(), STORE_URL="", REDIS_URL="redis://user:a redispw-3Jf8@127.0.0.1:9/0"
    ),
    "store URL that does not parse": lambda tmp: environment(
        tmp, config(), STORE_URL="rediss://:storepw-5Lm1@[bad"
    ),
}


def every_route(app: FastAPI) -> Iterator[tuple[str, str]]:
    """(method, path with sample parameters) for each route, those of included routers too."""

    def walk(routes: list[Any], prefix: str) -> Iterator[tuple[str, str]]:
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:
                context = getattr(route, "include_context", None)
                yield from walk(inner.routes, prefix + (getattr(context, "prefix", "") or ""))
            elif getattr(route, "methods", None):
                path = re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: SAMPLE_PARAMS[m[1]], route.path)
                for method in sorted(route.methods - {"HEAD"}):
                    yield method, prefix + path

    return walk(list(app.routes), "")


def leaks(text: str) -> list[str]:
    return [secret for secret in HIDDEN if secret in text]


@pytest.mark.parametrize("case", list(CASES))
def test_an_unusable_configuration_shows_no_secret(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    env = CASES[case](tmp_path)
    for name in [k for k in os.environ if k.startswith(("ARXIV_", "OPENAI_"))]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    caplog.set_level(logging.DEBUG)
    get_settings.cache_clear()
    answers = []
    try:
        app = create_app()
        routes = list(every_route(app))
        with TestClient(app, raise_server_exceptions=False) as client:
            for method, path in routes:
                answers.append(
                    client.request(
                        method,
                        path,
                        headers=HEADERS,
                        content=b"{}" if method in ("PUT", "POST") else None,
                    )
                )
    finally:
        get_settings.cache_clear()
    assert len(routes) > 25  # every router's routes were found
    rss = answers[routes.index(("GET", "/rss"))]
    assert rss.status_code == 500
    assert rss.json()["error"]["code"] == "config_error"
    for answer in answers:
        assert not leaks(answer.text + str(answer.headers)), answer.request.url
    assert not leaks(caplog.text)
    assert caplog.records  # the error was logged

    cli_env = {k: v for k, v in os.environ.items() if not k.startswith(("ARXIV_", "OPENAI_"))}
    done = subprocess.run(
        [sys.executable, "-m", "app", "refresh"],
        cwd=ROOT, env=cli_env | env, capture_output=True, text=True, timeout=90, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "error: " in done.stderr
    assert not leaks(done.stdout + done.stderr)

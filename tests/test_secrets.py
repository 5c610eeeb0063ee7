"""No response, log line or error message carries an API key, a password or the cron secret."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from app.store import MemoryStore
from tests.conftest import ai_config, open_client
from tests.openai_stub import OpenAIStub

pytestmark = pytest.mark.anyio
KEY = "sk-live-0123456789abcdefSECRET"
CRON = "cron-secret-XYZ-987"
PASSWORD = "redis-pw-SECRET-42"


async def test_secrets_stay_out_of_responses_and_logs(
    tmp_path: Path,
    stub: OpenAIStub,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("PROVIDER_KEY", KEY)
    stub.always_fail = "500"  # every LLM call fails and gets logged
    config = ai_config(stub, api_key_env="PROVIDER_KEY")
    caplog.set_level(logging.DEBUG)
    bodies: list[str] = []
    async for c in open_client(
        tmp_path, config, MemoryStore(), cron_secret=CRON,
        redis_url=f"redis://user:{PASSWORD}@127.0.0.1:9/0",
    ):  # fmt: skip
        for path in ("/rss", "/atom", "/feed.json", "/api/config", "/health", "/api/papers",
                     "/digest.md", "/", "/rss/cs.XX", "/api/cron/refresh"):  # fmt: skip
            bodies.append((await c.get(path, headers={"Authorization": "Bearer nope"})).text)
    assert len(stub.chat_calls()) >= 1  # the key was really used
    assert stub.chat_calls()[0].headers["authorization"] == f"Bearer {KEY}"
    everything = "\n".join(bodies) + "\n" + caplog.text
    for secret in (KEY, CRON, PASSWORD):
        assert secret not in everything

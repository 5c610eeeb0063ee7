"""Webhooks post only to public addresses unless ``delivery_allow_private`` is set: a literal
private host is refused in the settings and in a profile sent to the API, and a name is
resolved when sending, refused if any of its addresses is not public, and connected to at the
very address that was checked."""

from __future__ import annotations

from ipaddress import ip_address
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.delivery.addresses import is_public, private_host
from app.delivery.deliver import deliver
from app.delivery.settings import Delivery, Webhook
from app.delivery.transport import PublicOnly
from app.delivery.webhooks import post
from app.errors import ConfigError, DeliveryError
from app.store import MemoryStore
from tests.conftest import make_settings, open_client
from tests.delivery_servers import WebhookReceiver
from tests.test_delivery import make_feed

pytestmark = pytest.mark.anyio
PUBLIC = "93.184.216.34"
ADMIN = "admin-t0ken"
TOKEN = "tok-SECRET-77"


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "localhost", "169.254.169.254", "10.0.0.5", "192.168.1.1", "[::1]",
     "[::ffff:127.0.0.1]", "0.0.0.0", "100.64.0.1", "[fe80::1]", "api.localhost"],  # noqa: S104
)  # fmt: skip
def test_the_settings_refuse_a_webhook_to_a_private_address(tmp_path: Path, host: str) -> None:
    hook = {"kind": "slack", "url": f"https://{host}/services/{TOKEN}"}
    where: list[dict[str, Any]] = [
        {"delivery": {"webhooks": [hook]}},
        {"profiles": {"mine": {"delivery": {"webhooks": [hook]}}}},
    ]
    for config in where:
        config["public_url"] = "https://feeds.example.org"
        with pytest.raises(ConfigError) as info:
            make_settings(tmp_path, config)
        assert f"slack:{host.strip('[]')}" in info.value.message
        assert "delivery_allow_private" in info.value.message
        assert TOKEN not in info.value.message
        assert make_settings(tmp_path, config, delivery_allow_private=True)


def test_public_hosts_and_names_pass_the_settings(tmp_path: Path) -> None:
    hooks = [
        {"kind": "slack", "url": f"https://hooks.slack.com/services/{TOKEN}"},
        {"kind": "generic", "url": f"https://{PUBLIC}/hook"},
    ]
    config = {"public_url": "https://f.test", "delivery": {"webhooks": hooks}}
    assert make_settings(tmp_path, config).delivery is not None
    assert not private_host("hooks.slack.com")
    assert is_public(ip_address(PUBLIC))
    assert not is_public(ip_address("64:ff9b::a00:5"))  # NAT64 for 10.0.0.5
    assert not is_public(ip_address("2002:a00:5::"))  # 6to4 for 10.0.0.5
    assert not is_public(ip_address("224.0.0.1"))  # multicast


async def test_a_profile_sent_to_the_api_with_a_private_webhook_is_refused(tmp_path: Path) -> None:
    auth = {"Authorization": f"Bearer {ADMIN}", "Content-Type": "application/json"}
    body = {
        "categories": ["cs.AI"],
        "delivery": {"webhooks": [{"kind": "generic", "url": f"https://169.254.169.254/{TOKEN}"}]},
    }
    for allowed in (False, True):
        async for c in open_client(
            tmp_path, {}, MemoryStore(), admin_token=ADMIN, delivery_allow_private=allowed
        ):
            answer = await c.put("/api/profiles/mine", json=body, headers=auth)
        if allowed:
            assert answer.status_code == 200, answer.text
        else:
            assert answer.status_code == 422
            assert "generic:169.254.169.254" in answer.json()["error"]["message"]
            assert TOKEN not in answer.text


class Resolver:
    """Answers from a script, one answer per lookup (the last repeats), recording lookups."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.lookups: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append((host, port))
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def guarded(resolver: Resolver, seen: list[httpx.Request]) -> httpx.AsyncClient:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text="ok")

    transport = PublicOnly(httpx.MockTransport(handler), resolver)
    return httpx.AsyncClient(transport=transport, follow_redirects=False)


@pytest.mark.parametrize(
    "addresses",
    [["10.0.0.5"], ["127.0.0.1"], ["169.254.169.254"], [PUBLIC, "10.0.0.5"], ["::1"], []],
)
async def test_a_name_that_resolves_to_a_private_address_gets_nothing(
    addresses: list[str],
) -> None:
    seen: list[httpx.Request] = []
    delivery = Delivery.model_validate(
        {"webhooks": [{"kind": "generic", "url": f"https://hooks.example/{TOKEN}"}]}
    )
    async with guarded(Resolver(addresses), seen) as http:
        report = await deliver(
            make_feed(), delivery, feed_name="default", title="t", page_url=None,
            store=MemoryStore(), http=http,
        )  # fmt: skip
    (channel,) = report.channels
    assert channel.status == "failed"
    assert channel.error is not None
    assert "hooks.example" in channel.error
    assert "not public" in channel.error
    assert TOKEN not in channel.error
    assert seen == []


async def test_the_request_goes_to_the_address_that_was_checked() -> None:
    seen: list[httpx.Request] = []
    resolver = Resolver([PUBLIC], ["10.0.0.5"])  # the second lookup is rebound to a private one
    hook = Webhook(kind="generic", url=f"https://hooks.example:8443/{TOKEN}")
    async with guarded(resolver, seen) as http:
        await post(http, hook, {"text": "hello"})
        with pytest.raises(DeliveryError, match="not public"):
            await post(http, hook, {"text": "again"})
    (request,) = seen
    assert request.url == httpx.URL(f"https://{PUBLIC}:8443/{TOKEN}")
    assert request.headers["Host"] == "hooks.example:8443"
    assert request.extensions["sni_hostname"] == "hooks.example"  # TLS checks this name
    assert resolver.lookups == [("hooks.example", 8443)] * 2


async def test_the_refresh_resolves_webhook_names_before_posting(tmp_path: Path) -> None:
    """2130706433 is not an address to the settings' check, but the resolver reads it as
    127.0.0.1: the refresh refuses it (no receiver is reached, whatever the scheme)."""
    auth = {"Authorization": "Bearer cron"}
    with WebhookReceiver() as rx:
        port = rx.url.rsplit(":", 1)[1]
        hook = {"kind": "generic", "url": f"https://2130706433:{port}/{TOKEN}"}
        config = {"public_url": "https://f.test", "delivery": {"webhooks": [hook]}}
        async for c in open_client(tmp_path, config, MemoryStore(), cron_secret="cron"):
            report = (await c.post("/api/cron/refresh", headers=auth)).json()
        assert rx.received == []
    (channel,) = report["delivery"]["channels"]
    assert channel["status"] == "failed"
    assert "2130706433 resolves to an address that is not public" in channel["error"]

"""The Lambda handler with API Gateway REST (v1), HTTP API (v2) and ALB events."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import feedparser
import httpx
import pytest

from app.aws import make_handler
from app.config import load_settings
from app.main import create_app
from app.models import RankedFeed
from app.render.feeds import FeedMeta
from app.render.formats import Format, register, unregister
from app.store import MemoryStore
from tests.conftest import make_settings


@pytest.fixture
def handler(tmp_path: Path) -> Any:
    settings = make_settings(tmp_path, arxiv_source="sample")
    return make_handler(create_app(settings, store=MemoryStore()))


def rest_v1(path: str, query: dict[str, str] | None = None, **headers: str) -> dict[str, Any]:
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": "GET",
        "headers": {"Host": "abc.execute-api.us-east-1.amazonaws.com", **headers},
        "multiValueHeaders": {},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in (query or {}).items()} or None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{proxy+}",
            "httpMethod": "GET",
            "path": f"/prod{path}",
            "stage": "prod",
            "requestId": "id",
            "identity": {"sourceIp": "203.0.113.1"},
        },
        "body": None,
        "isBase64Encoded": False,
    }


def http_v2(path: str, query: str = "", **headers: str) -> dict[str, Any]:
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {"host": "abc.lambda-url.us-east-1.on.aws", **headers},
        "requestContext": {
            "http": {"method": "GET", "path": path, "protocol": "HTTP/1.1", "sourceIp": "1.2.3.4"},
            "stage": "$default",
            "requestId": "id",
        },
        "isBase64Encoded": False,
    }


def alb(path: str, query: dict[str, str] | None = None, **headers: str) -> dict[str, Any]:
    return {
        "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:x"}},
        "httpMethod": "GET",
        "path": path,
        "queryStringParameters": query or {},
        "headers": {"host": "lb.example.com", **headers},
        "body": "",
        "isBase64Encoded": False,
    }


def body_of(result: dict[str, Any]) -> bytes:
    body = result.get("body") or ""
    return base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()


def header(result: dict[str, Any], name: str) -> str:
    headers = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
    multi = {k.lower(): v for k, v in (result.get("multiValueHeaders") or {}).items()}
    return str(headers.get(name) or (multi.get(name) or [""])[0])


@pytest.mark.parametrize("make_event", [rest_v1, http_v2, alb])
def test_feed_through_each_event_kind(handler: Any, make_event: Any) -> None:
    result = handler(make_event("/rss"), None)
    assert result["statusCode"] == 200
    assert header(result, "content-type") == "application/rss+xml; charset=utf-8"
    assert not result.get("isBase64Encoded")  # feeds go out as text
    parsed = feedparser.parse(body_of(result))
    assert parsed.bozo == 0
    assert len(parsed.entries) > 5
    etag = header(result, "etag")
    again = handler(make_event("/rss", **{"if-none-match": etag}), None)
    assert again["statusCode"] == 304


def test_query_parameters_and_errors(handler: Any) -> None:
    limited = handler(http_v2("/atom", "limit=2"), None)
    assert len(feedparser.parse(body_of(limited)).entries) == 2
    rest = handler(rest_v1("/rss/cs.DC", {"limit": "1"}), None)
    assert len(feedparser.parse(body_of(rest)).entries) == 1
    missing = handler(alb("/rss/cs.XX"), None)
    assert missing["statusCode"] == 404
    assert b'"unknown_category"' in body_of(missing)


def test_services_and_state_outlive_each_invocation(tmp_path: Path, fake_arxiv: Any) -> None:
    """Lambda keeps the instance between invocations; so must the app (no lifespan per call)."""
    app = create_app(make_settings(tmp_path), transport=httpx.MockTransport(fake_arxiv))
    handler = make_handler(app)
    assert handler(http_v2("/rss"), None)["statusCode"] == 200
    services = app.state.runtime._services
    assert services is not None
    health = json.loads(body_of(handler(http_v2("/health"), None)))
    assert health["upstream"] == "ok"
    assert health["upstream_fetches"] == 1
    assert health["last_refresh"]["day"] == "2026-01-06"
    assert handler(rest_v1("/atom"), None)["statusCode"] == 200
    assert app.state.runtime._services is services  # not rebuilt, not closed
    assert len(fake_arxiv.requests) == 1  # the listing held from the first invocation


def test_sqlite_defaults_to_tmp_on_lambda(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VERCEL", raising=False)
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    config = tmp_path / "config.json"
    config.write_text("{}", encoding="utf-8")
    assert load_settings(config_file=config).sqlite_path == Path("data/arxiv-feeds.sqlite3")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "arxiv-feeds")
    assert load_settings(config_file=config).sqlite_path == Path("/tmp/arxiv-feeds.sqlite3")


def test_every_registered_format_goes_out_as_text(tmp_path: Path) -> None:
    def render_lines(feed: RankedFeed, meta: FeedMeta) -> bytes:
        return "\n".join(i.paper.title for i in feed.items).encode()

    toy = Format("lines", "lines", "application/x-lines", "Lines", render_lines, "lines")
    register(toy)
    try:
        app = create_app(make_settings(tmp_path, arxiv_source="sample"), store=MemoryStore())
        result = make_handler(app)(http_v2("/lines/cs.AI"), None)
    finally:
        unregister(toy.key)
    assert result["statusCode"] == 200
    assert header(result, "content-type") == "application/x-lines"
    assert not result.get("isBase64Encoded")
    assert result["body"].count("\n") >= 4  # the titles, one a line, as they are

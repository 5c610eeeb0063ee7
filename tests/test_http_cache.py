"""ETag, Last-Modified, 304s and Cache-Control on feeds."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime

import httpx
import pytest

from app.http_cache import Rendered, cache_headers, is_not_modified

pytestmark = pytest.mark.anyio


async def test_etag_and_304(client: httpx.AsyncClient) -> None:
    first = await client.get("/rss")
    etag = first.headers["etag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    assert (await client.get("/rss")).headers["etag"] == etag  # same body, same tag
    cached = await client.get("/rss", headers={"If-None-Match": etag})
    assert cached.status_code == 304
    assert cached.content == b""
    assert cached.headers["etag"] == etag
    listed = await client.get("/rss", headers={"If-None-Match": f'"nope", W/{etag}'})
    assert listed.status_code == 304
    changed = await client.get("/rss", headers={"If-None-Match": '"other"'})
    assert changed.status_code == 200
    assert changed.content == first.content
    assert (await client.get("/atom")).headers["etag"] != etag
    assert (await client.get("/rss?limit=2")).headers["etag"] != etag


async def test_last_modified_and_if_modified_since(client: httpx.AsyncClient) -> None:
    first = await client.get("/rss")
    last = parsedate_to_datetime(first.headers["last-modified"])
    assert last == datetime(2026, 1, 6, 5, tzinfo=UTC)  # the announcement, not the clock
    same = await client.get("/rss", headers={"If-Modified-Since": first.headers["last-modified"]})
    assert same.status_code == 304
    before = format_datetime(last - timedelta(days=1), usegmt=True)
    assert (await client.get("/rss", headers={"If-Modified-Since": before})).status_code == 200
    junk = await client.get("/rss", headers={"If-Modified-Since": "yesterday-ish"})
    assert junk.status_code == 200


async def test_cache_control_lasts_until_the_next_update(client: httpx.AsyncClient) -> None:
    r = await client.get("/rss")
    control = r.headers["cache-control"]
    s_maxage = int(re.search(r"s-maxage=(\d+)", control).group(1))  # type: ignore[union-attr]
    assert 0 < s_maxage <= 24 * 3600
    assert "stale-while-revalidate=" in control
    assert control.startswith("public")


def test_validators_unit() -> None:
    now = datetime(2026, 1, 6, 12, tzinfo=UTC)
    rendered = Rendered.of(b"body", "text/plain", now)
    assert is_not_modified({"if-none-match": "*"}, rendered)
    assert not is_not_modified({}, rendered)
    # If-None-Match wins over If-Modified-Since
    later = format_datetime(now + timedelta(hours=1), usegmt=True)
    assert not is_not_modified({"if-none-match": '"x"', "if-modified-since": later}, rendered)
    headers = cache_headers(rendered, now + timedelta(hours=2), now, stale=False)
    assert "s-maxage=7200" in headers["Cache-Control"]
    assert (
        "s-maxage=60"
        in cache_headers(rendered, now + timedelta(hours=2), now, True)["Cache-Control"]
    )


def test_answers_bigger_than_the_platform_sends_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app.errors import ResponseTooLarge
    from app.serving import check_size, response_limit

    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    monkeypatch.delenv("VERCEL", raising=False)
    assert response_limit() is None
    check_size(50_000_000)  # no limit on a server of your own
    monkeypatch.setenv("VERCEL", "1")
    assert response_limit() == 4_500_000
    check_size(4_500_000)
    with pytest.raises(ResponseTooLarge) as err:
        check_size(4_500_001)
    assert err.value.status == 422
    assert "4,500,000 bytes" in err.value.message
    assert "limit=" in (err.value.hint or "")
    monkeypatch.delenv("VERCEL")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "arxiv-feeds")
    assert response_limit() == 6_000_000

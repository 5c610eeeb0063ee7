"""``redact``: credentials in any URL, in user info or in the query, never pass through."""

from __future__ import annotations

import pytest

from app.redaction import redact


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("https://u:pw@h/x", "https://u:***@h/x"),
        ("https://tok123@h/x", "https://***@h/x"),
        ("https://h/x?api_key=abc&page=2", "https://h/x?api_key=***&page=2"),
        ("https://h/x?apikey=abc", "https://h/x?apikey=***"),
        ("https://h/x?page=1&token=t0k", "https://h/x?page=1&token=***"),
        ("https://h/x?auth=a1", "https://h/x?auth=***"),
        ("https://h/x?key=k1#top", "https://h/x?key=***#top"),
        ("https://h/x?sig=s1;x=2", "https://h/x?sig=***;x=2"),
        ("https://h/x?X-Amz-Signature=s1", "https://h/x?X-Amz-Signature=***"),
        ("https://h/x?Access_Token=s1", "https://h/x?Access_Token=***"),
        ("rediss://:pw@kv:6380/0?password=q", "rediss://:***@kv:6380/0?password=***"),
        ("error at https://h/x?client_secret=c9 now", "error at https://h/x?client_secret=*** now"),
        ("https://h/x?monkey=1&keyboard=2", "https://h/x?monkey=1&keyboard=2"),
    ],
)
def test_credentials_in_urls_are_hidden(text: str, shown: str) -> None:
    assert redact(text) == shown

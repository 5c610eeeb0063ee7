"""HTTP caching for feeds and JSON: strong ETags, Last-Modified, 304s and CDN directives.

Readers poll feeds every few minutes, so most polls should end in a ``304 Not Modified`` or at
the CDN. ``s-maxage`` lasts until arXiv's next update (midnight America/New_York), with
``stale-while-revalidate`` so the CDN keeps answering while it refreshes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

BROWSER_MAX_AGE = 300
STALE_WHILE_REVALIDATE = 3600
STALE_S_MAXAGE = 60


@dataclass(frozen=True, slots=True)
class Rendered:
    """A rendered body with its validators."""

    body: bytes
    media_type: str
    etag: str
    last_modified: datetime

    @classmethod
    def of(cls, body: bytes, media_type: str, last_modified: datetime) -> Rendered:
        """Compute the strong ETag (a hash of the body)."""
        digest = hashlib.sha256(body).hexdigest()[:32]
        return cls(body, media_type, f'"{digest}"', last_modified.astimezone(UTC))


def is_not_modified(headers: Mapping[str, str], rendered: Rendered) -> bool:
    """Whether the request's validators match (If-None-Match wins over If-Modified-Since)."""
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or rendered.etag in tags
    if_modified_since = headers.get("if-modified-since")
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return rendered.last_modified.replace(microsecond=0) <= since
    return False


def cache_headers(
    rendered: Rendered, fresh_until: datetime, now: datetime, stale: bool
) -> dict[str, str]:
    """``ETag``, ``Last-Modified`` and ``Cache-Control`` for a response."""
    s_maxage = STALE_S_MAXAGE if stale else max(0, int((fresh_until - now).total_seconds()))
    return {
        "ETag": rendered.etag,
        "Last-Modified": format_datetime(rendered.last_modified, usegmt=True),
        "Cache-Control": (
            f"public, max-age={min(BROWSER_MAX_AGE, s_maxage)}, s-maxage={s_maxage}, "
            f"stale-while-revalidate={STALE_WHILE_REVALIDATE}"
        ),
    }

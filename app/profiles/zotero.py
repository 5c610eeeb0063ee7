"""Reading a Zotero library through Zotero's Web API v3 (I/O), and its items as
``LibraryEntry`` models (pure: ``item_entry``).

A small client over ``httpx`` rather than ``pyzotero``: pyzotero is synchronous and brings
``requests``, ``feedparser``, ``bibtexparser`` 2 and more into a serverless bundle, while this
service already speaks async ``httpx`` everywhere; and reading a library takes only the
documented behaviours below, each tested against a loopback server that answers as Zotero's
documentation says (``tests/zotero_server.py``).

What a read does (Zotero's "basics" and "syncing" pages):

- ``GET <zotero_api_url>/<users|groups>/<id>/items`` (or ``/collections/<key>/items`` for each
  collection named) with ``format=json``, ``itemType=-attachment || note`` (notes and
  attachments are skipped here too), newest added first, ``limit=100`` a page, following
  ``Link: <...>; rel="next"`` (``start`` counted from ``Total-Results`` when there is none)
  until the last page or ``max_entries`` entries: a larger library keeps its newest papers.
- ``Zotero-API-Version: 3``, and ``Zotero-API-Key`` when the profile names a key: a header,
  never in a URL or a message. Redirects are not followed, and a ``next`` link to another
  origin is refused, so the key is only ever sent to ``zotero_api_url``.
- ``If-Modified-Since-Version: <version>`` on the first request of a read: ``304`` means the
  library is unchanged (``read`` returns None), which costs that one request. The version
  kept is the first page's ``Last-Modified-Version``: a library changed while being read is
  read again next time.
- ``403``: the key is wrong or may not read the library; ``404``: no such library or
  collection. ``429``/``503`` with ``Retry-After`` (or ``Backoff``): waited out when the wait
  is short (``max_wait``) and fits before ``deadline``, else a ``LibrarySyncError`` carrying
  the wait; ``Backoff`` on a success delays the next request the same way.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from app.errors import LibrarySyncError
from app.profiles.entries import LibraryEntry
from app.profiles.ids import find_arxiv_id, find_doi
from app.profiles.model import ZoteroSource

PAGE = 100  # Zotero's largest page
MAX_ENTRIES = 5000  # as for a library file
MAX_PAGES = 200  # a server that ignores the filter still ends
MAX_WAIT = 10.0  # seconds of Retry-After/Backoff waited out within one read
RETRIES = 3  # 429/503 answers waited out per request
SKIPPED = frozenset({"attachment", "note", "annotation"})
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class LibraryRead:
    """What a read found: the library's version, its entries (newest added first), how many
    items the pages held, and whether it stopped at ``max_entries``."""

    version: int | None
    entries: tuple[LibraryEntry, ...]
    items: int
    truncated: bool = False


class ZoteroClient:
    """Reads one library at a time over ``http`` (which must not follow redirects)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        *,
        max_entries: int = MAX_ENTRIES,
        max_wait: float = MAX_WAIT,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.http = http
        self.base = base_url.rstrip("/")
        self.max_entries = max_entries
        self.max_wait = max_wait
        self.sleep = sleep
        self._pause_until = 0.0  # monotonic: a Backoff asked for

    async def read(
        self,
        source: ZoteroSource,
        key: str | None,
        *,
        since: int | None,
        where: str,
        deadline: float | None = None,
    ) -> LibraryRead | None:
        """The library's items, or None when its version is still ``since`` (a 304).

        ``where`` names the profile in errors; ``deadline`` (``time.monotonic()``) bounds
        the waits Zotero asks for. Raises ``LibrarySyncError``.
        """
        headers = {"Zotero-API-Version": "3"}
        if key:
            headers["Zotero-API-Key"] = key
        paths = [f"/collections/{c}/items" for c in source.collections] or ["/items"]
        version: int | None = None
        seen: set[str] = set()
        entries: list[LibraryEntry] = []
        items = 0
        first = True
        for path in paths:
            url: str | None = f"{self.base}/{source.library}{path}"
            params: dict[str, str | int] | None = {
                "format": "json",
                "itemType": "-attachment || note",
                "sort": "dateAdded",
                "direction": "desc",
                "limit": PAGE,
            }
            for _ in range(MAX_PAGES):
                if url is None or len(entries) >= self.max_entries:
                    break
                extra = {"If-Modified-Since-Version": str(since)} if first and since else {}
                r = await self._get(url, params, headers | extra, source, where, deadline)
                if first and r.status_code == 304:
                    return None
                first = False
                if version is None:
                    version = _int(r.headers.get("Last-Modified-Version"))
                page = _page(r, where)
                items += len(page)
                for item in page:
                    item_key = str(item.get("key") or "")
                    entry = item_entry(item)
                    if entry is not None and (not item_key or item_key not in seen):
                        seen.add(item_key)
                        entries.append(entry)
                url, params = self._next(r, url, params, len(page), where)
        truncated = len(entries) > self.max_entries or url is not None
        return LibraryRead(version, tuple(entries[: self.max_entries]), items, truncated)

    def _next(
        self,
        r: httpx.Response,
        url: str,
        params: dict[str, str | int] | None,
        count: int,
        where: str,
    ) -> tuple[str | None, dict[str, str | int] | None]:
        """The next page: the ``Link`` header's, else by ``start`` when ``Total-Results``
        says there is more, else None."""
        link = r.links.get("next", {}).get("url")
        if link:
            target = urlsplit(str(r.request.url.join(link)))
            home = urlsplit(self.base)
            if (target.scheme, target.netloc) != (home.scheme, home.netloc):
                raise LibrarySyncError(f"{where}: Zotero's next page is on another host")
            return target.geturl(), None
        total = _int(r.headers.get("Total-Results"))
        start = _int(r.url.params.get("start")) or 0
        if params is None or total is None or count == 0 or start + count >= total:
            return None, None
        return url, {**params, "start": start + count}

    async def _get(
        self,
        url: str,
        params: dict[str, str | int] | None,
        headers: dict[str, str],
        source: ZoteroSource,
        where: str,
        deadline: float | None,
    ) -> httpx.Response:
        for attempt in range(RETRIES + 1):
            await self._wait(self._pause_until - time.monotonic(), where, deadline)
            try:
                r = await self.http.get(url, params=params, headers=headers)
            except httpx.TimeoutException:
                raise LibrarySyncError(f"{where}: Zotero did not answer in time") from None
            except httpx.HTTPError as exc:
                raise LibrarySyncError(
                    f"{where}: Zotero could not be reached ({type(exc).__name__})"
                ) from None
            backoff = _seconds(r.headers.get("Backoff"))
            if r.status_code in (429, 503):
                wait = max(backoff or 0.0, _seconds(r.headers.get("Retry-After")) or 0.0)
                if attempt < RETRIES and self._may_wait(wait or 1.0, deadline):
                    await self.sleep(wait or 1.0)
                    continue
                busy = "rate-limits this key" if r.status_code == 429 else "is unavailable"
                raise LibrarySyncError(
                    f"{where}: Zotero {busy} ({r.status_code}); asked to wait "
                    f"{round(wait or 60)} s",
                    retry_after=wait or 60.0,
                )
            if backoff:
                self._pause_until = time.monotonic() + backoff
            if r.status_code in (200, 304):
                return r
            raise LibrarySyncError(_refusal(r.status_code, source, where))
        raise AssertionError("unreachable")  # pragma: no cover

    def _may_wait(self, wait: float, deadline: float | None) -> bool:
        fits = deadline is None or time.monotonic() + wait < deadline
        return wait <= self.max_wait and fits

    async def _wait(self, wait: float, where: str, deadline: float | None) -> None:
        if wait <= 0:
            return
        if not self._may_wait(wait, deadline):
            raise LibrarySyncError(
                f"{where}: Zotero asked to back off for {round(wait)} s", retry_after=wait
            )
        await self.sleep(wait)


def _refusal(status: int, source: ZoteroSource, where: str) -> str:
    """Why Zotero refused, naming the library and the key's variable (never the key)."""
    if status == 403:
        if source.api_key_env is None:
            return (
                f"{where}: Zotero refused access to {source.library} without a key (403); "
                "set zotero.api_key_env to the environment variable holding a read key"
            )
        return (
            f"{where}: Zotero refused the key in ${source.api_key_env} for {source.library} "
            "(403); check that it is a current key with read access to this library"
        )
    if status == 404:
        what = f"collection(s) {', '.join(source.collections)} in " if source.collections else ""
        return f"{where}: Zotero has no {what}{source.library} (404)"
    return f"{where}: Zotero answered {status} for {source.library}"


def _page(r: httpx.Response, where: str) -> list[Mapping[str, Any]]:
    try:
        data = r.json()
    except ValueError:
        raise LibrarySyncError(f"{where}: Zotero's answer is not JSON") from None
    if not isinstance(data, list):
        raise LibrarySyncError(f"{where}: Zotero's answer is not a list of items")
    return [i for i in data if isinstance(i, Mapping)]


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.strip().isdigit() else None


def _seconds(value: str | None) -> float | None:
    """``Retry-After``/``Backoff`` as seconds (both are whole seconds in Zotero's answers)."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if 0 < seconds < 86_400 else None


def item_entry(item: Mapping[str, Any]) -> LibraryEntry | None:
    """One item of Zotero's JSON as an entry; None for notes, attachments, annotations and
    items with neither a title nor an arXiv id. The arXiv id comes from the URL, the
    ``archiveID`` (``arXiv:2401.12345``), ``extra`` (``arXiv: 2401.12345``) or an arXiv DOI."""
    data = item.get("data")
    if not isinstance(data, Mapping) or data.get("itemType") in SKIPPED:
        return None
    title = _text(data.get("title"))
    doi_field = _text(data.get("DOI"))
    extra = str(data.get("extra") or "")
    sources = [doi_field, _text(data.get("url")), _text(data.get("archiveID")), extra]
    arxiv_id = next((i for i in map(find_arxiv_id, sources) if i), None)
    if not title and arxiv_id is None:
        return None
    meta = item.get("meta")
    parsed = str(meta.get("parsedDate") or "") if isinstance(meta, Mapping) else ""
    return LibraryEntry(
        title=title or None,
        abstract=_text(data.get("abstractNote")),
        authors=_authors(data.get("creators")),
        arxiv_id=arxiv_id,
        doi=find_doi(doi_field) or _extra_doi(extra),
        year=_year(parsed or str(data.get("date") or "")),
        added=_when(data.get("dateAdded")),
    )


def _text(value: object) -> str:
    return " ".join(str(value).split()) if isinstance(value, str) else ""


def _authors(creators: object) -> list[str]:
    if not isinstance(creators, list):
        return []
    named = [c for c in creators if isinstance(c, Mapping)]
    authors = [c for c in named if c.get("creatorType", "author") == "author"] or named
    names = (
        _text(c.get("name")) or _text(f"{c.get('firstName') or ''} {c.get('lastName') or ''}")
        for c in authors
    )
    return [n for n in names if n]


def _extra_doi(extra: str) -> str | None:
    """A ``DOI: 10.x/y`` line of ``extra`` (where Zotero keeps fields an item type lacks)."""
    for line in extra.splitlines():
        name, _, value = line.partition(":")
        if name.strip().upper() == "DOI":
            return find_doi(value)
    return None


def _year(date: str) -> int | None:
    """The first four-digit number of a date (``2024-01-15``, ``January 2024``)."""
    for part in re.split(r"\D+", date):
        if len(part) == 4 and 1800 <= int(part) <= 2999:
            return int(part)
    return None


def _when(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None

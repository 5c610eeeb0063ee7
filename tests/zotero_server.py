"""A Zotero Web API v3 stand-in on loopback, answering reads as Zotero's documentation says.

``ZoteroServer`` serves ``GET /<users|groups>/<id>/items`` and
``/<users|groups>/<id>/collections/<key>/items`` from libraries held in memory:

- ``Zotero-API-Key`` (or ``Authorization: Bearer``) must be a key allowed to read the library,
  else ``403 Forbidden`` (a library in ``public`` needs none);
- ``itemType`` searches as documented (``-attachment || note``: neither; ``book || thesis``:
  either), sorted by ``sort``/``direction`` (``dateAdded`` and ``title``);
- pages by ``start``/``limit`` (default 25, at most 100), with ``Total-Results`` and a ``Link``
  header (``first``, ``prev``, ``next``, ``last``, ``alternate``);
- ``Last-Modified-Version`` on every answer, and ``304 Not Modified`` when
  ``If-Modified-Since-Version`` is the library's version or later;
- ``queue`` holds canned answers given before the next real one (a ``429`` with
  ``Retry-After``, a ``503``), and ``backoff`` adds a ``Backoff`` header to successes.

Each request is recorded (path, query, the version asked about, whether a key came), so tests
count the requests a sync cost. Runs a stdlib ``ThreadingHTTPServer`` in a thread, on
``127.0.0.1`` only::

    with ZoteroServer() as base_url:   # "http://127.0.0.1:<port>"
        ...
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.loopback import LoopbackServer, OwnedServer

EPOCH = datetime(2025, 1, 1, tzinfo=UTC)


def item(
    key: str,
    title: str = "",
    *,
    item_type: str = "journalArticle",
    abstract: str = "",
    added: int = 0,
    creators: list[dict[str, str]] | None = None,
    **fields: str,
) -> dict[str, Any]:
    """An item's ``data`` as Zotero stores it; ``added``: days after 2025-01-01."""
    data: dict[str, Any] = {
        "key": key,
        "version": 1,
        "itemType": item_type,
        "title": title,
        "abstractNote": abstract,
        "creators": creators
        or [{"creatorType": "author", "firstName": "A.", "lastName": "Author"}],
        "dateAdded": (EPOCH + timedelta(days=added)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "collections": [],
    }
    if item_type in ("note", "attachment"):
        data = {"key": key, "version": 1, "itemType": item_type, "parentItem": "PARENT01"}
        data["dateAdded"] = (EPOCH + timedelta(days=added)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return data | fields


@dataclass
class Library:
    """A library: its version, its items (``data`` dicts) and collections (item keys)."""

    version: int = 1
    items: list[dict[str, Any]] = field(default_factory=list)
    collections: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Seen:
    """One request as received."""

    path: str
    query: dict[str, str]
    since: str | None  # If-Modified-Since-Version
    keyed: bool


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        status, headers, body = self.server.owner.answer(self)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: requests are recorded, not logged."""


class _Server(OwnedServer):
    owner: ZoteroServer


class ZoteroServer(LoopbackServer):
    """The stand-in; ``libraries`` by ``users/<id>``/``groups/<id>``, ``keys`` by key. As a
    context manager it yields its base URL."""

    handler = _Handler
    server_class = _Server

    def __init__(self) -> None:
        super().__init__()
        self.libraries: dict[str, Library] = {}
        self.keys: dict[str, set[str]] = {}  # key -> libraries it may read
        self.public: set[str] = set()
        self.queue: deque[tuple[int, dict[str, str]]] = deque()
        self.backoff: str | None = None
        self.seen: list[Seen] = []
        self._lock = threading.Lock()

    def add(self, library: str, *items: dict[str, Any], bump: bool = True) -> None:
        """Add items to ``library`` (made when new), a change that raises its version."""
        with self._lock:
            held = self.libraries.setdefault(library, Library())
            held.items.extend(items)
            if bump:
                held.version += 1

    def answer(self, request: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and body for one GET."""
        parts = urlsplit(request.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        key = request.headers.get("Zotero-API-Key")
        bearer = request.headers.get("Authorization", "")
        if not key and bearer.startswith("Bearer "):
            key = bearer.removeprefix("Bearer ")
        since = request.headers.get("If-Modified-Since-Version")
        with self._lock:
            self.seen.append(Seen(parts.path, query, since, bool(key)))
            if self.queue:
                status, headers = self.queue.popleft()
                return status, headers, b"Too many requests\n" if status == 429 else b"\n"
            return self._items(parts.path, query, key, since)

    def _items(
        self, path: str, query: dict[str, str], key: str | None, since: str | None
    ) -> tuple[int, dict[str, str], bytes]:
        text = {"Content-Type": "text/plain"}
        bits = path.strip("/").split("/")
        if len(bits) < 3 or bits[0] not in ("users", "groups") or bits[-1] != "items":
            return 404, text, b"Not found\n"
        name = f"{bits[0]}/{bits[1]}"
        library = self.libraries.get(name)
        if library is None:
            return 404, text, b"Not found\n"
        if name not in self.public and (key is None or name not in self.keys.get(key, set())):
            return 403, text, b"Forbidden\n"
        version = {"Last-Modified-Version": str(library.version)}
        if since is not None and since.isdigit() and int(since) >= library.version:
            return 304, version, b""
        chosen = library.items
        if bits[2:4] and bits[2] == "collections":
            if len(bits) != 5 or bits[3] not in library.collections:
                return 404, text, b"Collection not found\n"
            members = set(library.collections[bits[3]])
            chosen = [i for i in chosen if i["key"] in members]
        chosen = _filter(chosen, query.get("itemType"))
        order = query.get("sort", "dateModified")
        if order in ("dateAdded", "title"):
            chosen = sorted(chosen, key=lambda i: str(i.get(order, "")))
            if query.get("direction", "asc") == "desc":
                chosen.reverse()
        start = int(query.get("start", "0"))
        limit = min(100, int(query.get("limit", "25")))
        page = chosen[start : start + limit]
        headers = version | {
            "Content-Type": "application/json",
            "Total-Results": str(len(chosen)),
            "Zotero-API-Version": "3",
            "Link": self._links(path, query, start, limit, len(chosen)),
        }
        if self.backoff:
            headers["Backoff"] = self.backoff
        body = [self._envelope(name, i) for i in page]
        return 200, headers, json.dumps(body).encode()

    def _links(self, path: str, query: dict[str, str], start: int, limit: int, total: int) -> str:
        def at(where: int) -> str:
            params = {k: v for k, v in query.items() if k != "start"}
            params |= {"start": str(where)} if where else {}
            return f"<{self.url}{path}?{urlencode(params)}>"

        links = [f'{at(0)}; rel="first"']
        if start > 0:
            links.append(f'{at(max(0, start - limit))}; rel="prev"')
        if start + limit < total:
            links.append(f'{at(start + limit)}; rel="next"')
        last = ((total - 1) // limit) * limit if total else 0
        links.append(f'{at(last)}; rel="last"')
        links.append(f'<https://www.zotero.org/{path.strip("/")}>; rel="alternate"')
        return ", ".join(links)

    def _envelope(self, library: str, data: dict[str, Any]) -> dict[str, Any]:
        kind, ident = library.split("/")
        date = str(data.get("date", ""))
        return {
            "key": data["key"],
            "version": data.get("version", 1),
            "library": {"type": kind.rstrip("s"), "id": int(ident), "name": "stand-in"},
            "links": {"self": {"href": f"{self.url}/{library}/items/{data['key']}"}},
            "meta": {"numChildren": 0} | ({"parsedDate": date[:10]} if date else {}),
            "data": data,
        }

    def __enter__(self) -> str:  # type: ignore[override]
        return self.start()


def _filter(items: list[dict[str, Any]], rule: str | None) -> list[dict[str, Any]]:
    """Zotero's ``itemType`` search: ``a || b`` either, a leading ``-`` negates the whole."""
    if not rule:
        return list(items)
    negate = rule.startswith("-")
    kinds = {k.strip() for k in rule.removeprefix("-").split("||")}
    return [i for i in items if (i.get("itemType") in kinds) != negate]

"""HTTP basics every route gets, as one pure-ASGI middleware (registered in ``app.main``).

* ``HEAD`` is answered as the ``GET`` would be, headers and status included, without a body.
* ``OPTIONS`` answers ``204`` with ``Allow`` (and CORS preflight headers on public routes).
* Read-only feed and JSON routes send ``Access-Control-Allow-Origin: *``: every format's
  (``app.render.formats``: ``/rss``, ``/rss/cs.AI``, ...) and ``PUBLIC_PREFIXES``.
* A query string longer than ``MAX_QUERY_BYTES`` is a ``414`` JSON error; a Host outside
  ``allowed_hosts`` (when set) a ``400``; both through the app's one error path.
* ``/rss/`` redirects to ``/rss`` with a relative ``Location`` (never the Host's).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, cast

from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import ArxivFeedsError, QueryTooLong, UnknownHost
from app.render.formats import FORMATS

MAX_QUERY_BYTES = 8192
PUBLIC_PREFIXES = ("/feeds.opml", "/api/papers", "/api/categories", "/health", "/openapi.json")
EXPOSED = "ETag, Last-Modified, X-Arxiv-Feeds-Stale, X-Arxiv-Feeds-Sample"
ErrorResponse = Callable[[ArxivFeedsError], Response]
HostRule = Callable[[], Awaitable[list[str]]]


def public_prefixes() -> tuple[str, ...]:
    """Where the read-only routes any origin may read live: each format's path, then the rest."""
    return (*(f"/{f.path}" for f in FORMATS.values()), *PUBLIC_PREFIXES)


def is_public(path: str, prefixes: tuple[str, ...]) -> bool:
    """Whether ``path`` is under one of ``prefixes`` (``public_prefixes()``)."""
    return any(path == p or path.startswith(p + "/") for p in prefixes)


def host_of(scope: Scope) -> str:
    """The request's Host header (lower case), or the empty string."""
    for name, value in scope.get("headers", []):
        if name == b"host":
            return cast(bytes, value).decode("latin-1").lower()
    return ""


class HTTPBasics:
    """The middleware; ``on_error`` turns an ``ArxivFeedsError`` into the JSON response,
    ``public`` are the paths any origin may read (``public_prefixes()`` when the app is made)."""

    def __init__(
        self,
        app: ASGIApp,
        on_error: ErrorResponse,
        allowed_hosts: HostRule,
        public: tuple[str, ...],
    ) -> None:
        self.app = app
        self.on_error = on_error
        self.allowed_hosts = allowed_hosts
        self.public = public

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problem = await self._check(scope)
        if problem is not None:
            await self.on_error(problem)(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        if method == "OPTIONS":
            allowed = self._methods(scope)
            if allowed:
                await self._options(allowed, path)(scope, receive, send)
                return
        if method in ("GET", "HEAD") and len(path) > 1 and path.endswith("/"):
            target = self._without_slash(scope)
            if target is not None:
                await Response(status_code=308, headers={"Location": target})(scope, receive, send)
                return
        if method == "HEAD":
            scope = dict(scope, method="GET")
            send = _without_body(send)
        if is_public(path, self.public):
            send = _with_cors(send)
        await self.app(scope, receive, send)

    async def _check(self, scope: Scope) -> ArxivFeedsError | None:
        if len(scope.get("query_string", b"")) > MAX_QUERY_BYTES:
            return QueryTooLong(
                f"the query string is longer than {MAX_QUERY_BYTES:,} bytes",
                hint="feeds take keywords, exclude, types, min_score and limit",
            )
        allowed = await self.allowed_hosts()
        if allowed and host_of(scope) not in allowed:
            return UnknownHost(
                "this service does not answer for that host name",
                hint="use the address the service is published under",
            )
        return None

    def _routes(self, scope: Scope) -> list[Any]:
        """Every route of the app, included routers flattened (they have no prefixes here)."""
        app = scope.get("app")
        todo = list(getattr(getattr(app, "router", None), "routes", []))
        routes: list[Any] = []
        while todo:
            route = todo.pop(0)
            inner = getattr(route, "original_router", None)
            if inner is not None:
                todo[:0] = list(inner.routes)
            else:
                routes.append(route)
        return routes

    def _methods(self, scope: Scope) -> list[str]:
        methods: set[str] = set()
        for route in self._routes(scope):
            match, _ = route.matches(dict(scope, method="GET"))
            if match is not Match.NONE and getattr(route, "methods", None):
                methods |= set(route.methods)
        if not methods:
            return []
        if "GET" in methods:
            methods.add("HEAD")
        return sorted(methods | {"OPTIONS"})

    def _without_slash(self, scope: Scope) -> str | None:
        """The relative URL without the trailing slash, when only that form is a route."""
        stripped = dict(scope, path=scope["path"].rstrip("/") or "/")
        routes = self._routes(scope)
        if any(r.matches(scope)[0] is Match.FULL for r in routes):
            return None
        if not any(r.matches(stripped)[0] is Match.FULL for r in routes):
            return None
        query = cast(bytes, scope.get("query_string", b"")).decode("latin-1")
        path = cast(str, stripped["path"])
        return path + (f"?{query}" if query else "")

    def _options(self, allowed: list[str], path: str) -> Response:
        headers = {"Allow": ", ".join(allowed)}
        if is_public(path, self.public):
            headers |= {
                "Access-Control-Allow-Origin": "*",
                "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
                "Access-Control-Allow-Headers": "If-None-Match, If-Modified-Since",
                "Access-Control-Max-Age": "86400",
            }
        return Response(status_code=204, headers=headers)


def _without_body(send: Send) -> Send:
    async def head_send(message: Message) -> None:
        if message["type"] == "http.response.body":
            if message.get("more_body"):
                return
            message = {"type": "http.response.body", "body": b"", "more_body": False}
        await send(message)

    return head_send


def _with_cors(send: Send) -> Send:
    async def cors_send(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = cast(list[tuple[bytes, bytes]], list(message.get("headers", [])))
            headers.append((b"access-control-allow-origin", b"*"))
            headers.append((b"access-control-expose-headers", EXPOSED.encode()))
            message = dict(message, headers=headers)
        await send(message)

    return cors_send

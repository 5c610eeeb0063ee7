"""Schema tests (schemathesis): the app against its own ``/openapi.json``, in-process over ASGI.

Every documented operation is fuzzed with requests generated from the schema, and each response
must be:

* never a 5xx (``not_a_server_error``);
* a documented status code (``status_code_conformance``), of the documented content type
  (``content_type_conformance``), with a body that matches the documented schema where one is
  documented (``response_schema_conformance``);
* for every 4xx, the project's JSON error shape ``{"error": {"code", "message"}}``.

``/api/cron/refresh`` is not fuzzed: it needs ``CRON_SECRET``, and without one it must answer 403
(a JSON error, never a 5xx) whatever ``Authorization`` header it gets.

Nothing leaves the process: the app is called through schemathesis' ASGI client, arXiv is an
``httpx.MockTransport`` over the recorded listings, and a guard makes any socket connection fail.
The schema is loaded at import (schemathesis parametrizes at collection), so the app's config
lives in a module-level temporary folder removed at exit.
"""

from __future__ import annotations

import atexit
import json
import re
import shutil
import socket
import tempfile
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.main import create_app
from app.store import MemoryStore
from tests.conftest import FakeArxiv, listing, make_settings

CRON = "/api/cron/refresh"

_TMP = Path(tempfile.mkdtemp(prefix="arxiv-feeds-schema-"))
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)

FAKE_ARXIV = FakeArxiv()
APP = create_app(
    make_settings(_TMP), transport=httpx.MockTransport(FAKE_ARXIV), store=MemoryStore()
)
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP)
FUZZED = SCHEMA.exclude(path=CRON)

# Category strings and paper ids drawn from the schema alone (plain strings) are nearly always
# rejected with 422; half the generated path parameters are swapped for real ones (recorded, or
# valid but unrecorded, or well-formed but unknown) so the feeds and papers get rendered too.
CATEGORIES = [
    "cs.AI",
    "cs.CL",
    "cs.AI+cs.CL",
    "cs.LG,cs.DC",
    "cs.AI+cs.CL+cs.DC+cs.LG",
    "math.CO",
    "cs.XX",
]
PAPER_IDS = re.findall(
    r"oai:arXiv\.org:(\d{4}\.\d{4,5}v\d+)", listing("cs.AI-2026-01-06").decode()
)[:4]
PAPER_IDS += [PAPER_IDS[0].split("v")[0], "2601.99999", "hep-th/9901001"]
REAL = {"categories": CATEGORIES, "arxiv_id": PAPER_IDS}


@FUZZED.hook
def flatmap_path_parameters(
    context: schemathesis.HookContext, path_parameters: dict[str, Any]
) -> st.SearchStrategy[dict[str, Any]]:
    names = [name for name in path_parameters or {} if name in REAL]
    if not names:
        return st.just(path_parameters)
    real = st.fixed_dictionaries({name: st.sampled_from(REAL[name]) for name in names})
    return st.one_of(st.just(path_parameters), real.map(lambda r: path_parameters | r))


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

FUZZ = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any attempt to open a network connection (Unix sockets are left alone)."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"network access attempted: {args!r}")

    real_connect = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> None:
        if self.family == socket.AF_UNIX:
            return real_connect(self, address)
        return refuse(address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", lambda self, address: refuse(address))
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def header(response: Any, name: str) -> str:
    """One header of a schemathesis ``Response`` (its headers map names to lists of values)."""
    values = response.headers.get(name) or [""]
    return values[0] if isinstance(values, list) else values


def assert_error_shape(response: Any) -> None:
    """A 4xx body is ``{"error": {"code": str, "message": str, ...}}`` served as JSON."""
    content_type = header(response, "content-type")
    assert content_type.startswith("application/json"), (
        response.status_code,
        content_type,
        response.text[:500],
    )
    body = json.loads(response.content)
    assert isinstance(body, dict), body
    assert set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error, dict), body
    assert isinstance(error.get("code"), str), body
    assert error["code"], body
    assert isinstance(error.get("message"), str), body


def test_schema_lists_every_route() -> None:
    """The fuzzed schema covers the public routes, and the cron route is documented too."""
    paths = set(SCHEMA.raw_schema["paths"])
    assert {"/rss", "/atom", "/feed.json", "/api/papers", "/api/papers/{arxiv_id}", CRON} <= paths


@FUZZED.parametrize()
@FUZZ
def test_api_conforms_to_schema(case: schemathesis.Case) -> None:
    response = case.call()
    case.validate_response(response, checks=CHECKS)
    if 400 <= response.status_code < 500:
        assert_error_shape(response)


class BrokenArxiv(FakeArxiv):
    """An arXiv that answers garbage, an error status or nothing at all, by category."""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        cats = request.url.path.rsplit("/", 1)[-1]
        if "CL" in cats:
            raise httpx.ConnectError("refused (stand-in)", request=request)
        if "LG" in cats:
            return httpx.Response(500, content=b"oops")
        return httpx.Response(200, content=b"<rss><channel><item>not a listing")


_BROKEN_TMP = _TMP / "broken"
_BROKEN_TMP.mkdir()
BROKEN_APP = create_app(
    make_settings(_BROKEN_TMP), transport=httpx.MockTransport(BrokenArxiv()), store=MemoryStore()
)
# Only the operations that read arXiv; the same hook supplies real category names.
BROKEN = schemathesis.openapi.from_asgi("/openapi.json", BROKEN_APP).include(
    path_regex=r"^/(rss|atom|feed\.json|digest\.md|api/papers)"
)
BROKEN.hook(flatmap_path_parameters)


@BROKEN.parametrize()
@settings(FUZZ, max_examples=15)
def test_upstream_failures_conform_to_schema(case: schemathesis.Case) -> None:
    """With arXiv failing, errors are documented 502/503 JSON errors, never a 500.

    ``not_a_server_error`` is left out here on purpose: 502 (arXiv answered garbage) and 503
    (arXiv unreachable, nothing stored) are the documented answers; any other 5xx fails below.
    """
    response = case.call()
    case.validate_response(response, checks=[c for c in CHECKS if c is not not_a_server_error])
    assert response.status_code < 500 or response.status_code in (502, 503), response.text
    if response.status_code >= 400:
        assert_error_shape(response)


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize(
    "authorization", [None, "", "Bearer ", "Bearer x", "Basic eDp5", "bearer \u00e9", "x" * 4096]
)
def test_cron_refresh_without_secret_is_forbidden(method: str, authorization: str | None) -> None:
    """Without ``CRON_SECRET`` the refresh route answers a JSON 403, never a 5xx."""
    operation = SCHEMA[CRON][method]
    headers = {} if authorization is None else {"authorization": authorization}
    case = operation.Case(headers=headers)
    response = case.call()
    assert response.status_code == 403, (response.status_code, response.text[:500])
    assert_error_shape(response)


def test_network_guard_refuses_connections() -> None:
    with pytest.raises(AssertionError, match="network access attempted"):
        socket.create_connection(("127.0.0.1", 9))
    with socket.socket() as sock, pytest.raises(AssertionError, match="network access"):
        sock.connect(("127.0.0.1", 9))


def test_operations_are_named_for_client_generators() -> None:
    """Every operation id is its route's name (``rss_for``, ``put_profile``): unique, and never
    the generated ``rss_for_rss__categories__get``."""
    from app.main import create_app

    document = create_app().openapi()
    ids = [op["operationId"] for ops in document["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))
    assert {"rss", "rss_for", "profile_rss", "put_profile", "papers", "paper"} <= set(ids)
    generated = [
        op["operationId"]
        for path, ops in document["paths"].items()
        for method, op in ops.items()
        if op["operationId"].endswith(re.sub(r"\W", "_", path) + "_" + method)
    ]
    assert generated == []

"""The Vercel function, built with the real CLI and served the way the platform serves it.

Two builds of a clean copy of the project: with the project's Framework Preset "Other"
(``null``) and with ``fastapi`` (what Vercel picks on import, seeing FastAPI in the
requirements). Both are built with no project variables, as a Deploy-button or dashboard import
is (only ``vercel.json``'s ``build.env`` reaches the build, as on Vercel). Each is laid out as a
read-only ``/var/task`` and run through the bundled ``vercel_runtime`` shim in IPC mode
(``bench/vercel_platform.py``). ``make test`` installs the CLI first; elsewhere the tests skip,
saying what is missing (in CI they fail instead).
"""

from __future__ import annotations

import importlib.util
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest

from bench.vercel_build import build, missing_tools
from bench.vercel_platform import (
    FUNCTION,
    Instance,
    bundle_files,
    layout,
    namespaces_work,
    run_function,
)

SECRET = "bundle-test-cron-secret-7f3a"
SETTINGS = {"ARXIV_FEEDS_ARXIV_SOURCE": "sample", "CRON_SECRET": SECRET}
PRESETS = [None, "fastapi"]


def _unavailable() -> str | None:
    return missing_tools() or namespaces_work()


@pytest.fixture(scope="module", params=PRESETS, ids=["preset-other", "preset-fastapi"])
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    problem = _unavailable()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(problem)
        pytest.skip(problem)
    root = tmp_path_factory.mktemp(f"build-{request.param or 'other'}")
    return build(request.param, root / "project")


@pytest.fixture(scope="module")
def instance(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    task = layout(built, tmp_path_factory.mktemp("task"))
    with run_function(task, SETTINGS) as running:
        assert running.ready is not None, running.stop()
        yield running


def test_one_function_with_the_settings_of_vercel_json(built: Path) -> None:
    output = built / ".vercel" / "output"
    assert [p.name for p in (output / "functions").rglob("*.func")] == ["index.func"]
    config = json.loads((built / FUNCTION / ".vc-config.json").read_text(encoding="utf-8"))
    assert config["maxDuration"] == 60
    assert config["handler"] == "vc__handler__python.vc_handler"
    names = set(bundle_files(built))
    assert "api/index.py" in names
    assert "app/main.py" in names
    assert "_vendor/fastapi/__init__.py" in names
    assert "_vendor/vercel_runtime/vc_init.py" in names
    left_out = ("tests/", "bench/", "examples/", ".tools/", "README.md", "uv.lock", "Makefile")
    assert not [n for n in names if n.startswith(left_out)]
    routes = json.loads((output / "config.json").read_text(encoding="utf-8"))["routes"]
    assert {"src": "^(?:/(.*))$", "dest": "/api/index", "check": True} in routes
    assert not [r for r in routes if "/fastapi" in json.dumps(r)]  # the preset's own function


def test_bytecode_for_the_app_and_its_packages_without_any_variable(built: Path) -> None:
    # /var/task is read-only and the function runs with PYTHONDONTWRITEBYTECODE=1: a module
    # without a .pyc in the bundle is compiled again on every cold start (1.7 s instead of
    # 0.55). The builder compiles only when VERCEL_PYTHON_COMPILEALL reaches its environment;
    # ``build`` passes none of the caller's, only vercel.json's ``build.env``.
    files = bundle_files(built)
    sources = [n for n in files if n.endswith(".py") and n != "vc__handler__python.py"]
    assert len(sources) > 1000
    missing = [n for n in sources if importlib.util.cache_from_source(n) not in files]
    assert not missing, missing[:20]
    for module in ("api/index.py", "app/main.py", "_vendor/fastapi/applications.py"):
        pyc = files[importlib.util.cache_from_source(module)].read_bytes()
        # flags 1: unchecked hash, valid whatever mtime the unpacked source gets
        assert int.from_bytes(pyc[4:8], "little") == 1, module


def test_every_route_answers_in_the_emulated_platform(instance: Instance) -> None:
    rss = instance.request("/rss")
    assert rss.status == 200, rss.body[:300]
    assert rss.headers["content-type"].startswith("application/rss+xml")
    assert len(feedparser.parse(rss.body).entries) > 5
    atom = instance.request("/atom")
    assert atom.status == 200
    assert feedparser.parse(atom.body).version == "atom10"
    jsonfeed = instance.request("/feed.json")
    assert jsonfeed.status == 200
    assert json.loads(jsonfeed.body)["items"]
    papers = instance.request("/api/papers")
    assert papers.status == 200
    assert json.loads(papers.body)["items"]
    page = instance.request("/")
    assert page.status == 200
    assert b"<html" in page.body.lower()
    health = instance.request("/health")
    assert health.status == 200
    assert json.loads(health.body)["status"] in ("ok", "degraded")
    again = instance.request("/rss", {"if-none-match": rss.headers["etag"]})
    assert again.status == 304
    assert again.body == b""
    missing = instance.request("/no/such/page")
    assert missing.status == 404
    assert b"/no/such/page" in missing.body


def test_cron_needs_the_secret_and_keeps_the_day_in_tmp(instance: Instance) -> None:
    denied = instance.request("/api/cron/refresh")
    assert denied.status == 401
    ran = instance.request("/api/cron/refresh", {"authorization": f"Bearer {SECRET}"})
    assert ran.status == 200, ran.body[:300]
    assert json.loads(ran.body)["items"] > 0
    assert SECRET.encode() not in denied.body + ran.body
    # /var/task is read-only: the store lives in /tmp, which the platform leaves writable
    assert (instance.tmp / "arxiv-feeds.sqlite3").is_file()
    assert instance.alive()
    deadline = time.monotonic() + 5  # the shim says "end" just after the last byte
    while True:
        kinds = [m["type"] for _, m in instance.messages]
        if kinds.count("handler-started") == kinds.count("end") or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert kinds[0] == "server-started"
    assert kinds.count("handler-started") == kinds.count("end") >= 2

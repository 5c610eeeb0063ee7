"""Real loopback servers for end-to-end tests and benchmarks.

``ArxivServer`` is a tiny stand-in for ``rss.arxiv.org`` on ``127.0.0.1``: ``GET /rss/<cats>``
answers from a ``{categories: bytes}`` dict or from ``tests/data/arxiv/<cats>-<day>.xml``, after
an optional delay (to play a distant upstream), and it counts requests and records each
User-Agent. It runs a stdlib ``ThreadingHTTPServer`` in a background thread::

    server = ArxivServer(latency=0.3)
    with server as base_url:          # "http://127.0.0.1:<port>/rss"
        ...                           # point ARXIV_RSS_URL at base_url
    assert server.requests == 1

``UvicornProcess`` runs ``uvicorn <app>`` as a subprocess on a free loopback port and waits until
it answers, so a test talks to the service exactly as a feed reader does. Both only ever bind
and talk to ``127.0.0.1``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self
from urllib.error import URLError
from urllib.parse import unquote
from urllib.request import urlopen

from tests.loopback import LOOPBACK, LoopbackServer, OwnedServer, free_port

REPO = Path(__file__).resolve().parent.parent
ARXIV_DATA = Path(__file__).resolve().parent / "data" / "arxiv"
RSS_TYPE = "application/rss+xml; charset=utf-8"


class _Handler(BaseHTTPRequestHandler):
    """Answers ``GET /rss/<cats>`` for the ``ArxivServer`` that owns the HTTP server."""

    protocol_version = "HTTP/1.1"  # keep-alive, as rss.arxiv.org does
    server: OwnedServer

    def do_GET(self) -> None:
        self._answer(with_body=True)

    def do_HEAD(self) -> None:
        self._answer(with_body=False)

    def _answer(self, *, with_body: bool) -> None:
        owner = self.server.owner
        owner._record(self.path, self.headers.get("User-Agent"))
        if owner.latency > 0:
            time.sleep(owner.latency)
        path = self.path.split("?", 1)[0].rstrip("/")
        prefix, _, cats = path.rpartition("/")
        body = owner.listing(unquote(cats)) if prefix == owner.prefix else None
        if body is None:
            status, body, ctype = HTTPStatus.NOT_FOUND, b"no such listing\n", "text/plain"
        else:
            status, ctype = HTTPStatus.OK, RSS_TYPE
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: requests are counted, not logged."""


class ArxivServer(LoopbackServer):
    """An arXiv RSS stand-in on loopback; a context manager that yields its base URL."""

    handler = _Handler

    def __init__(
        self,
        listings: Mapping[str, bytes] | None = None,
        *,
        folder: Path | None = ARXIV_DATA,
        day: str = "2026-01-06",
        latency: float = 0.0,
        port: int = 0,
        prefix: str = "/rss",
    ) -> None:
        """Serve ``listings[cats]`` first, else ``folder/<cats>-<day>.xml``, else 404.

        ``latency`` seconds pass before each answer; ``port`` 0 lets the OS pick one.
        """
        super().__init__(port)
        self.listings: dict[str, bytes] = dict(listings or {})
        self.folder = folder
        self.day = day
        self.latency = latency
        self.prefix = prefix.rstrip("/")
        self.paths: list[str] = []
        self.user_agents: list[str | None] = []
        self._lock = threading.Lock()

    @property
    def requests(self) -> int:
        """Requests received so far (any path)."""
        with self._lock:
            return len(self.paths)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/rss`` (the value for ``ARXIV_RSS_URL``)."""
        return self.url + self.prefix

    def listing(self, cats: str) -> bytes | None:
        """The body served for ``/rss/<cats>``, or None (404)."""
        if cats in self.listings:
            return self.listings[cats]
        if self.folder is None or "/" in cats or cats.startswith("."):
            return None
        path = self.folder / f"{cats}-{self.day}.xml"
        return path.read_bytes() if path.is_file() else None

    def _record(self, path: str, user_agent: str | None) -> None:
        with self._lock:
            self.paths.append(path)
            self.user_agents.append(user_agent)

    def __enter__(self) -> str:  # type: ignore[override]
        self.start()
        return self.base_url


class UvicornProcess:
    """``python -m uvicorn <app>`` on a free loopback port, as a context manager.

    Entering starts the subprocess and waits (up to ``startup_timeout``) until ``ready_path``
    answers 200; leaving terminates it (then kills it). Its output goes to a temporary file,
    quoted by ``log()`` when something goes wrong.
    """

    def __init__(
        self,
        app: str = "app.main:app",
        *,
        env: Mapping[str, str] | None = None,
        app_dir: Path | None = None,
        cwd: Path = REPO,
        ready_path: str = "/health",
        startup_timeout: float = 30.0,
        extra_args: tuple[str, ...] = (),
        port: int = 0,
    ) -> None:
        self.app = app
        self.fixed_port = port  # 0: a free one at each start
        self.env = dict(env or {})
        self.app_dir = app_dir
        self.cwd = cwd
        self.ready_path = ready_path
        self.startup_timeout = startup_timeout
        self.extra_args = extra_args
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self._out: IO[bytes] | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> str:
        """Start uvicorn and wait until it answers; returns its base URL.

        The free port is picked before uvicorn binds it, so another process may take it in
        between: then uvicorn exits at once and is started again on another port (3 tries).
        """
        for attempt in range(3):
            try:
                self._spawn()
                self._wait_ready()
            except BaseException as exc:
                lost_port = "address already in use" in str(exc).lower()
                self.stop()
                if lost_port and attempt < 2:
                    continue
                raise
            return self.url
        raise AssertionError("unreachable")

    def _spawn(self) -> None:
        self.port = self.fixed_port or free_port()
        cmd = [sys.executable, "-m", "uvicorn", self.app, "--host", LOOPBACK]
        cmd += ["--port", str(self.port), "--log-level", "warning", *self.extra_args]
        if self.app_dir is not None:
            cmd += ["--app-dir", str(self.app_dir)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("ARXIV_")}
        env["STORE_URL"] = "memory://"  # never write a store file into the working tree
        env.update(self.env)
        self._out = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            cmd, cwd=self.cwd, env=env, stdout=self._out, stderr=subprocess.STDOUT
        )

    def _wait_ready(self) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + self.startup_timeout
        problem = "no attempt"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"uvicorn exited with {self.proc.returncode}:\n{self.log()}")
            try:
                with urlopen(self.url + self.ready_path, timeout=2) as resp:
                    if resp.status == 200:
                        return
                    problem = f"HTTP {resp.status}"
            except (URLError, OSError) as exc:
                problem = str(exc)
            time.sleep(0.05)
        raise TimeoutError(
            f"uvicorn did not answer {self.ready_path} within {self.startup_timeout:g}s "
            f"({problem}):\n{self.log()}"
        )

    def log(self) -> str:
        """What the subprocess printed so far."""
        if self._out is None:
            return ""
        self._out.flush()
        self._out.seek(0)
        return self._out.read().decode(errors="replace")[-5000:]

    def kill(self) -> None:
        """Kill the subprocess at once (SIGKILL: no shutdown, as a platform ends a call)."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.stop()

    def stop(self) -> None:
        """Terminate the subprocess (kill it if it does not exit within 10 s)."""
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=10)
            self.proc = None
        if self._out is not None:
            self._out.close()
            self._out = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

"""A server on a loopback port, served from a daemon thread: started and stopped, or used as a
context manager. The arXiv stand-in, the OpenAI stub and the webhook receiver are ones."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

LOOPBACK = "127.0.0.1"


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port that was free a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class OwnedServer(ThreadingHTTPServer):
    """A threading HTTP server whose handlers reach the ``LoopbackServer`` as ``server.owner``."""

    daemon_threads = True
    owner: Any


class LoopbackServer:
    """Serves ``handler`` on ``127.0.0.1`` (``port`` 0: the OS picks one) from a daemon thread.

    Subclasses set ``handler`` (and may set ``server_class``); ``hang_up`` is called between
    stopping the loop and closing the port, for what handlers still hold open.
    """

    handler: type[BaseHTTPRequestHandler]
    server_class: type[OwnedServer] = OwnedServer
    thread_name: str | None = None

    def __init__(self, port: int = 0) -> None:
        self.port = port
        self._httpd: OwnedServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        if self._httpd is None:
            raise RuntimeError(f"the {type(self).__name__} is not running")
        return f"http://{LOOPBACK}:{self._httpd.server_address[1]}"

    def start(self) -> str:
        """Start serving in a daemon thread; returns ``url``."""
        if self._httpd is not None:
            raise RuntimeError("already running")
        httpd = self.server_class((LOOPBACK, self.port), self.handler)
        httpd.owner = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=self.thread_name,
            daemon=True,
        )
        self._thread.start()
        return self.url

    def hang_up(self, timeout: float) -> None:
        """Close what handlers still hold open (nothing by default)."""

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving and free the port."""
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            self.hang_up(timeout)
            httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
            self._thread = None

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

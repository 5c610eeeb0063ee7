"""Run a function built by ``vercel build`` the way Vercel's platform runs it.

The platform unpacks the function into a read-only ``/var/task``, leaves only ``/tmp`` writable,
starts a bare Python 3.12 with the environment from ``.vc-config.json`` and ``VERCEL_IPC_PATH``
pointing at a Unix socket, and imports the handler module (``vc__handler__python``). The bundled
``vercel_runtime`` shim connects to the socket, imports the entry point, starts an HTTP server on
a loopback port and announces it with a NUL-terminated ``server-started`` JSON message; requests
then go to that port carrying ``x-vercel-internal-*`` headers, and the shim answers each with
``handler-started`` and ``end`` messages.

Here the read-only ``/var/task`` and the private ``/tmp`` are bind mounts in a user and mount
namespace (``unshare -r -m``); the interpreter runs with ``-S`` (no site-packages of its own), so
every import comes from the bundle. Used by ``bench/cold_start.py`` and
``tests/test_vercel_bundle.py``.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FUNCTION = Path(".vercel/output/functions/api/index.func")
HANDLER_MODULE = "vc__handler__python"
# The interpreter behind the project's venv: no venv, no project on its path.
PYTHON = str(Path(getattr(sys, "_base_executable", sys.executable)).resolve())

# Mounts in a private namespace: /var/task (read-only) and /tmp, then the interpreter.
LAUNCH = r"""set -e
mount -t tmpfs tmpfs /var
mkdir /var/task
mount --bind "$1" /var/task
mount -o remount,bind,ro /var/task
mount --bind "$2" /tmp
cd /var/task
shift 2
exec "$@"
"""


def namespaces_work() -> str | None:
    """None when ``unshare -r -m`` can make the mounts here, else why not."""
    if shutil.which("unshare") is None:
        return "unshare (util-linux) is not installed"
    with tempfile.TemporaryDirectory() as tmp:
        probe = subprocess.run(
            ["unshare", "-r", "-m", "sh", "-c", LAUNCH, "sh", tmp, tmp, "true"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    if probe.returncode:
        return f"user and mount namespaces are not available: {probe.stderr.strip()}"
    return None


def bundle_files(build_root: Path = ROOT) -> dict[str, Path]:
    """Files of the built function: name in /var/task -> file on disk."""
    func = build_root / FUNCTION
    config = json.loads((func / ".vc-config.json").read_text(encoding="utf-8"))
    files = {k: build_root / v for k, v in config.get("filePathMap", {}).items()}
    for path in func.rglob("*"):
        if path.is_file() and path.name != ".vc-config.json":
            files[str(path.relative_to(func))] = path
    return files


def function_config(build_root: Path = ROOT) -> dict[str, Any]:
    """The function's ``.vc-config.json`` (handler, runtime, environment, maxDuration)."""
    path = build_root / FUNCTION / ".vc-config.json"
    config: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return config


def materialize(files: dict[str, Path], into: Path) -> None:
    """Lay the bundle out as /var/task holds it (hard links where possible, so it is quick)."""
    for name, source in files.items():
        target = into / name
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)


@dataclass
class Reply:
    """One HTTP response from the function."""

    status: int
    headers: dict[str, str]
    body: bytes
    first_byte: float  # seconds from the process start to the first byte of the response


@dataclass
class Instance:
    """A running function instance: its process, HTTP port and the IPC messages it sent."""

    process: subprocess.Popen[bytes]
    started: float  # time.monotonic() just before the process was started
    tmp: Path  # what the function sees as /tmp
    messages: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    port: int | None = None
    ready: float | None = None  # seconds from start to ``server-started``
    _next_id: int = 0

    def request(
        self, path: str, headers: dict[str, str] | None = None, method: str = "GET"
    ) -> Reply:
        """Send a request the way the platform forwards one, and read the whole answer."""
        assert self.port is not None, "the function never announced its port"
        self._next_id += 1
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            sent = {
                "host": "arxiv-feeds.vercel.app",
                "x-forwarded-host": "arxiv-feeds.vercel.app",
                "x-forwarded-proto": "https",
                "x-real-ip": "203.0.113.7",
                "x-vercel-id": f"iad1::local-{self._next_id}",
                "x-vercel-internal-invocation-id": f"inv-{self._next_id}",
                "x-vercel-internal-request-id": str(self._next_id),
                **{k.lower(): v for k, v in (headers or {}).items()},
            }
            for key, value in sent.items():
                conn.putheader(key, value)
            conn.endheaders()
            response = conn.getresponse()
            first = response.read(1)
            first_byte = time.monotonic() - self.started
            body = first + response.read()
            return Reply(
                response.status,
                {k.lower(): v for k, v in response.getheaders()},
                body,
                first_byte,
            )
        finally:
            conn.close()

    def alive(self) -> bool:
        return self.process.poll() is None

    def output(self) -> str:
        """What the process wrote to stdout and stderr (after ``stop``)."""
        out, _ = self.process.communicate(timeout=15) if self.alive() else (b"", b"")
        return (out or b"").decode(errors="replace")

    def stop(self) -> str:
        """End the instance; return its output."""
        if self.process.poll() is None:
            self.process.terminate()
        try:
            out, _ = self.process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, _ = self.process.communicate()
        return (out or b"").decode(errors="replace")


def _read_messages(conn: socket.socket, instance: Instance, announced: threading.Event) -> None:
    buffer = b""
    with conn:
        while True:
            try:
                chunk = conn.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            buffer += chunk
            while b"\0" in buffer:
                raw, buffer = buffer.split(b"\0", 1)
                message = json.loads(raw)
                now = time.monotonic() - instance.started
                instance.messages.append((now, message))
                if message.get("type") == "server-started":
                    instance.port = int(message["payload"]["httpPort"])
                    instance.ready = now
                    announced.set()
                elif message.get("type") == "unrecoverable-error":
                    announced.set()
    announced.set()


@contextlib.contextmanager
def run_function(
    task: Path, env: dict[str, str] | None = None, timeout: float = 60.0
) -> Iterator[Instance]:
    """Start the function laid out in ``task`` in IPC mode; yield it once it announced its port.

    ``env`` adds to the environment the platform gives every function (``VERCEL=1`` and the
    ones ``.vc-config.json`` lists, read from ``task``'s build). The instance is stopped on exit.
    """
    config = json.loads((task / ".vc-config.json").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="vercel-tmp-") as private_tmp:
        tmp = Path(private_tmp)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(tmp / "vc-ipc.sock"))
        listener.listen(1)
        environment = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "TZ": ":UTC",
            "LAMBDA_TASK_ROOT": "/var/task",
            "VERCEL": "1",
            "VERCEL_ENV": "production",
            "VERCEL_REGION": "iad1",
            "VERCEL_IPC_PATH": "/tmp/vc-ipc.sock",
            **config.get("environment", {}),
            **(env or {}),
        }
        command = [
            "unshare", "-r", "-m", "sh", "-c", LAUNCH, "sh", str(task), str(tmp),
            "env", "-i", *(f"{k}={v}" for k, v in environment.items()),
            PYTHON, "-S", "-c", f"import {HANDLER_MODULE}",
        ]  # fmt: skip
        started = time.monotonic()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        instance = Instance(process, started, tmp)
        announced = threading.Event()
        listener.settimeout(timeout)
        try:

            def accept() -> None:
                try:
                    conn, _ = listener.accept()
                except OSError:
                    announced.set()
                    return
                _read_messages(conn, instance, announced)

            threading.Thread(target=accept, daemon=True).start()
            deadline = started + timeout
            while not announced.wait(0.05):
                if process.poll() is not None or time.monotonic() > deadline:
                    break
            yield instance
        finally:
            instance.stop()
            listener.close()


def layout(build_root: Path, into: Path) -> Path:
    """Lay out the function of ``build_root`` in ``into`` (with its ``.vc-config.json``)."""
    materialize(bundle_files(build_root), into)
    shutil.copyfile(build_root / FUNCTION / ".vc-config.json", into / ".vc-config.json")
    return into

"""Memory under the big-query run of issue 9: 800 requests of
``/atom?types=all&keywords=&limit=500&p=N&q=<120 KB>``, and the same with ``q`` just under the
8 KB query limit (ignored parameters: neither cache keys nor echoed in the body).

Before the fix the process grew from 79 MB to 309 MB (the body cache was keyed by the raw query
string, and the self link echoed it). Prints the resident memory before and after each run.

    .venv/bin/python bench/big_query.py [--requests 800]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.config import load_settings  # noqa: E402
from app.main import create_app  # noqa: E402
from app.store import MemoryStore  # noqa: E402


def rss_mb() -> float:
    """Resident memory of this process (Linux ``/proc``)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


async def asgi_get(app: Any, path: str, query: bytes) -> int:
    """GET straight through ASGI (HTTP clients refuse a 120 KB query string); the status."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query,
        "root_path": "", "headers": [(b"host", b"bench.test")], "server": ("bench.test", 80),
        "client": ("127.0.0.1", 1),
    }  # fmt: skip
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def run(requests: int) -> dict[str, float]:
    tmp = Path(tempfile.mkdtemp())
    (tmp / "config.json").write_text("{}")
    settings = load_settings(config_file=tmp / "config.json", arxiv_source="sample")
    app = create_app(settings, store=MemoryStore())
    figures: dict[str, float] = {}
    await asgi_get(app, "/atom", b"types=all&keywords=&limit=500")  # warm: listing, caches
    figures["start"] = rss_mb()
    for label, size in (("120KB", 120_000), ("7KB", 7_000)):
        statuses: set[int] = set()
        for n in range(requests):
            query = f"types=all&keywords=&limit=500&p={n}&q={'x' * size}".encode()
            statuses.add(await asgi_get(app, "/atom", query))
        figures[label] = rss_mb()
        print(f"after {requests} requests with q of {label}: {figures[label]:.1f} MB "
              f"(status {sorted(statuses)})")  # fmt: skip
    await app.state.runtime.aclose()
    return figures


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--requests", type=int, default=800)
    args = ap.parse_args()
    figures = asyncio.run(run(args.requests))
    print(f"resident memory: {figures['start']:.1f} MB before, {figures['7KB']:.1f} MB after")
    result = {
        "name": f"{args.requests} big-query requests",
        "ours": figures["7KB"] - figures["start"],
        "unit": "MB grown",
        "before_mb": figures["start"],
        "after_mb": figures["7KB"],
    }
    print("RESULT " + json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

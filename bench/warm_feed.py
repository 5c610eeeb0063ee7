"""Warm feed throughput: requests/s of a cached ``/rss`` vs a bare ASGI app sending the same bytes.

Both run as ``uvicorn`` subprocesses on loopback (same uvicorn options) and take the same load
from the same client: ``wrk`` when installed (Debian package ``wrk``), else a bounded
httpx/asyncio client. Our service is warmed first (listing fetched from a loopback arXiv
stand-in, feed rendered), so every measured request is a cache hit. ``plain_app`` below is the
baseline: the least any ASGI app under uvicorn can do to send those bytes. A one-route FastAPI
app sending the same bytes is measured too, for reference (not the target's baseline).

Target (issue): warm ``/rss`` reaches at least 50% of the baseline's requests/s.

    .venv/bin/python bench/warm_feed.py [--seconds 5] [--connections 16]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
BODY_ENV = "BENCH_PLAIN_BODY"  # file holding the bytes plain_app sends
TARGET = 0.5  # ours / baseline
_BODY = Path(os.environ[BODY_ENV]).read_bytes() if BODY_ENV in os.environ else b""


async def plain_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The baseline: answers every request with the bytes of the file named by $BODY_ENV."""
    if scope["type"] == "lifespan":
        await receive()  # lifespan.startup
        await send({"type": "lifespan.startup.complete"})
        await receive()  # lifespan.shutdown
        await send({"type": "lifespan.shutdown.complete"})
        return
    headers = [(b"content-type", b"application/rss+xml; charset=utf-8")]
    headers.append((b"content-length", str(len(_BODY)).encode()))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": _BODY})


def make_fastapi_app() -> Any:
    """A second reference (uvicorn ``--factory``): one FastAPI route sending the same bytes.

    It shows how much of the gap to ``plain_app`` is the framework and how much is ours.
    """
    from fastapi import FastAPI, Response

    body = Path(os.environ[BODY_ENV]).read_bytes()
    app = FastAPI()

    @app.get("/rss")
    async def rss() -> Response:
        return Response(body, media_type="application/rss+xml; charset=utf-8")

    return app


def wrk(url: str, seconds: float, connections: int, etag: str = "") -> tuple[float, int]:
    """(requests/s, failed responses) from ``wrk``, one thread."""
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "5s", url]
    if etag:
        cmd += ["-H", f"If-None-Match: {etag}"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30, check=True)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out.stdout)
    if rate is None:
        raise RuntimeError(f"unexpected wrk output:\n{out.stdout}{out.stderr}")
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out.stdout)
    errors = re.search(r"Socket errors:.*", out.stdout)
    if errors:
        print(f"    wrk: {errors.group(0)}")
    return float(rate.group(1)), int(bad.group(1)) if bad else 0


def python_client(url: str, seconds: float, connections: int, etag: str = "") -> tuple[float, int]:
    """(requests/s, failed responses) from ``connections`` httpx clients for ``seconds``."""
    import httpx

    async def run() -> tuple[int, int]:
        done = failed = 0
        deadline = time.perf_counter() + seconds
        limits = httpx.Limits(max_connections=connections)
        async with httpx.AsyncClient(limits=limits, timeout=5.0) as client:

            async def worker() -> None:
                nonlocal done, failed
                while time.perf_counter() < deadline:
                    headers = {"If-None-Match": etag} if etag else {}
                    response = await client.get(url, headers=headers)
                    done += 1
                    failed += response.status_code != (304 if etag else 200)

            await asyncio.gather(*(worker() for _ in range(connections)))
        return done, failed

    start = time.perf_counter()
    done, failed = asyncio.run(run())
    return done / (time.perf_counter() - start), failed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=5.0, help="length of each measured run")
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=2, help="alternating runs per app (best shown)")
    args = ap.parse_args()

    sys.path.insert(0, str(ROOT))
    import httpx

    from tests.arxiv_server import ArxivServer, UvicornProcess

    load = wrk if shutil.which("wrk") else python_client
    client_name = "wrk -t1" if load is wrk else "python httpx client"
    print(f"load: {client_name}, {args.connections} connections, {args.seconds:g} s per run")

    server = ArxivServer(day="2026-01-06")
    with server, tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.json"
        config.write_text(json.dumps({"categories": ["cs.AI", "cs.CL", "cs.DC", "cs.LG"]}))
        env = {
            "ARXIV_RSS_URL": server.base_url,
            "ARXIV_SOURCE": "live",
            "ARXIV_FEEDS_MIN_REQUEST_INTERVAL": "0",
            "ARXIV_FEEDS_CONFIG": str(config),
        }
        with UvicornProcess(env=env) as ours:
            feed = httpx.get(f"{ours.url}/rss", timeout=30)
            feed.raise_for_status()
            body_file = Path(tmp) / "body.xml"
            body_file.write_bytes(feed.content)
            baseline_env = {BODY_ENV: str(body_file)}
            plain = UvicornProcess("warm_feed:plain_app", env=baseline_env, app_dir=BENCH)
            bare = UvicornProcess(
                "warm_feed:make_fastapi_app",
                env=baseline_env,
                app_dir=BENCH,
                ready_path="/rss",
                extra_args=("--factory",),
            )
            with plain, bare:
                for other in (plain, bare):
                    other_body = httpx.get(f"{other.url}/rss", timeout=10).content
                    assert other_body == feed.content, "the references must send the same bytes"
                print(f"body: {len(feed.content)} bytes; upstream requests: {server.requests}")
                etag = feed.headers["etag"]
                targets = {
                    "ours": (f"{ours.url}/rss", ""),
                    "ours304": (f"{ours.url}/rss", etag),
                    "plain": (f"{plain.url}/rss", ""),
                    "fastapi": (f"{bare.url}/rss", ""),
                }
                for url, tag in targets.values():
                    load(url, 1.0, args.connections, tag)  # warm-up
                rates: dict[str, list[float]] = {name: [] for name in targets}
                for rnd in range(args.rounds):
                    for name, (url, tag) in targets.items():
                        rate, failed = load(url, args.seconds, args.connections, tag)
                        rates[name].append(rate)
                        print(f"  round {rnd + 1} {name:<7}: {rate:9.1f} req/s, {failed} failed")
                upstream_after = server.requests

    ours_rate, plain_rate = max(rates["ours"]), max(rates["plain"])
    ratio = ours_rate / plain_rate
    bare_rate = max(rates["fastapi"])
    not_modified = max(rates["ours304"])
    print(f"warm /rss (best):              {ours_rate:9.1f} req/s")
    print(
        f"warm /rss answered 304 (best): {not_modified:9.1f} req/s  "
        f"({not_modified / plain_rate:.0%} of baseline; target >= 70%)"
    )
    print(f"plain ASGI app (best):         {plain_rate:9.1f} req/s  <- baseline")
    print(
        f"one-route FastAPI app (best):  {bare_rate:9.1f} req/s  "
        f"(reference: {bare_rate / plain_rate:.0%} of baseline; ours is "
        f"{ours_rate / bare_rate:.0%} of it)"
    )
    print(
        f"upstream requests in all: {upstream_after} (1 = every measured request was a cache hit)"
    )
    print(
        f"ratio: {ratio:.0%} of baseline (target >= {TARGET:.0%}: "
        f"{'met' if ratio >= TARGET else 'MISSED'})"
    )
    result = {
        "name": "warm /rss req/s",
        "ours": ours_rate,
        "baseline": plain_rate,
        "unit": "req/s",
        "ratio": ratio,
        "ratio_means": "ours / plain ASGI",
        "target": f">= {TARGET:.0%} of plain",
        "met": ratio >= TARGET,
    }
    print("RESULT " + json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The daily refresh at a department's scale: many profiles, calls capped, fanned out.

The app runs IN-PROCESS under uvicorn (one process standing for the platform's instances:
``max_workers`` LLM calls at once in all), its store a ``CountingStore`` (bench/catalog.py:
a ``MemoryStore`` that counts what each call would cost on Redis). A loopback arXiv
(``tests/arxiv_server.py``) serves the recorded listings of 2026-01-06; an OpenAI stub answers
each summary after ``--llm-seconds`` (1 s); a webhook receiver takes every profile's digest.
Each profile reads 1-2 of the four categories with two keywords drawn from a vocabulary, so
their top papers overlap as a department's would. One cron call starts the run; every call
is capped at ``--call-seconds`` (10 s) and the service starts the next calls itself at its
``public_url``, ``--parallel`` at once.

Printed: wall time from the cron call to the last delivery, calls made, the longest call,
LLM calls (and distinct papers summarized), arXiv requests, Redis commands, digests delivered
(each profile exactly once?) and with all their summaries; exit 1 when a unit was not
delivered exactly once or a call overran its cap.

    .venv/bin/python bench/refresh_scale.py [--profiles 150] [--full] [--call-seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import uvicorn  # noqa: E402

from app.config import load_settings  # noqa: E402
from app.main import create_app  # noqa: E402
from bench.catalog import CountingStore  # noqa: E402
from tests.arxiv_server import LOOPBACK, ArxivServer, free_port  # noqa: E402
from tests.delivery_servers import WebhookReceiver  # noqa: E402
from tests.openai_stub import OpenAIStub, last_user_message  # noqa: E402

CATEGORIES = ["cs.AI", "cs.CL", "cs.DC", "cs.LG"]
WORDS = ["learning", "language", "graph", "distributed", "GPU", "reasoning", "agents",
         "vision", "optimization", "federated", "privacy", "robot", "diffusion",
         "transformer", "benchmark", "inference", "memory", "retrieval", "scheduling",
         "training"]  # fmt: skip
SECRET = "bench-cron-secret"  # noqa: S105


class Timed:
    """An ASGI wrapper that times each ``/api/cron/refresh`` call."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.calls: list[float] = []
        self._lock = threading.Lock()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != "/api/cron/refresh":
            await self.app(scope, receive, send)
            return
        began = time.monotonic()
        try:
            await self.app(scope, receive, send)
        finally:
            with self._lock:
                self.calls.append(time.monotonic() - began)


def profiles(count: int, rx: str, rng: random.Random) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for n in range(count):
        cats = rng.sample(CATEGORIES, rng.choice((1, 2)))
        hook = {"webhooks": [{"kind": "generic", "url": f"{rx}/p{n}"}]}
        out[f"p{n}"] = {"categories": cats, "keywords": rng.sample(WORDS, 2), "delivery": hook}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profiles", type=int, default=150)
    parser.add_argument("--full", action="store_true", help="1,000 profiles")
    parser.add_argument("--call-seconds", type=float, default=10.0)
    parser.add_argument("--parallel", type=int, default=4, help="calls at once")
    parser.add_argument("--llm-seconds", type=float, default=1.0)
    parser.add_argument("--top", type=int, default=3, help="papers summarized per feed")
    parser.add_argument("--workers", type=int, default=16, help="LLM calls at once in all")
    args = parser.parse_args()
    count = 1000 if args.full else args.profiles
    rng = random.Random(7)
    upstream = ArxivServer(day="2026-01-06")
    with (
        upstream as rss,
        OpenAIStub(latency=args.llm_seconds) as llm,
        WebhookReceiver() as rx,
        tempfile.TemporaryDirectory() as tmp,
    ):
        port = free_port()
        url = f"http://{LOOPBACK}:{port}"
        summary = {"enabled": True, "base_url": llm.base_url, "model": "stub-model",
                   "max_papers_to_summarize": args.top, "max_workers": args.workers,
                   "timeout": 5 * args.llm_seconds + 5, "daily_call_cap": 100_000}  # fmt: skip
        config = {"categories": CATEGORIES, "public_url": url, "ai_summary": summary,
                  "profiles": profiles(count, rx.url, rng), "max_profiles": 10_000}  # fmt: skip
        path = Path(tmp) / "config.json"
        path.write_text(json.dumps(config), encoding="utf-8")
        settings = load_settings(
            config_file=path,
            arxiv_rss_url=rss,
            arxiv_source="live",
            min_request_interval=0,
            sqlite_path=Path(tmp) / "unused.sqlite3",
            cron_secret=SECRET,
            refresh_call_seconds=args.call_seconds,
            refresh_parallel_calls=args.parallel,
            delivery_allow_private=True,
        )
        store = CountingStore()
        timed = Timed(create_app(settings, store=store))
        server = uvicorn.Server(
            uvicorn.Config(timed, host=LOOPBACK, port=port, log_level="error", lifespan="on")
        )
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=lambda: loop.run_until_complete(server.serve()))
        thread.daemon = True
        thread.start()
        while not server.started:
            time.sleep(0.02)
        auth = {"Authorization": f"Bearer {SECRET}"}
        began = time.monotonic()
        last_delivery = began
        seen = 0
        with httpx.Client(base_url=url, timeout=args.call_seconds + 30) as client:
            first = client.post("/api/cron/refresh", headers=auth)
            assert first.status_code == 200, first.text
            while True:
                time.sleep(0.2)
                if len(rx.received) > seen:
                    seen, last_delivery = len(rx.received), time.monotonic()
                status = client.get("/api/cron/status", headers=auth).json()
                if status["pending"] == 0 and len(timed.calls) >= status["calls"]:
                    break
                if time.monotonic() - began > 3600:
                    print("gave up after an hour", file=sys.stderr)
                    break
        server.should_exit = True
        thread.join(timeout=30)
        calls = llm.chat_calls()
        papers = {last_user_message(c.body) for c in calls}
        delivered = Counter(r.path for r in rx.received)
    prefix = f"refresh:{status['run']}:unit:profile."
    states = {k.removeprefix(prefix): json.loads(v) for k, (v, _) in store._data.items()
              if k.startswith(prefix)}  # fmt: skip
    with_papers = {f"/{n}" for n, x in states.items() if (x.get("report") or {}).get("items")}
    items = {f"/{n}": (x.get("report") or {}).get("items", 0) for n, x in states.items()}
    complete = sum(
        1 for r in rx.received if r.body.count(b"Stub summary of") >= min(args.top, items[r.path])
    )
    wall = last_delivery - began
    once = set(delivered) == with_papers and all(n == 1 for n in delivered.values())
    longest = max(timed.calls)
    print(f"profiles: {count} (+ the configured feed), top {args.top} summarized each")
    print(f"calls capped at {args.call_seconds:g} s, {args.parallel} at once; "
          f"LLM stub {args.llm_seconds:g} s a call, {args.workers} at once")  # fmt: skip
    print(f"wall time to the last delivery: {wall:.1f} s")
    print(f"calls made: {len(timed.calls)} (status counts {status['calls']}); "
          f"longest call: {longest:.2f} s")  # fmt: skip
    print(f"LLM calls: {len(calls)} for {len(papers)} distinct papers")
    print(f"arXiv requests: {upstream.requests}")
    print(f"Redis commands (as counted): {store.commands()} "
          f"({store.commands() / (count + 1):.0f} per feed)")  # fmt: skip
    print(f"units: {status['done']} done, {status['failed']} failed, {status['pending']} pending")
    print(f"digests: {sum(delivered.values())} delivered ({len(with_papers)} profiles have "
          f"papers today; the others' keywords match none), each once: {once}; "
          f"with all their summaries: {complete}")  # fmt: skip
    ok = (
        once
        and complete == len(rx.received)
        and longest <= args.call_seconds
        and status["failed"] == 0
    )
    print("OK" if ok else "NOT OK")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

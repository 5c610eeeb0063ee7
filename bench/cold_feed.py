"""Cold feed: time to the first byte of ``/rss`` with an empty cache and a slow upstream.

Setup: 4 categories x 600 items (one combined listing of 2400 distinct papers served at
``/rss/cs.AI+cs.CL+cs.DC+cs.LG``), a loopback arXiv stand-in answering after 300 ms, and a
fresh ``uvicorn app.main:app`` subprocess that is already up (``/health`` answered) but has
fetched nothing yet. Baseline, same run: the old way, one request per category in sequence
(300 ms each) and ``feedparser.parse`` of each listing.

Target (issue): cold ``/rss`` answers its first byte in <= 0.6 s.

    .venv/bin/python bench/cold_feed.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import feedparser  # noqa: E402
import httpx  # noqa: E402

from bench.make_listing import make_combined_listing, make_listing  # noqa: E402
from tests.arxiv_server import ArxivServer, UvicornProcess  # noqa: E402

CATEGORIES = ["cs.AI", "cs.CL", "cs.DC", "cs.LG"]
EACH = 600
DAY = "2026-01-06"
LATENCY = 0.3
TARGET = 0.6  # seconds to the first byte of a cold /rss
TIMEOUT = httpx.Timeout(30.0, connect=5.0)


def listings() -> dict[str, bytes]:
    """The combined listing and, for the baseline, the same papers per category."""
    out = {"+".join(CATEGORIES): make_combined_listing(CATEGORIES, EACH, DAY).encode()}
    for n, cat in enumerate(CATEGORIES):
        out[cat] = make_listing(EACH, cat, DAY, seed=7 + n, first=n * EACH).encode()
    return out


def cold_request(server: ArxivServer, config: Path) -> tuple[float, float, int]:
    """(first byte, whole body, upstream requests) of ``/rss`` from a fresh service."""
    env = {
        "ARXIV_RSS_URL": server.base_url,
        "ARXIV_SOURCE": "live",
        "ARXIV_FEEDS_MIN_REQUEST_INTERVAL": "0",
        "ARXIV_FEEDS_CONFIG": str(config),
    }
    with UvicornProcess(env=env, startup_timeout=30) as service:
        before = server.requests
        with httpx.Client(base_url=service.url, timeout=TIMEOUT) as client:
            start = time.perf_counter()
            with client.stream("GET", "/rss") as response:
                chunks = response.iter_raw()
                next(chunks)
                first = time.perf_counter() - start
                size = sum(len(c) for c in chunks)
                whole = time.perf_counter() - start
                if response.status_code != 200:
                    raise RuntimeError(f"/rss answered {response.status_code}: {service.log()}")
        assert size >= 0
        return first, whole, server.requests - before


def old_way(base_url: str) -> tuple[float, int]:
    """(seconds, entries): sequential fetch of each category, then feedparser on each."""
    start = time.perf_counter()
    entries = 0
    with httpx.Client(timeout=TIMEOUT) as client:
        for cat in CATEGORIES:
            response = client.get(f"{base_url}/{cat}")
            response.raise_for_status()
            entries += len(feedparser.parse(response.content).entries)
    return time.perf_counter() - start, entries


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=3, help="fresh service starts (median is shown)")
    args = ap.parse_args()

    served = listings()
    server = ArxivServer(served, folder=None, latency=LATENCY)
    with server, tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.json"
        config.write_text(json.dumps({"categories": CATEGORIES}), encoding="utf-8")
        print(
            f"upstream: {len(CATEGORIES)} x {EACH} items, combined listing "
            f"{len(served['+'.join(CATEGORIES)]) / 1e6:.1f} MB, {LATENCY * 1000:.0f} ms latency"
        )
        firsts, wholes = [], []
        for run in range(args.runs):
            first, whole, upstream = cold_request(server, config)
            firsts.append(first)
            wholes.append(whole)
            print(
                f"  cold /rss run {run + 1}: first byte {first * 1000:7.1f} ms, "
                f"body {whole * 1000:7.1f} ms, upstream requests {upstream}"
            )
        base_times = []
        for run in range(2):
            seconds, entries = old_way(server.base_url)
            base_times.append(seconds)
            print(f"  old way run {run + 1}: {seconds * 1000:7.1f} ms ({entries} entries parsed)")

    ours = statistics.median(firsts)
    baseline = min(base_times)
    ratio = baseline / ours
    rows = [
        (f"cold /rss first byte (median of {args.runs})", ours),
        ("cold /rss first byte (best)", min(firsts)),
        ("  of which upstream latency", LATENCY),
        ("old way (best of 2)", baseline),
    ]
    for label, seconds in rows:
        print(f"{label:<40} {seconds * 1000:7.1f} ms")
    print(
        f"speed-up: {ratio:.1f}x; target <= {TARGET:g} s: {'met' if ours <= TARGET else 'MISSED'}"
    )
    result = {
        "name": "cold /rss 4x600, 300 ms",
        "ours": ours,
        "baseline": baseline,
        "unit": "s",
        "ratio": ratio,
        "ratio_means": "old way / ours",
        "target": f"<= {TARGET:g} s",
        "met": ours <= TARGET,
    }
    print("RESULT " + json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Parse speed: ``app.arxiv.parse.parse_listing`` vs ``feedparser.parse`` on a 1000-item listing.

Target (issue): our parser is at least 10x faster than feedparser on the same bytes.
Also prints each one's peak Python memory (tracemalloc; lxml's C-level tree is not counted).

    .venv/bin/python bench/parse.py [--entries 1000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import feedparser  # noqa: E402

from app.arxiv.parse import parse_listing  # noqa: E402
from bench.make_listing import make_listing  # noqa: E402

TARGET = 10.0  # feedparser time / ours


def best_of(repeat: int, fn: Callable[[], Any]) -> float:
    """The best wall time of ``repeat`` calls (garbage collected between them)."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def peak_memory(fn: Callable[[], Any]) -> int:
    """Peak bytes allocated by Python while ``fn`` runs (its result kept alive to the end)."""
    gc.collect()
    tracemalloc.start()
    try:
        result = fn()
        _, peak = tracemalloc.get_traced_memory()
        del result
    finally:
        tracemalloc.stop()
    return peak


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--entries", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    data = make_listing(args.entries, "cs.LG", "2026-01-06").encode()
    now = datetime.now(UTC)

    def ours() -> Any:
        return parse_listing(data, ["cs.LG"], now)

    def reference() -> Any:
        return feedparser.parse(data)

    n_ours, n_ref = len(ours().papers), len(reference().entries)  # also warms both up
    print(f"listing: {args.entries} items, {len(data) / 1e6:.2f} MB")
    print(f"parsed:  ours {n_ours} papers, feedparser {n_ref} entries")

    t_ours = best_of(args.repeat, ours)
    t_ref = best_of(args.repeat, reference)
    m_ours = peak_memory(ours)
    m_ref = peak_memory(reference)
    ratio = t_ref / t_ours

    for label, seconds, peak in [("parse_listing", t_ours, m_ours), ("feedparser", t_ref, m_ref)]:
        print(
            f"{label:<14} best of {args.repeat}: {seconds * 1000:8.1f} ms   "
            f"peak {peak / 1e6:6.1f} MB"
        )
    print(
        f"speed-up: {ratio:.1f}x (target >= {TARGET:g}x: {'met' if ratio >= TARGET else 'MISSED'})"
    )
    print(f"memory:   ours uses {m_ours / m_ref:.2f}x feedparser's peak (Python heap only)")
    result = {
        "name": "parse 1000 items",
        "ours": t_ours,
        "baseline": t_ref,
        "unit": "s",
        "ratio": ratio,
        "ratio_means": "feedparser / ours",
        "target": f">= {TARGET:g}x",
        "met": ratio >= TARGET,
    }
    print("RESULT " + json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Run every benchmark of ``bench/`` and print a summary table.

Each benchmark is a script that prints its figures and, last, one ``RESULT {json}`` line (ours,
baseline, ratio, the issue's target and whether this run met it). Timing never fails a run: this
exits 1 only when a script crashed, timed out or printed no result.

    .venv/bin/python bench/run_all.py [parse cold_feed ...]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
SCRIPTS = ["parse", "ranking", "cold_feed", "warm_feed", "import_time"]
TIMEOUT = 150.0  # seconds per script


def run(name: str) -> tuple[dict[str, Any] | None, str, float]:
    """(the RESULT of ``bench/<name>.py`` or None, its output, seconds it took)."""
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, str(BENCH / f"{name}.py")],
            cwd=BENCH.parent,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else ""
        return None, f"{out}\n(timed out after {TIMEOUT:g} s)", time.perf_counter() - start
    output = done.stdout + (f"\n{done.stderr}" if done.returncode else "")
    result = None
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line.removeprefix("RESULT "))
    if done.returncode != 0:
        result = None
    return result, output, time.perf_counter() - start


def figure(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value * 1000:.1f} ms"
    return f"{value:.1f} {unit}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("names", nargs="*", help=f"some of {', '.join(SCRIPTS)} (default: all)")
    args = ap.parse_args()
    unknown = sorted(set(args.names) - set(SCRIPTS))
    if unknown:
        ap.error(f"unknown benchmark(s): {', '.join(unknown)}")
    names = args.names or SCRIPTS

    rows: list[tuple[str, ...]] = []
    failed = []
    for name in names:
        print(f"=== bench/{name}.py", flush=True)
        result, output, seconds = run(name)
        print(output.rstrip("\n"))
        print(f"({seconds:.1f} s)\n", flush=True)
        if result is None:
            failed.append(name)
            rows.append((name, "-", "-", "-", "-", "FAILED TO RUN"))
            continue
        rows.append(
            (
                result["name"],
                figure(result["ours"], result["unit"]),
                figure(result["baseline"], result["unit"]),
                f"{result['ratio']:.2f} ({result['ratio_means']})",
                result["target"],
                "met" if result["met"] else "MISSED",
            )
        )

    header = ("benchmark", "ours", "baseline", "ratio", "target", "this run")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    print("summary")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print(line)
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    if failed:
        print(f"\nscripts that did not produce a result: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Import time: wall time of ``python -c "import app.main"`` in a fresh interpreter.

Baseline, same run: ``python -c "import fastapi"`` (the least an app built on FastAPI pays), and
``python -c pass`` (the interpreter alone) for reference. Runs alternate; best and median shown.
The slowest modules of one ``-X importtime`` run of ``import app.main`` are listed too.

Target (issue): ``import app.main`` takes <= 0.35 s.

    .venv/bin/python bench/import_time.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 0.35  # seconds
CASES = {
    "import app.main": "import app.main",
    "import fastapi": "import fastapi",
    "python -c pass": "pass",
}


def clean_env() -> dict[str, str]:
    """The environment without this project's settings (importing must not need them)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("ARXIV_", "PYTHON"))}


def wall_time(code: str) -> float:
    """Seconds for a fresh ``python -c code`` to start, run and exit."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean_env(), check=True, timeout=60)
    return time.perf_counter() - start


def slowest_imports(code: str, count: int = 12) -> list[tuple[float, str]]:
    """(cumulative seconds, module indented by its depth) of the imports that cost most."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    rows: list[tuple[float, str]] = []
    for line in out.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.removeprefix("import time:").split("|")
        rows.append((int(cumulative) / 1e6, name.rstrip()[1:]))
    return sorted(rows, reverse=True)[:count]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()

    for code in CASES.values():
        wall_time(code)  # warm the OS file cache and .pyc files
    times: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(args.runs):
        for name, code in CASES.items():
            times[name].append(wall_time(code))

    print(f"fresh interpreter, {args.runs} runs each (alternating):")
    for name, values in times.items():
        print(
            f"  {name:<16} best {min(values) * 1000:7.1f} ms   "
            f"median {statistics.median(values) * 1000:7.1f} ms"
        )
    ours = statistics.median(times["import app.main"])
    baseline = statistics.median(times["import fastapi"])
    ratio = ours / baseline
    print("slowest imports of `import app.main` (cumulative, indented by depth; -X importtime):")
    for seconds, module in slowest_imports("import app.main"):
        print(f"  {seconds * 1000:7.1f} ms  {module}")
    print(
        f"import app.main median {ours * 1000:.0f} ms = {ratio:.2f}x `import fastapi`; "
        f"target <= {TARGET:g} s: {'met' if ours <= TARGET else 'MISSED'}"
    )
    result = {
        "name": "import app.main",
        "ours": ours,
        "baseline": baseline,
        "unit": "s",
        "ratio": ratio,
        "ratio_means": "ours / import fastapi",
        "target": f"<= {TARGET:g} s",
        "met": ours <= TARGET,
    }
    print("RESULT " + json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

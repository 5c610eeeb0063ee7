"""Cold start of the built Vercel function: process start to the first byte of ``/rss``.

Lays the function out as ``/var/task`` holds it and runs it as the platform does
(``bench/vercel_platform.py``: IPC mode, read-only ``/var/task``, writable ``/tmp`` only, a bare
interpreter that sees the bundle files only), then asks for ``/rss``. Phases, from the shim's
own ``x-vercel-internal-timing`` header and the IPC messages:

- bootstrap: the interpreter starts and imports the ``vercel_runtime`` shim
- import: the shim imports ``api/index.py``
- server: the shim starts its HTTP server and says ``server-started``
- first /rss: the request is sent, the app starts up (lifespan) and answers; to its first byte

Baseline, same run and same bundle: ``api/index.py`` replaced by a bare ``import fastapi`` app
whose ``/rss`` returns a constant. Target (issue): <= 1.0 s to the first ``/rss`` byte.

The build is what a deployment with no project variables gets: bytecode, from ``vercel.json``'s
``build.env``; ``bench/vercel_build.py --no-bytecode --into DIR`` builds one without, to compare.

    make vercel-build            # builds .vercel/builds/other (and prints these figures)
    .venv/bin/python bench/cold_start.py [--build DIR] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.vercel_platform import (
    ROOT,
    bundle_files,
    layout,
    namespaces_work,
    run_function,
)

TARGET = 1.0  # seconds, process start to the first /rss byte
BARE_APP = '''"""Baseline: the least a FastAPI app pays."""
from fastapi import FastAPI
from fastapi.responses import Response

app = FastAPI()


@app.get("/rss")
def rss() -> Response:
    return Response(b"<rss/>", media_type="application/rss+xml")
'''
SETTINGS = {"ARXIV_FEEDS_ARXIV_SOURCE": "sample", "CRON_SECRET": "cold-start-bench-secret"}
PHASES = ("bootstrap", "import", "server", "first /rss", "total")


def phases_of(task: Path) -> dict[str, float]:
    """One cold start of the function in ``task``: seconds per phase."""
    with run_function(task, SETTINGS) as instance:
        if instance.ready is None:
            raise RuntimeError(f"the function never started:\n{instance.stop()}")
        sent = instance.ready
        reply = instance.request("/rss")
        if reply.status != 200:
            raise RuntimeError(f"/rss answered {reply.status}: {reply.body[:300]!r}")
    timing = {}
    for part in reply.headers.get("x-vercel-internal-timing", "").split(","):
        name, _, rest = part.partition(";dur=")
        if rest:
            timing[name] = float(rest.split(";")[0]) / 1000
    return {
        "bootstrap": timing.get("bootstrap", float("nan")),
        "import": timing.get("import-fn", float("nan")),
        "server": timing.get("server-ready", float("nan")),
        "first /rss": reply.first_byte - sent,
        "total": reply.first_byte,
    }


def bare_layout(task: Path) -> None:
    """Turn the laid-out bundle into the baseline: a bare FastAPI app as ``api/index.py``."""
    entry = task / "api" / "index.py"
    entry.unlink()  # a hard link to the build's file: replace it, never write through it
    entry.write_text(BARE_APP, encoding="utf-8")
    for stale in (task / "api").glob("__pycache__/index.*.pyc"):
        stale.unlink()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--build", type=Path, default=ROOT / ".vercel" / "builds" / "other")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    problem = namespaces_work()
    if problem:
        sys.exit(f"cannot emulate the platform here: {problem}")
    if not (args.build / ".vercel" / "output").is_dir():
        sys.exit(f"no build in {args.build}: run `make vercel-build` first")
    files = bundle_files(args.build)
    size = sum(p.stat().st_size for p in files.values())
    pyc = sum(1 for name in files if name.endswith(".pyc"))
    print(f"bundle {args.build.name}: {len(files)} files ({pyc} .pyc), {size / 2**20:.1f} MiB")
    runs: dict[str, list[dict[str, float]]] = {"ours": [], "bare fastapi": []}
    with tempfile.TemporaryDirectory() as tmp:
        ours = layout(args.build, Path(tmp) / "ours")
        bare = layout(args.build, Path(tmp) / "bare")
        bare_layout(bare)
        phases_of(ours)  # warm the page cache, as a platform's would be
        phases_of(bare)
        for _ in range(args.runs):  # alternate, so load on the machine hits both alike
            runs["ours"].append(phases_of(ours))
            runs["bare fastapi"].append(phases_of(bare))
    medians = {
        who: {p: statistics.median(r[p] for r in results) for p in PHASES}
        for who, results in runs.items()
    }
    print(f"median of {args.runs} cold starts, seconds:")
    print(f"{'phase':<12}" + "".join(f"{p:>12}" for p in PHASES))
    for who, row in medians.items():
        print(f"{who:<12}" + "".join(f"{row[p]:>12.3f}" for p in PHASES))
    ours_total, base_total = medians["ours"]["total"], medians["bare fastapi"]["total"]
    print(
        f"process start to first /rss byte: {ours_total:.3f} s (target <= {TARGET} s: "
        f"{'met' if ours_total <= TARGET else 'MISSED'}); bare fastapi {base_total:.3f} s; "
        f"ratio {ours_total / base_total:.2f}x"
    )
    result = {
        "name": "Vercel cold start to first /rss byte",
        "ours": ours_total,
        "baseline": base_total,
        "ratio": ours_total / base_total,
        "ratio_means": "x bare fastapi",
        "unit": "s",
        "target": f"<= {TARGET} s",
        "met": ours_total <= TARGET,
        "bundle_mib": round(size / 2**20, 1),
    }
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()

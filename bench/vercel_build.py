"""Build the Vercel function with the real CLI, from a clean copy of the project.

Vercel builds a fresh clone, so this copies the files git knows (tracked, or new and not
ignored) into ``into``, writes ``.vercel/project.json`` with the project's Framework Preset
(``null`` is "Other"; ``fastapi`` is what Vercel picks when it sees FastAPI in the
requirements) and runs ``vercel build`` there. No account is needed: the build runs locally,
and only the Python packages come from the package index.

The build gets the environment a deployment's build gets on Vercel, with no project variables:
``build.env`` of ``vercel.json`` (``VERCEL_PYTHON_COMPILEALL=1``, so the Python builder ships
``.pyc`` files). Vercel applies ``build.env`` to Git, Deploy-button and CLI deployments alike;
a local ``vercel build`` reads only ``.vercel/.env.<target>.local`` (what ``vercel pull``
writes), so the variables are written there. Nothing is taken from the caller's environment:
a ``VERCEL_PYTHON_COMPILEALL`` set in the shell is dropped. ``bytecode=False`` leaves
``VERCEL_PYTHON_COMPILEALL`` out, to measure what a build without bytecode costs.

    .venv/bin/python bench/vercel_build.py [--framework fastapi] [--no-bytecode] [--into DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = ROOT / ".tools" / "node_modules" / ".bin" / "vercel"
BUILDS = ROOT / ".vercel" / "builds"
COMPILEALL = "VERCEL_PYTHON_COMPILEALL"


def missing_tools() -> str | None:
    """None when the CLI and uv are there, else what is missing and how to get it."""
    if not CLI.exists():
        return "the Vercel CLI is not installed: `make vercel-cli` puts vercel@60.1.3 in .tools/"
    if shutil.which("uv", path=_path()) is None:
        return "uv is not installed: `.venv/bin/pip install uv` (it is in requirements-dev.txt)"
    return None


def _path() -> str:
    return os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])


def project_files() -> list[str]:
    """What a clone of the repository holds (plus new files not ignored)."""
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    names = [n for n in out.stdout.decode().split("\0") if n]
    return [n for n in names if (ROOT / n).is_file()]


def build_env(config_dir: Path = ROOT, *, bytecode: bool = True) -> dict[str, str]:
    """The variables a deployment's build gets from ``vercel.json`` (its ``build.env``)."""
    config = json.loads((config_dir / "vercel.json").read_text(encoding="utf-8"))
    env = {str(k): str(v) for k, v in config.get("build", {}).get("env", {}).items()}
    if not bytecode:
        env.pop(COMPILEALL, None)
    return env


def build(framework: str | None, into: Path, *, bytecode: bool = True) -> Path:
    """Copy the project into ``into`` and build it there as Vercel would; return ``into``."""
    if into.exists():
        shutil.rmtree(into)
    for name in project_files():
        target = into / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    (into / ".vercel").mkdir(parents=True, exist_ok=True)
    link = {"projectId": "local", "orgId": "local", "settings": {"framework": framework}}
    (into / ".vercel" / "project.json").write_text(json.dumps(link), encoding="utf-8")
    variables = build_env(into, bytecode=bytecode)
    dotenv = "".join(f"{key}={json.dumps(value)}\n" for key, value in variables.items())
    (into / ".vercel" / ".env.preview.local").write_text(dotenv, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != COMPILEALL}
    env.update(PATH=_path(), VERCEL_TELEMETRY_DISABLED="1")
    done = subprocess.run(
        [str(CLI), "build", "--yes"],
        cwd=into,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode:
        raise RuntimeError(f"vercel build failed:\n{done.stdout}\n{done.stderr}")
    return into


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--framework", default="", help="Framework Preset: '' (Other) or fastapi")
    ap.add_argument("--no-bytecode", action="store_true", help="leave out VERCEL_PYTHON_COMPILEALL")
    ap.add_argument("--into", type=Path, default=None)
    args = ap.parse_args()
    problem = missing_tools()
    if problem:
        sys.exit(problem)
    framework = args.framework or None
    into = args.into or BUILDS / (framework or "other")
    build(framework, into, bytecode=not args.no_bytecode)
    print(f"built {into / '.vercel' / 'output'} (Framework Preset: {framework or 'Other'})")


if __name__ == "__main__":
    main()

"""Deploy files agree with each other and with the app."""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from app.__main__ import main as cli_main
from app.main import create_app

ROOT = Path(__file__).resolve().parent.parent


def requirement_lines(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith(("#", "-r"))]


def test_requirements_match_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["dependencies"] == requirement_lines(ROOT / "requirements.txt")


def test_lock_file_matches_the_requirements() -> None:
    """uv.lock is what Vercel's builder installs from (``uv sync --frozen``): it must not drift."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    assert lock["requires-python"] == project["requires-python"]
    packages = {p["name"]: p for p in lock["package"]}
    root = packages[project["name"]]
    wanted = {Requirement(r).name: Requirement(r).specifier for r in project["dependencies"]}
    locked = {d["name"]: d.get("specifier", "") for d in root["metadata"]["requires-dist"]}
    assert set(locked) == set(wanted)
    for name, specifier in wanted.items():
        assert str(specifier) == str(Requirement(f"{name}{locked[name]}").specifier), name
        pinned = Version(packages[name]["version"])
        assert pinned in specifier, f"{name} {pinned} is outside {specifier}"
        assert packages[name]["source"] == {"registry": "https://pypi.org/simple"}


def test_lock_and_manifest_reach_the_builder() -> None:
    """Neither git nor the upload to Vercel may leave out the lock or the manifest beside it."""
    for ignore in (".gitignore", ".vercelignore"):
        lines = (ROOT / ignore).read_text(encoding="utf-8").splitlines()
        assert not {"uv.lock", "pyproject.toml", "requirements.txt"} & set(lines), ignore


def test_vercel_config_points_at_real_routes() -> None:
    config = json.loads((ROOT / "vercel.json").read_text(encoding="utf-8"))
    assert config["$schema"].startswith("https://openapi.vercel.sh/")
    # Pinned, so a project Vercel set up with its FastAPI preset builds the same function
    assert config["framework"] is None
    assert (ROOT / "api" / "index.py").is_file()
    assert "api/index.py" in config["functions"]
    assert config["rewrites"] == [{"source": "/(.*)", "destination": "/api/index"}]
    paths = set(create_app().openapi()["paths"])
    for cron in config["crons"]:
        assert cron["path"] in paths
        _minute, hour, *_ = cron["schedule"].split()
        assert 4 <= int(hour) <= 6  # just after midnight in New York, in UTC
    assert (ROOT / ".python-version").read_text().strip() == "3.12"


def test_vercel_builds_bytecode_without_a_project_variable() -> None:
    config = json.loads((ROOT / "vercel.json").read_text(encoding="utf-8"))
    # build.env reaches the build of every deployment, Git and Deploy-button ones included;
    # the Python builder then ships .pyc files (packages/python/src/compileall.ts)
    assert config["build"]["env"]["VERCEL_PYTHON_COMPILEALL"] == "1"
    # ... unless an install or build command is set, or a pre-deploy command: it compiles then
    # nothing, as those could leave the bytecode stale
    assert not {"installCommand", "buildCommand"} & set(config)
    assert "preDeployCommand" not in json.dumps(config)


def test_only_public_is_served_as_static_files() -> None:
    public = ROOT / "public"
    assert public.is_dir()  # without it Vercel serves the project root, sources included
    served = [p for p in public.rglob("*") if p.is_file()]
    assert served
    assert not [p for p in served if re.search(r"\.(py|json|toml|env|sqlite3)$", p.name)]


def test_entry_point_imports_only_the_app() -> None:
    # and gc, to pause the collector while the app is imported (cold start)
    tree = ast.parse((ROOT / "api" / "index.py").read_text(encoding="utf-8"))
    imports = [
        ast.unparse(node) for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)
    ]
    assert imports == ["import gc", "from app.main import app"]


@pytest.mark.e2e
def test_the_wheel_holds_the_app_its_data_and_the_command(tmp_path: Path) -> None:
    """``pip install .`` gives ``arxiv-feeds``, with the samples the app reads at run time."""
    source = tmp_path / "src"
    source.mkdir()
    shutil.copy(ROOT / "pyproject.toml", source)
    shutil.copytree(ROOT / "app", source / "app", ignore=shutil.ignore_patterns("__pycache__"))
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("arxiv_feeds-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        assert "arxiv-feeds = app.__main__:main" in zf.read(entry_points).decode()
    samples = {p.relative_to(ROOT).as_posix() for p in (ROOT / "app" / "samples").iterdir()}
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "app").rglob("*.py")}
    assert samples
    assert samples <= names
    assert modules <= names
    assert not [n for n in names if n.startswith(("tests/", "bench/", "api/"))]


def test_the_command_is_named_arxiv_feeds(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli_main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: arxiv-feeds ")
    assert "arxiv-feeds refresh" in out
    assert "python -m app" not in out

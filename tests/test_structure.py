"""The layout stays readable: routes are leaves, one wiring module, no import cycles in app/."""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"


def module_name(path: Path) -> str:
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports() -> dict[str, set[str]]:
    """Every app module and the app modules it imports (type-only and lazy imports too)."""
    graph: dict[str, set[str]] = {}
    for path in APP.rglob("*.py"):
        name = module_name(path)
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("app"):
                found.add(node.module)
                found.update(f"{node.module}.{a.name}" for a in node.names)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.startswith("app"))
        graph[name] = found
    return {name: {m for m in deps if m in graph and m != name} for name, deps in graph.items()}


def test_nothing_but_main_imports_a_route() -> None:
    graph = imports()
    offenders = {
        (name, dep)
        for name, deps in graph.items()
        for dep in deps
        if dep.startswith("app.routes.") and name != "app.main"
    }
    assert offenders == set()


def test_app_modules_import_no_cycle() -> None:
    graph = imports()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph[node]):
            if dep.startswith(node + ".") or node.startswith(dep + "."):
                continue  # a package and its own modules
            if state.get(dep) == 1:
                cycles.append([*path[path.index(dep) :], dep] if dep in path else [node, dep])
            elif dep not in state:
                visit(dep, [*path, dep])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_one_module_assembles_the_services() -> None:
    builders = [
        module_name(p)
        for p in APP.rglob("*.py")
        if "def build_services(" in p.read_text(encoding="utf-8")
    ]
    assert builders == ["app.wiring"]


# the shapes of arXiv ids: YYMM.NNNNN, an old-style number, a month
ID_PATTERNS = (r"\d{4}\.\d", r"\d{4,5}", r"\d{{4,5}}", r"\d{7}", "0[1-9]|1[0-2]")


def test_one_module_parses_arxiv_ids() -> None:
    """Every caller reads arXiv ids through ``app.arxiv.ids``; no other module spells out
    what an id looks like (five such rules once disagreed on what they accepted)."""
    spelled = sorted(
        module_name(p)
        for p in APP.rglob("*.py")
        if any(shape in p.read_text(encoding="utf-8") for shape in ID_PATTERNS)
    )
    assert spelled == ["app.arxiv.ids"]

"""The layout stays readable: routes are leaves, one wiring module, no import cycles in app/."""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"


def module_name(path: Path) -> str:
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports() -> dict[str, set[str]]:
    """Every app module and the app modules it imports (type-only and lazy imports too).

    ``from app.arxiv import taxonomy`` imports the module ``app.arxiv.taxonomy``; the package
    ``app.arxiv`` counts only for names that are not modules of it.
    """
    paths = {module_name(path): path for path in APP.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("app"):
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    found.add(sub if sub in paths else node.module)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.startswith("app"))
        graph[name] = found
    return {name: {m for m in deps if m in graph and m != name} for name, deps in graph.items()}


# The layers of app/, bottom first: a module may import its own layer and those below, never one
# above (type-only and lazy imports included). A module belongs to the most specific prefix that
# names it ("app.arxiv.ids" is a fact, the rest of "app.arxiv" upstream); a new module in a
# package joins the package's layer, and a new top-level module starts in the foundation until
# it is named here.
LAYERS: list[list[str]] = [
    # foundation: the error hierarchy, redaction, in-memory caches, HTTP validators, the
    # public address
    ["app", "app.errors", "app.redaction", "app.caches", "app.http_cache", "app.address"],
    # facts and the models passed between stages (pure): arXiv's taxonomy, ids, days and links,
    # keywords, the papers and feeds, the signals a score is made of
    [
        "app.arxiv.taxonomy",
        "app.arxiv.ids",
        "app.arxiv.schedule",
        "app.arxiv.links",
        "app.keywords",
        "app.models",
        "app.ranking.signals",
        "app.validation",
    ],
    # settings models (declarative, gathered by app.config's Settings)
    [
        "app.llm.settings",
        "app.summaries.settings",
        "app.delivery.settings",
        "app.delivery.addresses",
        "app.profiles.model",
    ],
    ["app.store"],
    # upstream: arXiv's listings and API
    ["app.arxiv"],
    ["app.catalog"],
    # pure computing: ranking, rendering (feeds, pages, the JSON API's papers), reading a
    # library export
    [
        "app.ranking",
        "app.render",
        "app.schemas",
        "app.profiles.entries",
        "app.profiles.ids",
        "app.profiles.parsers",
        "app.profiles.library",
    ],
    # LLM endpoints: the client, its call budget, embeddings, summaries and ratings
    ["app.llm", "app.summaries"],
    ["app.config", "app.config_file"],
    # profiles (stored, owned) and personalization (the I/O side of ranking by them)
    ["app.profiles"],
    ["app.personal"],
    ["app.delivery"],
    # services: what a request or a refresh does, and the one place that builds the services
    [
        "app.queries",
        "app.config_view",
        "app.plan",
        "app.pipeline",
        "app.refresh",
        "app.wiring",
        "app.auth",
    ],
    # serving: a feed request end to end, HTTP plumbing
    ["app.serving", "app.http_basics"],
    # entry points
    ["app.routes", "app.main", "app.aws", "app.__main__", "app.cli_output"],
]


def layer_of(module: str) -> int:
    """The layer of ``module``: that of the longest prefix naming it."""
    best, layer = -1, 0
    for n, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, layer = len(prefix), n
    return layer


def test_layers_name_modules_that_exist() -> None:
    graph = imports()
    named = [p for layer in LAYERS for p in layer]
    assert len(named) == len(set(named))
    assert [p for p in named if not any(m == p or m.startswith(p + ".") for m in graph)] == []


def test_no_module_imports_a_higher_layer() -> None:
    graph = imports()
    upward = sorted(
        f"{name} (layer {layer_of(name)}) imports {dep} (layer {layer_of(dep)})"
        for name, deps in graph.items()
        for dep in deps
        if layer_of(dep) > layer_of(name)
    )
    assert upward == []


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

"""The layout's one rule (issue 17; docs/architecture.md, "Layers"): imports point down, never up,
and no module imports itself back through others. Read from the source with `ast`, so a new
module is checked the day it is written; an import inside a function counts too."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Lower layers first. A module may import its own package and anything on a lower layer; packages
# on the same layer are independent features and do not import each other.
LAYERS = [
    {"config"},
    {"coordination.clock"},
    {"models"},
    {"coordination.core"},
    {"coordination.geography", "coordination.messaging"},
    {"coordination.tasks"},  # task notices go through the outbox
    {"coordination.org"},  # accounts queue the invitation SMS
    {"coordination.duty", "coordination.onboarding"},
    {"coordination.emulation", "coordination.reports"},
    {"maps", "dev", "coordination.jobs", "coordination.ops"},
    {"coordination.web", "coordination.cli"},
    {"app", "coordination"},
]
RANK = {package: rank for rank, packages in enumerate(LAYERS) for package in packages}


def _modules() -> dict[str, Path]:
    files = [ROOT / "app.py", ROOT / "config.py"]
    for folder in ("coordination", "models", "maps", "dev"):
        files += sorted((ROOT / folder).rglob("*.py"))
    out = {}
    for path in files:
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        out[name] = path
    return out


def _imports(modules: dict[str, Path]) -> dict[str, set[str]]:
    graph = {}
    for name, path in modules.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:  # a module, or a name in one
                targets = [f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in modules else node.module
                           for alias in node.names]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                continue
            found |= {t for t in targets if t in modules and t != name}
        graph[name] = found
    return graph


def package(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "coordination" and len(parts) > 1 else parts[0]


def upward(graph: dict[str, set[str]]) -> list[str]:
    bad = []
    for source, targets in graph.items():
        for target in targets:
            a, b = package(source), package(target)
            if a != b and not RANK[a] > RANK[b]:
                bad.append(f"{source} → {target}")
    return sorted(bad)


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_every_package_has_a_layer():
    assert {package(m) for m in _modules()} - set(RANK) == set()


def test_no_import_points_up_or_sideways_between_features():
    assert upward(_imports(_modules())) == []


def test_no_module_imports_itself_back():
    assert circles(_imports(_modules())) == []


def test_the_checks_catch_what_they_are_for():
    """A rule module reaching into the web layer, and two modules importing each other."""
    graph = {"coordination.duty.alerts": {"coordination.web.helpers"}, "coordination.web.helpers": set(),
             "coordination.geography.search": {"coordination.messaging.outbox"}, "coordination.messaging.outbox": set()}
    assert upward(graph) == ["coordination.duty.alerts → coordination.web.helpers",
                             "coordination.geography.search → coordination.messaging.outbox"]
    assert circles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]

"""Views and their length: every function under coordination/web/ routed by a blueprint decorator
(`@bp.route`, `@bp.get`, `@bp.post`, …), measured from its `def` line to its last line (decorators,
docstring included, blank lines not). `python tools/view_lengths.py [LIMIT]` lists those over LIMIT
(default 15) and prints the counts; issue 17 §4 asks for views of about 15 lines."""
from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROUTE_VERBS = {"route", "get", "post", "put", "patch", "delete"}


def is_route(decorator: ast.expr) -> bool:
    return (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
            and decorator.func.attr in ROUTE_VERBS)


def views(path: Path):
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(map(is_route, node.decorator_list)):
            body = [ln for ln in lines[node.lineno - 1:node.end_lineno] if ln.strip()]
            yield node.name, node.lineno, len(body)


def main(limit: int = 15) -> None:
    found = [(p.relative_to(ROOT), *v) for p in sorted((ROOT / "coordination" / "web").rglob("*.py"))
             for v in views(p)]
    over = [v for v in found if v[3] > limit]
    for path, name, line, length in sorted(over, key=lambda v: -v[3]):
        print(f"{length:4d}  {path}:{line}  {name}")
    print(f"{len(over)} of {len(found)} views are over {limit} lines")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)

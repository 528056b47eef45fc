"""The gateway's service class names each route once: a second assignment of a name
silently replaces the first route (a page once hid GET /api/v1/customers/<id>/history)."""
import ast
from collections import Counter
from pathlib import Path

import services.gateway.service as module


def test_no_route_name_is_given_twice():
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    [service] = [node for node in tree.body
                 if isinstance(node, ast.ClassDef) and node.name == "GatewayService"]
    names: Counter = Counter()
    for node in service.body:
        if isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.FunctionDef):
            names[node.name] += 1
    assert [name for name, count in names.items() if count > 1] == []

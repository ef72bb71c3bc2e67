"""The package's layout (docs/architecture.md): rooms by stage, imports pointing one way, small
modules, a face per room, and one code-version key that sees every module."""
from __future__ import annotations

import ast
import importlib
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path


from conftest import ROOT
from scorecard.base.codekey import code_version, package_sources

PACKAGE = ROOT / "scorecard"
# lowest first: a room may import from itself and from rooms before it (docs/architecture.md)
LAYERS = ["base", "rules", "xlsx", "intake", "evidence", "scoring", "office", "forms", "reports", "operations", "mail", "followup", "cli"]


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _imports() -> dict[str, set[str]]:
    """module -> the package's modules it imports, at any depth of the code (function bodies too)."""
    modules = _modules()
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = (here[:len(here) - node.level + 1] if node.level else []) + (node.module or "").split(".")
                base = [p for p in base if p]
                for alias in node.names:
                    target = ".".join(base + [alias.name])
                    target = target if target in modules else ".".join(base)
                    if target in modules and target != name:
                        graph[name].add(target)
            elif isinstance(node, ast.Import):
                graph[name].update(a.name for a in node.names if a.name in modules and a.name != name)
    return graph


def _room(module: str) -> str:
    """The room a module is in; the package's own top modules (cli, version, the installers) stand
    at the top, beside cli."""
    parts = module.split(".")
    if len(parts) == 1:
        return "scorecard"
    if len(parts) == 2 and not (PACKAGE / parts[1]).is_dir():
        return "cli"
    return parts[1]


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(v):                         # Tarjan; the package is small enough for recursion
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))
    for v in list(graph):
        if v not in index:
            visit(v)
    return found


def test_rooms_not_a_hallway():
    top = [p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"]
    rooms = [p.parent.name for p in PACKAGE.glob("*/__init__.py")]
    assert len(top) <= 6, top
    assert len([r for r in rooms if r in LAYERS]) >= 5, rooms
    assert set(rooms) <= set(LAYERS), f"a room docs/architecture.md does not place: {set(rooms) - set(LAYERS)}"


def test_no_module_over_500_lines():
    long = {m: n for m, p in _modules().items() if (n := len(p.read_text(encoding="utf-8").splitlines())) > 500}
    assert not long


def test_no_import_circle_between_modules():
    assert _cycles(_imports()) == []


def test_imports_between_rooms_point_down():
    upward = []
    for module, targets in _imports().items():
        for target in targets:
            a, b = _room(module), _room(target)
            if "scorecard" in (a, b) or a == b:
                continue                  # the package's own __init__ (PACKAGE_TEMPLATES)
            if LAYERS.index(b) > LAYERS.index(a):
                upward.append(f"{module} -> {target}")
    assert upward == []


def test_every_room_has_a_face():
    for init in sorted(PACKAGE.glob("*/__init__.py")):
        room = importlib.import_module(f"scorecard.{init.parent.name}")
        assert (room.__doc__ or "").strip(), f"{init}: no docstring saying what the room is for"
        for name in getattr(room, "__all__", ()):
            assert getattr(room, name) is not None


def test_architecture_doc_names_every_room():
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/architecture.md" in readme
    for init in PACKAGE.glob("*/__init__.py"):
        assert f"{init.parent.name}/" in doc, init.parent.name


def test_the_code_version_sees_every_module(tmp_path):
    copy = tmp_path / "scorecard"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    sources = package_sources(copy)
    assert {p.relative_to(copy) for p in sources} == {p.relative_to(PACKAGE) for p in PACKAGE.rglob("*.py")}
    seen = {code_version.__wrapped__(copy)}
    for path in sources:
        original = path.read_bytes()
        path.write_bytes(original + b"\n# changed\n")
        seen.add(code_version.__wrapped__(copy))
        path.write_bytes(original)
    assert len(seen) == len(sources) + 1          # each change gives a key of its own
    assert code_version.__wrapped__(copy) == code_version.__wrapped__(PACKAGE)


def test_a_changed_module_anywhere_makes_the_next_run_a_full_one(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    for name in ("scorecard", "templates", "examples"):
        shutil.copytree(ROOT / name, project / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("rules.yaml", "process.py"):
        shutil.copy(ROOT / name, project / name)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}

    def unchanged() -> bool:
        done = subprocess.run([sys.executable, "process.py", "run", "--input", "examples/input", "--output",
                               str(tmp_path / "out"), "--as-of", "2026-12-31"], cwd=project, env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
        return "未重新处理" in done.stdout
    assert not unchanged()
    assert unchanged()
    for module in ("intake/validation.py", "office/read.py", "reports/context.py"):   # deep in three rooms
        with open(project / "scorecard" / module, "a", encoding="utf-8") as f:
            f.write("\n# a comment\n")
        assert not unchanged(), module
        assert unchanged(), module

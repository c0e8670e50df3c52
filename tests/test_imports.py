"""The package's layout: every module listed in ``helpers/__init__.py``, importable on its own, no import cycle.

The cycle check reads the source (``ast``), so it sees every import a module
can make: at module level and inside functions alike. A function-level import
does not fail at import time, but a pair of modules that need each other is
one module in two files, and the next module-level import between them breaks.
Code under ``if __name__ == "__main__":`` counts too.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HELPERS = ROOT / "helpers"
#: Old names kept for one release; importing them warns.
DEPRECATED = {"helpers.runner", "helpers.site", "helpers.kerasfile", "helpers.evaluate", "helpers.environment"}


def module_names() -> dict[str, Path]:
    """``{dotted name: file}`` of every module and package under ``helpers/``."""
    out = {}
    for path in sorted(HELPERS.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def imports_of(name: str, source: str, is_package: bool, known) -> set[str]:
    """The known modules that ``source`` (module ``name``) imports anywhere: module level, functions, main guard."""
    package = name if is_package else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name in known)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            for alias in node.names:   # `from helpers import shapes` names a module; `from helpers.x import f`, x
                out.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return (out & set(known)) - {name}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index, low, stack, on, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def import_graph() -> dict[str, set[str]]:
    mods = module_names()
    return {m: imports_of(m, p.read_text(), p.name == "__init__.py", mods) for m, p in mods.items()}


def test_the_cycle_check_sees_function_level_imports_and_finds_a_planted_cycle():
    known = {"helpers", "helpers.a", "helpers.b", "helpers.c"}
    a = "import numpy\nfrom helpers import b\n"
    b = "def f():\n    from helpers.c import g\n    return g\n"
    c = "def g():\n    from helpers.a import x\n"
    graph = {m: imports_of(m, s, False, known) for m, s in (("helpers.a", a), ("helpers.b", b), ("helpers.c", c))}
    assert graph == {"helpers.a": {"helpers.b"}, "helpers.b": {"helpers.c"}, "helpers.c": {"helpers.a"}}
    assert cycles(graph) == [["helpers.a", "helpers.b", "helpers.c"]]
    graph["helpers.c"] = set()
    assert cycles(graph) == []


def test_no_import_cycle_among_helpers_modules():
    graph = import_graph()
    assert "helpers.shortcut" in graph["helpers.course.train"]   # the parser sees function-level imports
    assert "helpers.adapt" in graph["helpers.images"]
    found = cycles(graph)
    assert not found, "modules that import each other (directly or round a loop): " + "; ".join(
        " <-> ".join(c) for c in found)


def test_the_module_map_lists_every_public_module():
    doc = ast.get_docstring(ast.parse((HELPERS / "__init__.py").read_text()))
    listed = set(re.findall(r"^``([a-z_.]+)``\s{2,}", doc, flags=re.M))
    public = {m.removeprefix("helpers.") for m in module_names() if m != "helpers"}
    public = {m for m in public if not any(part.startswith("_") for part in m.split("."))}
    public = {m for m in public if not re.fullmatch(r"exercises\.lesson\d\d", m)}   # one line: exercises.lessonNN
    assert public - listed == set(), "add a line to helpers/__init__.py's map"
    assert listed - public == set(), "the map lists a module that does not exist"


def test_every_module_imports_on_its_own_and_only_old_names_warn():
    """Each module imported in a clean ``helpers`` namespace (TensorFlow stays loaded: the cost is the import)."""
    script = r"""
import importlib, json, sys, warnings
names = json.loads(sys.argv[1])
failed, warned = {}, []
for name in names:
    for loaded in [m for m in sys.modules if m == "helpers" or m.startswith("helpers.")]:
        del sys.modules[loaded]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001
            failed[name] = f"{type(exc).__name__}: {exc}"
    if any(issubclass(w.category, DeprecationWarning) and "helpers." in str(w.message) for w in caught):
        warned.append(name)
print(json.dumps({"failed": failed, "warned": warned}))
"""
    names = sorted(module_names())
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COURSE_FAST": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run([sys.executable, "-c", script, json.dumps(names)], capture_output=True, text=True,
                         env=env, cwd=ROOT, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["failed"] == {}
    assert set(result["warned"]) == DEPRECATED


@pytest.mark.parametrize("old, new, word", [("helpers.evaluate", "helpers.course.evaluate", "pointing"),
                                            ("helpers.runner", "helpers.course.runner", "--only"),
                                            ("helpers.train", "helpers.course.train", "--shortcut")])
def test_old_command_lines_run_the_new_ones(old, new, word):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    for module in (old, new):
        out = subprocess.run([sys.executable, "-m", module, "--help"], capture_output=True, text=True, env=env,
                             cwd=ROOT, timeout=300)
        assert out.returncode == 0, out.stderr[-2000:]
        assert word in out.stdout
        if module in DEPRECATED:
            assert f"python -m {new}" in out.stderr   # the DeprecationWarning says where it went

"""The shape of the package, read from the source with ``ast`` (nothing is imported):

- no import cycle among the ``twolayer`` modules, counting imports inside functions too (a
  deferred import hides a cycle, it does not remove it), except import statements marked
  ``# plugin loading`` (a package loading the modules that register themselves with it);
- the core (the training layer, ``net``, the integrators, ``simulate``) names no paper, no data
  kind and no probe: those live in the probes, data, claims and plots modules.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "twolayer"
PLUGIN = "# plugin loading"
PENDING: tuple[str, ...] = ()  # packages whose cycles are being removed elsewhere (none now)


def modules() -> dict[str, tuple[Path, bool]]:
    out = {}
    for f in sorted(ROOT.rglob("*.py")):
        parts = list(f.relative_to(ROOT.parent).with_suffix("").parts)
        pkg = parts[-1] == "__init__"
        out[".".join(parts[:-1] if pkg else parts)] = (f, pkg)
    return out


def import_graph() -> dict[str, set[str]]:
    """module → the twolayer modules it imports (anywhere in the file)."""
    mods = modules()
    graph: dict[str, set[str]] = {}
    for name, (path, is_pkg) in mods.items():
        src = path.read_text()
        lines = src.splitlines()
        here = name if is_pkg else name.rpartition(".")[0]
        edges = set()
        for node in ast.walk(ast.parse(src)):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            text = "\n".join(lines[node.lineno - 1 : node.end_lineno])
            if PLUGIN in text:
                continue
            if isinstance(node, ast.Import):
                edges.update(a.name for a in node.names)
                continue
            if node.level:
                base = here.split(".")[: len(here.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for a in node.names:
                sub = f"{target}.{a.name}"
                edges.add(sub if sub in mods else target)
        graph[name] = {e for e in edges if e in mods and e != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
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
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_graph_sees_deferred_imports():
    g = import_graph()
    assert "twolayer.probes.base" in g["twolayer.probes.segments"]
    assert "twolayer.training.api" in g["twolayer.training"]
    assert "twolayer.claims" not in g["twolayer"]  # marked: plugin loading


def test_no_import_cycle():
    found = [c for c in cycles(import_graph())
             if not all(m.startswith(PENDING) for m in c)]
    assert not found, "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


def test_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


# -- the core names no paper, no data kind, no probe ----------------------------------------------
PAPERS = ("frei", "liu", "maennel", "vashisht", "badger", "barak")
CORE = ("training", "net", "integrators.py", "engine.py", "simulate.py")
# names that happen to equal a probe's: net.errors, the 0/1 loss of the outputs (public API used
# by probes, claims and plots; also in net.__all__), and a worker pool's list of raised exceptions
SHARED_WORDS = {"errors"}


def core_files() -> list[Path]:
    out = []
    for entry in CORE:
        path = ROOT / entry
        out += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return out


def names_in(path: Path) -> tuple[set[str], set[str]]:
    """(identifiers, words of the string literals that are not docstrings) of a module."""
    tree = ast.parse(path.read_text())
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    idents: set[str] = set()
    words: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            idents.add(node.id)
        elif isinstance(node, ast.Attribute):
            idents.add(node.attr)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            idents.add(node.name)
        elif isinstance(node, ast.arg):
            idents.add(node.arg)
        elif isinstance(node, ast.keyword) and node.arg:
            idents.add(node.arg)
        elif isinstance(node, ast.alias):
            idents.update(p for p in (node.name.split(".") + [node.asname or ""]) if p)
        elif isinstance(node, ast.ImportFrom) and node.module:
            idents.update(node.module.split("."))
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
              and id(node) not in docstrings):
            words.update(re.findall(r"[a-z0-9]+", node.value.lower()))
    return idents, words


def forbidden() -> tuple[set[str], set[str]]:
    """(paper and data-kind names, probe names)."""
    from twolayer.config import DATA_KINDS
    from twolayer.probes import REGISTRY

    return set(PAPERS) | set(DATA_KINDS), set(REGISTRY)


@pytest.mark.parametrize("path", core_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_core_names_no_paper_data_kind_or_probe(path):
    named, probes = forbidden()
    idents, words = names_in(path)
    bad = set()
    for ident in idents:
        parts = set(ident.lower().strip("_").split("_"))
        bad |= parts & named
        if ident.lower() in probes - SHARED_WORDS:
            bad.add(ident)
    bad |= words & (named | probes - SHARED_WORDS)
    assert not bad, f"{path.relative_to(ROOT)} names {sorted(bad)}"


def test_the_name_check_sees_literals_and_identifiers(tmp_path):
    f = tmp_path / "m.py"
    f.write_text('"""Frei et al. in a docstring is fine."""\nfrei_x = 1\nk = "xor"\n'
                 'def f(liu):\n    """Liu, fine."""\n    return segments\n')
    idents, words = names_in(f)
    assert {"frei_x", "liu", "segments"} <= idents and "xor" in words and "fine" not in words


# -- figures never read verdicts -------------------------------------------------------------------
def test_no_plots_module_imports_a_claims_module():
    """docs/architecture.md: "no plots module imports a claims module" (a figure draws the
    Records; a verdict statistic it needs lives where both can read it)."""
    bad = {mod: sorted(e for e in edges if e == "twolayer.claims" or
                       e.startswith("twolayer.claims."))
           for mod, edges in import_graph().items()
           if mod == "twolayer.plots" or mod.startswith("twolayer.plots.")}
    assert not {m: e for m, e in bad.items() if e}, bad

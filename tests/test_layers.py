"""The core imports and trains without the UI stack (as on a bare GPU box: torch only)."""

import ast
import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO

BLOCK_UI = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"plotly", "ipywidgets", "IPython", "ipykernel", "jupyterlab",
                                  "anywidget", "kaleido", "nbclient", "nbformat"}:
            raise ImportError(f"{name} is blocked: the core must not need it")
sys.meta_path.insert(0, Block())
"""


def test_core_trains_sweeps_and_analyses_without_jupyter_or_plotly(tmp_path):
    code = BLOCK_UI + f"""
import sbexplore as sb
from sbexplore import analysis, config, engine, jobs, runs, studies
run = sb.train(sb.RunConfig(model="mlp", epochs=2, device="cpu", out_dir={str(tmp_path)!r}))
assert sb.load_run({str(tmp_path)!r}) == run
live = sb.start(sb.RunConfig(model="mlp", epochs=1, device="cpu")); live.join()
assert live.status == "finished", live.error
print("ok", analysis.realised_keep(run))
"""
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("ok")


def import_graph() -> dict[str, set[str]]:
    """Module -> the sbexplore modules it imports anywhere (top level or inside a function).
    A module's own parent packages are left out: importing a submodule always imports them."""
    root = REPO / "sbexplore"
    files = {}
    for f in root.rglob("*.py"):
        parts = list(f.relative_to(REPO).with_suffix("").parts)
        files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = f
    graph = {}
    for mod, f in files.items():
        deps = set()
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                pkg = mod.split(".") if f.name == "__init__.py" else mod.split(".")[:-1]
                base = ".".join(pkg[: len(pkg) - node.level + 1] + [node.module or ""]).strip(
                    ".") if node.level else node.module or ""
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in files else base
                           for a in node.names]
            else:
                continue
            deps |= {t for t in targets if t in files and t != mod
                     and not mod.startswith(t + ".")}
        graph[mod] = deps
    return graph


# The layers, bottom first (the package docstring draws them). A module may import its own
# layer and the layers below it, never one above; the package root is the public facade.
LAYERS = [
    ("base", ("sbexplore.errors", "sbexplore._version", "sbexplore._compat")),
    ("config", ("sbexplore.config", "sbexplore.data", "sbexplore.models")),
    ("runs", ("sbexplore.runs",)),
    ("engine", ("sbexplore.engine",)),
    ("analysis", ("sbexplore.analysis",)),
    ("jobs", ("sbexplore.jobs", "sbexplore.loggers", "sbexplore.integrations")),
    ("figures", ("sbexplore.figures",)),
    ("studies", ("sbexplore.studies",)),
    ("ui", ("sbexplore.ui",)),
    ("cli", ("sbexplore.cli", "sbexplore.__main__")),
]


def layer_of(module: str) -> int | None:
    for i, (_, prefixes) in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return i
    return None


def test_every_module_has_a_layer_and_the_root_holds_only_the_facade():
    mods = import_graph()
    assert [m for m in mods if m != "sbexplore" and layer_of(m) is None] == []
    root = sorted(f.name for f in (REPO / "sbexplore").glob("*.py"))
    assert root == ["__init__.py", "__main__.py", "_compat.py", "_version.py", "errors.py"]


def test_no_package_imports_a_layer_above_it():
    graph = import_graph()
    upward = sorted(f"{mod} ({LAYERS[layer_of(mod)][0]}) imports {dep} "
                    f"({LAYERS[layer_of(dep)][0]})"
                    for mod, deps in graph.items() if mod != "sbexplore"
                    for dep in deps if dep != "sbexplore" and layer_of(dep) > layer_of(mod))
    assert upward == [], "imports that point up:\n" + "\n".join(upward)


def test_no_two_modules_import_each_other():
    graph = import_graph()
    assert "sbexplore.jobs.ray" in graph["sbexplore.jobs.sweeps"]  # the graph sees lazy imports
    mutual = sorted((a, b) for a in graph for b in graph[a] if a < b and a in graph[b])
    assert mutual == []
    seen, cycles = {}, []

    def visit(mod, stack):  # any longer cycle too
        if seen.get(mod) == "open":
            cycles.append(stack[stack.index(mod):])
            return
        if mod in seen:
            return
        seen[mod] = "open"
        for dep in sorted(graph[mod]):
            visit(dep, [*stack, dep])
        seen[mod] = "done"

    for mod in sorted(graph):
        visit(mod, [mod])
    assert cycles == []


def test_every_module_imports_on_its_own():
    """Each module first in a fresh import of sbexplore (torch stays loaded: it is not ours);
    two interpreters (the CI machine has 2 cores): the Jupyter side, whose first imports of
    voila and ipywidgets are dear, and the rest, whose first import of lightning is."""
    mods = sorted(m for m in import_graph() if m != "sbexplore.__main__")
    ui = tuple(f"sbexplore.{p}." for p in ("cli", "ui", "figures", "studies"))
    halves = [[m for m in mods if m.startswith(ui)], [m for m in mods if not m.startswith(ui)]]
    procs = [subprocess.Popen([sys.executable, "-c", _import_each(half)], cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for half in halves]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        assert out.strip() == "ok"


def _import_each(mods: list[str]) -> str:
    return f"""
import importlib, sys, torch
failed = []
for mod in {mods!r}:
    for name in [m for m in sys.modules if m == "sbexplore" or m.startswith("sbexplore.")]:
        del sys.modules[name]
    try:
        importlib.import_module(mod)
    except Exception as exc:
        failed.append(f"{{mod}}: {{type(exc).__name__}}: {{exc}}")
print("\\n".join(failed) or "ok")
"""


def run_poisoned(poison: str, code: str, tmp_path) -> subprocess.CompletedProcess:
    """`code` in a fresh interpreter where importing the module `poison` fails, as a broken
    install would (a fake package that raises ImportError, first on the path)."""
    pkg = tmp_path / "poison" / Path(*poison.split("."))
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(f"raise ImportError('{poison} is broken (simulated)')\n")
    for parent in list(pkg.parents)[: poison.count(".")]:
        (parent / "__init__.py").touch()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "poison"), str(REPO)])}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                          env=env)


def test_a_broken_dataset_module_is_reported_not_a_missing_dataset(tmp_path):
    code = """
import importlib.abc, sys
class Break(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "sbexplore.data.torchvision_sets":
            raise ImportError("numpy C extension mismatch (simulated)")
sys.meta_path.insert(0, Break())
import sbexplore
sbexplore.RunConfig(dataset="mnist")
"""
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert p.returncode != 0
    assert "ImportError: numpy C extension mismatch (simulated)" in p.stderr
    assert "is not allowed" not in p.stderr


def test_a_broken_torchvision_is_reported_not_an_unknown_model(tmp_path):
    p = run_poisoned("torchvision", "import sbexplore; sbexplore.RunConfig(model='resnet50')",
                     tmp_path)
    assert p.returncode != 0
    assert "torchvision is installed but fails to import" in p.stderr
    assert "torchvision is broken (simulated)" in p.stderr and "is not allowed" not in p.stderr

"""Notebooks are thin clients: their code cells call the library and hold no logic of their own
(no loop, comprehension, condition, try or lambda). The hand-written training loop that
notebook 06 exists to show is the one exception."""

from __future__ import annotations

import ast

import nbformat
import pytest
from conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
LOGIC = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp,
         ast.GeneratorExp, ast.Try, ast.Lambda, ast.If, ast.IfExp)
EXCEPTIONS = {("06_your_own_loop", "def loop():")}  # the loop a user writes, shown in full


def _logic(source: str) -> list[str]:
    return sorted({type(n).__name__ for n in ast.walk(ast.parse(source)) if isinstance(n, LOGIC)})


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_code_cells_hold_no_logic(path):
    nb = nbformat.read(path, as_version=4)
    offenders = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or any(
                path.stem == stem and marker in cell.source for stem, marker in EXCEPTIONS):
            continue
        found = _logic(cell.source)
        if found:
            offenders.append(f"cell {i}: {', '.join(found)}\n{cell.source}")
    assert not offenders, "\n\n".join(offenders)


def test_the_checker_finds_each_kind_of_logic():
    for code in ("for x in y: pass", "[x for x in y]", "{x for x in y}", "{x: 1 for x in y}",
                 "f(x for x in y)", "try:\n    f()\nexcept E:\n    g()", "f(lambda: 1)",
                 "if x:\n    f()", "a = b if c else d", "while x: pass"):
        assert _logic(code), code
    assert _logic("dash = Dashboard(cfg, start=True)\ndash") == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebooks_are_committed_without_outputs_and_with_a_parameters_cell(path):
    nb = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    if path.stem != "app":  # the Voilà app takes no parameters
        assert any("parameters" in c.metadata.get("tags", []) for c in nb.cells)


def test_notebook_06_writes_its_loop_out():
    nb = nbformat.read(REPO / "notebooks" / "06_your_own_loop.ipynb", as_version=4)
    loop = next(c.source for c in nb.cells if c.source.startswith("def loop"))
    assert "sel.batches(loader)" in loop and "sel.backpropped" in loop

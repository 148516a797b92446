"""Notebook 05 (the paper's Table 1 on MNIST) runs headless with tiny parameters."""

from __future__ import annotations

import nbformat
import pytest
from conftest import REPO
from nbexec import cell_outputs_text, execute_notebook

pytestmark = pytest.mark.slow
NB = REPO / "notebooks" / "05_reproduce_the_paper.ipynb"


def test_reproduce_the_paper_runs(tmp_path, shared_data):
    nb = execute_notebook(NB, {"data_root": str(shared_data), "seeds": [0], "epochs": 2,
                               "train_subset": 600, "out": str(tmp_path)},
                          timeout=600, cwd=tmp_path)
    text = cell_outputs_text(nb)
    assert "uniform (matched)" in text and "speedup" in text
    assert "would run" in text or "cuda" in text  # the GPU section says what it does
    assert len(list(tmp_path.glob("*/config.json"))) == 4  # 4 methods x 1 seed


def test_notebook_05_is_committed_without_outputs():
    nb = nbformat.read(NB, as_version=4)
    assert any("parameters" in c.metadata.get("tags", []) for c in nb.cells)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")

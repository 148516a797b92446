"""Notebook 07 (label errors) runs top to bottom headless with tiny parameters."""

from __future__ import annotations

import pytest
from conftest import REPO
from nbexec import cell_outputs_text, execute_notebook

pytestmark = pytest.mark.slow
NB = REPO / "notebooks" / "07_label_errors.ipynb"


def test_label_errors_notebook_runs(tmp_path):
    pytest.importorskip("cleanlab")
    nb = execute_notebook(NB, {"epochs": 3, "fractions": [0.2], "seeds": [0], "folds": 2,
                               "gallery_dataset": "digits", "k": 8}, timeout=600, cwd=tmp_path)
    text = cell_outputs_text(nb)
    assert "cleanlab" in text and "mean_loss" in text and "extra_time_s" in text


def test_label_errors_notebook_is_committed_without_outputs():
    import nbformat

    nb = nbformat.read(NB, as_version=4)
    assert any("parameters" in c.metadata.get("tags", []) for c in nb.cells)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")

"""Each teaching notebook runs top to bottom headless with tiny parameters."""

from __future__ import annotations

import pytest
from conftest import REPO
from nbexec import cell_outputs_text, execute_notebook

pytestmark = pytest.mark.slow
NB = REPO / "notebooks"


def test_quickstart_runs(tmp_path):
    nb = execute_notebook(NB / "01_quickstart.ipynb",
                          {"epochs": 3, "autostart": True, "wait": True}, timeout=300,
                          cwd=tmp_path)
    text = cell_outputs_text(nb)
    assert "status='finished', epochs=3" in text  # the last cells joined the run


def test_beta_and_staleness_runs(tmp_path):
    nb = execute_notebook(NB / "02_beta_and_staleness.ipynb",
                          {"epochs": 2, "betas": [1.0, 3.0], "stalenesses": [1], "seeds": [0],
                           "out": str(tmp_path)}, timeout=300, cwd=tmp_path)
    text = cell_outputs_text(nb)
    assert "uniform" in text and "accuracy_per_mbackprop" in text
    assert len(list(tmp_path.glob("*/*/config.json"))) == 5  # 2 SB + 1 traditional + 2 uniform


def test_mislabeled_data_runs(tmp_path):
    nb = execute_notebook(NB / "03_mislabeled_data.ipynb",
                          {"epochs": 2, "fractions": [0.0, 0.2], "seeds": [0],
                           "out": str(tmp_path)}, timeout=300, cwd=tmp_path)
    assert "mislabel_pick_rate" in cell_outputs_text(nb)
    assert len(list(tmp_path.glob("*/config.json"))) == 4


def test_notebooks_are_committed_without_outputs():
    import nbformat

    for path in sorted(NB.glob("0[123]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        assert any("parameters" in c.metadata.get("tags", []) for c in nb.cells), path
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), path

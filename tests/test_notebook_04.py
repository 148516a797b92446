"""Notebook 04 runs headless with tiny parameters and exports its figures."""

from __future__ import annotations

import pytest

from tests.nbexec import REPO, cell_outputs_text, execute_notebook


@pytest.mark.slow
def test_notebook_04_runs_and_exports(tmp_path, chromium):
    params = {"MODEL": "mlp", "EPOCHS": 3, "SEEDS": [0, 1], "MISLABEL_FRACTIONS": [0.1, 0.2],
              "OUT": str(tmp_path / "runs"), "EXPORT_DIR": str(tmp_path / "figs"),
              "FORMATS": ["svg"]}
    nb = execute_notebook(REPO / "notebooks" / "04_paper_figures.ipynb", params, timeout=600)
    assert not any(o.get("output_type") == "error" for c in nb.cells for o in c.get("outputs", []))
    figs = tmp_path / "figs"
    for name in ("speedup", "time_breakdown", "mislabels/pick_rate_vs_fraction"):
        assert (figs / f"{name}.svg").is_file() and (figs / f"{name}.csv").is_file()
    assert list(figs.rglob("most_selected.svg"))
    text = cell_outputs_text(nb)
    assert "Stale-SB n=3" in text and "uniform (matched)" in text  # the control beside SB
    assert "speedup" in text and "×1.2" in text

"""Notebook 06 (SB in a hand-written loop on tabular data) runs top to bottom headless."""

from __future__ import annotations

import nbformat
import pytest
from conftest import REPO
from nbexec import cell_outputs_text, execute_notebook

NB = REPO / "notebooks" / "06_your_own_loop.ipynb"


@pytest.mark.slow
def test_your_own_loop_runs_with_the_dashboard_attached(tmp_path):
    nb = execute_notebook(NB, {"epochs": 3, "pace": 0.0, "wait": True}, timeout=300,
                          cwd=tmp_path)
    text = cell_outputs_text(nb)
    assert "status='finished', epochs=3" in text
    assert "mislabel_pick_rate" in text and "45 labels flipped" in text
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors


def test_notebook_06_has_parameters_and_no_outputs_committed():
    nb = nbformat.read(NB, as_version=4)
    assert any("parameters" in c.metadata.get("tags", []) for c in nb.cells)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    loop = next(c.source for c in nb.cells if c.source.startswith("def loop"))
    assert "sel.batches(loader)" in loop and "sel.backpropped" in loop  # the loop is written out


def test_the_dashboard_of_a_custom_data_loop_hides_the_image_galleries():
    import torch

    import sbexplore as sb
    from sbexplore.ui import Dashboard

    x, y = torch.randn(64, 5), torch.randint(0, 2, (64,))
    rec = sb.Recorder(sb.RunConfig(dataset="custom", epochs=1, batch_size=16), y)
    model = torch.nn.Linear(5, 2)
    sel = sb.Selector(model, 64, 16, recorder=rec)
    for _, _, idx in sel.batches(sel.tensor_batches(x, y)):
        sel.backpropped(idx, torch.rand(len(idx)))
    sel.end_epoch(0.5, 0.5)
    rec.finish()
    dash = Dashboard(run=rec)
    try:
        assert dash.refresh(force=True) is not False
        assert all(g.layout.display == "none" for g in dash.galleries)
        assert sum(sum(t.y) for t in dash.hist_fig.data if t.y is not None) > 0
    finally:
        dash.close()

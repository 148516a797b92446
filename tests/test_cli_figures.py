"""`sbexplore figures` end to end on short digits runs, and its one-line errors."""

from __future__ import annotations

import pytest

from sbexplore.cli import main
from sbexplore.engine.trainer import train


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("sweep")
    from sbexplore.config import RunConfig

    base = RunConfig(dataset="digits", model="mlp", epochs=3, device="cpu", batch_size=64,
                     mislabel_fraction=0.1)
    for policy in ("sb", "traditional"):
        train(base.replace(policy=policy, out_dir=str(root / policy)))
    return root


@pytest.mark.slow  # kaleido exports every figure
def test_figures_of_one_run(sweep_dir, tmp_path, chromium, capsys):
    assert main(["figures", str(sweep_dir / "sb"), "--out", str(tmp_path), "--format",
                 "svg,png"]) == 0
    for name in ("most_backpropped", "least_backpropped", "data_map", "loss_histogram"):
        assert (tmp_path / f"{name}.svg").is_file() and (tmp_path / f"{name}.png").is_file()
        assert (tmp_path / f"{name}.csv").is_file()
    assert not list(tmp_path.glob("*.pdf"))
    assert "figures of 1 run(s)" in capsys.readouterr().out


@pytest.mark.slow
def test_figures_of_a_sweep_folder_include_comparisons(sweep_dir, tmp_path, chromium):
    assert main(["figures", str(sweep_dir), "--out", str(tmp_path), "--format", "pdf"]) == 0
    assert (tmp_path / "speedup.pdf").read_bytes().startswith(b"%PDF")
    assert (tmp_path / "sb-beta-2-10-mislabels" / "most_backpropped.pdf").is_file()
    assert (tmp_path / "traditional-10-mislabels" / "learning_curve.csv").is_file()


@pytest.mark.slow
def test_figures_of_several_runs_write_the_pooled_tables(sweep_dir, tmp_path, chromium):
    import pandas as pd

    assert main(["figures", str(sweep_dir), "--out", str(tmp_path), "--format", "svg"]) == 0
    speedups = pd.read_csv(tmp_path / "speedup_table.csv")
    assert set(speedups["factor"]) == {1.1, 1.2, 1.4}
    assert set(speedups["clock"]) == {"time", "backprops", "cost"}
    assert {"seeds", "reached", "speedup_mean", "speedup_std"} <= set(speedups.columns)
    table = pd.read_csv(tmp_path / "comparison_table.csv")
    assert "final_accuracy_std" in table and "speedup_time_x1.2_reached" in table
    curves = pd.read_csv(tmp_path / "learning_curves_time.csv")
    assert {"seeds", "y_mean", "y_std"} <= set(curves.columns)  # seeds pooled


def test_not_a_run_folder_is_one_line(tmp_path, capsys):
    assert main(["figures", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "is not a run folder" in err and err.count("\n") == 1
    assert not (tmp_path / "o").exists()


def test_unknown_format_is_one_line(sweep_dir, tmp_path, capsys):
    assert main(["figures", str(sweep_dir / "sb"), "--out", str(tmp_path / "o"),
                 "--format", "pdf,gif"]) == 2
    assert "'gif' is not allowed" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()

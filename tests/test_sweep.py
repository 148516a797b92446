"""Sweeps: grid expansion, resume without retraining, process backend == local backend."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from sbexplore import RunConfig, sweep
from sbexplore.cli import main as cli_main
from sbexplore.errors import ConfigError
from sbexplore.jobs.sweeps import expand_grid, is_finished, run_one


def test_expand_grid_names_every_combination(tiny, tmp_path):
    cfgs = expand_grid(tiny, {"beta": [1.0, 2.0], "policy": ["sb", "uniform"]}, [0, 1], tmp_path)
    assert len(cfgs) == 8
    assert len({c.out_dir for c in cfgs}) == 8
    assert cfgs[0].out_dir.endswith("beta=1_policy=sb_seed=0") and cfgs[0].seed == 0
    assert expand_grid(tiny, {"beta": [1.0, 2.0], "policy": ["sb", "uniform"]}, [0, 1],
                       tmp_path) == cfgs  # deterministic


@pytest.mark.parametrize("grid", [{"betta": [1]}, {"beta": []}, {"beta": [-1.0]},
                                  {"seed": [1]}])
def test_expand_grid_rejects_bad_grids(tiny, tmp_path, grid):
    with pytest.raises(ConfigError):
        expand_grid(tiny, grid, [0], tmp_path)


def test_resume_skips_finished_runs(tiny, tmp_path):
    first = sweep(tiny, {"beta": [1.0, 3.0]}, seeds=[0], out=tmp_path, progress=False)
    assert len(first.trained) == 2 and len(first.runs) == 2
    stamps = {r.path: (r.path / "manifest.json").stat().st_mtime_ns for r in first.runs}
    again = sweep(tiny, {"beta": [1.0, 3.0, 5.0]}, seeds=[0], out=tmp_path, progress=False)
    assert len(again.skipped) == 2 and len(again.trained) == 1 and len(again.runs) == 3
    assert all((p / "manifest.json").stat().st_mtime_ns == t for p, t in stamps.items())
    assert list(again.summary["beta"]) == [1.0, 3.0, 5.0]
    assert {"final_accuracy", "backprops", "keep_fraction", "wall_time_s"} <= set(
        again.summary.columns)


def test_failed_run_is_reported_and_others_go_on(tiny, tmp_path):
    res = sweep(tiny.replace(epochs=1), {"train_subset": [100, 100000]}, seeds=[0],
                out=tmp_path, progress=False)
    assert len(res.runs) == 1 and len(res.errors) == 1
    assert "train_subset" in next(iter(res.errors.values()))


def test_run_one_trains_and_saves(tiny, tmp_path):
    cfg = tiny.replace(epochs=1, out_dir=str(tmp_path / "one"))
    assert run_one(cfg.to_json()) == cfg.out_dir and is_finished(cfg.out_dir)


@pytest.mark.slow  # spawns two worker processes
def test_process_backend_equals_local(tiny, tmp_path):
    grid = {"beta": [1.0, 2.0]}
    threads = torch.get_num_threads()
    # the same num_cpus (torch threads per run) in both: CPU float sums depend on thread count
    local = sweep(tiny, grid, seeds=[0, 1], out=tmp_path / "local", progress=False, num_cpus=1)
    assert torch.get_num_threads() == threads  # restored after the sweep
    proc = sweep(tiny, grid, seeds=[0, 1], out=tmp_path / "proc", backend="process",
                 workers=2, num_cpus=1, progress=False)
    assert not proc.errors and len(proc.runs) == 4
    for a, b in zip(local.runs, proc.runs, strict=True):
        assert a.same_results(b)


def test_cli_sweep(tmp_path, capsys):
    rc = cli_main(["sweep", "--grid", "beta=1,3", "--seeds", "0", "--out", str(tmp_path),
                   "--dataset", "digits", "--model", "mlp", "--epochs", "1", "--device", "cpu"])
    assert rc == 0
    assert "2 trained" in capsys.readouterr().out
    assert (tmp_path / "summary.csv").is_file()
    assert cli_main(["sweep", "--grid", "betta=1", "--out", str(tmp_path)]) == 2


def test_sweep_accepts_base_default(tmp_path):
    with pytest.raises(ConfigError, match="backend"):
        sweep(RunConfig(), {}, out=tmp_path, backend="threads")


@pytest.mark.parametrize(("flags", "expected"), [([], None), (["--num-cpus", "2"], 2.0)])
def test_cli_num_cpus_defaults_to_the_api_default(tmp_path, monkeypatch, flags, expected):
    """Not one thread for local sweeps: the CLI leaves the share to the backend, like sweep()."""
    import sbexplore.jobs.sweeps

    seen = {}

    def fake_sweep(*args, **kwargs):
        seen.update(kwargs)
        return sbexplore.jobs.sweeps.SweepResult(runs=[], summary=pd.DataFrame(), out=tmp_path)

    monkeypatch.setattr(sbexplore.jobs.sweeps, "sweep", fake_sweep)
    assert cli_main(["sweep", "--grid", "beta=1", "--out", str(tmp_path), *flags]) == 0
    assert seen["num_cpus"] == expected


def test_cli_num_cpus_help_says_it_applies_to_every_backend(capsys):
    with pytest.raises(SystemExit):
        cli_main(["sweep", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "CPUs per run in every backend" in text and "CPUs per run (ray backend)" not in text

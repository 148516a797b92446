"""Runs are saved by default under ./runs/<slug>-<time>, listed by list_runs() and
Dashboard.load(); save=False opts out."""

from __future__ import annotations

import datetime as dt

import pytest

import sbexplore
from sbexplore.config import run_slug
from sbexplore.runs.folders import default_run_dir, list_runs, with_default_out_dir


@pytest.fixture
def runs_here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SBEXPLORE_RUNS", raising=False)
    return tmp_path / "runs"


def test_slug_names_policy_knobs_and_dataset(tiny):
    assert run_slug(tiny, dataset=True) == "sb-beta2-digits"
    assert run_slug(tiny.replace(staleness=3, mislabel_fraction=0.1),
                    dataset=True) == "sb-beta2-n3-mis0.1-digits"
    assert run_slug(tiny.replace(policy="uniform", keep=0.25), dataset=True) == (
        "uniform-keep0.25-digits")
    assert run_slug(tiny.replace(name="My run / β=3")) == "my-run-beta-3"
    assert run_slug(tiny, seed=True) == "sb-beta2-seed0"


def test_default_folder_is_runs_slug_time_and_never_reused(tiny, runs_here):
    now = dt.datetime(2026, 1, 2, 3, 4, 5)
    a, b = default_run_dir(tiny, now=now), default_run_dir(tiny, now=now)
    assert a == runs_here.relative_to(runs_here.parent) / "sb-beta2-digits-20260102-030405"
    assert b.name == a.name + "-2"


def test_env_var_moves_the_root(tiny, tmp_path, monkeypatch):
    monkeypatch.setenv("SBEXPLORE_RUNS", str(tmp_path / "elsewhere"))
    assert default_run_dir(tiny).parent == tmp_path / "elsewhere"


def test_an_explicit_out_dir_or_save_false_is_kept(tiny):
    assert with_default_out_dir(tiny.replace(out_dir="mine")).out_dir == "mine"
    assert with_default_out_dir(tiny, save=False).out_dir is None


def test_start_saves_by_default_and_list_runs_finds_it(tiny, runs_here):
    run = sbexplore.start(tiny).join(60)
    assert run.status == "finished" and run.config.out_dir.startswith("runs/sb-beta2-digits-")
    table = sbexplore.list_runs()
    assert list(table["path"]) == [run.config.out_dir]
    assert table.loc[0, "status"] == "finished" and table.loc[0, "epochs"] == tiny.epochs


def test_start_with_save_false_writes_nothing(tiny, runs_here):
    assert sbexplore.start(tiny, save=False).join(60).status == "finished"
    assert not runs_here.exists() and len(list_runs()) == 0


def test_dashboard_runs_are_saved_and_load_without_a_path_lists_them(tiny, runs_here):
    from sbexplore.ui import Dashboard

    dash = Dashboard(tiny)
    try:
        live = dash.start()
        live.join(60)
        assert live.config.out_dir.startswith("runs/")
    finally:
        dash.close()
    again = Dashboard.load()
    try:
        assert [r.config.out_dir for r in again.runs] == [live.config.out_dir]
    finally:
        again.close()


def test_dashboard_save_false_keeps_runs_in_memory(tiny, runs_here):
    from sbexplore.ui import Dashboard

    dash = Dashboard(tiny, save=False)
    try:
        assert dash.start().join(60).config.out_dir is None
    finally:
        dash.close()
    assert not runs_here.exists()

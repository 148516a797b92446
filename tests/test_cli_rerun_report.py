"""`sbexplore run` saves by default and re-runs a saved config; `report` and `figures` take the
folders a user has, including a shell glob that also matches report.html."""

from __future__ import annotations

import json

import pytest

from sbexplore import load_run
from sbexplore.cli import main

TINY = ["--dataset", "digits", "--model", "mlp", "--epochs", "2", "--batch-size", "64",
        "--device", "cpu", "--train-subset", "300"]


@pytest.fixture
def saved(tmp_path):
    out = tmp_path / "first"
    assert main(["run", *TINY, "--beta", "3", "--out-dir", str(out), "--quiet"]) == 0
    return out


def test_run_without_out_dir_saves_under_runs_with_slug_and_time(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SBEXPLORE_RUNS", raising=False)
    assert main(["run", *TINY, "--quiet"]) == 0
    (folder,) = (tmp_path / "runs").iterdir()
    assert folder.name.startswith("sb-beta2-digits-") and load_run(folder).status == "finished"
    assert str(folder.relative_to(tmp_path)) in capsys.readouterr().out


def test_no_save_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SBEXPLORE_RUNS", raising=False)
    assert main(["run", *TINY, "--quiet", "--no-save"]) == 0
    assert list(tmp_path.iterdir()) == []


def test_rerun_from_config_json_keeps_its_settings_and_flags_override(saved, tmp_path):
    again = tmp_path / "again"
    assert main(["run", "--config", str(saved / "config.json"), "--epochs", "1",
                 "--out-dir", str(again), "--quiet"]) == 0
    first, second = load_run(saved), load_run(again)
    assert second.config.beta == 3 and second.config.train_subset == 300
    assert second.config.epochs == 1 and len(second.metrics) == 1
    assert len(first.metrics) == 2  # the saved run was not overwritten


def test_rerun_from_a_run_folder_never_writes_into_it(saved, tmp_path, monkeypatch):
    monkeypatch.setenv("SBEXPLORE_RUNS", str(tmp_path / "runs"))
    before = (saved / "metrics.csv").read_bytes()
    assert main(["run", "--config", str(saved), "--quiet"]) == 0
    assert (saved / "metrics.csv").read_bytes() == before
    (new,) = (tmp_path / "runs").iterdir()
    assert json.loads((new / "config.json").read_text())["beta"] == 3


def test_config_and_preset_together_is_one_line(saved, capsys):
    assert main(["run", "--config", str(saved), "--preset", "quick-mnist"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--config" in err and "--preset" in err and len(err.splitlines()) == 1


def test_missing_config_file_is_one_line(tmp_path, capsys):
    assert main(["run", "--config", str(tmp_path / "nope.json")]) == 2
    assert "nope.json" in capsys.readouterr().err


def test_report_writes_the_named_html_file_and_keeps_an_existing_report(saved, tmp_path):
    (tmp_path / "report.html").write_text("keep me")
    assert main(["report", str(saved), "--out", str(tmp_path / "mine.html")]) == 0
    page = (tmp_path / "mine.html").read_text()
    assert "<script src=" not in page and "Summary" in page
    assert (tmp_path / "report.html").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first", "mine.html", "report.html"]


def test_a_glob_that_matches_report_html_skips_it_with_a_note(saved, tmp_path, capsys):
    (tmp_path / "report.html").write_text("<html></html>")
    from sbexplore.cli.figures_cmd import find_runs

    runs = find_runs([str(saved), str(tmp_path / "report.html")])
    assert len(runs) == 1 and "skipping" in capsys.readouterr().err


def test_only_files_is_still_an_error(tmp_path, capsys):
    (tmp_path / "report.html").write_text("x")
    assert main(["report", str(tmp_path / "report.html")]) == 2
    assert "not a run folder" in capsys.readouterr().err

"""The CLI: flags mirror RunConfig, one line per epoch, and every bad input is one line + exit 2."""

import subprocess
import sys

import pytest

from sbexplore import load_run
from sbexplore.cli import main

BAD_INPUTS = [
    (["--beta", "-1"], "beta=-1.0 is not allowed"),
    (["--beta", "x"], "--beta"),
    (["--policy", "random"], "policy='random'"),
    (["--dataset", "imagenet"], "dataset='imagenet'"),
    (["--model", "nope"], "model='nope'"),
    (["--staleness", "0"], "staleness=0"),
    (["--mislabel-fraction", "1.2"], "mislabel_fraction=1.2"),
    (["--keep", "0"], "keep=0.0"),
    (["--device", "cuda:7" if not __import__("torch").cuda.is_available() else "tpu"], "device="),
    (["--train-subset", "999999"], "train_subset=999999"),
    (["--epochs", "two"], "--epochs"),
    (["--no-such-flag"], "unrecognized arguments: --no-such-flag"),
    (["--preset", "no-such-preset"], "no-such-preset"),
]


@pytest.mark.parametrize("argv,needle", BAD_INPUTS, ids=[" ".join(a) for a, _ in BAD_INPUTS])
def test_bad_input_is_one_clear_line_exit_2_and_nothing_written(argv, needle, tmp_path, capsys):
    out_dir = tmp_path / "run"
    with pytest.raises(SystemExit) as exc:
        raise SystemExit(main(["run", "--epochs", "1", "--out-dir", str(out_dir), *argv]))
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and len(err.splitlines()) == 1 and "Traceback" not in err
    assert not out_dir.exists()


def test_missing_dataset_files_say_where_they_go_and_how_to_download(tmp_path, capsys):
    code = main(["run", "--dataset", "mnist", "--data-root", str(tmp_path / "empty"),
                 "--out-dir", str(tmp_path / "run")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "--download" in err and str(tmp_path / "empty") in err
    assert len(err.splitlines()) == 1 and not (tmp_path / "run").exists()


def test_run_prints_one_line_per_epoch_and_saves_the_run(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["run", "--dataset", "digits", "--model", "mlp", "--policy", "sb", "--beta", "2",
                 "--staleness", "1", "--mislabel-fraction", "0.1", "--epochs", "3", "--seed", "0",
                 "--device", "cpu", "--out-dir", str(out), "--train-subset", "1000"])
    text = capsys.readouterr().out
    assert code == 0
    epoch_lines = [ln for ln in text.splitlines() if ln.startswith("epoch")]
    assert len(epoch_lines) == 3 and all("acc" in ln and "keep" in ln and "pick" in ln
                                         for ln in epoch_lines)
    run = load_run(out)
    assert run.config.train_subset == 1000 and run.config.mislabel_fraction == 0.1
    assert len(run.metrics) == 3


def test_every_config_field_has_a_flag_of_the_same_name():
    import dataclasses

    from sbexplore import RunConfig
    from sbexplore.cli import build_parser
    from sbexplore.config.run_config import RECORD_FIELDS

    parser = build_parser()
    run_parser = parser._subparsers._group_actions[0].choices["run"]
    flags = {s for a in run_parser._actions for s in a.option_strings}
    for f in dataclasses.fields(RunConfig):  # but what resolved() records (the recipe's key)
        assert ("--" + f.name.replace("_", "-") in flags) == (f.name not in RECORD_FIELDS)


@pytest.mark.slow  # 16 runs and an HTML report
def test_demo_prints_two_stories_and_writes_runs_and_report(capsys, tmp_path):
    assert main(["demo", "--epochs", "3", "--seeds", "0,1", "--mislabel-fractions", "0.2",
                 "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    clean, mislabeled = out.split("(a) Clean data")[1].split("(b) Mislabeled data")
    for name in ("SB", "Stale-SB n=3", "uniform (matched)", "traditional, SB's budget (backprops)",
                 "traditional, SB's budget (time)", "traditional", "speedup ×1.2",
                 "final accuracy", " n "):
        assert name in clean
    for name in ("SB", "traditional", "20%", "mislabel pick rate", "final accuracy"):
        assert name in mislabeled
    assert "uniform" not in mislabeled  # story (b): SB against traditional only
    assert len(list(tmp_path.glob("clean/*/config.json"))) == 12  # 6 runs x 2 seeds
    assert len(list(tmp_path.glob("mislabeled/*/config.json"))) == 4  # 2 runs x 2 seeds
    report = (tmp_path / "report.html").read_text()
    assert "<script src=" not in report and "Summary" in report  # offline: plotly.js inline
    assert "Speedup at the paper" in report and " ± " in report


def test_a_real_process_shows_no_traceback_for_a_user_mistake(tmp_path):
    p = subprocess.run([sys.executable, "-m", "sbexplore", "run", "--beta", "-2",
                        "--out-dir", str(tmp_path / "r")], capture_output=True, text=True)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert p.stderr.strip() == "sbexplore run: error: beta=-2.0 is not allowed: must be >= 0"

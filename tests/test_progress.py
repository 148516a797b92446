"""tqdm progress bars: batches of a run (rate, ETA) from the trainer's public attributes, and
runs of a sweep."""

from __future__ import annotations

import math
import re

import sbexplore


def test_train_with_progress_shows_every_batch_of_the_run_with_rate(tiny, capsys):
    sbexplore.train(tiny, progress=True)
    err = capsys.readouterr().err
    total = tiny.epochs * math.ceil(1438 / tiny.batch_size)  # digits: 1,438 training images
    assert f"{total}/{total}" in err and re.search(r"batch/s", err)
    assert f"epoch {tiny.epochs}/{tiny.epochs}" in err and "acc=" in err


def test_train_outside_a_notebook_shows_no_bar_unless_asked(tiny, capsys):
    sbexplore.train(tiny)
    sbexplore.train(tiny, progress=False)
    assert "batch/s" not in capsys.readouterr().err


def test_sweep_counts_its_runs(tiny, tmp_path, capsys):
    sbexplore.sweep(tiny, {"beta": [1, 2]}, seeds=[0], out=tmp_path / "s")
    err = capsys.readouterr().err
    assert "2/2" in err and "run" in err


def test_the_cli_bar_reads_no_private_trainer_attribute():
    import ast
    import inspect

    from sbexplore.cli import run_cmd
    from sbexplore.engine import progress

    for module in (progress, run_cmd):
        private = [n.attr for n in ast.walk(ast.parse(inspect.getsource(module)))
                   if isinstance(n, ast.Attribute) and n.attr.startswith("_")
                   and isinstance(n.value, ast.Name) and n.value.id in ("trainer", "recorder")]
        assert private == [], (module.__name__, private)

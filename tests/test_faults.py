"""Kill -9 at random moments: a run folder always loads, consistently, losing at most the epoch
being saved. Two kinds of writer, both SIGKILLed after a seeded random delay:

- "saves": a synthetic run saved epoch by epoch, nearly all of its time inside `Run.save`;
- "train": a real digits training with `out_dir` set (kills land in epochs and in saves).

Each writer is forked from one long-lived "zygote" process that imported sbexplore and torch
once, so a trial costs its delay, not an interpreter start. The writer logs "begin E"/"end E"
around every save (unbuffered appends survive the kill), which tells where the kill landed.
"""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO

from sbexplore.runs.record import MANIFEST, is_run_dir, load_run

pytestmark = pytest.mark.slow

TRIALS = {"saves": 30, "train": 24}

ZYGOTE = r"""
import os, sys, time
import numpy as np, pandas as pd, torch
import sbexplore
from sbexplore.runs import record as records
from sbexplore.config import RunConfig
from sbexplore.runs.record import METRIC_COLUMNS, Run

real_save = records.Run.save

def logged_save(self, path=None):
    os.write(LOG, f"begin {len(self.metrics)}\n".encode())
    out = real_save(self, path)
    os.write(LOG, f"end {len(self.metrics)}\n".encode())
    return out

records.Run.save = logged_save

def synthetic(folder, pause):
    n, run, rows = 20000, Run(config=RunConfig(name="synthetic")), []
    for e in range(1, 1000):
        rng = np.random.default_rng(e)
        rows.append({c: float(e) for c in METRIC_COLUMNS})
        run.metrics = pd.DataFrame(rows, columns=METRIC_COLUMNS)
        run.examples = pd.DataFrame({"index": np.arange(n), "times_backpropped": np.full(n, e)})
        for k, (dtype, shape) in records.EPOCH_ARRAYS.items():
            row = rng.integers(0, 3, shape or (n,)).astype(dtype)
            setattr(run, k, np.concatenate([getattr(run, k).reshape(e - 1, *row.shape), row[None]]))
        run.meta = {"status": "running"}
        run.save(folder)
        time.sleep(pause)

torch.set_num_threads(1)  # before any op: no thread pool for the forked writers to inherit
sbexplore.train(RunConfig(dataset="digits", model="mlp", epochs=1, device="cpu"))  # warm imports

def train(folder):
    sbexplore.train(RunConfig(dataset="digits", model="mlp", epochs=500, device="cpu",
                              out_dir=folder))

for line in sys.stdin:
    kind, folder, pause = line.split()
    pid = os.fork()
    if pid == 0:
        LOG = os.open(folder + ".log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            synthetic(folder, float(pause)) if kind == "saves" else train(folder)
        finally:
            os._exit(0)
    print(pid, flush=True)
    _, status = os.waitpid(pid, 0)
    print("reaped", status, flush=True)
"""


def where_killed(log: Path) -> tuple[str, int]:
    """('inside', E) when the kill landed in the save of E epochs, ('between', E) after it."""
    lines = log.read_text().split() if log.exists() else []
    if not lines:
        return "before", 0
    return ("inside" if lines[-2] == "begin" else "between"), int(lines[-1])


def check_folder(folder: Path, moment: str, epochs: int) -> int:
    """The folder loads and is consistent; returns the epochs it holds."""
    if not is_run_dir(folder):  # no save finished: only possible before the first one ended
        assert moment == "before" or (moment == "inside" and epochs <= 1), (folder, moment)
        return 0
    run = load_run(folder)
    manifest = json.loads((folder / MANIFEST).read_text())
    e = len(run.metrics)
    assert e == len(run.backpropped) == len(run.losses) == len(run.hist) == manifest["epochs"]
    assert run.metrics["epoch"].tolist() == list(range(1, e + 1))
    if moment == "between":
        assert e == epochs
    elif moment == "inside":  # the save in progress either committed or left the previous one
        assert e in (epochs, max(0, epochs - 1)) or epochs == e == 0
    return e


def test_kill_9_at_random_moments_leaves_loadable_consistent_folders(tmp_path):
    rng = random.Random(12)
    zygote = subprocess.Popen([sys.executable, "-c", ZYGOTE], cwd=REPO, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    outcomes, pid = [], None
    try:
        kinds = ["saves"] * TRIALS["saves"] + ["train"] * TRIALS["train"]
        rng.shuffle(kinds)
        for i, kind in enumerate(kinds):
            folder = tmp_path / f"{i:02d}-{kind}"
            pause = rng.choice([0.0, 0.1]) if kind == "saves" else 0.0
            zygote.stdin.write(f"{kind} {folder} {pause}\n")
            zygote.stdin.flush()
            line = zygote.stdout.readline()
            assert line.strip().isdigit(), f"the zygote failed to start a writer: {line!r}"
            pid = int(line)
            time.sleep(rng.uniform(0.05, 1.2) if kind == "saves" else rng.uniform(0.1, 1.5))
            os.kill(pid, signal.SIGKILL)
            assert zygote.stdout.readline().startswith("reaped")
            pid = None
            moment, epochs = where_killed(folder.with_suffix(".log"))
            loaded = check_folder(folder, moment, epochs)
            outcomes.append((kind, moment, epochs, loaded))
    finally:
        if pid is not None:  # a failed check must not leave a writer training on
            os.kill(pid, signal.SIGKILL)
        zygote.stdin.close()
        zygote.kill()
        zygote.wait()
    report = {}
    for kind, moment, _, loaded in outcomes:
        key = f"{kind}/{moment}" + ("" if loaded or moment != "before" else "/empty")
        report[key] = report.get(key, 0) + 1
    print("kill -9 trials:", len(outcomes), report)
    assert len(outcomes) >= 50
    assert sum(m == "inside" for _, m, _, _ in outcomes) >= 10  # the saves themselves were hit
    assert sum(m == "between" for _, m, _, _ in outcomes) >= 3

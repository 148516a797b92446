"""Classroom capacity: how many students' runs a machine sustains at a usable refresh rate.

Each student is a process like an app kernel: one torch thread (the app's default), a digits
MLP run (the lesson's), and a Dashboard redrawing from it at up to 5 Hz. k students run at
once; per student we measure the compute seconds per epoch (selection + training + eval, the
part the lesson's 0.5 s/epoch pace must cover) and the redraws per second achieved.
A load is "sustained" when the median epoch costs <= the pace and redraws stay >= 2 per second.

    python -m benchmarks.bench_classroom [--students 1 2 4 6 8] [--seconds 20]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.common import hardware

REPO = Path(__file__).resolve().parents[1]
PACE_S = 0.5  # the lesson's seconds per epoch (sbexplore.ui.lesson.LESSON_PACE_S)
MIN_REDRAWS = 2.0  # per second: the views still follow a dragged β

STUDENT = """
import json, sys, time
from sbexplore.ui.classroom import Limits, apply_limits
apply_limits(Limits(threads=1, max_runs=1))
from sbexplore import RunConfig
from sbexplore.ui import Dashboard
seconds = float(sys.argv[1])
d = Dashboard(RunConfig(dataset="digits", model="mlp", epochs=100000, batch_size=64,
                        device="cpu", mislabel_fraction=0.1))
run = d.start(pace=float(sys.argv[2]))  # the lesson's pace (0: as fast as it goes)
print("training", flush=True)  # (spawn waits for this line)
time.sleep(5)  # past the start: imports done, the first epochs drawn
r0 = d.refresher.redraws
time.sleep(seconds)
redraws = (d.refresher.redraws - r0) / seconds
run.stop(); run.join(30)
m = run.record.metrics
epoch = (m["time_select_s"] + m["time_train_s"] + m["time_eval_s"]).median()
print(json.dumps({"epoch_compute_s": float(epoch), "redraws_per_s": redraws,
                  "epochs": len(m)}))
d.close()
"""


def spawn(k: int, seconds: float, pace: float = PACE_S) -> list[subprocess.Popen]:
    """`k` student processes (each trains `seconds` after its start, then prints its numbers);
    returns once every one trains."""
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")
    procs = [subprocess.Popen([sys.executable, "-c", STUDENT, str(seconds), str(pace)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
             for _ in range(k)]
    for p in procs:
        assert p.stdout.readline().strip() == "training", "a student process did not start"
    return procs


def students(k: int, seconds: float, pace: float = PACE_S) -> list[dict]:
    procs = spawn(k, seconds, pace)
    out = []
    for p in procs:
        text, _ = p.communicate(timeout=seconds * 2 + 300)
        out.append(json.loads(text.strip().splitlines()[-1]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--students", type=int, nargs="+", default=[1, 2, 4, 6, 8])
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--pace", type=float, default=PACE_S,
                    help="seconds per epoch (default: the lesson's; 0: unpaced)")
    args = ap.parse_args()
    print(f"# {hardware()}; load average before: {os.getloadavg()[0]:.1f}; pace "
          f"{args.pace:g} s/epoch")
    print("| students | median epoch compute (s) | worst student's (s) | redraws/s (min) | "
          "sustained at 0.5 s/epoch |")
    print("|---|---|---|---|---|")
    for k in args.students:
        t = time.time()
        rows = students(k, args.seconds, args.pace)
        epochs = [r["epoch_compute_s"] for r in rows]
        redraws = min(r["redraws_per_s"] for r in rows)
        ok = statistics.median(epochs) <= PACE_S and redraws >= MIN_REDRAWS
        print(f"| {k} | {statistics.median(epochs):.3f} | {max(epochs):.3f} | {redraws:.1f} | "
              f"{'yes' if ok else 'no'} |  ({time.time() - t:.0f} s)", flush=True)


if __name__ == "__main__":
    main()

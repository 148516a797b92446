"""Target 4: training throughput while the dashboard refreshes in a real kernel.

Executes a notebook with nbclient (so widget messages are really serialised to a client) that
alternates the same background run without and with a `Dashboard` attached, and reports the
median throughput ratio (target >= 0.95).

    python -m benchmarks.bench_live_view [--repeats 3] [--dataset mnist --train-subset 6400]
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from benchmarks.common import hardware
from sbexplore.ui.refresher import FULL_SPEED

REPO = Path(__file__).resolve().parents[1]

SETUP = """
import json, statistics, time
import sbexplore as sb
from sbexplore.ui import Dashboard, refresher
if {duty} is not None:  # 1.0: 5 Hz; None: the library's budget
    refresher.FULL_SPEED = refresher.Budget({duty}, refresher.FULL_SPEED.max_pause)
cfg = sb.RunConfig(dataset={dataset!r}, data_root={root!r}, train_subset={subset}, model="cnn",
                   policy="sb", beta=2.0, epochs={epochs}, device="cpu")
sb.train(cfg.replace(epochs=1))  # warm-up: data decode, allocator, kernels
_w = Dashboard(run=sb.start(cfg.replace(epochs=1))); display(_w); _w.current.join(); _w.close()
# (warm-up of the widget front end: the plotly.js bundle is sent once per kernel)
def throughput(run):
    m = run.metrics
    # wall_time_s is training time: evaluation and paced/paused waits are off that clock
    return float(m["examples_forwarded"].sum() + m["examples_backpropped"].sum()) / float(
        m["wall_time_s"].sum())
plain, live, redraw_hz = [], [], []
"""
PLAIN = """
r = sb.start(cfg); r.join(); plain.append(throughput(r.record))
"""
LIVE = """
r = sb.start(cfg); d = Dashboard(run=r); display(d); t0 = time.perf_counter(); r.join()
redraw_hz.append(d.refresher.redraws / (time.perf_counter() - t0)); d.close()
live.append(throughput(r.record))
"""
REPORT = """
print(json.dumps({"plain": plain, "live": live, "redraw_hz": redraw_hz}))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--dataset", default="mnist")
    ap.add_argument("--train-subset", type=int, default=6400)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--duty", type=float, default=None,
                    help="refresher CPU budget (default: the library's); 1.0 forces 5 Hz")
    ap.add_argument("--data-root", default=os.environ.get("SBEXPLORE_DATA",
                                                          str(REPO.parent / "shared" / "data")))
    a = ap.parse_args()
    cells = [SETUP.format(dataset=a.dataset, root=a.data_root, subset=a.train_subset,
                          epochs=a.epochs, duty=a.duty)]
    for _ in range(a.repeats):
        cells += [PLAIN, LIVE]
    cells.append(REPORT)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(nb, timeout=1800, kernel_name="python3").execute()
    out = json.loads(nb.cells[-1].outputs[0]["text"])
    import statistics

    plain, live = statistics.median(out["plain"]), statistics.median(out["live"])
    print(f"# {hardware()}\n# {a.dataset} subset {a.train_subset}, cnn, SB beta=2, "
          f"{a.epochs} epochs, CPU, nbclient kernel; {a.repeats} interleaved repeats; "
          f"refresher budget {a.duty or FULL_SPEED.duty:g}")
    print(f"throughput without dashboard: {plain:8.0f} examples/s  (runs: {out['plain']})")
    print(f"throughput with dashboard:    {live:8.0f} examples/s  (runs: {out['live']})")
    pairs = sorted(b / a for a, b in zip(out["plain"], out["live"], strict=True))
    q = statistics.quantiles(pairs, n=4) if len(pairs) > 1 else pairs * 3
    print(f"ratio: {live / plain:.3f} (target >= 0.95); refresh rate "
          f"{statistics.median(out['redraw_hz']):.2f} Hz")
    print(f"paired ratios (live / the plain run just before it), n={len(pairs)}: median "
          f"{statistics.median(pairs):.3f}, quartiles {q[0]:.3f}-{q[2]:.3f}, range "
          f"{pairs[0]:.3f}-{pairs[-1]:.3f}, {sum(r >= 0.95 for r in pairs)} of {len(pairs)} "
          ">= 0.95")


if __name__ == "__main__":
    main()

"""Target 6: `sbexplore demo` end to end (process start, imports, both stories over 3 seeds:
24 runs, the two tables, and with --out the saved runs and the report).

    python -m benchmarks.bench_demo [--repeats 3] [--no-out]
    python -m benchmarks.bench_demo --ratio [--epochs 5] [--batch-size 64]

`--ratio` (for a busy machine): in one process, the training seconds of the new demo's 24 runs
over those of the previous demo's 4 runs (SB, Stale-SB, uniform, traditional at 30 epochs,
batch 128: 10.9 s end to end on a quiet machine), each at `--epochs` epochs, interleaved.

Prints wall and CPU seconds (user + sys of the child) and the load average, since these 2-core
machines are shared: a wall time under load says little, the load average says how little.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

from benchmarks.common import hardware


def run_once(extra: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one `sbexplore demo` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sbexplore", "demo", *extra], check=True,
                   capture_output=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def training_seconds(demo: str, epochs: int, batch_size: int | None) -> float:
    """Seconds to train one demo's runs at `epochs` epochs: 'previous' (4 runs, batch 128) or
    'new' (both stories, 24 runs)."""
    from sbexplore.studies.demo import run_demo

    t = time.perf_counter()
    if demo == "previous":
        run_demo(log=lambda *_: None, seeds=(0,), mislabel_fractions=(), epochs=epochs,
                 batch_size=128)
    else:
        extra = {} if batch_size is None else {"batch_size": batch_size}
        run_demo(log=lambda *_: None, epochs=epochs, **extra)
    return time.perf_counter() - t


def ratio(epochs: int, batch_size: int | None, repeats: int) -> None:
    from benchmarks.common import interleaved

    med = interleaved({d: (lambda d=d: training_seconds(d, epochs, batch_size))
                       for d in ("previous", "new")}, repeats)
    print(f"# {hardware()}; load average {os.getloadavg()[0]:.1f}")
    print(f"training at {epochs} epochs: previous demo {med['previous']:.1f}s, new demo "
          f"{med['new']:.1f}s, ratio {med['new'] / med['previous']:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-out", action="store_true", help="time `demo --out` only")
    ap.add_argument("--ratio", action="store_true", help="new over previous demo, in-process")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=None, dest="batch_size",
                    help="the new demo's batch size (default: the digits recipe's)")
    a = ap.parse_args()
    if a.ratio:
        ratio(a.epochs, a.batch_size, a.repeats)
        return
    names = ["demo --out"] if a.no_out else ["demo", "demo --out"]
    times: dict[str, list[tuple[float, float]]] = {n: [] for n in names}
    loads = []
    for _ in range(a.repeats):
        for name in names:
            with tempfile.TemporaryDirectory() as d:
                extra = ["--out", d] if name.endswith("--out") else []
                times[name].append(run_once(extra))
                loads.append(os.getloadavg()[0])
    print(f"# {hardware()}; load average during the runs {min(loads):.1f}-{max(loads):.1f}")
    for name, v in times.items():
        walls, cpus = [w for w, _ in v], [c for _, c in v]
        print(f"sbexplore {name:<10}: median wall {statistics.median(walls):5.1f}s, CPU "
              f"{statistics.median(cpus):5.1f}s (runs: {', '.join(f'{x:.1f}' for x in walls)}; "
              "target < 60 s on 2 cores)")


if __name__ == "__main__":
    main()

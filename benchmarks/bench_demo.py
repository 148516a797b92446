"""Target 6: `sbexplore demo` end to end (process start, imports, four runs, table, report).

    python -m benchmarks.bench_demo [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time

from benchmarks.common import hardware


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    times = {"demo": [], "demo --out": []}
    for _ in range(a.repeats):
        for name in times:
            with tempfile.TemporaryDirectory() as d:
                extra = ["--out", d] if name.endswith("--out") else []
                t = time.perf_counter()
                subprocess.run([sys.executable, "-m", "sbexplore", "demo", *extra], check=True,
                               capture_output=True)
                times[name].append(time.perf_counter() - t)
    print(f"# {hardware()}")
    for name, v in times.items():
        print(f"sbexplore {name:<10}: median {statistics.median(v):5.1f}s "
              f"(runs: {', '.join(f'{x:.1f}' for x in v)}; target < 60 s on 2 cores)")


if __name__ == "__main__":
    main()

"""Issue 7: the 12-run digits sweep on the local backend and on a local Ray instance, and the Ray
overhead per run (1 CPU each, so both train the same runs serially with one torch thread).

    python -m benchmarks.bench_sweep
"""

from __future__ import annotations

import shutil
import tempfile
import time

from benchmarks.common import hardware
from sbexplore import RunConfig, sweep

BASE = RunConfig(dataset="digits", model="mlp", epochs=2, device="cpu", batch_size=64)
GRID = {"beta": [1.0, 2.0, 3.0], "policy": ["sb", "uniform"]}
SEEDS = [0, 1]


def timed(**kw) -> float:
    out = tempfile.mkdtemp(prefix="sbexplore-bench-sweep-")
    try:
        t = time.perf_counter()
        res = sweep(BASE, GRID, seeds=SEEDS, out=out, progress=False, num_cpus=1, **kw)
        dt = time.perf_counter() - t
        assert len(res.runs) == 12 and not res.errors, res.errors
        return dt
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main() -> None:
    import ray

    from sbexplore.jobs.ray import connect

    timed()  # warm-up: imports, data cache
    local = min(timed() for _ in range(3))
    t = time.perf_counter()
    connect(num_cpus=1)
    start = time.perf_counter() - t
    cold = timed(backend="ray")
    warm = min(timed(backend="ray") for _ in range(3))
    ray.shutdown()
    print(f"# {hardware()}\n# 12 runs: digits/mlp, 2 epochs, beta 1/2/3 x sb/uniform x seeds 0/1")
    print(f"local backend (1 thread per run):       {local:6.2f} s")
    print(f"ray: start a local instance (1 CPU):    {start:6.2f} s")
    print(f"ray: first sweep (workers importing):   {cold:6.2f} s")
    print(f"ray: later sweeps (workers warm):       {warm:6.2f} s")
    print(f"ray overhead per run (warm):            {(warm - local) / 12 * 1e3:6.0f} ms")


if __name__ == "__main__":
    main()

"""Issue 12: the cost of saving a run folder after each epoch, epoch by epoch, for a synthetic
run of EPOCHS x N (selected, losses, probs, preds, hist, a 50k-row examples table).

    python -m benchmarks.bench_save [--epochs 200] [--n 50000] [--arrays selected,losses,hist]

Works against older sbexplore checkouts too (arrays the Run lacks are left out), so the same
script measures the layout before and after.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.common import hardware
from sbexplore.config import RunConfig
from sbexplore.runs.record import METRIC_COLUMNS, Run, load_run


def synthetic(epochs: int, n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Full-length arrays with realistic entropy (keep ~1/3, losses spread over decades)."""
    rng = np.random.default_rng(seed)
    return {
        "backpropped": (rng.random((epochs, n)) < 0.33).astype(np.uint8),
        "losses": rng.exponential(0.5, (epochs, n)).astype(np.float16),
        "probs": rng.random((epochs, n)).astype(np.float16),
        "preds": rng.integers(0, 10, (epochs, n)).astype(np.int16),
        "hist": rng.integers(0, 2000, (epochs, 4, 40)),
    }


def examples(n: int, rng: np.random.Generator) -> pd.DataFrame:
    return pd.DataFrame({
        "index": np.arange(n), "source_index": np.arange(n), "label": rng.integers(0, 10, n),
        "true_label": rng.integers(0, 10, n), "mislabeled": rng.random(n) < 0.1,
        "times_backpropped": rng.integers(0, 100, n), "times_forwarded": rng.integers(0, 200, n),
        "last_loss": rng.random(n).astype(np.float32)})


def time_saves(epochs: int, n: int, folder: Path, arrays: list[str] | None = None
               ) -> list[float]:
    """Seconds of `run.save(folder)` after each epoch, as the trainer calls it."""
    full = synthetic(epochs, n)
    rng = np.random.default_rng(1)
    run = Run(config=RunConfig(out_dir=str(folder)), meta={"status": "running"})
    names = [k for k in arrays or full if hasattr(run, k)]  # older Runs lack probs/preds
    rows, costs = [], []
    for e in range(epochs):
        rows.append({c: float(e) for c in METRIC_COLUMNS})
        run.metrics = pd.DataFrame(rows, columns=METRIC_COLUMNS)
        run.examples = examples(n, rng)
        for k in names:
            setattr(run, k, full[k][: e + 1])
        t = time.perf_counter()
        run.save(folder)
        costs.append(time.perf_counter() - t)
    return costs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--n", type=int, default=50_000)
    ap.add_argument("--arrays", default=None, help="comma-separated; default: all five")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="sbexplore-bench-save-")) / "run"
    try:
        arrays = args.arrays.split(",") if args.arrays else None
        costs = time_saves(args.epochs, args.n, folder, arrays)
        t = time.perf_counter()
        run = load_run(folder)
        load_s = time.perf_counter() - t
        size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    finally:
        shutil.rmtree(folder.parent, ignore_errors=True)
    assert len(run.metrics) == args.epochs
    print(hardware())
    print(f"{args.epochs} epochs x {args.n} examples; arrays: {args.arrays or 'all'}")
    for e in sorted({1, args.epochs // 2, args.epochs}):
        print(f"  save after epoch {e:4d}: {costs[e - 1] * 1e3:8.1f} ms")
    print(f"  total saving: {sum(costs):.1f} s; load: {load_s:.2f} s; folder: {size / 1e6:.0f} MB")


if __name__ == "__main__":
    main()

"""The paper's Table 1 on MNIST, as notebook 05 runs it by default: SB beta=2, Stale-SB n=3,
uniform at SB's realised rate and traditional, 3 seeds, schedule keyed by epochs; prints each
run, the final accuracies and the speedups to traditional's final error x 1.1/1.2/1.4.

    python -m benchmarks.bench_reproduce                     # ~15 min on a 2-core CPU
    python -m benchmarks.bench_reproduce --epochs 2 --train-subset 6000 --seeds 0   # a smoke run
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from benchmarks.common import hardware, markdown
from sbexplore.studies import reproduce as rp

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-root", default=str(SHARED))
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--epochs", type=int, default=None, help="default: reproduce.DEFAULTS")
    ap.add_argument("--train-subset", type=int, default=None)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--out", default=None, help="save the run folders here")
    a = ap.parse_args()
    overrides = {k: v for k, v in dict(data_root=a.data_root, epochs=a.epochs, device=a.device,
                                       train_subset=a.train_subset).items() if v is not None}
    seeds = [int(s) for s in a.seeds.split(",")]
    print(f"# {hardware()}", flush=True)
    t = time.perf_counter()
    runs = rp.reproduce(seeds, out=a.out, log=lambda m: print(f"# {m}", flush=True), **overrides)
    print(f"# total {time.perf_counter() - t:.0f} s for {len(runs)} runs", flush=True)
    final = (pd.DataFrame({"method": [r.config.label for r in runs],
                              "final_accuracy": [r.metrics["test_accuracy"].iloc[-1] for r in runs],
                              "train_s": [r.metrics["total_time_s"].iloc[-1] for r in runs],
                              "backprops": [r.metrics["total_backprops"].iloc[-1] for r in runs]})
             .groupby("method", sort=False)
             .agg(n=("final_accuracy", "size"), acc_mean=("final_accuracy", "mean"),
                  acc_std=("final_accuracy", "std"), train_s_mean=("train_s", "mean"),
                  backprops_mean=("backprops", "mean"))
             .reset_index())
    print("\nfinal test accuracy and training time per method (mean, std over seeds):")
    print(markdown(final))
    print("\nTable 1: speedup over traditional to traditional's final error x factor:")
    print(markdown(rp.table1(runs)))


if __name__ == "__main__":
    main()

"""Label-error detectors: every score of one SB run against cleanlab's K-fold baseline, over
seeds, mislabel fractions and modes; precision at k = number of flips, average precision, and the
wall time each costs beyond the run.

    python -m benchmarks.bench_detectors                      # default-score choice (digits)
    python -m benchmarks.bench_detectors --dataset mnist --data-root ../shared/data \\
        --train-subset 20000 --model cnn --epochs 8 --fractions 0.1 --seeds 0 --folds 3
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from benchmarks.common import hardware
from sbexplore import RunConfig, train
from sbexplore import analysis as A
from sbexplore.errors import ConfigError


def configs(a: argparse.Namespace) -> list[RunConfig]:
    base = RunConfig(dataset=a.dataset, data_root=a.data_root, train_subset=a.train_subset,
                     model=a.model, epochs=a.epochs, device=a.device)
    out = []
    for mode in a.modes.split(","):
        extra = {} if mode == "flip" else {"mislabel_mode": mode}
        try:
            base.replace(**extra)
        except (ConfigError, TypeError) as exc:
            print(f"# skipped mislabel_mode={mode}: {exc}")
            continue
        out += [base.replace(seed=int(s), mislabel_fraction=float(f), **extra)
                for f in a.fractions.split(",") for s in a.seeds.split(",")]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", default="digits")
    ap.add_argument("--data-root", default=None)
    ap.add_argument("--train-subset", type=int, default=None)
    ap.add_argument("--model", default="mlp")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--fractions", default="0.1,0.2")
    ap.add_argument("--modes", default="flip,shuffle")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--folds", type=int, default=3, help="cleanlab folds; 0 skips cleanlab")
    ap.add_argument("--cleanlab-seeds", type=int, default=1, help="seeds that also run cleanlab")
    a = ap.parse_args()
    print(f"# {hardware()}", flush=True)
    items: list = []
    for cfg in configs(a):
        t = time.perf_counter()
        run = train(cfg)
        mode = getattr(cfg, "mislabel_mode", "flip")
        print(f"# SB run f={cfg.mislabel_fraction} {mode} seed {cfg.seed}: "
              f"{time.perf_counter() - t:.1f}s, test accuracy "
              f"{run.metrics['test_accuracy'].iloc[-1]:.4f}", flush=True)
        items.append(run)
        if a.folds and cfg.seed < a.cleanlab_seeds:
            r = A.cleanlab_baseline(cfg, folds=a.folds)
            print(f"# cleanlab {a.folds}-fold: training {r.train_time_s:.1f}s, "
                  f"find_label_issues + ranking {r.find_time_s:.2f}s", flush=True)
            items.append(r)
    print("\nper run:")
    print(markdown(A.detector_results(items)))
    print("\nsummary over seeds (best average precision first):")
    print(markdown(A.detector_table(items)))


def markdown(df: pd.DataFrame) -> str:
    """A markdown table (3 decimals) without the optional tabulate dependency."""
    cells = [[f"{v:.3f}" if isinstance(v, float) else str(v) for v in row]
             for row in df.itertuples(index=False)]
    lines = ["| " + " | ".join(df.columns) + " |", "|" + " --- |" * len(df.columns)]
    return "\n".join(lines + ["| " + " | ".join(c) + " |" for c in cells])


if __name__ == "__main__":
    main()

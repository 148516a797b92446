"""Label-error detectors: every score of one SB run against cleanlab's K-fold baseline, over
seeds, mislabel fractions and modes; precision at k = number of flips, average precision, and the
wall time each costs beyond the run.

    python -m benchmarks.bench_detectors                      # default-score choice (digits)
    python -m benchmarks.bench_detectors --dataset mnist --data-root ../shared/data \\
        --train-subset 20000 --model cnn --epochs 8 --fractions 0.1 --seeds 0 --folds 3
"""

from __future__ import annotations

import argparse

from benchmarks.common import hardware, markdown
from sbexplore import RunConfig
from sbexplore import analysis as A
from sbexplore.studies.detector_study import detector_study


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
    base = RunConfig(dataset=a.dataset, data_root=a.data_root, train_subset=a.train_subset,
                     model=a.model, epochs=a.epochs, device=a.device)
    items = detector_study(base, [float(f) for f in a.fractions.split(",")],
                             a.modes.split(","), [int(s) for s in a.seeds.split(",")],
                             folds=a.folds, cleanlab_seeds=a.cleanlab_seeds,
                             log=lambda m: print(f"# {m}", flush=True))
    print("\nper run:")
    print(markdown(A.detector_results(items)))
    print("\nsummary over seeds (best average precision first):")
    print(markdown(A.detector_table(items)))


if __name__ == "__main__":
    main()

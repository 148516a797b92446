"""Target: the CIFAR-10 JPEG folder, full training set, `cnn`, defaults, traditional training
reaches >= 75% test accuracy within 10 epochs (BENCHMARKS.md, "Recipes").

    python -m benchmarks.bench_cifar_full [--archive ../shared/data/cifar10-jpg.tar.gz]
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

from benchmarks.common import hardware
from sbexplore import RunConfig, train


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--archive", default=str(Path(__file__).resolve().parents[1].parent
                                             / "shared" / "data" / "cifar10-jpg.tar.gz"))
    ap.add_argument("--device", default="cpu")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        subprocess.run(["tar", "xzf", a.archive, "-C", d], check=True)
        cfg = RunConfig(dataset="imagefolder", data_root=str(Path(d) / "cifar10-jpg"),
                        policy="traditional", device=a.device)
        t = time.perf_counter()
        run = train(cfg)
    m = run.metrics
    print(f"# imagefolder CIFAR-10, cnn, defaults ({run.config.epochs} epochs, lr "
          f"{run.config.lr}, batch {run.config.batch_size}); {hardware()}")
    for r in m.itertuples():
        print(f"epoch {r.epoch:2d}  loss {r.train_loss:.3f}  test {r.test_accuracy:.4f}  "
              f"{r.total_time_s:7.1f} s")
    best = m["test_accuracy"].max()
    print(f"best {best:.4f} (target >= 0.75 within 10 epochs: "
          f"{'met' if best >= 0.75 and len(m) <= 10 else 'NOT met'}); "
          f"{time.perf_counter() - t:.0f} s with decoding")


if __name__ == "__main__":
    main()

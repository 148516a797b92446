"""Why SB collapsed after priming: controlled runs on clean digits (BENCHMARKS.md).

    python -m benchmarks.bench_collapse [--seeds 5]

Per setting: the last priming epoch's test accuracy, the worst drop below it after priming (over
seeds), how many seeds dropped more than 5 points, the final accuracy; then the gradient norm of
the backprop batches of traditional, uniform and SB training.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from benchmarks.common import hardware
from sbexplore import RunConfig
from sbexplore.engine.trainer import Trainer

OLD = dict(lr_schedule="constant", warmup_epochs=0.0, prime_examples=1438, epochs=12)
MLP = dict(OLD, model="mlp", batch_size=64, lr=0.05)
CNN = dict(OLD, model="cnn", batch_size=128, lr=0.02)
SETTINGS = {
    "mlp b64 lr 0.05 (old defaults)": MLP,
    "  mlp traditional": dict(MLP, policy="traditional"),
    "  mlp uniform keep 1/3": dict(MLP, policy="uniform"),
    "  mlp prime 3 epochs": dict(MLP, prime_examples=3 * 1438),
    "  warm-up 1 epoch": dict(MLP, warmup_epochs=1.0),
    "  cosine decay": dict(MLP, lr_schedule="cosine"),
    "  batch 128": dict(MLP, batch_size=128),
    "  lr 0.01": dict(MLP, lr=0.01),
    "cnn b128 lr 0.02 (old defaults)": CNN,
    "  cnn traditional": dict(CNN, policy="traditional"),
    "  cnn selection pass in train mode": dict(CNN, select_mode="train"),
    "  cnn prime 3 epochs": dict(CNN, prime_examples=3 * 1438),
    "  lr 0.005": dict(CNN, lr=0.005),
    "new digits recipe (defaults)": {},
    "  recipe traditional": dict(policy="traditional"),
}


def collapse(seeds: int, **kw) -> str:
    drops, finals, primed = [], [], []
    for seed in range(seeds):
        m = Trainer(RunConfig(seed=seed, device="cpu", **kw)).fit().metrics
        acc, pr = m["test_accuracy"].to_numpy(), m["priming"].astype(bool).to_numpy()
        primed.append(acc[pr][-1])
        drops.append(100 * (acc[pr][-1] - acc[~pr].min()))
        finals.append(acc[-1])
    return (f"primed {np.mean(primed):.3f}  worst drop {max(drops):5.1f} pt  "
            f"seeds >5 pt {sum(d > 5 for d in drops)}/{seeds}  final {np.mean(finals):.3f}")


def grad_norms(policy: str, seeds: int) -> str:
    norms: list[float] = []
    for seed in range(seeds):
        t = Trainer(RunConfig(seed=seed, device="cpu", policy=policy, **dict(MLP, epochs=6)))
        step = t.optimizer.step

        def record(*a, _t=t, _step=step, **k):
            if not _t.priming:
                norms.append(float(torch.sqrt(sum((p.grad ** 2).sum()
                                                  for p in _t.model.parameters()))))
            return _step(*a, **k)

        t.optimizer.step = record
        t.fit()
    n = np.array(norms)
    return f"median {np.median(n):.2f}  p95 {np.percentile(n, 95):.2f}  max {n.max():.2f}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=5)
    a = ap.parse_args()
    torch.set_num_threads(1)
    print(f"# clean digits, SB beta=2 unless noted, {a.seeds} seeds; {hardware()}")
    for name, kw in SETTINGS.items():
        print(f"{name:34s} {collapse(a.seeds, **kw)}", flush=True)
    print("# gradient norm of backprop batches after priming, mlp b64 lr 0.05")
    for policy in ("traditional", "uniform", "sb"):
        print(f"{policy:8s} {grad_norms(policy, 3)}", flush=True)


if __name__ == "__main__":
    main()

"""Targets 2 and 3: epoch cost against the cost model, and loop efficiency against a bare loop.

Measures per-example costs of a selection forward pass (F) and a training step (T) for the model
on the device, then epochs (after priming, evaluation excluded) of traditional training, SB
(beta 2) and Stale-SB (n=3), and one epoch of a bare PyTorch loop over the same device-resident
data. The cost model predicts an SB epoch at F/T + k and a Stale-SB epoch at
(fresh share) * F/T + k of a traditional one (k = realised keep fraction). Also compares the
memory layouts (contiguous vs channels_last) that `memory_format="auto"` chooses between.

    python -m benchmarks.bench_epoch --dataset mnist --model cnn --device cpu --train-subset 12800
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from benchmarks.common import hardware, interleaved, sync
from sbexplore import RunConfig, Trainer
from sbexplore.analysis import realised_keep
from sbexplore.models import build_model

REPO = Path(__file__).resolve().parents[1]


def per_example_costs(trainer: Trainer, channels_last: bool, repeats: int) -> tuple[float, float]:
    """(F, T): seconds per example of a no-grad eval forward and of a full training step."""
    d, dev, b = trainer.data, trainer.device, trainer.cfg.batch_size
    model = build_model(trainer.cfg.model, d.x_train.shape[1], d.num_classes,
                        d.x_train.shape[-1]).to(dev)
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    model = model.to(memory_format=fmt)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True)
    x = d.normalize(d.x_train[:b]).contiguous(memory_format=fmt)
    y = d.y_train[:b]

    def fwd() -> float:
        model.eval()
        sync(dev)
        t = time.perf_counter()
        for _ in range(5):
            with torch.no_grad():
                F.cross_entropy(model(x), y, reduction="none")
        sync(dev)
        return (time.perf_counter() - t) / 5 / b

    def step() -> float:
        model.train()
        sync(dev)
        t = time.perf_counter()
        for _ in range(5):
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        sync(dev)
        return (time.perf_counter() - t) / 5 / b

    fwd(), step()
    med = interleaved({"F": fwd, "T": step}, repeats)
    return med["F"], med["T"]


def bare_epoch(trainer: Trainer) -> float:
    """One epoch of a minimal PyTorch loop over the trainer's device-resident data."""
    d, dev, b = trainer.data, trainer.device, trainer.cfg.batch_size
    model = build_model(trainer.cfg.model, d.x_train.shape[1], d.num_classes,
                        d.x_train.shape[-1]).to(dev).to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True,
                          weight_decay=5e-4)
    model.train()
    sync(dev)
    t = time.perf_counter()
    perm = torch.randperm(len(d.y_train), device=dev)
    for s in range(0, len(perm), b):
        idx = perm[s:s + b]
        x = d.normalize(d.x_train[idx]).contiguous(memory_format=torch.channels_last)
        loss = F.cross_entropy(model(x), d.y_train[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    sync(dev)
    return time.perf_counter() - t


def train_epochs(cfg: RunConfig) -> tuple[list[float], float]:
    """Post-priming epoch times (evaluation excluded) and the realised keep fraction."""
    run = Trainer(cfg).fit()
    m = run.metrics[~run.metrics["priming"].astype(bool)]
    return (m["wall_time_s"] - m["time_eval_s"]).tolist(), realised_keep(run)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", default="mnist")
    ap.add_argument("--model", default="cnn")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--train-subset", type=int, default=12800)
    ap.add_argument("--data-root", default=os.environ.get("SBEXPLORE_DATA",
                                                          str(REPO.parent / "shared" / "data")))
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    base = RunConfig(dataset=a.dataset, model=a.model, device=a.device, data_root=a.data_root,
                     train_subset=a.train_subset, augment="none", cutout=0)
    cfgs = {
        "traditional": base.replace(policy="traditional", epochs=3),
        "sb": base.replace(policy="sb", beta=2.0, epochs=4),
        "stale": base.replace(policy="sb", beta=2.0, staleness=3, epochs=4),
    }
    probe = Trainer(base.replace(epochs=1))
    print(f"# {hardware()}\n# {a.dataset}/{a.model} on {probe.device}, "
          f"{probe.n} training examples, batch {base.batch_size}")
    costs = {fmt: per_example_costs(probe, fmt == "channels_last", 5)
             for fmt in ("contiguous", "channels_last")}
    for fmt, (f, t) in costs.items():
        print(f"layout {fmt:<13}: F {f * 1e6:7.1f} us/example, T {t * 1e6:7.1f} us/example, "
              f"F/T {f / t:.3f}")
    f, t = costs["channels_last"]
    fot = f / t

    times: dict[str, list[float]] = {k: [] for k in (*cfgs, "bare")}
    keeps: dict[str, list[float]] = {k: [] for k in cfgs}
    for _ in range(a.repeats):  # interleaved: every kind once per round
        for name, cfg in cfgs.items():
            epochs, k = train_epochs(cfg)
            times[name].append(statistics.mean(epochs))  # stale: mean of fresh + 2 stale
            keeps[name].append(k)
        times["bare"].append(bare_epoch(probe))
    med = {k: statistics.median(v) for k, v in times.items()}
    k_sb, k_stale = statistics.median(keeps["sb"]), statistics.median(keeps["stale"])
    pred_sb, pred_stale = fot + k_sb, fot / 3 + k_stale
    meas_sb, meas_stale = med["sb"] / med["traditional"], med["stale"] / med["traditional"]
    print(f"epoch (median of {a.repeats}, eval excluded): traditional "
          f"{med['traditional']:.2f}s, SB {med['sb']:.2f}s, Stale-SB {med['stale']:.2f}s, "
          f"bare loop {med['bare']:.2f}s")
    print(f"SB beta=2:     k {k_sb:.3f}  predicted {pred_sb:.3f}  measured {meas_sb:.3f}  "
          f"gap {100 * (meas_sb / pred_sb - 1):+.1f}%  (target within 10%)")
    print(f"Stale-SB n=3:  k {k_stale:.3f}  predicted {pred_stale:.3f}  measured "
          f"{meas_stale:.3f}  gap {100 * (meas_stale / pred_stale - 1):+.1f}%")
    print(f"loop efficiency: traditional / bare = {med['traditional'] / med['bare']:.3f} "
          "(target <= 1.10)")


if __name__ == "__main__":
    main()

"""Overhead of the public API (Selector + Recorder) used from a hand-written loop, against the
built-in Trainer: per-epoch wall time (median of the non-priming epochs, evaluation included)
of three loops on the same config and seed, repeats interleaved in one process.

    python -m benchmarks.bench_own_loop --dataset digits --repeats 3 --epochs 4
    python -m benchmarks.bench_own_loop --dataset mnist --data-root /work/shared/data \\
        --train-subset 10000 --repeats 2 --epochs 3
"""

from __future__ import annotations

import argparse
import statistics

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

import sbexplore as sb
from benchmarks.common import hardware
from sbexplore.data import load_data
from sbexplore.models import build_model


def own_loop(cfg: sb.RunConfig, loader_kind: str) -> sb.Run:
    """The loop a user writes: `loader_kind` "dataloader" (WithIndices + batch_sampler) or
    "tensor" (`sel.tensor_batches`)."""
    cfg = cfg.resolved() if hasattr(cfg, "resolved") else cfg
    dev = torch.device("cpu")
    d = load_data(cfg, dev)
    torch.manual_seed(cfg.seed)
    model = build_model(cfg.model, d.x_train.shape[1], d.num_classes, d.x_train.shape[-1],
                        cfg.dropout)
    opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum,
                          nesterov=cfg.nesterov, weight_decay=cfg.weight_decay)
    rec = sb.Recorder(cfg, d.y_train, true_labels=d.true_train, mislabeled=d.mislabeled,
                      source_index=d.source_index, classes=d.classes)
    sel = sb.Selector.from_config(cfg, model, len(d.y_train), device=dev, recorder=rec,
                                  transform=d.normalize)
    loader = DataLoader(sb.WithIndices(TensorDataset(d.x_train, d.y_train)),
                        batch_sampler=sel.batch_sampler())
    for _ in sel.epochs(cfg.epochs):
        batches = loader if loader_kind == "dataloader" else sel.tensor_batches(d.x_train,
                                                                                  d.y_train)
        for x, y, idx in sel.batches(batches):
            model.train()
            out = model(d.normalize(x))
            losses = F.cross_entropy(out, y, reduction="none")
            opt.zero_grad(set_to_none=True)
            losses.mean().backward()
            opt.step()
            sel.backpropped(idx, losses, out)
        model.eval()
        with torch.no_grad():
            out = model(d.normalize(d.x_test))
            test_loss = float(F.cross_entropy(out, d.y_test, reduction="none").sum().double())
            acc = int((out.argmax(1) == d.y_test).sum()) / len(d.y_test)
        sel.end_epoch(test_loss / len(d.y_test), acc, lr=cfg.lr)
    return rec.finish()


def epoch_seconds(run: sb.Run) -> float:
    """Median wall time of the epochs after the first (priming, warm-up)."""
    m = run.metrics
    steady = m[~m["priming"].astype(bool)].iloc[1:] if (~m["priming"]).sum() > 1 else m.iloc[1:]
    return statistics.median(steady["wall_time_s"])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="digits")
    p.add_argument("--data-root", default=None)
    p.add_argument("--train-subset", type=int, default=None)
    p.add_argument("--model", default="cnn")
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--policies", default="sb,all", help="comma-separated: sb (beta 2), all")
    a = p.parse_args()
    print(hardware())
    loops = {"built-in": lambda c: sb.train(c),
             "own DataLoader": lambda c: own_loop(c, "dataloader"),
             "own tensor_batches": lambda c: own_loop(c, "tensor")}
    for policy in a.policies.split(","):
        beta = 2.0
        cfg = sb.RunConfig(dataset=a.dataset, data_root=a.data_root, train_subset=a.train_subset,
                           model=a.model, epochs=a.epochs, device="cpu", augment="none",
                           memory_format="contiguous", policy=policy, beta=beta,
                           lr_schedule="constant", warmup_epochs=0.0)  # the loops' own lr
        times: dict[str, list[float]] = {k: [] for k in loops}
        same = True
        for _ in range(a.repeats):
            runs = {}
            for name, fn in loops.items():  # interleaved: each round runs every loop once
                runs[name] = fn(cfg)
                times[name].append(epoch_seconds(runs[name]))
            same &= all(r.same_results(runs["built-in"]) for r in runs.values())
        base = statistics.median(times["built-in"])
        print(f"\n{a.dataset}/{a.model} {cfg.label}, {a.epochs} epochs x "
              f"{a.repeats} repeats; identical runs: {same}")
        for name, ts in times.items():
            med = statistics.median(ts)
            print(f"  {name:20s} {med * 1000:8.1f} ms/epoch  ratio {med / base:5.3f}")


if __name__ == "__main__":
    main()

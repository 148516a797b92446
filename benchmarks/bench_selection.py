"""Target 1: SB selection (probabilities + draw) for a 128-example batch against a 1024-loss
history, against the original's per-example rule (a deque of the last 1024 losses and a Python
loop counting the entries strictly below each loss), and as a share of one training step.

    python benchmarks/bench_selection.py [--device cpu|cuda]
"""

from __future__ import annotations

import argparse
import collections
import random
import time

import torch
import torch.nn.functional as F

from benchmarks.common import hardware, interleaved, sync
from sbexplore.engine.policies import SelectiveBackprop
from sbexplore.models import build_model

BATCH, HISTORY, BETA = 128, 1024, 2.0
BLOCK = 20  # calls per timed block; blocks of both rules are interleaved


def original_select(losses: torch.Tensor, window: collections.deque, beta: float) -> list[bool]:
    """angelajiang/SelectiveBackprop's rule: append first, then a Python loop per example."""
    values = [loss.item() for loss in losses]  # the original calls .item() per example
    window.extend(values)
    keep = []
    for v in values:
        below = sum(1 for h in window if h < v)
        p = max(0.0, (below / len(window)) ** beta)
        keep.append(random.random() < p)
    return keep


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--repeats", type=int, default=15)
    args = ap.parse_args()
    dev = torch.device(args.device)
    gen = torch.Generator(device=dev).manual_seed(0)
    policy = SelectiveBackprop(BETA, HISTORY, device=dev)
    window: collections.deque = collections.deque(maxlen=HISTORY)
    warm = torch.rand(HISTORY, device=dev)
    policy.history.append(warm)
    window.extend(warm.tolist())
    losses = torch.rand(BATCH, device=dev) * 3

    def ours() -> float:  # per call, over a block of calls
        sync(dev)
        t = time.perf_counter()
        for _ in range(BLOCK):
            p = policy.probabilities(losses, BATCH, dev)
            keep = torch.rand(BATCH, generator=gen, device=dev) < p
            keep.nonzero()  # the host sync the loop pays once per candidate batch
        sync(dev)
        return (time.perf_counter() - t) / BLOCK

    def original() -> float:
        t = time.perf_counter()
        for _ in range(BLOCK):
            original_select(losses, window, BETA)
        return (time.perf_counter() - t) / BLOCK

    model = build_model("cnn", 3, 10, 32, 0.0).to(dev).to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(BATCH, 3, 32, 32, device=dev).contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (BATCH,), device=dev)

    def step() -> float:
        sync(dev)
        t = time.perf_counter()
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sync(dev)
        return time.perf_counter() - t

    for _ in range(5):
        ours(), original(), step()
    med = interleaved({"ours": ours, "original": original}, args.repeats)
    med.update(interleaved({"step": step}, 10))
    print(f"# {hardware()}, device {dev}")
    print(f"selection of {BATCH} vs {HISTORY}-loss history (median):")
    print(f"  original per-example loop: {med['original'] * 1e3:8.3f} ms")
    print(f"  sbexplore (vectorised):    {med['ours'] * 1e3:8.3f} ms")
    print(f"  speedup:                   {med['original'] / med['ours']:8.1f}x   (target >= 50x)")
    print(f"  cnn 32x32 training step:   {med['step'] * 1e3:8.3f} ms")
    print(f"  selection / step:          {100 * med['ours'] / med['step']:8.2f} %  "
          "(target < 2% on a GPU)")


if __name__ == "__main__":
    main()

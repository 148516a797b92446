"""The paper's Table 1 on MNIST, on a CPU: SB, Stale-SB, matched-rate uniform and traditional.

The paper's protocol: the learning-rate schedule and the stop are keyed by epochs (every method
trains the same epochs with the same schedule), one priming epoch, several seeds, and speedups as
the wall-clock time to reach traditional's final test error x 1.1, 1.2 and 1.4.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sbexplore.analysis import matched_keep, speedup_table
from sbexplore.config import RunConfig
from sbexplore.records import Run
from sbexplore.trainer import train

FACTORS = (1.1, 1.2, 1.4)  # the paper's Table 1 targets: traditional's final error x these
DEFAULTS: dict[str, Any] = dict(dataset="mnist", model="cnn", epochs=8, beta=2.0,
                                schedule_unit="epochs")
STALENESS = 3
MNIST_TRAIN = 60_000
SECONDS_PER_EPOCH_CPU = 32.0  # MNIST, 2 cores: traditional + SB + Stale-SB + uniform, one epoch
# (BENCHMARKS.md: a traditional cnn epoch of 60,000 ~ 11 s, SB ~ 0.67x, Stale-SB ~ 0.45x,
# uniform ~ 0.33x, plus evaluation)
PAPER_CIFAR10_GPU_HOURS = 1.0  # an estimate, not measured here: ResNet-18, batch 128, ~15 s per
# CIFAR-10 epoch on an A100-class GPU with bf16 -> 200 epochs in ~50 min (traditional)


def method_configs(base: RunConfig) -> list[RunConfig]:
    """SB, Stale-SB and traditional of one seed; the uniform control follows SB (its rate)."""
    return [base.replace(policy="sb", staleness=1, name=f"SB β={base.beta:g}"),
            base.replace(policy="sb", staleness=STALENESS,
                         name=f"Stale-SB β={base.beta:g} n={STALENESS}"),
            base.replace(policy="all", name="traditional")]


def estimate_seconds(base: RunConfig, seeds: int) -> float:
    """A rough CPU estimate of `reproduce` (2 cores, full MNIST), for the notebook to print."""
    cfg = base.resolved()
    n = cfg.train_subset or 60_000
    return seeds * cfg.epochs * SECONDS_PER_EPOCH_CPU * n / 60_000


def reproduce(seeds: Sequence[int] = (0, 1, 2), out: str | Path | None = None,
              log: Callable[[str], None] = print, **overrides: Any) -> list[Run]:
    """Train the four methods for each seed (saved under `out` when given); returns the runs.

    `overrides` are RunConfig fields (data_root, download, epochs, train_subset, device, ...)."""
    base = RunConfig(**{**DEFAULTS, **overrides})
    if base.prime_examples is None:  # one priming epoch, as the original primes
        base = base.replace(prime_examples=base.train_subset or MNIST_TRAIN)
    runs: list[Run] = []
    for seed in seeds:
        sb = None
        cfgs = method_configs(base.replace(seed=seed))
        for cfg in cfgs[:2] + [None] + cfgs[2:]:
            if cfg is None:  # uniform backprops as many examples as this seed's SB run did
                cfg = base.replace(seed=seed, policy="uniform", name="uniform (matched)",
                                   keep=round(matched_keep(sb), 4))
            if out is not None:
                cfg = cfg.replace(out_dir=str(Path(out) / f"{_slug(cfg.label)}-seed{seed}"))
            t = time.perf_counter()
            run = train(cfg)
            sb = run if sb is None else sb
            m = run.metrics
            log(f"seed {seed} {cfg.label:<24} acc {m['test_accuracy'].iloc[-1]:.4f}  "
                f"{m['total_time_s'].iloc[-1]:6.1f} s training ({time.perf_counter() - t:.0f} s "
                "with loading and evaluation)")
            runs.append(run)
    return runs


def table1(runs: list[Run]) -> pd.DataFrame:
    """Speedup to traditional's final error x 1.1/1.2/1.4 per method and clock (mean, spread,
    `reached` seeds; never reached is NaN)."""
    table = speedup_table(runs)
    if "factor" in table.columns:  # the paper's targets are speedup_table's default
        return table
    trad = [r for r in runs if r.config.policy == "all"]
    err = 1.0 - sum(r.metrics["test_accuracy"].iloc[-1] for r in trad) / len(trad)
    parts = [speedup_table(runs, target=1.0 - err * f).assign(factor=f) for f in FACTORS]
    return pd.concat(parts, ignore_index=True)


def _slug(label: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in label.lower()).strip("-")


__all__ = ["FACTORS", "PAPER_CIFAR10_GPU_HOURS", "estimate_seconds", "method_configs",
           "reproduce", "table1"]

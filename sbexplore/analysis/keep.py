"""Realised keep fraction: SB's rate drifts below 1/(beta+1) while losses fall, so measure it."""

from __future__ import annotations

import pandas as pd

from sbexplore.analysis.epochs import after_priming
from sbexplore.analysis.series import as_runs, run_labels
from sbexplore.runs.record import Run


def realised_keep(run: Run) -> float:
    """Share of training examples backpropped per epoch after priming (NaN if none ran)."""
    m = after_priming(run)
    if not len(m):
        return float("nan")
    n = run.meta.get("num_train") or len(run.examples)
    return float(m["examples_backpropped"].sum() / (len(m) * n))


def matched_keep(run: Run) -> float:
    """The keep rate a uniform control needs to backprop as many examples as this SB run."""
    k = realised_keep(run)
    if not k == k:
        raise ValueError(f"run {run.name!r} has no epochs after priming: train it longer "
                         "than its priming epochs to measure its keep fraction")
    return min(1.0, max(k, 1e-6))


def matched_keeps(runs: Run | list[Run]) -> pd.Series:
    """Per run series (seeds pooled): the mean `matched_keep` over its seeds, so one uniform
    control per SB setting serves every seed."""
    runs = as_runs(runs)
    keeps = pd.Series([matched_keep(r) for r in runs], index=run_labels(runs),
                      dtype=float)
    return keeps.groupby(level=0, sort=False).mean()


def expected_keep(run: Run) -> float:
    """The keep rate a run aims at: 1/(beta+1) for SB, `keep` for uniform/topk, 1 traditional."""
    cfg = run.config
    if cfg.policy == "traditional":
        return 1.0
    if cfg.policy == "sb":
        return 1.0 / (cfg.beta + 1.0)
    return cfg.resolved_keep


def keep_table(runs: Run | list[Run], pooled: bool = False) -> pd.DataFrame:
    """Per run: beta, staleness, the expected keep (1/(beta+1) for SB) and the realised one.
    `pooled=True`: one row per run series (seeds pooled) with seeds (n) and
    `realised_keep_mean/_std`, `ratio_mean/_std` (print with `analysis.format_table`)."""
    runs = as_runs(runs)
    labels = run_labels(runs) if pooled else [r.name for r in runs]
    rows = [{"run": label, "policy": r.config.policy,
             "beta": r.config.beta, "staleness": r.config.staleness, "seed": r.config.seed,
             "expected_keep": expected_keep(r), "realised_keep": realised_keep(r)}
            for r, label in zip(runs, labels, strict=True)]
    df = pd.DataFrame(rows, columns=["run", "policy", "beta", "staleness", "seed",
                                     "expected_keep", "realised_keep"])
    df["ratio"] = df["realised_keep"] / df["expected_keep"]
    if not pooled:
        return df
    g = df.groupby("run", sort=False)
    out = g.agg(policy=("policy", "first"), beta=("beta", "first"),
                staleness=("staleness", "first"), seeds=("seed", "size"),
                expected_keep=("expected_keep", "first"),
                realised_keep_mean=("realised_keep", "mean"),
                realised_keep_std=("realised_keep", "std"),
                ratio_mean=("ratio", "mean"), ratio_std=("ratio", "std"))
    return out.reset_index()

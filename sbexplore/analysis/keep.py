"""Realised keep fraction: SB's rate drifts below 1/(beta+1) while losses fall, so measure it."""

from __future__ import annotations

import pandas as pd

from sbexplore.analysis.epochs import after_priming
from sbexplore.records import Run


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
                         "than its priming (prime_examples) to measure its keep fraction")
    return min(1.0, max(k, 1e-6))


def expected_keep(run: Run) -> float:
    """The keep rate a run aims at: 1/(beta+1) for SB, `keep` for uniform/topk, 1 traditional."""
    cfg = run.config
    if cfg.policy == "all":
        return 1.0
    if cfg.policy == "sb":
        return 1.0 / (cfg.beta + 1.0)
    return cfg.resolved_keep


def keep_table(runs: list[Run]) -> pd.DataFrame:
    """Per run: beta, staleness, the expected keep (1/(beta+1) for SB) and the realised one."""
    rows = [{"run": r.name, "policy": r.config.policy, "beta": r.config.beta,
             "staleness": r.config.staleness, "seed": r.config.seed,
             "expected_keep": expected_keep(r), "realised_keep": realised_keep(r)}
            for r in runs]
    df = pd.DataFrame(rows)
    if len(df):
        df["ratio"] = df["realised_keep"] / df["expected_keep"]
    return df

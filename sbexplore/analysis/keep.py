"""Realised keep fraction: SB's rate drifts below 1/(beta+1) while losses fall, so measure it."""

from __future__ import annotations

from sbexplore.records import Run


def realised_keep(run: Run) -> float:
    """Share of training examples backpropped per epoch after priming (NaN if none ran)."""
    m = run.metrics[~run.metrics["priming"].astype(bool)]
    if not len(m):
        return float("nan")
    return float(m["examples_backpropped"].sum() / (len(m) * run.meta["num_train"]))


def matched_keep(run: Run) -> float:
    """The keep rate a uniform control needs to backprop as many examples as this SB run."""
    k = realised_keep(run)
    if not k == k:
        raise ValueError(f"run {run.name!r} has no epochs after priming: train it longer "
                         "than prime_epochs to measure its keep fraction")
    return min(1.0, max(k, 1e-6))

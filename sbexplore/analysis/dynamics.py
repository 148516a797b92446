"""Cartography-style training dynamics (Swayamdipta et al. 2020) joined with selection frequency.

Confidence is the softmax probability of the *given* label at each example's latest forward
(`run.probs`) and correctness the share of epochs whose argmax (`run.preds`) was the given label.
Runs recorded before probabilities were kept fall back to exp(-loss) from `run.losses` (the same
probability, from the stored loss) and have no correctness. Stale examples keep stale values.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator

import numpy as np
import pandas as pd

from sbexplore.analysis.label_errors import has_probs
from sbexplore.analysis.ranking import selecting_epochs
from sbexplore.runs.record import Run


def training_dynamics(run: Run, skip_priming: bool = False) -> pd.DataFrame:
    """Per example: mean and std across epochs of loss and confidence (the variability axis of
    a data map), `correctness` (NaN without recorded predictions), times_backpropped and
    backprop_frequency; `confidence_source` in attrs says "probs" or "exp(-loss)"."""
    losses = run.losses.astype(np.float32)
    real = has_probs(run)
    conf = run.probs.astype(np.float32) if real else np.exp(-losses)
    correct = ((run.preds == run.examples["label"].to_numpy()[None, :]).astype(np.float32)
               if real else np.full_like(conf, np.nan))
    if real:
        correct[run.preds < 0] = np.nan  # never forwarded
    if skip_priming and len(losses):
        mask = selecting_epochs(run)[: len(losses)]
        if mask.any():
            losses, conf, correct = losses[mask], conf[mask[: len(conf)]], correct[mask[:len(conf)]]
    with np.errstate(invalid="ignore"), _quiet():
        cols = {"loss_mean": np.nanmean(losses, 0), "loss_std": np.nanstd(losses, 0),
                "confidence_mean": np.nanmean(conf, 0), "confidence_std": np.nanstd(conf, 0),
                "correctness": np.nanmean(correct, 0)}
    ex = run.examples[["index", "source_index", "label", "true_label", "mislabeled",
                       "times_backpropped"]].copy()
    for k, v in cols.items():
        ex[k] = v if len(losses) else np.nan
    bp = run.backpropped
    sel = bp[selecting_epochs(run)[: len(bp)]] if len(bp) else []
    ex["backprop_frequency"] = sel.sum(0) / len(sel) if len(sel) else np.nan
    ex = ex.reset_index(drop=True)
    ex.attrs["confidence_source"] = "probs" if real else "exp(-loss)"
    return ex


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence RuntimeWarnings inside the block only (all-NaN columns: never-seen examples)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield

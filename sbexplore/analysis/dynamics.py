"""Cartography-style training dynamics (Swayamdipta et al. 2020) joined with selection frequency.

True-class probabilities are not recorded, so confidence is exp(-loss): the model's probability of
the *given* label, from `run.losses` (each example's latest loss at each epoch end; an example SB
skipped keeps its stored, possibly stale, loss).
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator

import numpy as np
import pandas as pd

from sbexplore.analysis.ranking import selecting_epochs
from sbexplore.records import Run


def training_dynamics(run: Run, skip_priming: bool = False) -> pd.DataFrame:
    """Per example: mean and std across epochs of loss and confidence (exp(-loss), the
    variability axis of a data map), with times_selected and selection_frequency."""
    losses = run.losses.astype(np.float32)
    if skip_priming and len(losses):
        mask = selecting_epochs(run)[: len(losses)]
        losses = losses[mask] if mask.any() else losses
    conf = np.exp(-losses)
    with np.errstate(invalid="ignore"), _quiet():
        cols = {"loss_mean": np.nanmean(losses, 0), "loss_std": np.nanstd(losses, 0),
                "confidence_mean": np.nanmean(conf, 0), "confidence_std": np.nanstd(conf, 0)}
    ex = run.examples[["index", "source_index", "label", "true_label", "mislabeled",
                       "times_selected"]].copy()
    for k, v in cols.items():
        ex[k] = v if len(losses) else np.nan
    sel = run.selected[selecting_epochs(run)[: len(run.selected)]] if len(run.selected) else []
    ex["selection_frequency"] = sel.sum(0) / len(sel) if len(sel) else np.nan
    return ex.reset_index(drop=True)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence RuntimeWarnings inside the block only (all-NaN columns: never-seen examples)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield

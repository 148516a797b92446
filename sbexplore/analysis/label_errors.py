"""Label-error detector scores from what one run recorded, one column per score.

Every score is a per-example number with a direction (`SCORES[name].suspicious`: "high" or
"low"); `suspicion(frame, name)` orients it so that higher always means more suspicious.
Epoch-averaged scores use the epochs after priming (`selecting_epochs`), all epochs when there
are none.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sbexplore.analysis.epochs import selecting_epochs
from sbexplore.errors import ConfigError
from sbexplore.runs.record import Run


@dataclass(frozen=True)
class Score:
    """One detector score: which way is suspicious, what it needs, what it is."""

    suspicious: str  # "high" or "low"
    needs: str  # the run array it reads: "backpropped", "losses" or "probs"
    description: str


SCORES: dict[str, Score] = {
    "backprop_count": Score("high", "backpropped", "times backpropped (SB's own ranking)"),
    "last_loss": Score("high", "losses", "latest loss at the end of the run"),
    "mean_loss": Score("high", "losses", "mean over epochs after priming of the latest loss"),
    "loss_std": Score("high", "losses", "std over epochs after priming of the latest loss"),
    "mean_prob": Score("low", "probs", "mean over epochs after priming of the softmax "
                       "probability of the given label"),
    "margin": Score("low", "probs", "area-under-margin proxy: mean over epochs of a lower "
                    "bound of p(given) - max p(other) (see `prob_margin`)"),
    "cleanlab": Score("low", "cleanlab", "cleanlab's label quality of out-of-fold predicted "
                      "probabilities (`cleanlab_baseline`; not from the run)"),
}
RENAMED_SCORES = {"selection_count": "backprop_count"}  # names before 0.2
BASE_COLUMNS = ["index", "source_index", "label", "true_label", "mislabeled"]


def canonical_score(score: str | None) -> str | None:
    """Today's name of a score (earlier names are still accepted)."""
    return RENAMED_SCORES.get(score, score) if score is not None else None


def score_table() -> pd.DataFrame:
    """Every score: which way is suspicious, the run array it reads, what it is."""
    return pd.DataFrame([{"score": k, "suspicious": s.suspicious, "needs": s.needs,
                          "description": s.description} for k, s in SCORES.items()])


def has_probs(run: Run) -> bool:
    """Whether the run recorded given-label probabilities and predictions (newer runs do)."""
    p = getattr(run, "probs", None)
    return p is not None and np.size(p) > 0 and getattr(run, "preds", None) is not None


def available_scores(run: Run) -> list[str]:
    """The scores this run can compute (probability scores need `run.probs`)."""
    return [k for k, s in SCORES.items()
            if s.needs in ("backpropped", "losses") or (s.needs == "probs" and has_probs(run))]


def check_score(run: Run, score: str) -> None:
    """A ConfigError naming the score and what is allowed, or one saying the run lacks probs."""
    if score not in SCORES:
        raise ConfigError(f"score={score!r} is not allowed: one of {', '.join(SCORES)}")
    if score not in available_scores(run):
        raise ConfigError(f"score={score!r} needs recorded probabilities (run.probs), which run "
                          f"{run.name!r} does not have: use one of "
                          f"{', '.join(available_scores(run))}, or train it again")


def prob_margin(probs: np.ndarray, preds: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per epoch and example, the smallest p(given) - max p(other) consistent with what is
    recorded (p = p(given), the argmax): 2p - 1 when another class is the argmax, max(0, 2p - 1)
    when the given label is. Exact when the rest of the mass sits on one class; NaN unseen."""
    p = probs.astype(np.float32)
    m = 2 * p - 1
    agree = preds == labels[None, :]
    return np.where(agree, np.maximum(m, 0), m)


def detector_scores(run: Run) -> pd.DataFrame:
    """One row per training example: identity columns, `pred` (argmax at the latest forward, -1
    unknown) and a column per available score in its natural units (see `SCORES`)."""
    ex = run.examples
    if not len(ex):
        raise ConfigError(f"run {run.name!r} has no examples recorded yet: train it first")
    out = ex[BASE_COLUMNS].copy().reset_index(drop=True)
    out["mislabeled"] = out["mislabeled"].astype(bool)
    out["backprop_count"] = ex["times_backpropped"].to_numpy()
    epochs = _epoch_mask(run, len(run.losses))
    losses = run.losses[epochs].astype(np.float32)
    out["last_loss"] = run.losses[-1].astype(np.float32) if len(run.losses) else np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # never-seen examples are all-NaN
        out["mean_loss"] = np.nanmean(losses, 0) if len(losses) else np.nan
        out["loss_std"] = np.nanstd(losses, 0) if len(losses) else np.nan
        if has_probs(run):
            mask = _epoch_mask(run, len(run.probs))
            probs, preds = run.probs[mask], run.preds[mask]
            out["mean_prob"] = np.nanmean(probs.astype(np.float32), 0)
            out["margin"] = np.nanmean(prob_margin(probs, preds, out["label"].to_numpy()), 0)
            out.insert(len(BASE_COLUMNS), "pred", run.preds[-1].astype(int))
        else:
            out.insert(len(BASE_COLUMNS), "pred", -1)
    return out


def suspicion(scores: pd.DataFrame, score: str, direction: str | None = None) -> np.ndarray:
    """`scores[score]` oriented so that higher is more suspicious; NaN (never seen) lowest."""
    d = direction or SCORES[score].suspicious
    v = scores[score].to_numpy(dtype=np.float64)
    v = v if d == "high" else -v
    return np.where(np.isnan(v), -np.inf, v)


def rank_by(scores: pd.DataFrame, score: str, direction: str | None = None) -> pd.DataFrame:
    """Examples most suspicious first (ties: lower index first), with 1-based `rank`."""
    order = np.lexsort((scores["index"].to_numpy(), -suspicion(scores, score, direction)))
    out = scores.iloc[order].reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out


def _epoch_mask(run: Run, n_epochs: int) -> np.ndarray:
    """The epochs after priming, or every epoch when none selected yet."""
    if not n_epochs:
        return np.zeros(0, bool)
    mask = selecting_epochs(run)[:n_epochs]
    mask = np.pad(mask, (0, n_epochs - len(mask)))
    return mask if mask.any() else np.ones(n_epochs, bool)

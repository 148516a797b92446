"""cleanlab's confident learning as the baseline detector: K extra trainings give out-of-fold
predicted probabilities for every training example, then `cleanlab.filter.find_label_issues`
flags and `cleanlab.rank.get_label_quality_scores` ranks (pip install 'sbexplore[cleanlab]')."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sbexplore.config import RunConfig
from sbexplore.errors import ConfigError, UserError

INSTALL = "pip install 'sbexplore[cleanlab]'"


@dataclass(eq=False)
class CleanlabResult:
    """Out-of-fold probabilities, cleanlab's flags and label quality for one config.

    `scores` has the columns of `label_errors.detector_scores` (`pred`: out-of-fold argmax)
    plus `cleanlab` (label quality, low is suspicious) and `is_issue` (cleanlab's own flags).
    """

    config: RunConfig
    scores: pd.DataFrame
    pred_probs: np.ndarray  # (N, C) out-of-fold softmax probabilities
    folds: int
    train_time_s: float  # the K trainings and their out-of-fold predictions
    find_time_s: float  # cleanlab's own filtering and ranking
    classes: list[str] = field(default_factory=list)
    score_names: tuple[str, ...] = ("cleanlab",)

    @property
    def name(self) -> str:
        return f"cleanlab {self.folds}-fold"

    def __repr__(self) -> str:
        return (f"CleanlabResult({self.name!r}, n={len(self.scores)}, "
                f"issues={int(self.scores['is_issue'].sum())}, "
                f"train_time_s={self.train_time_s:.1f})")


def require_cleanlab():
    """The cleanlab module, or a UserError saying how to install it."""
    try:
        import cleanlab.filter
        import cleanlab.rank
    except ImportError as exc:
        raise UserError(f"cleanlab_baseline needs the cleanlab package: {INSTALL}") from exc
    return cleanlab


def cleanlab_baseline(cfg: RunConfig, folds: int = 3, policy: str | None = "traditional"
                      ) -> CleanlabResult:
    """Train `cfg`'s model on `folds` stratified folds of its (noisy) training set, predict each
    held-out fold, and score every example with cleanlab. `policy`: what the fold trainings use
    ("traditional" by default; None keeps cfg's)."""
    cl = require_cleanlab()
    if not isinstance(folds, int) or folds < 2:
        raise ConfigError(f"folds={folds!r} is not allowed: an integer >= 2")
    import torch
    from sklearn.model_selection import StratifiedKFold

    from sbexplore.data import load_data
    from sbexplore.engine.trainer import Trainer

    d = load_data(cfg, torch.device("cpu"))  # the labels exactly as a run with cfg trains on
    y = d.y_train.numpy()
    counts = np.bincount(y, minlength=d.num_classes)
    if counts[counts > 0].min() < folds:
        raise ConfigError(f"folds={folds} is not allowed: the smallest class has only "
                          f"{counts[counts > 0].min()} training examples")
    # the folds train on labels that are already noisy: no second round of mislabels
    fold_cfg = cfg.replace(mislabel_fraction=0.0, out_dir=None, name=None,
                           **({"policy": policy} if policy else {}))
    pred_probs = np.zeros((len(y), d.num_classes), np.float32)
    t0 = time.perf_counter()
    split = StratifiedKFold(n_splits=folds, shuffle=True, random_state=cfg.seed)
    for train_idx, held_idx in split.split(np.zeros(len(y)), y):
        tr, held = torch.from_numpy(train_idx), torch.from_numpy(held_idx)
        trainer = Trainer(fold_cfg, data=(d.x_train[tr], d.y_train[tr], d.x_test, d.y_test))
        trainer.fit()
        pred_probs[held_idx] = trainer.predict_proba(d.x_train[held]).float().cpu().numpy()
    train_time = time.perf_counter() - t0
    t1 = time.perf_counter()
    issues = cl.filter.find_label_issues(labels=y, pred_probs=pred_probs)
    quality = cl.rank.get_label_quality_scores(labels=y, pred_probs=pred_probs)
    find_time = time.perf_counter() - t1
    scores = pd.DataFrame({
        "index": np.arange(len(y)), "source_index": d.source_index.numpy(), "label": y,
        "true_label": d.true_train.numpy(), "mislabeled": d.mislabeled.numpy().astype(bool),
        "pred": pred_probs.argmax(1), "cleanlab": quality, "is_issue": issues})
    return CleanlabResult(config=cfg, scores=scores, pred_probs=pred_probs, folds=folds,
                          train_time_s=train_time, find_time_s=find_time, classes=d.classes)

"""Mislabel detectors scored against injected flips: rank examples by a score (see
`label_errors.SCORES`), flag the top k, and report precision, recall and average precision."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sbexplore.analysis.epochs import after_priming
from sbexplore.analysis.label_errors import (
    available_scores,
    canonical_score,
    check_score,
    rank_by,
    suspicion,
)
from sbexplore.analysis.label_errors import detector_scores as run_scores
from sbexplore.analysis.series import as_runs, run_labels
from sbexplore.errors import ConfigError
from sbexplore.runs.record import Run

# Chosen by measurement (benchmarks/bench_detectors.py, BENCHMARKS.md "Label-error detectors"):
# the highest mean average precision at 10% and 20% flips; runs recorded without probabilities
# fall back to the best score from losses alone.
DEFAULT_SCORE = "margin"
FALLBACK_SCORE = "mean_loss"


def default_score(item: Any) -> str:
    """`DEFAULT_SCORE` when the run recorded probabilities, else `FALLBACK_SCORE`; a baseline
    result's own score."""
    if not isinstance(item, Run):
        return item.score_names[0]
    return DEFAULT_SCORE if DEFAULT_SCORE in available_scores(item) else FALLBACK_SCORE


def scores_of(item: Any) -> pd.DataFrame:
    """Per-example scores of a Run (`label_errors.detector_scores`) or of a baseline result
    that carries its own (`CleanlabResult.scores`)."""
    return run_scores(item) if isinstance(item, Run) else item.scores


def mislabel_detection(run: Any, ks: list[int] | None = None,
                       score: str | None = None) -> pd.DataFrame:
    """Precision and recall of flagging the k examples most suspicious by `score` (None:
    `default_score(run)`), for each k (default 1..N), with the base rate (a random guess's
    precision). `run`: a Run or a `CleanlabResult` (score "cleanlab")."""
    score = canonical_score(score) or default_score(run)
    _check(run, score)
    ranked = _ranked(run, score)
    mis = ranked["mislabeled"].to_numpy(bool)
    n, n_mis = len(mis), int(mis.sum())
    if n_mis == 0:
        raise ConfigError(f"run {run.name!r} has no injected mislabels "
                          f"(mislabel_fraction={run.config.mislabel_fraction}): nothing to detect")
    ks_arr = np.arange(1, n + 1) if ks is None else np.asarray(ks, dtype=int)
    if len(ks_arr) and (ks_arr.min() < 1 or ks_arr.max() > n):
        raise ConfigError(f"ks={list(ks_arr)} is not allowed: each k must be in 1..{n}")
    tp = np.cumsum(mis)[ks_arr - 1]
    return pd.DataFrame({"run": run.name, "score": score, "k": ks_arr, "true_positives": tp,
                         "precision": tp / ks_arr, "recall": tp / n_mis,
                         "base_rate": n_mis / n})


def detection_at_mislabel_count(run: Any, score: str | None = None) -> pd.Series:
    """Precision (= recall) at k = the number of injected mislabels."""
    k = int(scores_of(run)["mislabeled"].astype(bool).sum())
    return mislabel_detection(run, [max(k, 1)], score).iloc[0]


DETECTOR_COLUMNS = ["detector", "score", "dataset", "mislabel_fraction", "mislabel_mode", "seed",
                    "n", "n_mislabeled", "precision_at_k", "recall_at_k", "average_precision",
                    "base_rate", "extra_time_s", "run_time_s"]


def detector_results(items: list[Any], scores: list[str] | None = None) -> pd.DataFrame:
    """One row per run (or baseline result) and score: precision and recall at k = number of
    flips, average precision, base rate, and the wall time the score cost beyond the run
    (`extra_time_s`: 0 for a run's own scores, the K trainings for cleanlab)."""
    from sklearn.metrics import average_precision_score

    rows = []
    for item, detector in zip(items, _detector_names(items), strict=True):
        sc = scores_of(item)
        mis = sc["mislabeled"].to_numpy(bool)
        if not mis.any():
            raise ConfigError(f"run {item.name!r} has no injected mislabels "
                              f"(mislabel_fraction={item.config.mislabel_fraction}): "
                              "detector_results needs runs with mislabel_fraction > 0")
        own = _own_scores(item)
        for name in (own if scores is None else [canonical_score(s) for s in scores
                                                 if canonical_score(s) in own]):
            ranked = _ranked(item, name, sc)
            k = int(mis.sum())
            hit = int(ranked["mislabeled"].to_numpy(bool)[:k].sum())
            s = suspicion(sc, name)
            finite = np.where(np.isinf(s), np.min(s[np.isfinite(s)], initial=0.0) - 1, s)
            cfg = item.config
            rows.append({
                "detector": detector, "score": name, "dataset": cfg.dataset,
                "mislabel_fraction": cfg.mislabel_fraction,
                "mislabel_mode": getattr(cfg, "mislabel_mode", "flip"), "seed": cfg.seed,
                "n": len(mis), "n_mislabeled": k, "precision_at_k": hit / k,
                "recall_at_k": hit / k, "average_precision": average_precision_score(mis, finite),
                "base_rate": k / len(mis),
                "extra_time_s": float(getattr(item, "train_time_s", 0.0)),
                "run_time_s": _run_time(item)})
    return pd.DataFrame(rows, columns=DETECTOR_COLUMNS)


def detector_table(items: list[Any], scores: list[str] | None = None) -> pd.DataFrame:
    """`detector_results` summarised over seeds: mean, std and n of precision at k, recall at k
    and average precision per score, mislabel fraction and mode (best average precision
    first within each setting)."""
    df = detector_results(items, scores)
    keys = ["mislabel_fraction", "mislabel_mode", "score", "detector"]
    out = (df.groupby(keys, sort=False)
           .agg(n=("seed", "size"), precision_mean=("precision_at_k", "mean"),
                precision_std=("precision_at_k", "std"), recall_mean=("recall_at_k", "mean"),
                ap_mean=("average_precision", "mean"), ap_std=("average_precision", "std"),
                base_rate=("base_rate", "mean"), extra_time_s=("extra_time_s", "mean"))
           .reset_index())
    out = out.sort_values(["mislabel_fraction", "mislabel_mode", "ap_mean"],
                          ascending=[True, True, False], kind="stable")
    return out.reset_index(drop=True)


def pick_rate_table(runs: Run | list[Run]) -> pd.DataFrame:
    """Mean mislabel pick rate after priming per run name and mislabel fraction (mean, std over
    seeds); `enrichment` is pick rate over fraction (1 = no preference for flipped labels)."""
    runs = as_runs(runs)
    rows = []
    noisy = [r for r in runs if r.config.mislabel_fraction > 0 and len(after_priming(r))]
    for r, label in zip(noisy, run_labels(noisy, shown=("mislabel_fraction",)), strict=True):
        m = after_priming(r)
        rows.append({"run": label,
                     "policy": r.config.policy, "seed": r.config.seed,
                     "mislabel_fraction": r.config.mislabel_fraction,
                     "pick_rate": float(m["mislabel_pick_rate"].mean())})
    df = pd.DataFrame(rows, columns=["run", "policy", "mislabel_fraction", "seed", "pick_rate"])
    out = (df.groupby(["run", "mislabel_fraction"], sort=False)
           .agg(policy=("policy", "first"), seeds=("seed", "size"),
                pick_rate_mean=("pick_rate", "mean"), pick_rate_std=("pick_rate", "std"))
           .reset_index().sort_values(["run", "mislabel_fraction"], kind="stable"))
    out["enrichment"] = out["pick_rate_mean"] / out["mislabel_fraction"]
    return out.reset_index(drop=True)


def _own_scores(item: Any) -> list[str]:
    return available_scores(item) if isinstance(item, Run) else list(item.score_names)


def _check(item: Any, score: str) -> None:
    if isinstance(item, Run):
        check_score(item, score)
    elif score not in item.score_names:
        raise ConfigError(f"score={score!r} is not allowed for {item.name!r}: one of "
                          f"{', '.join(item.score_names)}")


def _ranked(item: Any, score: str, sc: pd.DataFrame | None = None) -> pd.DataFrame:
    return rank_by(scores_of(item) if sc is None else sc, score)


def _detector_names(items: list[Any]) -> list[str]:
    """Runs: their series labels (fraction and mode are columns of their own); baselines:
    their own names."""
    runs = [i for i in items if isinstance(i, Run)]
    labels = iter(run_labels(runs, shown=("mislabel_fraction", "mislabel_mode")))
    return [next(labels) if isinstance(i, Run) else i.name for i in items]


def _run_time(item: Any) -> float:
    if isinstance(item, Run):
        return float(item.metrics["wall_time_s"].sum()) if len(item.metrics) else float("nan")
    return float(item.train_time_s)



def label_suspects(item: Any, score: str | None = None, k: int = 16) -> pd.DataFrame:
    """The k examples most suspicious by `score` (None: `default_score`) of a Run or a
    `CleanlabResult`: index, labels, `pred` (-1 unknown), the score, and `rank`. No injected
    mislabels needed: this is how real label errors are found."""
    score = canonical_score(score) or default_score(item)
    if not isinstance(k, int) or k < 1:
        raise ConfigError(f"k={k!r} is not allowed: an integer >= 1")
    _check(item, score)
    cols = ["rank", "index", "source_index", "label", "pred", "true_label", "mislabeled", score]
    return _ranked(item, score)[cols].head(k).reset_index(drop=True)

"""A Run: config, per-epoch metrics, per-example records, events and compact arrays, saved as a
self-describing folder with atomic writes (temp name, then rename)."""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sbexplore.config import RunConfig
from sbexplore.errors import UserError
from sbexplore.fileio import atomic_write

# Loss-histogram bins: [0, 1e-3) then log-spaced to 20; larger losses land in the last bin.
HIST_EDGES = np.concatenate([[0.0], np.logspace(-3, np.log10(20.0), 40)])
HIST_GROUPS = ("skipped_clean", "skipped_mislabeled", "selected_clean", "selected_mislabeled")

METRIC_COLUMNS = [
    "epoch", "wall_time_s", "examples_forwarded", "examples_backpropped", "keep_fraction",
    "train_loss", "test_loss", "test_accuracy", "mislabel_pick_rate", "beta", "staleness",
    "time_select_s", "time_train_s", "time_other_s", "time_eval_s", "priming", "lr", "step",
    "total_backprops", "total_forwarded", "total_time_s", "time_save_s",
]
# What each metric means, in one place (per epoch unless it says "total").
METRICS = {
    "epoch": "1-based epoch number",
    "wall_time_s": "seconds the epoch took (selection, training, evaluation; not paused time)",
    "examples_forwarded": "examples given a selection forward pass this epoch (0 when priming, "
                          "for traditional and uniform; Stale-SB skips stale ones)",
    "examples_backpropped": "examples given a backward pass this epoch",
    "keep_fraction": "examples_backpropped / training examples",
    "train_loss": "mean loss of the examples backpropped this epoch",
    "test_loss": "mean loss on the test set at the epoch's end",
    "test_accuracy": "accuracy on the test set at the epoch's end",
    "mislabel_pick_rate": "share of this epoch's backprops that went to examples with injected "
                          "wrong labels (NaN without injected mislabels); the base rate is "
                          "mislabel_fraction",
    "beta": "SB's beta in force at the epoch's end", "staleness": "Stale-SB's n in force",
    "time_select_s": "seconds in selection forward passes",
    "time_train_s": "seconds in backprop steps (forward, backward, optimizer)",
    "time_other_s": "wall_time_s - time_select_s - time_train_s (evaluation, data, bookkeeping)",
    "time_eval_s": "seconds evaluating on the test set (part of time_other_s)",
    "priming": "the epoch backpropped everything before selection starts",
    "lr": "learning rate at the epoch's last step", "step": "total candidate batches so far",
    "total_backprops": "examples backpropped so far", "total_forwarded": "selection forward "
    "passes so far", "total_time_s": "sum of wall_time_s so far",
    "time_save_s": "seconds spent writing the run folder after the epoch (not in wall_time_s)",
}
TIMING_COLUMNS = ["wall_time_s", "time_select_s", "time_train_s", "time_other_s", "time_eval_s",
                  "total_time_s", "time_save_s"]
EXAMPLE_COLUMNS = ["index", "source_index", "label", "true_label", "mislabeled",
                   "times_selected", "times_forwarded", "last_loss"]
EVENT_COLUMNS = ["step", "epoch", "field", "old", "new"]

FILES = {
    "config": "config.json", "meta": "meta.json", "metrics": "metrics.parquet",
    "metrics_csv": "metrics.csv", "examples": "examples.parquet", "events": "events.csv",
    "arrays": "arrays.npz",
}


def empty_frame(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})


@dataclass(eq=False)
class Run:
    """One training run and everything needed to redraw its views without retraining.

    `selected[e, i]` is 1 when example i was backpropped in epoch e+1 (uint8), `losses[e, i]` its
    latest loss at the end of that epoch (float16), `hist[e, g, b]` the loss-histogram counts of
    group `HIST_GROUPS[g]` in bin b (edges `hist_edges`) of the losses used for selection.
    """

    config: RunConfig
    metrics: pd.DataFrame = field(default_factory=lambda: empty_frame(METRIC_COLUMNS))
    examples: pd.DataFrame = field(default_factory=lambda: empty_frame(EXAMPLE_COLUMNS))
    events: pd.DataFrame = field(default_factory=lambda: empty_frame(EVENT_COLUMNS))
    selected: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.uint8))
    losses: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float16))
    probs: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float16))
    preds: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.int16))
    hist: np.ndarray = field(
        default_factory=lambda: np.zeros((0, 4, len(HIST_EDGES) - 1), np.int64))
    hist_edges: np.ndarray = field(default_factory=lambda: HIST_EDGES.copy())
    meta: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def status(self) -> str:
        return self.meta.get("status", "created")

    @property
    def name(self) -> str:
        return self.config.label

    @property
    def classes(self) -> list[str]:
        return list(self.meta.get("classes", []))

    def __repr__(self) -> str:
        last = self.metrics.iloc[-1] if len(self.metrics) else None
        acc = f", test_accuracy={last['test_accuracy']:.4f}" if last is not None else ""
        return f"Run({self.name!r}, status={self.status!r}, epochs={len(self.metrics)}{acc})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Run):
            return NotImplemented
        return (
            self.config == other.config
            and _frames_equal(self.metrics, other.metrics)
            and _frames_equal(self.examples, other.examples)
            and _frames_equal(self.events, other.events)
            and all(np.array_equal(getattr(self, a), getattr(other, a),
                                   equal_nan=a in ("losses", "probs"))
                    for a in ("selected", "losses", "probs", "preds", "hist", "hist_edges"))
        )

    def same_results(self, other: Run) -> bool:
        """Equal in everything but wall-clock columns: what determinism promises."""
        a, b = self.metrics.drop(columns=TIMING_COLUMNS), other.metrics.drop(columns=TIMING_COLUMNS)
        return (self.config.replace(out_dir=None) == other.config.replace(out_dir=None)
                and _frames_equal(a, b) and _frames_equal(self.examples, other.examples)
                and _frames_equal(self.events, other.events)
                and all(np.array_equal(getattr(self, k), getattr(other, k),
                                       equal_nan=k in ("losses", "probs"))
                        for k in ("selected", "losses", "probs", "preds", "hist")))

    # -- persistence ---------------------------------------------------------------------
    def save(self, path: str | os.PathLike | None = None) -> Path:
        """Write the run folder (each file atomically); returns its path."""
        target = Path(path or self.path or self.config.out_dir or "")
        if not str(target):
            raise UserError("this run has no out_dir: pass a path to save(path)")
        target.mkdir(parents=True, exist_ok=True)
        self.path = target
        atomic_write(target / FILES["config"], self.config.to_json().encode())
        atomic_write(target / FILES["meta"], json.dumps(self.meta, indent=2, default=str).encode())
        atomic_write(target / FILES["metrics"], _parquet_bytes(self.metrics))
        atomic_write(target / FILES["metrics_csv"], self.metrics.to_csv(index=False).encode())
        atomic_write(target / FILES["examples"], _parquet_bytes(self.examples))
        atomic_write(target / FILES["events"], self.events.to_csv(index=False).encode())
        buf = io.BytesIO()
        np.savez_compressed(buf, selected=self.selected, losses=self.losses, probs=self.probs,
                            preds=self.preds, hist=self.hist, hist_edges=self.hist_edges)
        atomic_write(target / FILES["arrays"], buf.getvalue())
        return target


def load_run(path: str | os.PathLike) -> Run:
    """Read a run folder written by `Run.save` (also one saved mid-training)."""
    p = Path(path)
    if not (p / FILES["config"]).is_file():
        raise UserError(f"{p} is not a run folder: it has no {FILES['config']}")
    config = RunConfig.from_json((p / FILES["config"]).read_text())
    meta = json.loads((p / FILES["meta"]).read_text())
    events = pd.read_csv(p / FILES["events"], dtype={"field": "object"})
    if not len(events):
        events = empty_frame(EVENT_COLUMNS)
    else:
        events["field"] = events["field"].astype(object)
    with np.load(p / FILES["arrays"]) as z:
        arrays = {k: z[k] for k in z.files}
    return Run(config=config, metrics=pd.read_parquet(p / FILES["metrics"]),
               examples=pd.read_parquet(p / FILES["examples"]), events=events, meta=meta,
               path=p, **arrays)


def is_run_dir(path: str | os.PathLike) -> bool:
    return (Path(path) / FILES["config"]).is_file() and (Path(path) / FILES["arrays"]).is_file()


def _frames_equal(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    if list(a.columns) != list(b.columns) or len(a) != len(b):
        return False
    if not len(a):
        return True
    return a.reset_index(drop=True).astype(object).equals(b.reset_index(drop=True).astype(object))


def _parquet_bytes(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()

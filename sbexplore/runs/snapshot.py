"""Snapshot: what every live view draws, defined once, from a live recorder or a saved Run.

`Recorder.snapshot()` builds one from a run in progress; `Snapshot.from_run(run, epoch)` from a
saved run at the end of any epoch, so views draw live and saved runs alike (and replay them).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sbexplore.config import RunConfig
from sbexplore.runs.record import HIST_EDGES, HIST_GROUPS, METRIC_COLUMNS, Run, empty_frame

GALLERY_SIZE = 16  # hardest / easiest examples per gallery
GALLERY_KEYS = ("index", "source_index", "label", "true_label", "mislabeled", "times_backpropped",
                "last_loss", "pred")


def empty_gallery() -> dict[str, np.ndarray]:
    return {k: np.zeros(0, np.int64) for k in GALLERY_KEYS}


def _zeros_hist() -> np.ndarray:
    return np.zeros((4, len(HIST_EDGES) - 1), np.int64)


@dataclass
class Snapshot:
    """The state of a run at one moment: plain Python and numpy, safe to read from any thread.

    `hist` counts the losses ranked in the epoch in progress (a saved run: the given epoch) by
    group `hist_groups`; `hist_last` is the last complete epoch's. `mislabel_pick_rate` is the
    share of the epoch's backprops so far that went to mislabeled examples (see records.METRICS).
    Galleries hold the `GALLERY_KEYS` arrays of the most / least often backpropped examples.
    """

    name: str
    config: RunConfig
    status: str = "created"
    error: str | None = None
    epochs: int = 0  # planned epochs
    epoch: int = 0  # 1-based epoch in progress (a saved run: the epoch shown)
    epochs_done: int = 0  # complete epochs
    candidate_batches: int = 0  # candidate batches offered so far
    backprops: int = 0
    forwarded: int = 0  # selection forward passes (examples)
    progress: float = 0.0  # share of the planned steps done
    beta: float = 0.0
    staleness: int = 1
    pace: float = 0.0
    hist_edges: np.ndarray = field(default_factory=lambda: HIST_EDGES.copy())
    hist_groups: tuple[str, ...] = HIST_GROUPS
    hist: np.ndarray = field(default_factory=_zeros_hist)
    hist_last: np.ndarray | None = None
    metrics: pd.DataFrame = field(default_factory=lambda: empty_frame(METRIC_COLUMNS))
    events: pd.DataFrame = field(default_factory=pd.DataFrame)
    mislabel_fraction: float = 0.0
    mislabel_pick_rate: float = float("nan")
    hardest: dict[str, np.ndarray] = field(default_factory=empty_gallery)
    easiest: dict[str, np.ndarray] = field(default_factory=empty_gallery)
    mislabeled: dict[str, np.ndarray] = field(default_factory=empty_gallery)
    last_batch: dict[str, np.ndarray] | None = None  # losses, probs, keep, percentile
    dataset: str = ""
    classes: list[str] = field(default_factory=list)

    def __getitem__(self, key: str) -> Any:  # snap["hist"] reads like snap.hist
        try:
            return getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)

    def keys(self) -> list[str]:
        return [f.name for f in dataclasses.fields(self)]

    @classmethod
    def from_run(cls, run: Run, epoch: int | None = None, gallery: int = GALLERY_SIZE
                 ) -> Snapshot:
        """A saved Run at the end of `epoch` (1-based, default the last one)."""
        cfg, n_ep = run.config, len(run.metrics)
        e = n_ep if epoch is None else max(0, min(int(epoch), n_ep))
        ex = run.examples
        info = {k: ex[k].to_numpy() for k in ("index", "source_index", "label", "true_label")}
        info["mislabeled"] = ex["mislabeled"].to_numpy().astype(bool)
        if len(run.backpropped) and e:
            info["times_backpropped"] = run.backpropped[:e].astype(np.int64).sum(0)
            info["last_loss"] = run.losses[e - 1].astype(np.float32)
        else:
            info["times_backpropped"] = np.zeros(len(ex), np.int64)
            info["last_loss"] = np.full(len(ex), np.nan, np.float32)
        preds = getattr(run, "preds", None)
        info["pred"] = (preds[e - 1].astype(np.int64) if preds is not None and len(preds) >= e > 0
                        else np.full(len(ex), -1, np.int64))
        m = run.metrics.iloc[:e].copy()
        last = m.iloc[-1] if len(m) else None
        return cls(
            name=run.name, config=cfg, status=run.status, error=run.meta.get("error"),
            epochs=cfg.epochs, epoch=e, epochs_done=n_ep,
            candidate_batches=int(last["candidate_batches"]) if last is not None else 0,
            backprops=int(last["total_backprops"]) if last is not None else 0,
            forwarded=int(last["total_forwarded"]) if last is not None else 0,
            progress=e / cfg.epochs if cfg.epochs else 0.0,
            beta=float(last["beta"]) if last is not None else float(cfg.beta or 0.0),
            staleness=int(last["staleness"]) if last is not None else int(cfg.staleness),
            hist_edges=run.hist_edges,
            hist=run.hist[e - 1] if e and len(run.hist) >= e else _zeros_hist(),
            metrics=m, events=run.events, mislabel_fraction=cfg.mislabel_fraction,
            mislabel_pick_rate=float(last["mislabel_pick_rate"]) if last is not None
            else float("nan"),
            **galleries(info, gallery), dataset=cfg.dataset, classes=run.classes,
        )


def galleries(info: dict[str, np.ndarray], k: int) -> dict[str, dict[str, np.ndarray]]:
    """hardest: most often backpropped (ties: higher latest loss); easiest: the reverse;
    mislabeled: the mislabeled examples backpropped most often."""
    order = np.lexsort((np.nan_to_num(info["last_loss"], nan=0.0), info["times_backpropped"]))
    hard = order[::-1]
    mis = hard[info["mislabeled"][hard].astype(bool)]
    return {name: {key: v[idx[:k]] for key, v in info.items()}
            for name, idx in (("hardest", hard), ("easiest", order), ("mislabeled", mis))}

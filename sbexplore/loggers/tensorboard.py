"""TensorBoard logging: every per-epoch metric as a scalar, and the loss histograms."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from sbexplore.engine.recorder import Callback, Recorder
from sbexplore.errors import ConfigError
from sbexplore.runs.record import HIST_GROUPS, METRIC_COLUMNS

# metric column -> TensorBoard tag (grouped into sections); the rest go under "run/"
TAGS = {
    "test_accuracy": "test/accuracy", "test_loss": "test/loss", "train_loss": "train/loss",
    "keep_fraction": "selection/keep_fraction",
    "examples_forwarded": "selection/examples_forwarded",
    "examples_backpropped": "selection/examples_backpropped",
    "mislabel_pick_rate": "selection/mislabel_pick_rate", "beta": "selection/beta",
    "staleness": "selection/staleness", "priming": "selection/priming",
    "wall_time_s": "time/wall_s", "time_select_s": "time/select_s",
    "time_train_s": "time/train_s", "time_other_s": "time/other_s",
    "time_eval_s": "time/eval_s", "time_save_s": "time/save_s", "total_time_s": "time/total_s",
    "lr": "train/lr", "total_backprops": "run/total_backprops",
    "total_forwarded": "run/total_forwarded", "candidate_batches": "run/candidate_batches",
}


def tag(column: str) -> str:
    """The TensorBoard tag of a metric column."""
    return TAGS.get(column, f"run/{column}")


def _summary_writer() -> Any:
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError as e:  # torch raises this when the tensorboard package is missing
        raise ConfigError("TensorBoardLogger needs the tensorboard package: "
                          "pip install 'sbexplore[tensorboard]'") from e
    return SummaryWriter


class TensorBoardLogger(Callback):
    """Writes each epoch's metrics (`records.METRIC_COLUMNS`, tags in `TAGS`) and loss
    histograms (`loss/<group>`, `records.HIST_GROUPS`) to `log_dir`, at step = epoch."""

    def __init__(self, log_dir: str | Path, **writer_kwargs: Any):
        self.log_dir = str(log_dir)
        self.writer = _summary_writer()(log_dir=self.log_dir, **writer_kwargs)

    def on_epoch(self, recorder: Recorder, row: dict[str, Any]) -> None:
        epoch = int(row["epoch"])
        for column in METRIC_COLUMNS:
            value = row.get(column)
            if value is None or isinstance(value, float) and math.isnan(value):
                continue  # NaN means "not measured" (no mislabels, save time pending)
            self.writer.add_scalar(tag(column), float(value), epoch)
        run = recorder.record
        if len(run.hist):
            self.write_histograms(run.hist[-1], np.asarray(run.hist_edges, float), epoch)
        self.writer.flush()

    def write_histograms(self, counts: np.ndarray, edges: np.ndarray, step: int) -> None:
        """One raw histogram per group (selected/skipped x clean/mislabeled) with counts."""
        centers = (edges[:-1] + edges[1:]) / 2
        for group, c in zip(HIST_GROUPS, counts):
            total = int(c.sum())
            if not total:
                continue
            self.writer.add_histogram_raw(
                f"loss/{group}", min=float(edges[:-1][c > 0][0]),
                max=float(edges[1:][c > 0][-1]), num=total,
                sum=float((c * centers).sum()), sum_squares=float((c * centers**2).sum()),
                bucket_limits=edges[1:].tolist(), bucket_counts=c.tolist(), global_step=step)

    def on_end(self, recorder: Recorder) -> None:
        self.close()

    def close(self) -> None:
        self.writer.close()

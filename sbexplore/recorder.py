"""The Recorder: the one contract between a training loop and everything that watches it.

Any loop (the built-in `Trainer` or your own, through `sbexplore.Selector`) reports into it:
per candidate batch (`forwarded`, `candidates`), per backprop (`backprop`) and per epoch
(`end_epoch`, with the evaluation). It yields the same `Run` (metrics, examples, arrays, events,
saved to `out_dir` every epoch) and live `Snapshot`s; views, loggers and savers read only this.
It also carries the run's `LiveControl`, so a dashboard steers any loop the same way.
"""

from __future__ import annotations

import datetime as _dt
import math
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd
import torch

from sbexplore.config import RunConfig
from sbexplore.control import LiveControl
from sbexplore.errors import ConfigError
from sbexplore.records import EVENT_COLUMNS, HIST_EDGES, METRIC_COLUMNS, Run
from sbexplore.selection import loss_percentiles
from sbexplore.snapshot import GALLERY_SIZE, Snapshot, galleries
from sbexplore.timing import SectionTimer

NBINS = len(HIST_EDGES) - 1
STATUSES = ("created", "running", "paused", "stopped", "finished", "failed")


class Callback:
    """Subscribe to a run: override any of these; they run on the training thread and receive
    the Recorder (public state: `epoch`, `step`, `steps_per_epoch`, `n`, `cfg`, `run`, ...)."""

    def on_step(self, recorder: Recorder) -> None: ...
    def on_epoch(self, recorder: Recorder, row: dict[str, Any]) -> None: ...
    def on_end(self, recorder: Recorder) -> None:
        """The run ended: `recorder.status` is finished, stopped or failed (then
        `recorder.error` holds the traceback)."""


class _Rows:
    """Per-epoch rows of one per-example array, grown by doubling (appending is O(N))."""

    def __init__(self, n: int, dtype: Any, fill: Any, shape: tuple[int, ...] | None = None):
        self.shape, self.dtype, self.fill = shape or (n,), dtype, fill
        self.data = np.full((0, *self.shape), fill, dtype)
        self.count = 0

    def append(self, row: np.ndarray) -> None:
        if self.count == len(self.data):
            grown = np.full((max(4, 2 * len(self.data)), *self.shape), self.fill, self.dtype)
            grown[: self.count] = self.data[: self.count]
            self.data = grown
        self.data[self.count] = row
        self.count += 1

    def view(self) -> np.ndarray:
        return self.data[: self.count]


class Recorder:
    """Records one run from any loop. `labels` are the training labels as trained on (one per
    example index); `mislabeled` marks injected label errors (for pick rates), if any."""

    def __init__(self, config: RunConfig, labels: torch.Tensor, *,
                 true_labels: torch.Tensor | None = None, mislabeled: torch.Tensor | None = None,
                 source_index: torch.Tensor | None = None, classes: list[str] | None = None,
                 callbacks: Iterable[Callback] = (), replay: pd.DataFrame | None = None,
                 meta: dict[str, Any] | None = None):
        if not isinstance(labels, torch.Tensor) or labels.ndim != 1:
            raise ConfigError(f"labels={type(labels).__name__} is not allowed: a 1-d tensor of "
                              "class indices, one per training example")
        self.cfg = config
        self.device = labels.device
        self.n = n = len(labels)
        dev = self.device
        self.labels = labels.long()
        self.true_labels = self.labels if true_labels is None else true_labels.to(dev).long()
        self.mislabeled = (torch.zeros(n, dtype=torch.bool, device=dev) if mislabeled is None
                           else mislabeled.to(dev).bool())
        for name, t in (("true_labels", self.true_labels), ("mislabeled", self.mislabeled)):
            if len(t) != n:
                raise ConfigError(f"{name} has {len(t)} entries: expected {n}, one per label")
        self.source_index = (torch.arange(n, device=dev) if source_index is None
                             else source_index.to(dev))
        self.classes = list(classes) if classes is not None else [
            str(c) for c in range(int(self.labels.max()) + 1 if n else 0)]
        self.callbacks = list(callbacks)
        self.timer = SectionTimer(dev)
        self.control = LiveControl(validate=self._validate_live, replay=replay)
        self.window_fn: Callable[[], torch.Tensor] | None = None  # SB's loss window, for views

        self.times_selected = torch.zeros(n, dtype=torch.int32, device=dev)
        self.times_forwarded = torch.zeros(n, dtype=torch.int32, device=dev)
        self.last_loss = torch.full((n,), float("nan"), device=dev)
        self.last_prob = torch.full((n,), float("nan"), device=dev)
        self.last_pred = torch.full((n,), -1, dtype=torch.int16, device=dev)
        self._epoch_selected = torch.zeros(n, dtype=torch.uint8, device=dev)
        self._epoch_hist = torch.zeros(4 * NBINS, dtype=torch.int64, device=dev)
        self._epoch_stats = torch.zeros(2, dtype=torch.float64, device=dev)  # loss, mislabeled
        self._hist_edges = torch.tensor(HIST_EDGES, dtype=torch.float32, device=dev)
        self._last_batch: dict[str, torch.Tensor] = {}
        self._rows = {"selected": _Rows(n, np.uint8, 0), "losses": _Rows(n, np.float16, np.nan),
                      "probs": _Rows(n, np.float16, np.nan), "preds": _Rows(n, np.int16, -1),
                      "hist": _Rows(n, np.int64, 0, (4, NBINS))}
        self._metric_rows: list[dict[str, Any]] = []
        self._events: list[dict[str, Any]] = []
        self._static_meta = dict(meta or {})
        self._done = threading.Event()
        self._done_callbacks: list[Callable[[Any], None]] = []
        self._done_lock = threading.Lock()

        self.live = {"beta": float(config.beta), "staleness": int(config.staleness), "pace": 0.0}
        self.epoch = 0  # 0-based epoch in progress
        self.step = 0  # candidate batches processed
        self.batch_in_epoch = 0
        self.steps_per_epoch = -(-n // config.batch_size) if n else 0
        self.backprops = self.forwarded = 0
        self.total_time = 0.0
        self.selecting = self.priming = False
        self.lr = float("nan")
        self._epoch_backprops = self._epoch_forwarded = 0
        self._t0 = time.perf_counter()
        self._status = "created"
        self.error: str | None = None
        self.run = Run(config=config, meta=self._meta())

    # -- the loop reports -----------------------------------------------------------------
    def begin_epoch(self, *, selecting: bool, priming: bool) -> None:
        """A new epoch starts; `selecting`: candidates are ranked (not priming/traditional)."""
        self.selecting, self.priming = selecting, priming
        self.batch_in_epoch = 0
        self._epoch_backprops = self._epoch_forwarded = 0
        self._epoch_hist.zero_()
        self._epoch_selected.zero_()
        self._epoch_stats.zero_()
        self.timer.reset()
        self.control.begin_epoch()
        if self._status == "created":
            self._status = "running"
            self.run.meta = self._meta()
        self._t0 = time.perf_counter()

    def checkpoint(self) -> list[tuple[str, float]]:
        """Before each candidate batch: wait while paused, stop if asked; the live changes due."""
        frac = self.batch_in_epoch / self.steps_per_epoch if self.steps_per_epoch else 0.0
        return self.control.checkpoint(self.step, frac)

    def change(self, field: str, old: float, new: float) -> None:
        """A live setting changed at this step (recorded in `events`)."""
        self.live[field] = new
        if field == "pace":
            self.control.pace = float(new)
        self._events.append({"step": self.step, "epoch": self.epoch + 1, "field": field,
                             "old": float(old), "new": float(new)})

    def forwarded_pass(self, idx: torch.Tensor, losses: torch.Tensor,
                       outputs: torch.Tensor | None = None) -> None:
        """A selection forward pass over examples `idx` gave these losses (and logits)."""
        self.times_forwarded[idx] += 1
        self.last_loss[idx] = losses.detach().float()
        self._predictions(idx, outputs)
        self._epoch_forwarded += len(idx)

    def candidates(self, idx: torch.Tensor, losses: torch.Tensor, keep: torch.Tensor,
                   probs: torch.Tensor | None = None) -> None:
        """A candidate batch was ranked: the losses used (fresh or stored) and the keep draw."""
        self._histogram(losses, keep, idx)
        batch = {"losses": losses.detach(), "keep": keep}
        if probs is not None:
            batch["probs"] = probs.detach()
        self._last_batch = batch

    def backprop(self, idx: torch.Tensor, losses: torch.Tensor,
                 outputs: torch.Tensor | None = None) -> None:
        """Examples `idx` were backpropped with these per-example losses (and logits)."""
        losses = losses.detach().float()
        self.last_loss[idx] = losses
        self.times_selected[idx] += 1
        self._epoch_selected[idx] = 1
        mis = self.mislabeled[idx]
        self._epoch_stats += torch.stack([losses.sum().double(), mis.sum().double()])
        self._predictions(idx, outputs)
        if not self.selecting:  # priming / traditional: no selection pass, histogram these
            self._histogram(losses, torch.ones_like(mis), idx)
        self.backprops += len(idx)
        self._epoch_backprops += len(idx)

    def end_step(self) -> None:
        """One candidate batch is done."""
        self.step += 1
        self.batch_in_epoch += 1
        for cb in self.callbacks:
            cb.on_step(self)

    def end_epoch(self, test_loss: float = math.nan, test_accuracy: float = math.nan,
                  **extra: Any) -> dict[str, Any]:
        """Close the epoch with its evaluation: one metrics row, array rows, a save to
        `cfg.out_dir`; returns the row. `extra` may set `lr` and other metric columns."""
        times = self.timer.totals()
        wall = max(0.0, time.perf_counter() - self._t0 - self.control.idle_s)
        self.total_time += wall
        self.forwarded += self._epoch_forwarded
        loss_sum, mis_sum = self._epoch_stats.tolist()
        nb = self._epoch_backprops
        row = {
            "epoch": self.epoch + 1, "wall_time_s": wall,
            "examples_forwarded": self._epoch_forwarded, "examples_backpropped": nb,
            "keep_fraction": nb / self.n if self.n else math.nan,
            "train_loss": loss_sum / nb if nb else math.nan,
            "test_loss": float(test_loss), "test_accuracy": float(test_accuracy),
            "mislabel_pick_rate": (mis_sum / nb if nb else math.nan) if self.has_mislabels
            else math.nan,
            "beta": float(self.live["beta"]), "staleness": int(self.live["staleness"]),
            "time_select_s": times.get("select", 0.0), "time_train_s": times.get("train", 0.0),
            "time_other_s": max(0.0, wall - times.get("select", 0.0) - times.get("train", 0.0)),
            "time_eval_s": times.get("eval", 0.0), "priming": bool(self.priming),
            "lr": float(extra.pop("lr", self.lr)), "step": self.step,
            "total_backprops": self.backprops, "total_forwarded": self.forwarded,
            "total_time_s": self.total_time, "time_save_s": math.nan,
        }
        unknown = sorted(set(extra) - set(METRIC_COLUMNS))
        if unknown:
            raise ConfigError(f"end_epoch got unknown metric(s) {unknown}: the columns are "
                              f"{METRIC_COLUMNS}")
        row.update(extra)
        self._metric_rows.append(row)
        rows = self._rows
        rows["selected"].append(self._epoch_selected.cpu().numpy())
        # float16 keeps the epochs x N record small; clamp so exploding losses stay finite
        rows["losses"].append(self.last_loss.clamp(max=65504).cpu().numpy().astype(np.float16))
        rows["probs"].append(self.last_prob.cpu().numpy().astype(np.float16))
        rows["preds"].append(self.last_pred.cpu().numpy())
        rows["hist"].append(self._epoch_hist.view(4, NBINS).cpu().numpy())
        self._publish()
        self._save(timed=True)
        for cb in self.callbacks:
            cb.on_epoch(self, row)
        self.epoch += 1
        self.control.end_epoch()
        return row

    def finish(self, status: str | None = None, error: BaseException | None = None) -> Run:
        """The run ended: final meta, save, callbacks. `status` defaults to `stopped` when a
        stop was requested, else `finished`; passing `error` marks it `failed`."""
        status = status or ("stopped" if self.control.stopping else "finished")
        if error is not None:
            self.error = "".join(traceback.format_exception(type(error), error,
                                                            error.__traceback__))
            status = "failed"
        self._status = status
        self._publish()
        try:
            self._save()
        finally:
            for cb in self.callbacks:  # every end: loggers close their files, bars their lines
                if status == "failed":
                    _call(cb.on_end, self)  # a callback's bug must not hide the run's error
                else:
                    cb.on_end(self)
            self._done.set()
            with self._done_lock:
                fns = list(self._done_callbacks)
            for fn in fns:
                _call(fn, self)
        return self.run

    # -- state for views ------------------------------------------------------------------
    @property
    def elapsed_s(self) -> float:
        """Training wall time so far: complete epochs plus the one in progress (not paused)."""
        now = time.perf_counter() - self._t0 - self.control.idle_s
        return self.total_time + (max(0.0, now) if self._status == "running" else 0.0)

    @property
    def has_mislabels(self) -> bool:
        return self.cfg.mislabel_fraction > 0

    @property
    def status(self) -> str:
        if self._status == "running" and self.control.paused and not self.control.stopping:
            return "paused"
        return self._status

    @property
    def done(self) -> bool:
        return self._done.is_set()

    @property
    def name(self) -> str:
        return self.cfg.label

    @property
    def config(self) -> RunConfig:
        return self.cfg

    def snapshot(self, gallery: int = GALLERY_SIZE) -> Snapshot:
        """The live state as plain numpy, for views on any thread (a few device->host copies)."""
        cfg = self.cfg
        with torch.no_grad():
            times_sel = self.times_selected.clone().cpu().numpy()
            last_loss = self.last_loss.clone().cpu().numpy()
            pred = self.last_pred.clone().cpu().numpy().astype(np.int64)
            hist = self._epoch_hist.clone().cpu().numpy().reshape(4, -1)
            stats = self._epoch_stats.clone().cpu().numpy()
            batch = {k: v.clone().cpu().numpy() for k, v in dict(self._last_batch).items()}
        info = self._example_info()
        info.update(times_selected=times_sel, last_loss=last_loss, pred=pred)
        run = self.run
        nb = self._epoch_backprops
        total = self.steps_per_epoch * cfg.epochs
        snap = Snapshot(
            name=self.name, config=cfg, status=self.status, error=self.error,
            epochs=cfg.epochs, epoch=min(self.epoch + 1, cfg.epochs),
            epochs_done=len(run.metrics), step=self.step, backprops=self.backprops,
            forwarded=self.forwarded + self._epoch_forwarded,
            progress=min(1.0, self.step / total) if total else 0.0,
            beta=float(self.live["beta"]), staleness=int(self.live["staleness"]),
            pace=float(self.live["pace"]), hist=hist,
            hist_last=run.hist[-1] if len(run.hist) else None, metrics=run.metrics.copy(),
            events=run.events.copy(), mislabel_fraction=cfg.mislabel_fraction,
            mislabel_pick_rate=float(stats[1] / nb) if nb and self.has_mislabels
            else float("nan"),
            **galleries(info, gallery), dataset=cfg.dataset, classes=list(self.classes),
        )
        if batch:
            batch["percentile"] = self._percentiles(batch["losses"])
            snap.last_batch = batch
        return snap

    # -- control, mirrored so a dashboard can steer any loop --------------------------------
    def stop(self) -> None:
        self.control.stop()

    def pause(self) -> None:
        self.control.pause()

    def resume(self) -> None:
        self.control.resume()

    def step_epochs(self, k: int = 1) -> None:
        self.control.step_epochs(k)

    def set(self, field: str, value: float) -> None:
        self.control.set(field, value)

    def add_done_callback(self, fn: Callable[[Any], None]) -> None:
        """Call `fn(recorder)` when the run ends (at once if it has), as futures do."""
        with self._done_lock:
            if not self._done.is_set():
                self._done_callbacks.append(fn)
                return
        _call(fn, self)

    # -- internals ------------------------------------------------------------------------
    def _validate_live(self, field: str, value: float) -> None:
        self.cfg.replace(**{field: value})  # raises ConfigError naming the field

    def _predictions(self, idx: torch.Tensor, outputs: torch.Tensor | None) -> None:
        if outputs is None or outputs.ndim != 2:
            return
        with torch.no_grad():
            out = outputs.detach().float()
            p = torch.softmax(out, 1).gather(1, self.labels[idx].unsqueeze(1)).squeeze(1)
            self.last_prob[idx] = p
            self.last_pred[idx] = out.argmax(1).to(torch.int16)

    def _histogram(self, losses: torch.Tensor, keep: torch.Tensor, idx: torch.Tensor) -> None:
        bins = torch.bucketize(losses.float().clamp_min(0), self._hist_edges[1:-1], right=True)
        group = keep.long() * 2 + self.mislabeled[idx].long()
        flat = (group * NBINS + bins).nan_to_num(0).long()
        self._epoch_hist.index_add_(0, flat, torch.ones_like(flat))

    def _percentiles(self, losses: np.ndarray) -> np.ndarray:
        """Each loss's percentile in SB's window (what the rule ranks), else within the batch."""
        window = self.window_fn() if self.window_fn is not None else None
        if window is not None and window.numel():
            return loss_percentiles(torch.from_numpy(losses), window.clone().cpu()).numpy()
        ranks = np.argsort(np.argsort(losses))
        return ranks / max(1, len(losses))

    _info: dict[str, np.ndarray] | None = None

    def _example_info(self) -> dict[str, np.ndarray]:
        """Per-example labels: constant during a run, so copied off the device once."""
        if self._info is None:
            self._info = {"index": np.arange(self.n),
                          "source_index": self.source_index.cpu().numpy(),
                          "label": self.labels.cpu().numpy(),
                          "true_label": self.true_labels.cpu().numpy(),
                          "mislabeled": self.mislabeled.cpu().numpy().astype(bool)}
        return dict(self._info)

    def examples_frame(self) -> pd.DataFrame:
        """One row per training example (see `Run.examples`)."""
        info = self._example_info()
        return pd.DataFrame({
            **{k: info[k] for k in ("index", "source_index", "label", "true_label")},
            "mislabeled": info["mislabeled"],
            "times_selected": self.times_selected.cpu().numpy(),
            "times_forwarded": self.times_forwarded.cpu().numpy(),
            "last_loss": self.last_loss.cpu().numpy(),
        })

    def _publish(self) -> None:
        """Rebuild `self.run` from the complete epochs (views read it from other threads)."""
        rows = self._rows
        self.run = self.run.continued(
            metrics=pd.DataFrame(self._metric_rows, columns=METRIC_COLUMNS),
            examples=self.examples_frame(),
            events=(pd.DataFrame(self._events, columns=EVENT_COLUMNS) if self._events
                    else self.run.events),
            meta=self._meta(), **{name: r.view() for name, r in rows.items()})

    def _save(self, timed: bool = False) -> None:
        if not self.cfg.out_dir:
            return
        t0 = time.perf_counter()
        self.run.save(self.cfg.out_dir)
        if timed and self._metric_rows:  # written with the next save (and the final one)
            self._metric_rows[-1]["time_save_s"] = time.perf_counter() - t0
            self.run.metrics.loc[self.run.metrics.index[-1], "time_save_s"] = (
                self._metric_rows[-1]["time_save_s"])

    def _meta(self) -> dict[str, Any]:
        now = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        created = getattr(self, "run", None) and self.run.meta.get("created")
        return {"status": self._status, "error": self.error, **self._static_meta,
                "classes": self.classes, "num_train": self.n,
                "created": created or now, "updated": now}


def _call(fn: Callable[[Any], None], arg: Any) -> None:
    try:
        fn(arg)
    except Exception:  # a listener's bug must not hide the run's own outcome
        traceback.print_exc()

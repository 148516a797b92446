"""The Recorder: the one contract between a training loop and everything that watches it.

Any loop (the built-in `Trainer` or your own, through `sbexplore.Selector`) reports into it:
per candidate batch (`forwarded`, `candidates`), per backprop batch (`backpropped`) and per
epoch (`end_epoch`, with the evaluation). It yields the same `Run` record (metrics, examples,
arrays, events, saved to `out_dir` every epoch) and live `Snapshot`s; views, loggers and savers
read only this. Its audiences are split: the loop reports, views read `record`/`snapshot()`,
and controls steer through its `LiveControl` (`Steerable`). Per-example state lives in an
`ExampleState`, the epoch's statistics in an `EpochStats`, and the counts in the `Counts` the
Selector advances.
"""

from __future__ import annotations

import datetime as _dt
import math
import time
import traceback
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd
import torch
from torch import nn

from sbexplore.config import RunConfig
from sbexplore.config.run_config import user_model_name
from sbexplore.data.labels import Mislabeled, dataset_labels
from sbexplore.engine.control import Completion, LiveControl, Steerable, call_safely
from sbexplore.engine.counts import Counts
from sbexplore.engine.epoch_stats import EpochStats
from sbexplore.engine.example_state import ExampleState
from sbexplore.engine.policies import loss_percentiles
from sbexplore.engine.supplied import (
    describe_loss,
    describe_model,
    describe_optimizer,
    describe_scheduler,
)
from sbexplore.engine.timing import SectionTimer
from sbexplore.errors import ConfigError
from sbexplore.runs.images import gallery_indices, image_reader, store
from sbexplore.runs.record import CLOCK_COLUMNS, EVENT_COLUMNS, METRIC_COLUMNS, Run
from sbexplore.runs.snapshot import GALLERY_SIZE, Snapshot, galleries
from sbexplore.runs.source import RecordAlias

STATUSES = ("created", "running", "paused", "stopped", "finished", "failed")


class Callback:
    """Subscribe to a run: override any of these; they run on the training thread and receive
    the Recorder (`recorder.counts` says where the run is, `recorder.cfg` what it is,
    `recorder.record` the Run so far)."""

    def on_candidate_batch(self, recorder: Recorder) -> None:
        """A candidate batch was offered to selection (and its kept examples trained)."""

    def on_epoch(self, recorder: Recorder, row: dict[str, Any]) -> None:
        """An epoch ended; `row` is its metrics row."""

    def on_end(self, recorder: Recorder) -> None:
        """The run ended: `recorder.status` is finished, stopped or failed (then
        `recorder.error` holds the traceback)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "on_step" in cls.__dict__ and "on_candidate_batch" not in cls.__dict__:
            warnings.warn(f"{cls.__name__}.on_step is now on_candidate_batch (a candidate "
                          "batch is not an optimizer step)", DeprecationWarning, stacklevel=2)
            cls.on_candidate_batch = cls.__dict__["on_step"]


class Recorder(RecordAlias, Steerable):
    """Records one run from any loop.

    `labels`: the training labels as trained on, one per example index (a tensor), or the
    training dataset itself (its labels are read once; a `data.labels.Mislabeled` dataset also
    gives `true_labels` and `mislabeled`). `mislabeled` marks injected label errors, for pick
    rates. Your loop's `optimizer` and `scheduler` (and the model and loss, which the Selector
    reports) are described in the run's meta, and the record's config holds None for the
    settings only the built-in loop applies (`loop='own'`; `config.for_own_loop`). `images`:
    your inputs as a tensor, a dataset or a callable, so the run keeps its galleries' images.
    `control`: a LiveControl made beforehand (a background run hands over its own)."""

    def __init__(self, config: RunConfig, labels: Any, *,
                 true_labels: torch.Tensor | None = None, mislabeled: torch.Tensor | None = None,
                 source_index: torch.Tensor | None = None, classes: list[str] | None = None,
                 callbacks: Iterable[Callback] = (), replay: pd.DataFrame | None = None,
                 meta: dict[str, Any] | None = None, control: LiveControl | None = None,
                 optimizer: Any = None, scheduler: Any = None, images: Any = None,
                 loop: str = "own"):
        if isinstance(labels, Mislabeled):
            true_labels = labels.true_labels if true_labels is None else true_labels
            mislabeled = labels.mislabeled if mislabeled is None else mislabeled
            _check_mislabeled_matches(config, labels)
        if not isinstance(labels, torch.Tensor):
            labels = dataset_labels(labels)
        config = _recorded_config(config, len(labels), mislabeled, loop)
        self.cfg = config
        self.optimizer = optimizer
        self._read_images = image_reader(images)
        self.examples = ExampleState(labels, true_labels=true_labels, mislabeled=mislabeled,
                                     source_index=source_index, classes=classes)
        self.n = self.examples.n
        self.epoch_stats = EpochStats(self.n, self.examples.mislabeled)
        self.counts = Counts(self.n, config.batch_size or 0)
        self.callbacks = list(callbacks)
        self.timer = SectionTimer(labels.device)
        self.control = control or LiveControl()
        self.control.validate = self._validate_live
        if replay is not None:
            self.control.load_replay(replay)
        self.completion = Completion()
        self.window_fn: Callable[[], torch.Tensor] | None = None  # SB's loss window, for views
        self.live = {"beta": float(config.beta), "staleness": int(config.staleness), "pace": 0.0}
        self.lr = float("nan")
        self.train_time_s = 0.0  # complete epochs' training wall time
        self.prep_backprops = 0  # examples backpropped preparing the method (RHO-LOSS)
        self.clock_readings: list[tuple[int, float]] = []  # (backprop batches, seconds) read
        self._prep_s = 0.0  # preparation seconds not yet in an epoch's wall time
        self._in_epoch = False  # between begin_epoch and end_epoch: its time is training
        self.error: str | None = None
        self._status = "created"
        self._metric_rows: list[dict[str, Any]] = []
        self._events: list[dict[str, Any]] = []
        self._static_meta = dict(meta or {})
        if loop == "own":
            self._static_meta.update(optimizer=describe_optimizer(optimizer),
                                     scheduler=describe_scheduler(scheduler))
        self._yielded = 0  # backprop batches handed to the loop this epoch (warnings)
        self._epoch_backprops_reported = 0
        self._t0 = time.perf_counter()
        self.record = Run(config=config, meta=self._meta())

    # -- the loop reports -----------------------------------------------------------------
    def uses(self, model: nn.Module, loss_fn: Any, default_loss: bool = False) -> None:
        """The loop's model and loss (the Selector reports them): named in the meta, and a
        hand-written loop's config records the model as `user:<class>`."""
        self._static_meta.update(**describe_model(model),
                                 loss=describe_loss(loss_fn, default_loss))
        if self.cfg.loop == "own":
            self.cfg = self.cfg.replace(model=user_model_name(model))
            self.record = self.record.continued(config=self.cfg, meta=self._meta())

    def uses_optimizer(self, optimizer: Any, scheduler: Any = None) -> None:
        """The loop's optimizer and scheduler, when known only once training starts (a
        framework builds them): named in the meta; the `lr` metric reads the optimizer's."""
        self.optimizer = optimizer
        self._static_meta.update(optimizer=describe_optimizer(optimizer),
                                 scheduler=describe_scheduler(scheduler))
        self.record = self.record.continued(meta=self._meta())

    def prepared(self, seconds: float, backprops: int = 0) -> None:
        """Work done before the first epoch to prepare the method (RHO-LOSS trains its
        holdout model): counted in the first epoch's wall time and in total_backprops."""
        self._prep_s += float(seconds)
        self.prep_backprops += int(backprops)

    def clock_read(self, seconds: float) -> None:
        """The training clock was read (a time-keyed schedule or a time budget decided)."""
        self.clock_readings.append((self.counts.backprop_batches, seconds))

    def begin_epoch(self) -> None:
        """A new epoch starts (the Selector has set `counts.priming`/`counts.selecting`)."""
        self.epoch_stats.reset()
        self.timer.reset()
        self.control.begin_epoch()
        if self._status == "created":
            self._status = "running"
            self.record.meta = self._meta()
        self._in_epoch = True
        self._t0 = time.perf_counter()

    def pause_point(self) -> list[tuple[str, float]]:
        """Before each candidate batch: wait while paused, stop if asked; the live changes due."""
        return self.control.pause_point(self.counts.candidate_batches, self.counts.epoch_fraction)

    def change(self, field: str, old: float, new: float) -> None:
        """A live setting changed before this candidate batch (recorded in `events`)."""
        self.live[field] = new
        if field == "pace":
            self.control.pace = float(new)
        self._events.append({"candidate_batch": self.counts.candidate_batches,
                             "epoch": self.counts.epoch + 1, "field": field,
                             "old": float(old), "new": float(new)})

    def forwarded(self, idx: torch.Tensor, losses: torch.Tensor,
                  outputs: torch.Tensor | None = None) -> None:
        """A selection forward pass over examples `idx` gave these losses (and logits)."""
        self.epoch_stats.gradients(self.examples.forwarded(idx, losses, outputs),
                                   backpropped=False)

    def candidates(self, idx: torch.Tensor, losses: torch.Tensor, keep: torch.Tensor,
                   probs: torch.Tensor | None = None) -> None:
        """A candidate batch was ranked: the losses used (fresh or stored) and the keep draw."""
        self.epoch_stats.candidates(idx, losses, keep, probs)

    def backpropped(self, idx: torch.Tensor, losses: torch.Tensor,
                    outputs: torch.Tensor | None = None) -> None:
        """Examples `idx` were backpropped with these per-example losses (and logits)."""
        losses = losses.detach().float()
        self.epoch_stats.gradients(self.examples.backpropped(idx, losses, outputs),
                                   backpropped=True)
        # priming / traditional: no ranking histogrammed these losses, so histogram them here
        self.epoch_stats.backprops(idx, losses, histogram=not self.counts.selecting)

    def batch_yielded(self) -> None:
        """The Selector handed the loop a batch to backprop (it should report it back)."""
        self._yielded += 1

    def candidate_batch_done(self) -> None:
        """One candidate batch is done (the Selector has counted it)."""
        for cb in self.callbacks:
            cb.on_candidate_batch(self)

    def end_epoch(self, test_loss: float = math.nan, test_accuracy: float = math.nan,
                  **extra: Any) -> dict[str, Any]:
        """Close the epoch with its evaluation: one metrics row, the arrays' rows, a save to
        `cfg.out_dir`; returns the row. `extra` may set `lr` and other metric columns."""
        unknown = sorted(set(extra) - set(METRIC_COLUMNS))
        if unknown:
            raise ConfigError(f"end_epoch got unknown metric(s) {unknown}: the columns are "
                              f"{METRIC_COLUMNS}")
        c = self.counts
        self._check_reported(c.epoch_backprops)
        times = self.timer.totals()
        # evaluation is off the training clock: timed inside `selector.evaluating()` (the
        # built-in trainer's), or measured by the loop and passed as time_eval_s
        eval_s = times.get("eval", 0.0) + float(extra.pop("time_eval_s", 0.0))
        prep_s, self._prep_s = self._prep_s, 0.0
        wall = max(0.0, time.perf_counter() - self._t0 - self.control.idle_s - eval_s) + prep_s
        self.train_time_s += wall
        self._in_epoch = False  # until the next epoch: saving and callbacks are not training
        nb = c.epoch_backprops
        select_s, train_s = times.get("select", 0.0), times.get("train", 0.0)
        row = {
            "epoch": c.epoch + 1, "wall_time_s": wall,
            "examples_forwarded": c.epoch_forwarded, "examples_backpropped": nb,
            "keep_fraction": nb / self.n if self.n else math.nan,
            **self.epoch_stats.summary(nb, self.has_mislabels,
                                       float(self.examples.last_grad.nanmean())),
            "test_loss": float(test_loss), "test_accuracy": float(test_accuracy),
            "beta": float(self.live["beta"]), "staleness": int(self.live["staleness"]),
            "time_select_s": select_s, "time_train_s": train_s,
            "time_other_s": max(0.0, wall - select_s - train_s),
            "time_eval_s": eval_s, "priming": bool(c.priming),
            "lr": float(extra.pop("lr", self._lr())), "candidate_batches": c.candidate_batches,
            "total_backprops": c.backprops + self.prep_backprops, "total_forwarded": c.forwarded,
            "total_time_s": self.train_time_s, "time_save_s": math.nan, "time_prep_s": prep_s,
            "prep_backprops": self.prep_backprops if c.epoch == 0 else 0,
        }
        row.update(extra)
        row = {k: row[k] for k in METRIC_COLUMNS}
        self._metric_rows.append(row)
        self.examples.end_epoch(self.epoch_stats.backpropped, self.epoch_stats.hist)
        self._publish()
        self._save(timed=True)
        for cb in self.callbacks:
            cb.on_epoch(self, row)
        self.control.end_epoch()
        return row

    def finish(self, status: str | None = None, error: BaseException | None = None) -> Run:
        """The run ended: final meta, save, callbacks. `status` defaults to `stopped` when a
        stop was requested, else `finished`; passing `error` marks it `failed`."""
        status = status or ("stopped" if self.control.stopping else "finished")
        if status == "finished" and error is None and not self._metric_rows and (
                self._status != "created" or self.counts.candidate_batches):
            warnings.warn("finish() after 0 recorded epochs: call `selector.end_epoch(...)` at "
                          "the end of each epoch (it records the epoch's metrics)", UserWarning,
                          stacklevel=2)
        if error is not None:
            self.error = "".join(traceback.format_exception(type(error), error,
                                                            error.__traceback__))
            status = "failed"
        self._status = status
        self._publish(final=True)
        try:
            self._save()
        finally:
            for cb in self.callbacks:  # every end: loggers close their files, bars their lines
                if status == "failed":
                    call_safely(cb.on_end, self)  # a callback's bug must not hide the error
                else:
                    cb.on_end(self)
            self.completion.set()
        return self.record

    # -- state for views (LiveSource) -------------------------------------------------------
    @property
    def name(self) -> str:
        return self.cfg.label

    @property
    def config(self) -> RunConfig:
        return self.cfg

    @property
    def status(self) -> str:
        if self._status == "running" and self.control.paused and not self.control.stopping:
            return "paused"
        return self._status

    @property
    def done(self) -> bool:
        return self.completion.done

    def wait(self, timeout: float | None = None) -> Run:
        """Block until the run ended (at most `timeout` s); returns the Run so far."""
        self.completion.wait(timeout)
        return self.record

    def add_done_callback(self, fn: Callable[[Any], None]) -> None:
        """Call `fn(recorder)` when the run ends (at once if it has), as futures do."""
        self.completion.add_done_callback(fn, self)

    @property
    def elapsed_s(self) -> float:
        """Training wall time so far: complete epochs plus the one in progress (not paused)."""
        now = time.perf_counter() - self._t0 - self.control.idle_s
        return self.train_time_s + self._prep_s + (max(0.0, now) if self._in_epoch else 0.0)

    @property
    def has_mislabels(self) -> bool:
        """Label errors were injected and marked: pick rates are measured (else NaN)."""
        return self.cfg.mislabel_fraction > 0 and self.examples.has_marked_mislabels

    def snapshot(self, gallery: int = GALLERY_SIZE) -> Snapshot:
        """The live state as plain numpy, for views on any thread (a few device->host copies)."""
        cfg, c, record = self.cfg, self.counts, self.record
        epoch = self.epoch_stats.live()
        info = self.examples.info()
        info.update(self.examples.live())
        nb = c.epoch_backprops
        total = c.candidate_batches_per_epoch * cfg.epochs if cfg.epochs else 0
        snap = Snapshot(
            name=self.name, config=cfg, status=self.status, error=self.error,
            epochs=cfg.epochs, epoch=min(c.epoch + 1, cfg.epochs or c.epoch + 1),
            epochs_done=len(record.metrics), candidate_batches=c.candidate_batches,
            backprops=c.backprops, forwarded=c.forwarded,
            progress=min(1.0, c.candidate_batches / total) if total else 0.0,
            beta=float(self.live["beta"]), staleness=int(self.live["staleness"]),
            pace=float(self.live["pace"]), hist=epoch["hist"],
            hist_last=record.hist[-1] if len(record.hist) else None,
            metrics=record.metrics.copy(), events=record.events.copy(),
            mislabel_fraction=cfg.mislabel_fraction,
            mislabel_pick_rate=float(epoch["sums"][1] / nb) if nb and self.has_mislabels
            else float("nan"),
            **galleries(info, gallery), dataset=cfg.dataset,
            classes=list(self.examples.classes))
        batch = epoch["last_batch"]
        if batch:
            batch["percentile"] = self._percentiles(batch["losses"])
            snap.last_batch = batch
        return snap

    def examples_frame(self) -> pd.DataFrame:
        """One row per training example (see `Run.examples`)."""
        return self.examples.frame()

    # -- internals ------------------------------------------------------------------------
    def _validate_live(self, field: str, value: float) -> None:
        self.cfg.replace(**{field: value})  # raises ConfigError naming the field

    def _percentiles(self, losses: Any) -> Any:
        """Each loss's percentile in SB's window (what the rule ranks), else within the batch."""
        import numpy as np

        window = self.window_fn() if self.window_fn is not None else None
        if window is not None and window.numel():
            return loss_percentiles(torch.from_numpy(losses), window.clone().cpu()).numpy()
        ranks = np.argsort(np.argsort(losses))
        return ranks / max(1, len(losses))

    def _lr(self) -> float:
        """The learning rate in force: the built-in loop's, else your optimizer's, if given."""
        if self.lr == self.lr or self.optimizer is None:  # not NaN: set by the built-in loop
            return self.lr
        return float(self.optimizer.param_groups[0].get("lr", math.nan))

    def _check_reported(self, backprops: int) -> None:
        """Batches were handed out this epoch, but none reported backpropped: say which call
        is missing (the epoch's record would otherwise say nothing was trained)."""
        yielded, self._yielded = self._yielded, 0
        if yielded and not backprops:
            warnings.warn(f"this epoch handed your loop {yielded} batch(es) to backprop but none "
                          "was reported: call `selector.backpropped(idx, losses, outputs)` after "
                          "each optimizer step (keep_fraction and every per-example view count "
                          "only reported backprops)", UserWarning, stacklevel=4)

    def _gallery_images(self) -> Any:
        """The finished run's gallery images, when its inputs are images it can read."""
        if self._read_images is None:
            return self.record.images
        idx = gallery_indices(self.examples.times_backpropped.cpu().numpy(),
                              self.examples.last_prob.detach().cpu().numpy())
        return store(self._read_images, idx)

    def _publish(self, final: bool = False) -> None:
        """Rebuild `self.record` from the complete epochs (views read it from other threads)."""
        images = self._gallery_images() if final else self.record.images
        self.record = self.record.continued(images=images,
            metrics=pd.DataFrame(self._metric_rows, columns=METRIC_COLUMNS),
            examples=self.examples.frame(),
            events=(pd.DataFrame(self._events, columns=EVENT_COLUMNS) if self._events
                    else self.record.events),
            clock=(pd.DataFrame(self.clock_readings, columns=CLOCK_COLUMNS)
                   if self.clock_readings else self.record.clock),
            meta=self._meta(), **self.examples.arrays())

    def _save(self, timed: bool = False) -> None:
        if not self.cfg.out_dir:
            return
        t0 = time.perf_counter()
        self.record.save(self.cfg.out_dir)
        if timed and self._metric_rows:  # written with the next save (and the final one)
            spent = time.perf_counter() - t0
            self._metric_rows[-1]["time_save_s"] = spent
            self.record.metrics.loc[self.record.metrics.index[-1], "time_save_s"] = spent

    def _meta(self) -> dict[str, Any]:
        now = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        created = getattr(self, "record", None) and self.record.meta.get("created")
        return {"status": self._status, "error": self.error, **self._static_meta,
                "classes": self.examples.classes, "num_train": self.n,
                "created": created or now, "updated": now}


def _recorded_config(cfg: RunConfig, n: int, mislabeled: torch.Tensor | None,
                     loop: str) -> RunConfig:
    """The config as the run uses it: recipe fields resolved for `n` examples; a hand-written
    loop's without the built-in loop's settings; mislabels only when marked."""
    if loop == "own":
        cfg = cfg.for_own_loop()
    cfg = cfg.resolved(num_train=n)
    marked = mislabeled is not None and bool(mislabeled.any())
    if cfg.mislabel_fraction > 0 and mislabeled is None:
        raise ConfigError(
            f"mislabel_fraction={cfg.mislabel_fraction:g}: your loop's labels are not changed by "
            "the config. Wrap the training set, `train_set = sbexplore.data.labels.Mislabeled("
            "train_set, fraction, seed=...)` (or `Mislabeled.from_config(train_set, cfg)`), train "
            "on it and pass it as Recorder(cfg, train_set); or pass true_labels= and "
            "mislabeled= yourself; or set mislabel_fraction=0")
    if marked and cfg.mislabel_fraction == 0:
        share = float(mislabeled.float().mean())
        warnings.warn(f"mislabeled= marks {int(mislabeled.sum())} of {n} examples but "
                      f"mislabel_fraction=0: the record says mislabel_fraction={share:.4g}",
                      UserWarning, stacklevel=3)
        cfg = cfg.replace(mislabel_fraction=round(share, 6))
    return cfg


def _check_mislabeled_matches(cfg: RunConfig, ds: Mislabeled) -> None:
    if (cfg.mislabel_fraction, cfg.mislabel_mode) != (ds.fraction, ds.mode):
        raise ConfigError(f"mislabel_fraction={cfg.mislabel_fraction:g}, mislabel_mode="
                          f"{cfg.mislabel_mode!r} differ from the Mislabeled dataset's "
                          f"({ds.fraction:g}, {ds.mode!r}): use Mislabeled.from_config(train_set, "
                          "cfg), or the same values in both")

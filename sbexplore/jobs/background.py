"""Background training: `start(cfg)` runs a Trainer in a daemon thread and returns at once.

The notebook stays usable while the run trains; `snapshot()` reads the live state (a few small
device->host copies) from any thread, and `stop/pause/resume/advance/set` steer the run: the
run's `LiveControl` exists before its trainer does, so no command is lost at start-up.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd
from torch import nn

from sbexplore.config import RunConfig
from sbexplore.engine.control import Completion, LiveControl, Steerable
from sbexplore.engine.recorder import STATUSES, Callback, Recorder
from sbexplore.engine.trainer import Trainer
from sbexplore.runs.folders import with_default_out_dir
from sbexplore.runs.record import Run
from sbexplore.runs.snapshot import GALLERY_SIZE, Snapshot
from sbexplore.runs.source import RecordAlias


class BackgroundRun(RecordAlias, Steerable):
    """A run training in a daemon thread. Create it with `start(cfg)`."""

    def __init__(self, cfg: RunConfig, model: nn.Module | None = None, *, data: Any = None,
                 loss: Callable[..., Any] | None = None, callbacks: Iterable[Callback] = (),
                 replay: pd.DataFrame | None = None):
        if data is not None and cfg.dataset != "custom":
            cfg = cfg.replace(dataset="custom")  # as the Trainer records it
        self.config = cfg = cfg.resolved()  # the recipe fields the run will use
        self.control = LiveControl(validate=lambda f, v: cfg.replace(**{f: v}))
        self.trainer: Trainer | None = None
        self.error: str | None = None  # traceback text when the thread failed
        self.exception: BaseException | None = None
        self.completion = Completion()
        self._result: Run | None = None
        self._thread = threading.Thread(target=self._main, name=f"sbexplore:{cfg.label}",
                                        args=(model, data, loss, list(callbacks), replay),
                                        daemon=True)
        self._thread.start()

    def _main(self, model, data, loss, callbacks, replay) -> None:
        try:
            self.trainer = Trainer(self.config, model=model, data=data, loss=loss,
                                   callbacks=callbacks, replay=replay, control=self.control)
            self._result = self.trainer.fit()
        except BaseException as exc:  # surfaced through .status/.error, never swallowed
            self.exception = exc
            self.error = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        finally:
            self.completion.set()

    def add_done_callback(self, fn: Callable[[BackgroundRun], None]) -> None:
        """Call `fn(run)` when training ends (at once if it already has), as futures do."""
        self.completion.add_done_callback(fn, self)

    # -- state (LiveSource) ---------------------------------------------------------------
    @property
    def status(self) -> str:
        """created | running | paused | stopped | finished | failed."""
        if self.error is not None:
            return "failed"
        if not self.completion.done:
            if self.control.paused and not self.control.stopping:
                return "paused"
            return "running"
        return self.record.status if self.record.status in STATUSES else "finished"

    @property
    def recorder(self) -> Recorder | None:
        """The run's Recorder once training started (None before)."""
        return self.trainer.recorder if self.trainer is not None else None

    @property
    def done(self) -> bool:
        return self.completion.done

    @property
    def record(self) -> Run:
        """The Run being recorded (complete epochs so far; the final Run once done)."""
        if self._result is not None:
            return self._result
        if self.trainer is not None:
            return self.trainer.record
        return Run(config=self.config, meta={"status": "failed" if self.error else "created",
                                             "error": self.error})

    @property
    def name(self) -> str:
        return self.config.label

    def __repr__(self) -> str:
        t = self.trainer
        where = (f", epoch={t.counts.epoch + 1}/{self.config.epochs}, "
                 f"candidate_batches={t.counts.candidate_batches}") if t else ""
        return f"BackgroundRun({self.name!r}, status={self.status!r}{where})"

    def join(self, timeout: float | None = None) -> Run:
        """Wait for the thread (at most `timeout` s); returns the Run (check `.status`)."""
        self._thread.join(timeout)
        return self.record

    def wait(self, timeout: float | None = None) -> Run:
        """The same as `join`: block until the run ended; returns the Run."""
        return self.join(timeout)

    # -- live view ----------------------------------------------------------------------
    def snapshot(self, gallery: int = GALLERY_SIZE) -> Snapshot:
        """The live state (see `Snapshot`): safe to read from any thread, cheap at 5 Hz."""
        t = self.trainer
        if t is None:
            return Snapshot(name=self.name, config=self.config, status=self.status,
                            error=self.error, epochs=self.config.epochs, beta=self.config.beta,
                            staleness=self.config.staleness, dataset=self.config.dataset,
                            mislabel_fraction=self.config.mislabel_fraction)
        snap = t.recorder.snapshot(gallery)
        snap.status, snap.error = self.status, self.error
        return snap


def start(cfg: RunConfig | None = None, model: nn.Module | None = None, *, data: Any = None,
          loss: Callable[..., Any] | None = None, callbacks: Iterable[Callback] = (),
          replay: pd.DataFrame | None = None, save: bool = True,
          **overrides: Any) -> BackgroundRun:
    """Start training in a daemon thread and return at once; `start(epochs=5)` works too.

    Saved to `cfg.out_dir`, else to `./runs/<slug>-<time>` (`sbexplore.runs.folders`);
    `save=False` keeps a run without `out_dir` in memory only."""
    cfg = cfg or RunConfig()
    if overrides:
        cfg = cfg.replace(**overrides)
    cfg = with_default_out_dir(cfg, save)
    return BackgroundRun(cfg, model=model, data=data, loss=loss, callbacks=callbacks,
                         replay=replay)

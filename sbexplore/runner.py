"""Background training: `start(cfg)` runs a Trainer in a daemon thread and returns at once.

The notebook stays usable while the run trains; `snapshot()` reads the live state (a few small
device->host copies) from any thread, and `stop/pause/resume/set` steer the run.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd
from torch import nn

from sbexplore.config import RunConfig
from sbexplore.recorder import STATUSES, Callback, Recorder
from sbexplore.records import Run
from sbexplore.rundirs import with_default_out_dir
from sbexplore.snapshot import GALLERY_SIZE, Snapshot
from sbexplore.trainer import Trainer


class BackgroundRun:
    """A run training in a daemon thread. Create it with `start(cfg)`."""

    def __init__(self, cfg: RunConfig, model: nn.Module | None = None, *, data: Any = None,
                 loss: Callable[..., Any] | None = None, callbacks: Iterable[Callback] = (),
                 replay: pd.DataFrame | None = None):
        if data is not None and cfg.dataset != "custom":
            cfg = cfg.replace(dataset="custom")  # as the Trainer records it
        self.config = cfg = cfg.resolved()  # the recipe fields the run will use
        self.trainer: Trainer | None = None
        self.error: str | None = None  # traceback text when the thread failed
        self.exception: BaseException | None = None
        self._result: Run | None = None
        self._ready = threading.Event()  # set once the trainer exists (or construction failed)
        self._finished = threading.Event()  # set when training ended, before done callbacks
        self._done_callbacks: list[Callable[[BackgroundRun], None]] = []
        self._callbacks_lock = threading.Lock()
        self._control_lock = threading.Lock()  # commands before the trainer exists are kept
        self._early: list[tuple[str, Any]] = []  # commands given before the trainer existed
        self._stop_requested = False
        self._thread = threading.Thread(target=self._main, name=f"sbexplore:{cfg.label}",
                                        args=(model, data, loss, list(callbacks), replay),
                                        daemon=True)
        self._thread.start()

    def _main(self, model, data, loss, callbacks, replay) -> None:
        try:
            trainer = Trainer(self.config, model=model, data=data, loss=loss,
                              callbacks=callbacks, replay=replay)
            with self._control_lock:  # no command can fall between the replay and the handover
                for name, args in self._early:
                    getattr(trainer, name)(*args)
                self.trainer = trainer
            self._ready.set()
            self._result = trainer.fit()
        except BaseException as exc:  # surfaced through .status/.error, never swallowed
            self.exception = exc
            self.error = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        finally:
            self._ready.set()
            self._finished.set()
            with self._callbacks_lock:
                callbacks = list(self._done_callbacks)
            for fn in callbacks:
                self._call(fn)

    def add_done_callback(self, fn: Callable[[BackgroundRun], None]) -> None:
        """Call `fn(run)` when training ends (at once if it already has), as futures do."""
        with self._callbacks_lock:
            if not self._finished.is_set():
                self._done_callbacks.append(fn)
                return
        self._call(fn)

    def _call(self, fn: Callable[[BackgroundRun], None]) -> None:
        try:
            fn(self)
        except Exception:  # a listener's bug must not hide the run's own outcome
            traceback.print_exc()

    # -- state --------------------------------------------------------------------------
    @property
    def status(self) -> str:
        """running | paused | stopped | finished | failed."""
        if self.error is not None:
            return "failed"
        if not self._finished.is_set():
            t = self.trainer
            if t is None:
                paused = any(name == "pause" for name, _ in self._early[-1:])
                return "paused" if paused and not self._stop_requested else "running"
            return "paused" if t.recorder.status == "paused" else "running"
        return self.run.status if self.run.status in STATUSES else "finished"

    @property
    def recorder(self) -> Recorder | None:
        """The run's Recorder once training started (None before)."""
        return self.trainer.recorder if self.trainer is not None else None

    @property
    def done(self) -> bool:
        return self._finished.is_set()

    @property
    def run(self) -> Run:
        """The Run being recorded (complete epochs so far; the final Run once done)."""
        if self._result is not None:
            return self._result
        if self.trainer is not None:
            return self.trainer.run
        return Run(config=self.config, meta={"status": "failed" if self.error else "created",
                                             "error": self.error})

    @property
    def name(self) -> str:
        return self.config.label

    def __repr__(self) -> str:
        t = self.trainer
        where = f", epoch={t.epoch + 1}/{self.config.epochs}, step={t.step}" if t else ""
        return f"BackgroundRun({self.name!r}, status={self.status!r}{where})"

    # -- control ------------------------------------------------------------------------
    def _command(self, name: str, *args: Any) -> None:
        """Send a command to the trainer, or keep it for the trainer about to exist."""
        with self._control_lock:
            t = self.trainer
            if t is None:
                self._early.append((name, args))
                return
        getattr(t, name)(*args)

    def stop(self) -> None:
        """Stop after the current training step; the run is saved with status 'stopped'."""
        self._stop_requested = True
        self._command("stop")

    def pause(self) -> None:
        self._command("pause")

    def resume(self) -> None:
        self._command("resume")

    def step_epochs(self, k: int = 1) -> None:
        """Train k more epochs, then pause again."""
        self._command("step_epochs", k)

    def set(self, field: str, value: float) -> None:
        """Change beta, staleness or pace from the next candidate batch on (in events)."""
        self._ready.wait()
        if self.trainer is None:
            raise RuntimeError(f"run {self.name!r} failed before training started:\n{self.error}")
        self.trainer.set(field, value)

    def set_beta(self, beta: float) -> None:
        self.set("beta", float(beta))

    def set_staleness(self, staleness: int) -> None:
        self.set("staleness", int(staleness))

    def join(self, timeout: float | None = None) -> Run:
        """Wait for the thread (at most `timeout` s); returns the Run (check `.status`)."""
        self._thread.join(timeout)
        return self.run

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

    Saved to `cfg.out_dir`, else to `./runs/<slug>-<time>` (`sbexplore.rundirs`); `save=False`
    keeps a run without `out_dir` in memory only."""
    cfg = cfg or RunConfig()
    if overrides:
        cfg = cfg.replace(**overrides)
    cfg = with_default_out_dir(cfg, save)
    return BackgroundRun(cfg, model=model, data=data, loss=loss, callbacks=callbacks,
                         replay=replay)


def run_snapshot(run: Run, epoch: int | None = None, gallery: int = GALLERY_SIZE) -> Snapshot:
    """A saved Run as a Snapshot at the end of `epoch` (1-based, default last)."""
    return Snapshot.from_run(run, epoch, gallery)

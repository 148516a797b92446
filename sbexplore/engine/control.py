"""Steering a live run from another thread: stop, pause, advance, pace and live setting changes.

The loop calls `pause_point(candidate_batch)` before each candidate batch: it waits there while
paused, raises `StopTraining` once a stop was asked for, and returns the live changes due.
Everything else is safe to call from any thread (a notebook button, a dashboard, a callback).
`Steerable` gives any object that holds a `control` the same commands; `Completion` tells
listeners when a run ended.
"""

from __future__ import annotations

import threading
import time
import traceback
import warnings
from collections.abc import Callable
from typing import Any

import pandas as pd

from sbexplore.errors import ConfigError

LIVE_FIELDS = ("beta", "staleness", "pace")  # settings that may change while a run is live


class StopTraining(Exception):
    """Raised at a pause point once `stop()` was requested."""


class LiveControl:
    """Thread-safe commands for a running loop, applied at the loop's next pause point.

    `pace` is the minimum seconds an epoch takes (0: full speed): a classroom can slow a run
    down enough to steer it. `advance(k)` lets a paused run train k more epochs."""

    def __init__(self, validate: Callable[[str, float], None] | None = None,
                 replay: pd.DataFrame | None = None):
        self.validate = validate
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._lock = threading.Lock()
        self._pending: list[tuple[str, float]] = []
        self._replay = _replay_schedule(replay)
        self._epochs_left: int | None = None  # set by advance: pause after that many
        self.pace = 0.0
        self.idle_s = 0.0  # paused or paced time in the epoch in progress (not training time)
        self._paused_s = 0.0  # the part of idle_s spent paused: the pace's clock skips it
        self._epoch_t0 = time.perf_counter()

    def load_replay(self, events: pd.DataFrame | None) -> None:
        """Apply another run's recorded live changes at the same candidate batches."""
        self._replay = _replay_schedule(events)

    # -- commands (any thread) ------------------------------------------------------------
    def stop(self) -> None:
        """Stop at the next pause point (the current optimizer step finishes first)."""
        self._stop.set()
        self._running.set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        with self._lock:
            self._epochs_left = None
        self._running.set()

    def advance(self, epochs: int = 1) -> None:
        """Train `epochs` more epochs, then pause again (resumes a paused run)."""
        if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 1:
            raise ConfigError(f"epochs={epochs!r} is not allowed: a positive integer number "
                              "of epochs")
        with self._lock:
            self._epochs_left = epochs
        self._running.set()

    def set(self, field: str, value: float) -> None:
        """Change beta, staleness or pace from the next candidate batch on."""
        if field not in LIVE_FIELDS:
            raise ConfigError(f"{field!r} cannot change while a run is live: only "
                              f"{', '.join(LIVE_FIELDS)} can (start a new run for the rest)")
        if field == "pace":
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not (
                    0 <= value < float("inf")):
                raise ConfigError(f"pace={value!r} is not allowed: seconds per epoch, >= 0")
        elif self.validate is not None:
            self.validate(field, value)
        with self._lock:
            self._pending.append((field, value))

    @property
    def pending(self) -> list[tuple[str, float]]:
        """Changes sent but not applied yet (a paused run applies them when it goes on; a
        stopped one never does, so they are not in its `events`)."""
        with self._lock:
            return list(self._pending)

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    # -- the loop's side ------------------------------------------------------------------
    def begin_epoch(self) -> None:
        self._epoch_t0 = time.perf_counter()
        self.idle_s = self._paused_s = 0.0

    def pause_point(self, candidate_batch: int, epoch_fraction: float = 0.0
                    ) -> list[tuple[str, float]]:
        """Wait while paused (and for the pace), raise StopTraining once stopped, and return the
        changes (replayed ones first) to apply before candidate batch `candidate_batch`."""
        self._wait_for_pace(epoch_fraction)
        if not self._running.is_set():
            t0 = time.perf_counter()
            self._running.wait()
            self._paused_s += time.perf_counter() - t0
            self.idle_s += time.perf_counter() - t0
        if self._stop.is_set():
            raise StopTraining
        with self._lock:
            pending, self._pending = self._pending, []
        return self._replay.pop(candidate_batch, []) + pending

    def end_epoch(self) -> None:
        """Sleep out the pace, and count down `advance` (pausing when it reaches 0)."""
        self._wait_for_pace(1.0)
        with self._lock:
            if self._epochs_left is not None:
                self._epochs_left -= 1
                if self._epochs_left <= 0:
                    self._epochs_left = None
                    self._running.clear()

    def _wait_for_pace(self, epoch_fraction: float) -> None:
        """Spread `pace` seconds evenly over the epoch, so live views move smoothly: the
        epoch's first `epoch_fraction` ends `pace * epoch_fraction` s after it began, not
        counting time paused (paced waits are idle for the training clock, not for the pace)."""
        if self.pace <= 0:
            return
        rest = self._epoch_t0 + self._paused_s + self.pace * epoch_fraction - time.perf_counter()
        if rest > 0:
            t0 = time.perf_counter()
            self._stop.wait(rest)  # a stop cuts the wait short
            self.idle_s += time.perf_counter() - t0


class Steerable:
    """The control commands, written once: any object with a `control` (a LiveControl) gets
    stop, pause, resume, advance and set, safe to call from any thread."""

    control: LiveControl
    steerable = True  # runs.source.LiveSource: this process can steer it

    def stop(self) -> None:
        """Finish the current optimizer step, then stop; the run is saved as 'stopped'."""
        self.control.stop()

    def pause(self) -> None:
        self.control.pause()

    def resume(self) -> None:
        self.control.resume()

    def advance(self, epochs: int = 1) -> None:
        """Train `epochs` more epochs, then pause again."""
        self.control.advance(epochs)

    def set(self, field: str, value: float) -> None:
        """Change beta, staleness or pace from the next candidate batch on (in `events`)."""
        self.control.set(field, value)

    def set_beta(self, beta: float) -> None:
        self.set("beta", float(beta))

    def set_staleness(self, staleness: int) -> None:
        self.set("staleness", int(staleness))

    def step_epochs(self, k: int = 1) -> None:
        """Deprecated name of `advance`."""
        warnings.warn("step_epochs(k) is now advance(k)", DeprecationWarning, stacklevel=2)
        self.advance(k)

    @property
    def paused(self) -> bool:
        return self.control.paused


class Completion:
    """A run's end, as futures signal it: `wait`, and callbacks called once when it ends."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: list[tuple[Callable[[Any], None], Any]] = []

    @property
    def done(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the run ended (at most `timeout` s); returns whether it did."""
        return self._event.wait(timeout)

    def add_done_callback(self, fn: Callable[[Any], None], arg: Any) -> None:
        """Call `fn(arg)` when the run ends (at once if it has)."""
        with self._lock:
            if not self._event.is_set():
                self._callbacks.append((fn, arg))
                return
        call_safely(fn, arg)

    def set(self) -> None:
        """The run ended: wake waiters, then call each callback once."""
        with self._lock:
            self._event.set()
            callbacks, self._callbacks = self._callbacks, []
        for fn, arg in callbacks:
            call_safely(fn, arg)


def call_safely(fn: Callable[[Any], None], arg: Any) -> None:
    """`fn(arg)`; a listener's bug is printed, never raised over the run's own outcome."""
    try:
        fn(arg)
    except Exception:
        traceback.print_exc()


def _replay_schedule(events: pd.DataFrame | None) -> dict[int, list[tuple[str, float]]]:
    out: dict[int, list[tuple[str, float]]] = {}
    if events is not None and len(events):
        column = "candidate_batch" if "candidate_batch" in events else "step"  # older events
        for field, at, new in zip(events["field"], events[column], events["new"], strict=True):
            value: Any = int(new) if field == "staleness" else float(new)
            out.setdefault(int(at), []).append((str(field), value))
    return out

"""Steering a live run from another thread: stop, pause, step, pace and live setting changes.

The loop calls `checkpoint(step)` before each candidate batch; everything else is safe to call
from any thread (a notebook button, a dashboard, a callback).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pandas as pd

from sbexplore.errors import ConfigError

LIVE_FIELDS = ("beta", "staleness", "pace")  # settings that may change while a run is live


class StopTraining(Exception):
    """Raised at a checkpoint once `stop()` was requested."""


class LiveControl:
    """Thread-safe commands for a running loop, applied at the loop's next checkpoint.

    `pace` is the minimum seconds an epoch takes (0: full speed): a classroom can slow a run
    down enough to steer it. `step_epochs(k)` lets a paused run train k more epochs."""

    def __init__(self, validate: Callable[[str, float], None] | None = None,
                 replay: pd.DataFrame | None = None):
        self._validate = validate
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._lock = threading.Lock()
        self._pending: list[tuple[str, float]] = []
        self._replay = _replay_schedule(replay)
        self._epochs_left: int | None = None  # set by step_epochs: pause after that many
        self.pace = 0.0
        self.idle_s = 0.0  # paused or paced time in the epoch in progress (not training time)
        self._epoch_t0 = time.perf_counter()

    # -- commands (any thread) ------------------------------------------------------------
    def stop(self) -> None:
        """Stop at the next checkpoint (the current training step finishes first)."""
        self._stop.set()
        self._running.set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        with self._lock:
            self._epochs_left = None
        self._running.set()

    def step_epochs(self, k: int = 1) -> None:
        """Train `k` more epochs, then pause again (resumes a paused run)."""
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            raise ConfigError(f"k={k!r} is not allowed: a positive integer number of epochs")
        with self._lock:
            self._epochs_left = k
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
        elif self._validate is not None:
            self._validate(field, value)
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
        self.idle_s = 0.0

    def checkpoint(self, step: int, epoch_fraction: float = 0.0) -> list[tuple[str, float]]:
        """Wait while paused (and for the pace), raise StopTraining once stopped, and return the
        changes (replayed ones first) to apply before candidate batch `step`."""
        self._wait_for_pace(epoch_fraction)
        if not self._running.is_set():
            t0 = time.perf_counter()
            self._running.wait()
            self.idle_s += time.perf_counter() - t0
        if self._stop.is_set():
            raise StopTraining
        with self._lock:
            pending, self._pending = self._pending, []
        return self._replay.pop(step, []) + pending

    def end_epoch(self) -> None:
        """Sleep out the pace, and count down `step_epochs` (pausing when it reaches 0)."""
        self._wait_for_pace(1.0)
        with self._lock:
            if self._epochs_left is not None:
                self._epochs_left -= 1
                if self._epochs_left <= 0:
                    self._epochs_left = None
                    self._running.clear()

    def _wait_for_pace(self, epoch_fraction: float) -> None:
        """Spread `pace` seconds evenly over the epoch, so live views move smoothly."""
        if self.pace <= 0:
            return
        rest = self._epoch_t0 + self.idle_s + self.pace * epoch_fraction - time.perf_counter()
        if rest > 0:
            t0 = time.perf_counter()
            self._stop.wait(rest)  # a stop cuts the wait short
            self.idle_s += time.perf_counter() - t0


def _replay_schedule(events: pd.DataFrame | None) -> dict[int, list[tuple[str, float]]]:
    out: dict[int, list[tuple[str, float]]] = {}
    if events is not None:
        for r in events.itertuples():
            value: Any = int(r.new) if r.field == "staleness" else float(r.new)
            out.setdefault(int(r.step), []).append((str(r.field), value))
    return out

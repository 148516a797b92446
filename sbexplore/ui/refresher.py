"""A refresher thread: redraws the dashboard from snapshots at most `rate` times a second.

A thread, not an asyncio task: the kernel's event loop stalls while another cell runs, a
thread keeps going. It only sets widget values (never `with output:`).
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

MAX_RATE = 5.0  # redraws per second at most


@dataclass(frozen=True)
class Budget:
    """The share of wall time redraws may take, and the longest pause between two redraws."""

    duty: float
    max_pause: float


# a run at full speed: training comes first, yet the views move at least once a second. The
# share is of wall time in this thread; a redraw also costs the front-end's messages and slows
# training's own threads, so 2.5% here costs about 5% of training throughput (5% cost ~10%:
# BENCHMARKS.md "Live view cost")
FULL_SPEED = Budget(duty=0.025, max_pause=1.0)
# every live run paced: it idles most of each epoch, so the views may use that time, and move at
# least twice a second (a class on one server: each tab, whatever the other kernels cost)
PACED = Budget(duty=0.15, max_pause=0.5)


class Refresher:
    """Calls `redraw()` every 1/rate s while `busy()` is true, then once more and sleeps.

    Costly redraws stretch the pause so that redrawing takes about the budget's share of the
    time (the views slow down, training does not), up to its longest pause; a poke cuts the
    pause short. `paced()`: whether every live run is paced now (PACED, else FULL_SPEED)."""

    def __init__(self, redraw: Callable[[], None], busy: Callable[[], bool],
                 on_error: Callable[[str], None], rate: float = MAX_RATE,
                 paced: Callable[[], bool] | None = None):
        self.redraw, self.busy, self.on_error = redraw, busy, on_error
        self.paced = paced or (lambda: False)
        self.interval = 1.0 / min(rate, MAX_RATE)
        self._wake = threading.Event()
        self._closed = threading.Event()
        self.redraws = 0
        self.cost = 0.0  # moving average of a redraw's duration (s)
        self.thread = threading.Thread(target=self._loop, name="sbexplore-refresher",
                                       daemon=True)
        self.thread.start()

    def poke(self) -> None:
        """Redraw soon (a run started, a setting or the visible runs changed)."""
        self._wake.set()

    def close(self, timeout: float = 10.0) -> None:
        """Stop redrawing and wait (at most `timeout` s) for a redraw in progress to end, so
        no redraw touches closed widgets or runs on into interpreter shutdown."""
        self._closed.set()
        self._wake.set()
        if threading.current_thread() is not self.thread:
            self.thread.join(timeout)

    def _loop(self) -> None:
        while not self._closed.is_set():
            self._wake.wait()  # idle until poked
            self._wake.clear()
            while not self._closed.is_set():
                t0 = time.perf_counter()
                busy = self.busy()
                self._safe_redraw()
                if not busy:
                    break  # that was the final redraw of the finished runs
                spent = time.perf_counter() - t0
                self.cost = 0.8 * self.cost + 0.2 * spent if self.redraws > 1 else spent
                b = PACED if self.paced() else FULL_SPEED
                pause = min(b.max_pause, max(self.interval - spent, self.cost / b.duty - spent))
                if self._wake.wait(pause):  # a user action: redraw now
                    self._wake.clear()

    def _safe_redraw(self) -> None:
        try:
            self.redraw()
            self.redraws += 1
        except Exception:  # a broken view must not kill the refresher: show it in the panel
            self.on_error(traceback.format_exc())

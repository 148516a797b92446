"""The training clock a run's decisions read: a time-keyed learning-rate schedule and the
wall-clock budget `max_time_s`. Every reading is recorded (`Run.clock`), so a run can be
replayed exactly: `train(cfg, replay=run)` reads the recorded times instead of the live ones."""

from __future__ import annotations

from collections.abc import Callable, Sequence


class TrainingClock:
    """Seconds of training so far, read through `read()`: live (from `elapsed`), or the
    recorded readings of another run in order while they last."""

    def __init__(self, elapsed: Callable[[], float], replay: Sequence[float] | None = None):
        self._elapsed = elapsed
        self._replay = list(replay) if replay is not None else []
        self.readings: list[float] = []

    def read(self) -> float:
        i = len(self.readings)
        value = float(self._replay[i]) if i < len(self._replay) else float(self._elapsed())
        self.readings.append(value)
        return value

    @property
    def replaying(self) -> bool:
        return len(self.readings) < len(self._replay)

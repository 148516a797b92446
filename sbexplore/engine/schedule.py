"""Learning-rate schedules as a factor of `lr`, keyed by epochs or by epochs' worth of backprops."""

from __future__ import annotations

import bisect
import math

ONECYCLE_PEAK = 0.25  # share of the schedule spent warming up
WARMUP_START = 0.1  # a linear warm-up starts at this share of lr


def lr_factor(schedule: str, progress: float, total: float, milestones: list[float],
              decay: float, warmup: float = 0.0) -> float:
    """The factor at `progress` (in schedule units) of a schedule lasting `total` units,
    times a linear warm-up from WARMUP_START to 1 over the first `warmup` units."""
    if warmup > 0 and progress < warmup:
        ramp = WARMUP_START + (1.0 - WARMUP_START) * max(progress, 0.0) / warmup
        return ramp * lr_factor(schedule, progress, total, milestones, decay)
    if schedule == "constant":
        return 1.0
    if schedule == "multistep":
        return decay ** bisect.bisect_right(sorted(milestones), progress)
    t = min(max(progress / total, 0.0), 1.0)
    if schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * t))
    if schedule == "onecycle":
        if t < ONECYCLE_PEAK:
            return 0.1 + 0.9 * t / ONECYCLE_PEAK
        return (1.0 - t) / (1.0 - ONECYCLE_PEAK)
    raise ValueError(f"lr_schedule={schedule!r} is not allowed")

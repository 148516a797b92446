"""The controls SB is compared against, made from SB's own finished runs: uniform at SB's
realised keep rate, and traditional training with SB's budget on the backprops clock and on the
wall clock (its schedule ending where that budget ends). Each is one setting for all seeds (the
mean over SB's seeds), so its seeds pool in every table."""

from __future__ import annotations

from collections.abc import Sequence

from sbexplore.analysis import budget_matched, matched_keeps
from sbexplore.config import RunConfig
from sbexplore.runs.record import Run

UNIFORM_NAME = "uniform (matched)"
CONTROL_CLOCKS = ("backprops", "time")


def control_configs(sb_runs: Sequence[Run], seeds: Sequence[int], *, uniform: bool = True,
                    clocks: Sequence[str] = CONTROL_CLOCKS, sb_name: str = "SB"
                    ) -> list[RunConfig]:
    """Per seed: uniform at `sb_runs`' mean realised keep rate (`uniform`), then traditional
    with their mean budget on each of `clocks`, named after `sb_name`."""
    base = sb_runs[0].config
    per_seed = []
    if uniform:
        keep = round(float(matched_keeps(list(sb_runs)).iloc[0]), 4)
        per_seed.append(base.replace(policy="uniform", keep=keep, staleness=1,
                                     name=UNIFORM_NAME, out_dir=None))
    per_seed += [budget_matched(sb_runs, clock, name=f"traditional, {sb_name}'s budget "
                                f"({clock})") for clock in clocks]
    return [cfg.replace(seed=seed) for seed in seeds for cfg in per_seed]

"""The main job on the embedded default: SB, Stale-SB, matched uniform and traditional on digits."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from sbexplore.analysis import comparison_table, matched_keep
from sbexplore.config import RunConfig
from sbexplore.records import Run
from sbexplore.trainer import train

DEMO_DEFAULTS = dict(dataset="digits", model="cnn", epochs=30, mislabel_fraction=0.1, beta=2.0,
                     device="cpu")


def demo_configs(base: RunConfig) -> list[RunConfig]:
    """SB, Stale-SB (staleness 3) and traditional; the uniform control is added once SB ran."""
    return [
        base.replace(policy="sb", staleness=1, name="SB"),
        base.replace(policy="sb", staleness=3, name="Stale-SB n=3"),
        base.replace(policy="all", name="traditional"),
    ]


def run_demo(out: str | Path | None = None, log=print,
             **overrides) -> tuple[list[Run], pd.DataFrame]:
    """Train the four demo runs (saved under `out` when given) and return them with a table."""
    base = RunConfig(**{**DEMO_DEFAULTS, **overrides})
    runs: list[Run] = []
    cfgs = demo_configs(base)
    for cfg in cfgs[:2] + [None] + cfgs[2:]:
        if cfg is None:  # the matched-rate random control needs SB's realised keep fraction
            cfg = base.replace(policy="uniform", keep=round(matched_keep(runs[0]), 4),
                               name="uniform (matched)")
        if out is not None:
            cfg = cfg.replace(out_dir=str(Path(out) / _slug(cfg.label)))
        t = time.perf_counter()
        runs.append(train(cfg))
        log(f"  {cfg.label:<18} done in {time.perf_counter() - t:5.1f}s")
    return runs, comparison_table(runs)


def _slug(label: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in label.lower()).strip("-")

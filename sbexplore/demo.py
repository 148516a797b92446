"""The main job on the embedded default (digits), as two stories, each over several seeds:
(a) clean data: SB, Stale-SB n=3, uniform at SB's realised keep rate and traditional, with
speedups at the paper's targets; (b) mislabeled data: SB against traditional at 10 % and 20 %."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sbexplore.analysis import comparison_table, format_table, matched_keep
from sbexplore.config import RunConfig
from sbexplore.records import Run, load_run
from sbexplore.sweeps import is_finished
from sbexplore.trainer import train

DEMO_DEFAULTS = dict(dataset="digits", device="cpu")  # everything else: digits' default recipe
DEMO_SEEDS = (0, 1, 2)
DEMO_MISLABEL_FRACTIONS = (0.1, 0.2)
CLEAN_COLUMNS = {"run": "run", "seeds": "n", "final_accuracy": "final accuracy",
                 "keep_fraction": "keep", "wall_time_s": "wall time (s)",
                 "speedup_time_x1.1": "speedup ×1.1", "speedup_time_x1.2": "speedup ×1.2",
                 "speedup_time_x1.4": "speedup ×1.4"}
MISLABEL_COLUMNS = {"run": "run", "mislabel_fraction": "mislabeled", "seeds": "n",
                    "final_accuracy": "final accuracy", "mislabel_pick_rate": "mislabel pick rate",
                    "detection_precision_at_k": "detection precision"}


@dataclass
class DemoResult:
    """The demo's runs and its two pooled tables (`comparison_table`; print with `printable`)."""

    clean: list[Run]
    mislabeled: list[Run]
    clean_table: pd.DataFrame
    mislabel_table: pd.DataFrame

    @property
    def runs(self) -> list[Run]:
        return self.clean + self.mislabeled


def clean_configs(base: RunConfig) -> list[RunConfig]:
    """Story (a) for one seed: SB, Stale-SB (staleness 3) and traditional; the uniform control
    is added once SB ran (it needs SB's realised keep rate)."""
    base = base.replace(mislabel_fraction=0.0)
    return [base.replace(policy="sb", staleness=1, name="SB"),
            base.replace(policy="sb", staleness=3, name="Stale-SB n=3"),
            base.replace(policy="all", name="traditional")]


def mislabel_configs(base: RunConfig, fraction: float) -> list[RunConfig]:
    """Story (b) for one seed and mislabel fraction: SB and traditional."""
    base = base.replace(mislabel_fraction=fraction)
    return [base.replace(policy="sb", staleness=1, name="SB"),
            base.replace(policy="all", name="traditional")]


def clean_story(base: RunConfig, seeds: tuple[int, ...] = DEMO_SEEDS,
                out: str | Path | None = None, log=print, resume: bool = False) -> list[Run]:
    """Story (a): SB, Stale-SB n=3, uniform at that seed's SB realised keep rate and traditional
    on clean data, per seed (saved under `out` when given; `resume` loads finished runs)."""
    runs: list[Run] = []
    for seed in seeds:
        sb, stale, trad = clean_configs(base.replace(seed=seed))
        runs += [_train(sb, out, log, resume), _train(stale, out, log, resume)]
        uniform = base.replace(policy="uniform", seed=seed, mislabel_fraction=0.0,
                               keep=round(matched_keep(runs[-2]), 4), name="uniform (matched)")
        runs += [_train(uniform, out, log, resume), _train(trad, out, log, resume)]
    return runs


def mislabel_story(base: RunConfig, seeds: tuple[int, ...] = DEMO_SEEDS,
                   fractions: tuple[float, ...] = DEMO_MISLABEL_FRACTIONS,
                   out: str | Path | None = None, log=print, resume: bool = False) -> list[Run]:
    """Story (b): SB and traditional at each mislabel fraction, per seed."""
    return [_train(cfg, out, log, resume) for f in fractions for seed in seeds
            for cfg in mislabel_configs(base.replace(seed=seed), f)]


def run_demo(out: str | Path | None = None, log=print, seeds: tuple[int, ...] = DEMO_SEEDS,
             mislabel_fractions: tuple[float, ...] = DEMO_MISLABEL_FRACTIONS,
             **overrides) -> DemoResult:
    """Train both stories' runs for each seed (saved under `out/clean`, `out/mislabeled` when
    given; `overrides` are RunConfig fields) and return them with their tables."""
    base = RunConfig(**{**DEMO_DEFAULTS, **overrides})
    sub = (lambda story: None) if out is None else (lambda story: Path(out) / story)
    clean = clean_story(base, seeds, sub("clean"), log)
    mislabeled = mislabel_story(base, seeds, mislabel_fractions, sub("mislabeled"), log)
    return DemoResult(clean, mislabeled, comparison_table(clean),
                      comparison_table(mislabeled, clocks=()) if mislabeled else pd.DataFrame())


def printable(table: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """The columns of a pooled table as text ('mean ± std', 'never reached'), renamed."""
    text = format_table(table)
    keep = [c for c in columns if c in text.columns]
    out = text[keep].rename(columns=columns)
    if "mislabeled" in out:
        out["mislabeled"] = [f"{v:.0%}" for v in table["mislabel_fraction"]]
    return out


def _train(cfg: RunConfig, out: str | Path | None, log, resume: bool = False) -> Run:
    if out is not None:
        folder = f"{_slug(cfg.label)}-{cfg.mislabel_fraction:g}-seed{cfg.seed}" \
            if cfg.mislabel_fraction else f"{_slug(cfg.label)}-seed{cfg.seed}"
        cfg = cfg.replace(out_dir=str(Path(out) / folder))
        if resume and is_finished(cfg.out_dir):
            return load_run(cfg.out_dir)
    t = time.perf_counter()
    run = train(cfg)
    mis = f", {cfg.mislabel_fraction:.0%} mislabeled" if cfg.mislabel_fraction else ""
    log(f"  {cfg.label:<18} seed {cfg.seed}{mis:<17} {time.perf_counter() - t:5.1f}s")
    return run


def _slug(label: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in label.lower()).strip("-")

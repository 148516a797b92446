"""The main job on the embedded default (digits), as two stories, each over several seeds:
(a) clean data: SB, Stale-SB n=3, uniform at SB's realised keep rate, traditional with SB's
budget on the backprops and the wall clock (`studies.controls`) and traditional, with speedups
at the paper's targets; (b) mislabeled data: SB against traditional at 10 % and 20 %."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sbexplore.analysis import comparison_table, format_table
from sbexplore.config import RunConfig, run_slug
from sbexplore.engine.trainer import train
from sbexplore.errors import ConfigError
from sbexplore.jobs.sweeps import is_finished
from sbexplore.runs.record import Run, load_run
from sbexplore.studies.controls import control_configs

# 8 epochs (the digits recipe trains 15): the shortest run in which SB and Stale-SB reach
# traditional's final error x 1.1 on all 3 seeds (6 epochs: 1 of 3), so the 24 runs stay well
# under a minute on 2 cores (BENCHMARKS.md, "Demo"); everything else is digits' default recipe
DEMO_EPOCHS = 8
DEMO_DEFAULTS = dict(dataset="digits", device="cpu", epochs=DEMO_EPOCHS)
DEMO_SEEDS = (0, 1, 2)
DEMO_WORKERS = 2  # the CLI's: runs trained at once (see training_pool)
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
    """Story (a) for one seed: SB, Stale-SB (staleness 3) and traditional; the controls are
    added once SB ran (they need its realised keep rate and its budgets)."""
    base = base.replace(mislabel_fraction=0.0)
    return [base.replace(policy="sb", staleness=1, name="SB"),
            base.replace(policy="sb", staleness=3, name="Stale-SB n=3"),
            base.replace(policy="traditional", name="traditional")]


def mislabel_configs(base: RunConfig, fraction: float) -> list[RunConfig]:
    """Story (b) for one seed and mislabel fraction: SB and traditional."""
    base = base.replace(mislabel_fraction=fraction)
    return [base.replace(policy="sb", staleness=1, name="SB"),
            base.replace(policy="traditional", name="traditional")]


def clean_story(base: RunConfig, seeds: tuple[int, ...] = DEMO_SEEDS,
                out: str | Path | None = None, log=print, resume: bool = False,
                workers: int = 1) -> list[Run]:
    """Story (a): SB, Stale-SB n=3, the controls made from SB's runs (`studies.controls`) and
    traditional on clean data, per seed (saved under `out` when given; `resume` loads finished
    runs; `workers` > 1 trains that many runs at once, see `training_pool`)."""
    with training_pool(workers) as pool:
        return _clean_jobs(pool, base, seeds, out, resume)(log)


def mislabel_story(base: RunConfig, seeds: tuple[int, ...] = DEMO_SEEDS,
                   fractions: tuple[float, ...] = DEMO_MISLABEL_FRACTIONS,
                   out: str | Path | None = None, log=print, resume: bool = False,
                   workers: int = 1) -> list[Run]:
    """Story (b): SB and traditional at each mislabel fraction, per seed."""
    with training_pool(workers) as pool:
        return [_done(f, log) for f in _mislabel_jobs(pool, base, seeds, fractions, out, resume)]


def _clean_jobs(pool, base: RunConfig, seeds, out, resume: bool) -> Callable[[Any], list[Run]]:
    """Submit story (a)'s runs; returns `finish(log)`, which adds the controls once SB's runs
    are done and returns the runs per seed: SB, Stale-SB, the controls, traditional."""
    first = [[pool.submit(_fit, cfg, out, resume) for cfg in clean_configs(
        base.replace(seed=seed))] for seed in seeds]

    def finish(log) -> list[Run]:
        configs = control_configs([sb.result() for sb, _, _ in first], seeds)
        per = len(configs) // len(seeds)
        controls = [pool.submit(_fit, cfg, out, resume) for cfg in configs]
        return [_done(f, log) for i, (sb, stale, trad) in enumerate(first)
                for f in (sb, stale, *controls[i * per:(i + 1) * per], trad)]
    return finish


def _mislabel_jobs(pool, base: RunConfig, seeds, fractions, out, resume: bool) -> list[Future]:
    return [pool.submit(_fit, cfg, out, resume) for f in fractions for seed in seeds
            for cfg in mislabel_configs(base.replace(seed=seed), f)]


class _Deferred(Future):
    """A job that runs in the calling thread when its result is first asked for (workers=1):
    runs train in the order their results are used, so each one's log line follows it."""

    def __init__(self, fn: Callable, args: tuple) -> None:
        super().__init__()
        self._job: tuple | None = (fn, args)

    def result(self, timeout: float | None = None) -> Any:
        if self._job is not None:
            fn, args = self._job
            self._job = None
            try:
                self.set_result(fn(*args))
            except BaseException as exc:  # re-raised below, as a pool's future would
                self.set_exception(exc)
        return super().result(timeout)


class _Inline:
    """The executor of `workers=1`: jobs run in the calling thread, one at a time."""

    def submit(self, fn: Callable, *args: Any) -> Future:
        return _Deferred(fn, args)


@contextmanager
def training_pool(workers: int) -> Iterator:
    """Train `workers` runs at once in threads, torch's CPU threads shared out equally (2
    cores, 2 workers: 1 torch thread per run; 45 s instead of 55 s for the demo's 24 runs) and
    restored afterwards. Concurrent runs share the CPU, so their wall clocks are noisier than
    one-at-a-time runs' (BENCHMARKS.md, "Demo"). `workers=1` trains in the calling thread."""
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise ConfigError(f"workers={workers!r} is not allowed: a positive integer")
    if workers == 1:
        yield _Inline()
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(max(1, before // workers))
    pool = ThreadPoolExecutor(workers, thread_name_prefix="sbexplore-demo")
    try:
        yield pool
    finally:  # on an error or Ctrl-C: no new runs start; running ones finish
        pool.shutdown(wait=True, cancel_futures=True)
        torch.set_num_threads(before)


def run_demo(out: str | Path | None = None, log=print, seeds: tuple[int, ...] = DEMO_SEEDS,
             mislabel_fractions: tuple[float, ...] = DEMO_MISLABEL_FRACTIONS,
             workers: int = 1, **overrides) -> DemoResult:
    """Train both stories' runs for each seed (saved under `out/clean`, `out/mislabeled` when
    given; `overrides` are RunConfig fields; `workers`: runs trained at once, see
    `training_pool`) and return them with their tables."""
    base = RunConfig(**{**DEMO_DEFAULTS, **overrides})
    sub = (lambda story: None) if out is None else (lambda story: Path(out) / story)
    with training_pool(workers) as pool:  # one pool: story (b) fills story (a)'s tail
        finish_clean = _clean_jobs(pool, base, seeds, sub("clean"), False)
        mis_jobs = _mislabel_jobs(pool, base, seeds, mislabel_fractions, sub("mislabeled"), False)
        clean = finish_clean(log)
        mislabeled = [_done(f, log) for f in mis_jobs]
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


def _fit(cfg: RunConfig, out: str | Path | None, resume: bool = False) -> Run:
    """Train (or, with `resume`, load) one run, saved under `out` when given."""
    if out is not None:
        cfg = cfg.replace(out_dir=str(Path(out) / run_slug(cfg, seed=True)))
        if resume and is_finished(cfg.out_dir):
            return load_run(cfg.out_dir)
    return train(cfg)


def _done(fut: Future, log) -> Run:
    """The run of a finished job, with a line for `log`."""
    run = fut.result()
    cfg = run.config
    mis = f", {cfg.mislabel_fraction:.0%} mislabeled" if cfg.mislabel_fraction else ""
    log(f"  {cfg.label:<18} seed {cfg.seed}{mis:<17} "
        f"{run.metrics['total_time_s'].iloc[-1]:5.1f}s training")
    return run

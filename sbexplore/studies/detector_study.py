"""The label-error study behind notebook 07 and `benchmarks/bench_detectors.py`: one SB run per
mislabel fraction, mode and seed, each optionally beside cleanlab's cross-validated baseline."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sbexplore.config import MISLABEL_MODES, RunConfig
from sbexplore.errors import ConfigError


def _check(fractions: Sequence[float], modes: Sequence[str], seeds: Sequence[int]) -> None:
    if not fractions:
        raise ConfigError("fractions=[] is not allowed: give at least one mislabel fraction")
    bad = [f for f in fractions if not isinstance(f, (int, float)) or not 0 < f < 1]
    if bad:
        raise ConfigError(f"fractions={list(fractions)!r} is not allowed: each must satisfy "
                          f"0 < fraction < 1 (a clean run has no label errors to find; got {bad})")
    bad_modes = [m for m in modes if m not in MISLABEL_MODES]
    if not modes or bad_modes:
        raise ConfigError(f"modes={list(modes)!r} is not allowed: one or more of "
                          f"{', '.join(MISLABEL_MODES)}")
    if not seeds:
        raise ConfigError("seeds=[] is not allowed: give at least one seed")


def detector_study(base: RunConfig, fractions: Sequence[float], modes: Sequence[str] = ("flip",),
                   seeds: Sequence[int] = (0,), folds: int = 3, cleanlab_seeds: int | None = None,
                   log: Callable[[str], None] | None = None) -> list[Any]:
    """Train `base` (its policy, SB by default) at every mislabel fraction x mode x seed and
    return the runs, each followed by its cleanlab baseline (`folds` >= 2; 0 skips cleanlab;
    `cleanlab_seeds`: only seeds below it get one, None: all). Feed the list to
    `detector_table`, `detector_results` or `detector_pr_curves`."""
    from sbexplore.engine.trainer import train
    from sbexplore.studies.cleanlab_baseline import cleanlab_baseline

    _check(fractions, modes, seeds)
    if folds != 0 and (not isinstance(folds, int) or folds < 2):
        raise ConfigError(f"folds={folds!r} is not allowed: an integer >= 2, or 0 to skip cleanlab")
    cfgs = [base.replace(mislabel_fraction=float(f), mislabel_mode=m, seed=int(s))
            for m in modes for f in fractions for s in seeds]  # all validated before training
    items: list[Any] = []
    for cfg in cfgs:
        run = train(cfg)
        items.append(run)
        if log:
            log(f"{cfg.policy} f={cfg.mislabel_fraction:g} {cfg.mislabel_mode} seed {cfg.seed}: "
                f"{run.metrics['total_time_s'].iloc[-1]:.1f}s, test accuracy "
                f"{run.metrics['test_accuracy'].iloc[-1]:.4f}")
        if folds and (cleanlab_seeds is None or cfg.seed < cleanlab_seeds):
            r = cleanlab_baseline(cfg, folds=folds)
            items.append(r)
            if log:
                log(f"cleanlab {folds}-fold: training {r.train_time_s:.1f}s, "
                    f"find_label_issues + ranking {r.find_time_s:.2f}s")
    return items


def real_errors_config(dataset: str, *, fallback: RunConfig, data_root: str | None = None,
                       download: bool = False, train_subset: int | None = None,
                       epochs: int | None = None, model: str = "cnn", device: str = "auto",
                       log: Callable[[str], None] | None = print) -> RunConfig:
    """A run config for finding real label errors in `dataset` (no injected noise): its files
    are checked first, and when they are not here `fallback` is returned (said through `log`).
    `train_subset` applies to datasets larger than it (not to the bundled digits)."""
    from sbexplore.data import load_raw
    from sbexplore.errors import DataError

    try:
        raw = load_raw(dataset, data_root, download=download)
    except DataError as exc:
        if log:
            log(f"{dataset} is not available ({exc}); showing {fallback.dataset} instead")
        return fallback
    subset = train_subset if train_subset is not None and train_subset < len(raw.y_train) else None
    return RunConfig(dataset=dataset, data_root=data_root, download=download,
                     train_subset=subset, model=model, device=device, epochs=epochs)

"""Series: runs that differ only in their seed (`config.series_key`) are pooled as seeds. Their
labels are read from the configs (`config.series_labels`), never parsed back out of names."""

from __future__ import annotations

from collections.abc import Sequence

from sbexplore.config import series_labels
from sbexplore.errors import ConfigError
from sbexplore.runs.record import Run


def as_runs(runs: Run | Sequence[Run]) -> list[Run]:
    """One Run or several, as a list (every table takes either)."""
    if isinstance(runs, Run):
        return [runs]
    if not hasattr(runs, "__iter__") or isinstance(runs, (str, bytes)):
        raise ConfigError(f"runs={type(runs).__name__} is not allowed: a Run or a list of Runs "
                          "(sbexplore.load_run(path) reads a saved one)")
    return list(runs)


def run_labels(runs: Sequence[Run], shown: Sequence[str] = ()) -> list[str]:
    """Each run's series label among `runs`: equal for seeds of one series, different between
    series (settings in `shown`, e.g. a table's `mislabel_fraction` column, are left out)."""
    return series_labels([r.config for r in runs], shown)


def series_name(run: Run) -> str:
    """A run's series label on its own: its name without the seed."""
    return run_labels([run])[0]

"""Series names: runs that differ only in seed (or in the swept variable) form one series."""

from __future__ import annotations

import re

from sbexplore.records import Run


def series_name(run: Run, drop: tuple[str, ...] = ("seed",)) -> str:
    """The run's name without `key=value` parts for `drop` (a sweep names runs
    'policy=sb, beta=2 seed=0'); falls back to the policy label when nothing is left."""
    name = run.name
    for key in drop:
        name = re.sub(rf"(,\s*)?\b{re.escape(key)}=[^,\s]+", "", name)
    name = name.strip(" ,")
    return name or run.config.replace(name=None).label

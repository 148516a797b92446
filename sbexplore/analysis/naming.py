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
    if re.fullmatch(r"[\w.]+=[^,\s]+(,?\s*[\w.]+=[^,\s]+)*", name):  # a sweep's key=value
        pairs = dict(part.split("=", 1) for part in re.split(r",?\s+", name))
        head = [_short(k, pairs.pop(k)) for k in ("policy", "beta", "staleness") if k in pairs]
        return " · ".join([" ".join(head)] * bool(head) + [_short(k, v) for k, v in pairs.items()])
    return name or run.config.replace(name=None).label


SHORT = {"policy": lambda v: {"sb": "SB", "all": "traditional"}.get(v, v),
         "beta": lambda v: f"β={v}", "staleness": lambda v: f"n={v}",
         "mislabel_fraction": lambda v: f"{float(v):.0%} mislabels",
         "mislabels": lambda v: f"{float(v):.0%} mislabels"}


def _short(key: str, value: str) -> str:
    """'beta', '2' -> 'β=2'; keys without a short form stay 'key=value'."""
    try:
        return SHORT[key](value) if key in SHORT else f"{key}={value}"
    except ValueError:
        return f"{key}={value}"

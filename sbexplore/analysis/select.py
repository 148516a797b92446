"""Picking runs out of a list by their settings, so notebooks need no filtering code."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sbexplore.config import RunConfig
from sbexplore.errors import ConfigError


def select(runs: Sequence[Any], *, mislabeled: bool | None = None, first: bool = False,
           last: bool = False, **settings: Any) -> Any:
    """The runs (or anything with a `.config`, such as a cleanlab result) whose config has every
    value in `settings` (a tuple or list: any of them); `mislabeled=True`/`False`: with or
    without injected mislabels. `first`/`last`: that one run instead of a list (a ConfigError
    when none matches)."""
    known = set(RunConfig.__dataclass_fields__)
    unknown = sorted(set(settings) - known)
    if unknown:
        raise ConfigError(f"select() got unknown setting(s) {unknown}: RunConfig fields are "
                          f"{', '.join(sorted(known))}")
    if first and last:
        raise ConfigError("first=True and last=True are not allowed together")

    def matches(run: Any) -> bool:
        cfg = run.config
        if mislabeled is not None and (cfg.mislabel_fraction > 0) != mislabeled:
            return False
        return all(getattr(cfg, k) in (v if isinstance(v, (tuple, list)) else (v,))
                   for k, v in settings.items())

    found = [r for r in runs if matches(r)]
    if not (first or last):
        return found
    if not found:
        what = ", ".join([*(f"{k}={v!r}" for k, v in settings.items()),
                          *([f"mislabeled={mislabeled}"] if mislabeled is not None else [])])
        raise ConfigError(f"no run with {what or 'any settings'} among the {len(runs)} given")
    return found[0] if first else found[-1]

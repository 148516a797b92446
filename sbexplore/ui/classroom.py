"""Per-kernel limits for a shared classroom server: torch threads and concurrent runs.

Defaults are sized for 30 students on a 16-core machine: one torch thread per kernel (30
kernels, about two per core) and at most 3 runs training at once per student (enough for the
β = 0 / 2 / 5 experiment; lesson runs are paced, so a paced run needs a fraction of a core).
Set them with `sbexplore app --threads/--max-runs` or $SBEXPLORE_THREADS / $SBEXPLORE_MAX_RUNS.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from sbexplore.errors import UserError

ENV_THREADS, ENV_MAX_RUNS = "SBEXPLORE_THREADS", "SBEXPLORE_MAX_RUNS"
DEFAULT_THREADS = 1  # torch threads per kernel (per student)
DEFAULT_MAX_RUNS = 3  # runs training at once per kernel (per student)


@dataclass(frozen=True)
class Limits:
    """What one kernel (one browser tab) may use."""

    threads: int = DEFAULT_THREADS
    max_runs: int = DEFAULT_MAX_RUNS

    def __post_init__(self) -> None:
        for name in ("threads", "max_runs"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise UserError(f"{name}={value!r} is not allowed: must be an integer >= 1")


def limits_from_env(environ: Mapping[str, str] | None = None) -> Limits:
    """Limits from $SBEXPLORE_THREADS / $SBEXPLORE_MAX_RUNS (defaults where unset)."""
    env = os.environ if environ is None else environ
    values = {}
    for name, var, default in (("threads", ENV_THREADS, DEFAULT_THREADS),
                               ("max_runs", ENV_MAX_RUNS, DEFAULT_MAX_RUNS)):
        raw = env.get(var, "").strip()
        try:
            values[name] = int(raw) if raw else default
        except ValueError:
            raise UserError(f"{var}={raw!r} is not allowed: must be an integer >= 1") from None
    return Limits(**values)


def apply_limits(limits: Limits) -> None:
    """Cap this process's torch threads (intra- and, when still possible, inter-op)."""
    import torch

    torch.set_num_threads(limits.threads)
    try:
        torch.set_num_interop_threads(limits.threads)
    except RuntimeError:  # only settable before the first parallel op; intra-op is what counts
        pass


def cap_message(max_runs: int) -> str:
    """The panel's line when a student starts one run too many."""
    return (f"{max_runs} run{'s are' if max_runs > 1 else ' is'} already training in this tab "
            f"(the limit per student on this server): stop one, or wait for one to finish, "
            f"then press Start again.")


def full(active: int, limits: Limits) -> bool:
    """Whether `active` runs already fill this kernel's share."""
    return active >= limits.max_runs

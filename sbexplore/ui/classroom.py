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


MEMORY_SHARE = 0.8  # of the machine's memory the students' kernels may fill (server, OS: rest)
CPU_SHARE = 1.0  # of the machine's cores the students' paced runs may keep busy


@dataclass(frozen=True)
class Capacity:
    """The largest class a machine can serve, and which resource sets it."""

    students: int
    by_cpu: int
    by_memory: int

    @property
    def bound(self) -> str:
        return "cores" if self.by_cpu <= self.by_memory else "memory"


def capacity(cores: float, memory_mb: float, rss_mb: float, cpu_cores: float) -> Capacity:
    """Students a machine with `cores` and `memory_mb` serves when each student's kernel holds
    `rss_mb` and, training the most it may at once at the lesson's pace, keeps `cpu_cores`
    busy (both measured by `sbexplore.ui.probe`)."""
    for name, value in (("cores", cores), ("memory_mb", memory_mb), ("rss_mb", rss_mb),
                        ("cpu_cores", cpu_cores)):
        if not value > 0:
            raise UserError(f"{name}={value!r} is not allowed: must be a number > 0")
    by_cpu = int(CPU_SHARE * cores / cpu_cores)
    by_memory = int(MEMORY_SHARE * memory_mb / rss_mb)
    return Capacity(min(by_cpu, by_memory), by_cpu, by_memory)


def this_machine() -> tuple[int, float]:
    """(cores this process may use, total memory in MB)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    try:
        with open("/proc/meminfo") as f:
            memory = next(int(line.split()[1]) / 1024 for line in f
                          if line.startswith("MemTotal:"))
    except (OSError, StopIteration):
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20
    return cores, memory

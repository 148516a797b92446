"""One run of a sweep, shared by every backend: `run_one(config_json)` trains a config into its
out_dir; `Progress` is the tqdm bar over runs."""

from __future__ import annotations

from sbexplore.config import RunConfig
from sbexplore.engine.progress import RunsBar
from sbexplore.errors import ConfigError


def run_one(config_json: str, threads: int | None = None) -> str:
    """Train one run from its JSON config, save it to its out_dir and return that out_dir.

    `threads` fixes torch's CPU threads for the run: CPU results depend on the thread count,
    so backends that should agree exactly must train with the same number."""
    import torch

    from sbexplore.engine.trainer import Trainer

    cfg = RunConfig.from_json(config_json)
    if not cfg.out_dir:
        raise ConfigError("run_one needs a config with out_dir set (expand_grid sets it)")
    before = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        Trainer(cfg).fit()  # saves every epoch and at the end
    finally:
        torch.set_num_threads(before)
    return cfg.out_dir


def set_threads(threads: int) -> None:
    """A worker process's initializer: torch's CPU threads for every run it trains."""
    import torch

    torch.set_num_threads(threads)


Progress = RunsBar  # the tqdm bar over a sweep's runs (local and Ray backends alike)

"""One run across a Ray cluster's workers: Ray Train's `TorchTrainer` starts the processes and
their process group, and each worker trains the run as torchrun's processes do (selection kept
global, `engine.distributed`); rank 0 saves the run folder to `cfg.out_dir`.

    run = train_on_ray(RunConfig(model="mlp", out_dir="/shared/runs/sb"), workers=4, gpus=True)

`pip install "sbexplore[ray]"`. `out_dir` must be a folder every worker can reach (one machine:
any local folder).
"""

from __future__ import annotations

import os
from typing import Any

from sbexplore.config import RunConfig
from sbexplore.errors import ConfigError, UserError
from sbexplore.jobs.ray import connect, import_ray
from sbexplore.runs.record import Run, load_run


def _worker(config: dict[str, Any]) -> None:
    """One Ray Train worker: the process group is up; train the run (rank 0 saves it)."""
    import torch

    from sbexplore.engine.trainer import train

    torch.set_num_threads(int(config.get("threads", 1)))
    train(RunConfig.from_dict(config["cfg"]), progress=False)


def train_on_ray(cfg: RunConfig, workers: int = 2, gpus: bool = False,
                 address: str | None = None, threads_per_worker: int = 1) -> Run:
    """Train `cfg` as one run on `workers` Ray Train workers (gloo on CPUs, NCCL with `gpus`);
    returns the run rank 0 saved."""
    if not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"workers={workers!r} is not allowed: an integer >= 1")
    if not cfg.out_dir:
        raise ConfigError("out_dir=None is not allowed for a Ray Train run: rank 0 saves the "
                          "run there, a folder every worker can reach")
    import_ray()
    try:
        from ray.train import RunConfig as RayRunConfig
        from ray.train import ScalingConfig
        from ray.train.torch import TorchConfig, TorchTrainer
    except ImportError as exc:
        raise UserError(f"Ray Train is not installed ({exc}): pip install 'sbexplore[ray]'") \
            from None
    started = connect(address)
    try:
        trainer = TorchTrainer(
            _worker,
            train_loop_config={"cfg": cfg.replace(out_dir=os.path.abspath(cfg.out_dir))
                               .to_dict(), "threads": threads_per_worker},
            torch_config=TorchConfig(backend="nccl" if gpus else "gloo"),
            scaling_config=ScalingConfig(num_workers=workers, use_gpu=gpus,
                                         resources_per_worker={"CPU": threads_per_worker}),
            run_config=RayRunConfig(storage_path=os.path.abspath(
                os.path.join(cfg.out_dir, os.pardir, ".ray-train"))))
        result = trainer.fit()
        if result.error is not None:
            raise result.error
    finally:
        if started:
            import_ray().shutdown()
    return load_run(cfg.out_dir)

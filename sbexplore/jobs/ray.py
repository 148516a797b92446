"""The Ray backend of `sbexplore.sweep`: each run is a Ray task with its own CPU/GPU request.

`run_ray(configs, address=None)` starts a private Ray instance on this machine (loopback only),
`address="auto"` or `"ray://host:port"` joins a cluster; a connection made with `ray.init()`
beforehand is used as is (to pass your own `runtime_env`). Runs write to their `out_dir`: a
path every worker can reach (local disk or a network share) or a pyarrow URI (`s3://`, `gs://`,
`file://`); URI runs are trained in a worker-local folder, uploaded at the end and mirrored back.
"""

from __future__ import annotations

import os
import tempfile
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sbexplore.config import RunConfig
from sbexplore.errors import ConfigError, UserError
from sbexplore.jobs.task import Progress, run_one
from sbexplore.runs.storage import copy_tree, is_uri, mirror

INSTALL_HINT = 'pip install "sbexplore[ray]"'
Outcome = tuple[RunConfig, "str | None", "str | None"]  # (config, out_dir, error text)


def run_ray(configs: Sequence[RunConfig], address: str | None = None, num_cpus: float = 1,
            num_gpus: float = 0, retries: int = 0,
            progress: bool | Callable[[], None] = True) -> list[Outcome]:
    """Train `configs` as Ray tasks; returns `(config, out_dir, None)` or `(config, None, error)`
    per config, in input order. A failed run is tried again up to `retries` times.

    `progress`: True draws a bar over runs, a callable is called once per finished run.
    """
    _check_resources(num_cpus, num_gpus, retries)
    _check_address(address)
    ray = import_ray()
    configs = list(configs)
    for cfg in configs:
        if not cfg.out_dir:
            raise ConfigError(f"out_dir={cfg.out_dir!r} is not allowed for run {cfg.label!r}: "
                              "a Ray sweep needs a shared folder or URI per run")
    if not configs:
        return []
    started = connect(address)
    tick = progress if callable(progress) else _bar(len(configs), bool(progress))
    try:
        return _schedule(ray, configs, num_cpus, num_gpus, retries, tick)
    finally:
        if started:
            ray.shutdown()  # a local instance stops; a joined cluster is only disconnected


def import_ray() -> Any:
    """`ray`, or a UserError that says how to install it."""
    try:
        import ray
    except ImportError as exc:
        raise UserError(f"backend='ray' needs Ray, which is not installed ({exc}): "
                        f"{INSTALL_HINT}, or use backend='local' or 'process'") from None
    return ray


def connect(address: str | None = None, num_cpus: int | None = None,
            runtime_env: dict[str, Any] | None = None) -> bool:
    """Connect to Ray unless already connected; True when this call made the connection.

    `address=None` starts a local instance bound to 127.0.0.1 (`num_cpus`: all cores by
    default) whose workers import this very sbexplore; otherwise joins the cluster at `address`.
    """
    ray = import_ray()
    if ray.is_initialized():
        return False
    if address is None:
        init_local(num_cpus=num_cpus, runtime_env=runtime_env)
        return True
    _check_address(address)
    try:
        ray.init(address=address, runtime_env=runtime_env, log_to_driver=False)
    except ConnectionError as exc:
        raise UserError(f"address={address!r}: no Ray cluster reachable there ({exc}); start "
                        "one with `ray start --head` or use address=None") from None
    return True


def init_local(num_cpus: int | None = None, runtime_env: dict[str, Any] | None = None) -> None:
    """Start a Ray instance on this machine, listening on the loopback interface only."""
    ray = import_ray()
    # Ray swaps 127.0.0.1 for the machine's public address on Linux unless it believes it runs
    # a single-machine session; this (undocumented) switch keeps every port on loopback.
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    try:
        import ray._private.ray_constants as ray_constants

        ray_constants.ENABLE_RAY_CLUSTER = False
    except (ImportError, AttributeError):  # a Ray without the switch: its default binding
        pass
    env = dict(runtime_env or {})
    env_vars = dict(env.get("env_vars", {}))
    # workers start in other folders: put this sbexplore first on their path
    here = str(Path(__file__).resolve().parents[2])  # the folder holding this sbexplore
    path = env_vars.get("PYTHONPATH") or os.environ.get("PYTHONPATH", "")
    env_vars["PYTHONPATH"] = os.pathsep.join(p for p in (here, path) if p)
    env["env_vars"] = env_vars
    ray.init(num_cpus=num_cpus, include_dashboard=False, runtime_env=env,
             configure_logging=False, log_to_driver=False, _node_ip_address="127.0.0.1")


def run_task(config_json: str, threads: int) -> tuple[str | None, str | None]:
    """The Ray task: train one run on a worker; returns (out_dir, None) or (None, traceback)."""
    # on CPU a run's numbers depend on the thread count: one per requested CPU, no more
    try:
        cfg = RunConfig.from_json(config_json)
        if not is_uri(cfg.out_dir):
            return run_one(config_json, threads), None
        with tempfile.TemporaryDirectory(prefix="sbexplore-ray-") as tmp:
            local = str(Path(tmp) / "run")
            run_one(cfg.replace(out_dir=local).to_json(), threads)
            _restore_out_dir(local, cfg)
            copy_tree(local, cfg.out_dir)
        return cfg.out_dir, None
    except Exception as exc:  # reported (and retried) by the driver; the sweep goes on
        return None, "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


# -- internals -------------------------------------------------------------------------------
def _check_address(address: str | None) -> None:
    if address is not None and not (isinstance(address, str) and (
            address == "auto" or "://" in address or ":" in address)):
        raise ConfigError(f"address={address!r} is not allowed: None (a local Ray instance), "
                          "'auto' (the cluster this machine belongs to), 'ray://host:port' or "
                          "'host:port'")


def _check_resources(num_cpus: float, num_gpus: float, retries: int) -> None:
    for name, v, lo in (("num_cpus", num_cpus, 0), ("num_gpus", num_gpus, 0)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v < lo:
            raise ConfigError(f"{name}={v!r} is not allowed: a number >= 0 per run "
                              "(fractions such as 0.25 share a device)")
    if num_cpus == 0 and num_gpus == 0:
        raise ConfigError("num_cpus=0 with num_gpus=0 is not allowed: request some CPU or GPU "
                          "per run, or Ray would start every run at once")
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ConfigError(f"retries={retries!r} is not allowed: an integer >= 0")


def _schedule(ray: Any, configs: list[RunConfig], num_cpus: float, num_gpus: float,
              retries: int, tick: Callable[[], None]) -> list[Outcome]:
    # retries are ours (max_retries=0): Ray's own cover only crashed workers, not exceptions,
    # and a run is retried the same way whichever way it failed
    task = ray.remote(run_task).options(num_cpus=num_cpus, num_gpus=num_gpus, max_retries=0,
                                        name="sbexplore-run")
    threads = max(1, int(num_cpus))
    attempts = [0] * len(configs)
    results: list[Outcome | None] = [None] * len(configs)
    pending: dict[Any, int] = {}

    def submit(i: int) -> None:
        attempts[i] += 1
        pending[task.remote(_absolute(configs[i]).to_json(), threads)] = i

    for i in range(len(configs)):
        submit(i)
    try:
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            i = pending.pop(done[0])
            try:
                out_dir, error = ray.get(done[0])
            except ray.exceptions.RayError as exc:  # the worker died (OOM kill, lost node...)
                out_dir, error = None, f"{type(exc).__name__}: {exc}"
            if error is not None and attempts[i] <= retries:
                submit(i)
                continue
            if error is not None:
                n = attempts[i]
                error = f"run failed after {n} attempt{'s' * (n > 1)}:\n{error}"
            elif is_uri(out_dir):
                try:
                    out_dir = mirror(out_dir)
                except Exception as exc:  # e.g. this machine lacks the bucket's credentials
                    out_dir, error = None, f"saved to {out_dir} but not readable here: {exc}"
            results[i] = (configs[i], out_dir, error)
            tick()
    except BaseException:  # Ctrl-C or an error here: stop the runs still going, then re-raise
        for ref in pending:
            ray.cancel(ref, force=True)
        raise
    return [r for r in results if r is not None]


def _absolute(cfg: RunConfig) -> RunConfig:
    """Workers do not share the driver's working folder: give them absolute paths."""
    if is_uri(cfg.out_dir) or Path(cfg.out_dir).is_absolute():
        return cfg
    return cfg.replace(out_dir=str(Path(cfg.out_dir).resolve()))


def _restore_out_dir(local: str, cfg: RunConfig) -> None:
    """Record the URI (not the worker's scratch folder) as the run's out_dir."""
    from sbexplore.runs.record import load_run

    run = load_run(local)
    run.config = cfg
    run.save(local)


def _bar(total: int, enabled: bool) -> Callable[[], None]:
    if not enabled:
        return lambda: None
    return Progress(total, 0, True).tick  # the same bar as the local backends


__all__ = ["connect", "import_ray", "init_local", "is_uri", "mirror", "run_ray", "run_task"]

"""One run on two processes against one process with two threads (CPU, gloo): throughput, time
to target and the collectives' share of an epoch (BENCHMARKS.md "One run on several processes").

    python -m benchmarks.bench_distributed                 # ~6 min on 2 cores, nothing else running
    python -m benchmarks.bench_distributed --seeds 0,1,2 --only "digits cnn"

Each setting trains SB (its recipe, β=2) as 1 process × 2 torch threads and as `torchrun
--nproc_per_node 2` × 1 thread, the same seed. Time to target: the 1-process run's final error
× 1.1 on the training clock (evaluation excluded). The collectives are timed inside the worker
(a wrapper around torch.distributed's calls), so their share is of the same clock.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
SETTINGS = {
    "digits mlp": {"dataset": "digits", "model": "mlp"},
    "digits cnn": {"dataset": "digits", "model": "cnn"},  # BatchNorm: per-rank statistics
    "mnist cnn 20k": {"dataset": "mnist", "model": "cnn", "train_subset": 20_000,
                      "data_root": str(SHARED)},
}
COLLECTIVES = ("all_gather", "all_reduce", "broadcast")


def worker(spec: dict) -> None:
    """One process of a measured run: trains, rank 0 writes the numbers to spec['report']."""
    import torch
    import torch.distributed as dist

    torch.set_num_threads(spec["threads"])
    from sbexplore import RunConfig
    from sbexplore.engine.distributed import destroy_process_group, init_from_env, world
    from sbexplore.engine.trainer import Trainer

    spent = dict.fromkeys(COLLECTIVES, 0.0)

    def timing(name: str):
        call = getattr(dist, name)

        def timed(*a, **k):
            t = time.perf_counter()
            try:
                return call(*a, **k)
            finally:
                spent[name] += time.perf_counter() - t
        return timed

    for name in COLLECTIVES:
        setattr(dist, name, timing(name))
    init_from_env("cpu")
    rank, size = world()
    run = Trainer(RunConfig(**spec["cfg"], device="cpu")).fit()
    if rank == 0:
        m = run.metrics
        Path(spec["report"]).write_text(json.dumps({
            "world": size, "threads": spec["threads"], "spent": spent,
            "epoch_s": m["wall_time_s"].tolist(), "accuracy": m["test_accuracy"].tolist(),
            "candidates": len(run.examples) * len(m),  # every example is offered each epoch
            "backprops": int(m["examples_backpropped"].sum())}))
    destroy_process_group()


def measure(cfg: dict, processes: int, tmp: Path) -> dict:
    report = tmp / f"r{processes}-{time.time_ns()}.json"
    spec = json.dumps({"cfg": cfg, "threads": 2 if processes == 1 else 1, "report": str(report)})
    me = [sys.executable, "-m", "benchmarks.bench_distributed", "--worker", spec]
    if processes > 1:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        me = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node",
              str(processes), "--master_addr", "127.0.0.1", "--master_port", str(port), *me[1:]]
    env = {**os.environ, "OMP_NUM_THREADS": "1" if processes > 1 else "2"}
    subprocess.run(me, check=True, env=env, cwd=Path(__file__).resolve().parents[1],
                   capture_output=True)
    return json.loads(report.read_text())


def time_to(r: dict, target: float) -> float:
    t = 0.0
    for s, a in zip(r["epoch_s"], r["accuracy"], strict=True):
        t += s
        if a >= target:
            return t
    return float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--only", default=None, help="one setting: " + ", ".join(SETTINGS))
    a = ap.parse_args()
    if a.worker:
        return worker(json.loads(a.worker))
    from benchmarks.common import hardware, markdown

    print(f"# {hardware()}; SB beta=2, recipe defaults", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for name, cfg in SETTINGS.items():
            if a.only and name != a.only:
                continue
            for seed in (int(s) for s in a.seeds.split(",")):
                c = {**cfg, "seed": seed}
                one, two = measure(c, 1, Path(d)), measure(c, 2, Path(d))
                target = 1 - 1.1 * (1 - one["accuracy"][-1])
                for r in (one, two):
                    total = sum(r["epoch_s"])
                    rows.append({
                        "setting": name, "seed": seed,
                        "layout": f"{r['world']} proc x {r['threads']} thread",
                        "s_per_epoch": statistics.median(r["epoch_s"]),
                        "images_per_s": r["candidates"] / total,
                        "final_acc": r["accuracy"][-1],
                        "time_to_x1.1_s": time_to(r, target),
                        "all_gather_share": r["spent"]["all_gather"] / total,
                        "collectives_share": sum(r["spent"].values()) / total})
                    print(f"# {rows[-1]}", flush=True)
    import pandas as pd

    print()
    print(markdown(pd.DataFrame(rows)))


if __name__ == "__main__":
    main()

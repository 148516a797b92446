"""One run on two processes (torchrun, gloo, CPU): selection stays global, rank 0 records."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import REPO

import sbexplore as sb

pytestmark = pytest.mark.slow  # each test starts two training processes

CFG = {"model": "mlp", "epochs": 4, "device": "cpu", "mislabel_fraction": 0.1, "seed": 1}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def torchrun(args: list[str], timeout: float = 300, **env) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
           "--master_addr", "127.0.0.1", "--master_port", str(free_port()), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=REPO,
                          env={**os.environ, "OMP_NUM_THREADS": "1", **env})


def worker(tmp_path: Path, timeout: float = 300, env: dict | None = None, **spec):
    report = tmp_path / "report"
    report.mkdir(exist_ok=True)
    spec = {"report": str(report), **spec}
    p = torchrun([str(REPO / "tests" / "dist_worker.py"), json.dumps(spec)], timeout,
                 **(env or {}))
    ranks = [json.loads((report / f"rank{r}.json").read_text())
             for r in (0, 1) if (report / f"rank{r}.json").exists()]
    return p, ranks


def one_and_two(tmp_path: Path, cfg: dict) -> tuple[sb.Run, sb.Run]:
    """The same config trained by 2 processes (torchrun, the CLI) and by this one."""
    p = torchrun(["-m", "sbexplore", "run", "--quiet", *sum(
        ([f"--{k.replace('_', '-')}", str(v)] for k, v in cfg.items()), []),
        "--out-dir", str(tmp_path / "two")])
    assert p.returncode == 0, p.stderr[-3000:]
    torch.set_num_threads(1)
    return sb.train(sb.RunConfig(**cfg)), sb.load_run(tmp_path / "two")


def assert_same_selection(one: sb.Run, two: sb.Run) -> None:
    after = ~one.metrics["priming"].to_numpy()
    a, b = one.backpropped[after], two.backpropped[after]
    agree = float((a == b).mean())
    diff = np.nanmax(np.abs(one.losses.astype(float) - two.losses.astype(float)))
    print(f"\n[distributed] {one.config.policy} n={one.config.staleness}: keep decisions agree "
          f"on {agree:.4%} after priming; max |loss diff| {diff:.2e}")
    assert agree >= 0.99  # float reduction order may flip a few borderline draws
    final = [r.metrics["test_accuracy"].iloc[-1] for r in (one, two)]
    assert abs(final[0] - final[1]) < 0.03, final


def test_two_processes_select_as_one_and_rank0_records_every_example(tmp_path):
    one, two = one_and_two(tmp_path, CFG)
    assert not (tmp_path / "two-rank1").exists()
    assert two.meta["world_size"] == 2 and two.meta["backend"] == "gloo"
    assert len(two.examples) == len(one.examples) == 1438  # every example, from rank 0
    assert two.examples["mislabeled"].sum() == one.examples["mislabeled"].sum()
    assert_same_selection(one, two)


@pytest.mark.parametrize("extra", [{"staleness": 3}, {"policy": "importance"},
                                   {"policy": "infobatch"}],
                         ids=["stale-sb", "importance", "infobatch"])
def test_stale_sb_and_the_rivals_select_as_one_process_too(tmp_path, extra):
    one, two = one_and_two(tmp_path, {**CFG, **extra})
    assert (one.config.policy, one.config.staleness) == (two.config.policy,
                                                         two.config.staleness)
    assert_same_selection(one, two)


def test_replicas_stay_identical_and_live_changes_reach_both_ranks(tmp_path):
    p, ranks = worker(tmp_path, cfg={**CFG, "out_dir": str(tmp_path / "run")},
                      beta_at=[30, 4.0], stop_at=60)
    assert p.returncode == 0, p.stderr[-3000:]
    r0, r1 = ranks
    assert r0["params"] == r1["params"]  # the model replicas are identical
    assert r0["status"] == r1["status"] == "stopped"
    assert r0["candidate_batches"] == r1["candidate_batches"] <= 61  # within one batch
    assert r0["beta_events"] == r1["beta_events"] and r0["beta_events"][0]["new"] == 4.0
    run = sb.load_run(tmp_path / "run")
    assert run.status == "stopped" and run.events["candidate_batch"].tolist() == [30]


def test_a_killed_rank_ends_the_other_with_an_error_not_a_hang(tmp_path):
    p, ranks = worker(tmp_path, timeout=240, env={"SBEXPLORE_DIST_TIMEOUT_S": "60"},
                      cfg={**CFG, "epochs": 50, "out_dir": str(tmp_path / "run")}, kill=[1, 2])
    assert p.returncode != 0  # ended within the timeout, not hung
    # rank 0 ends with an error: gloo's, when it notices the dead peer first, or torchrun's
    # SIGTERM (sent to every process once one fails), raised as an error by init_from_env's
    # handler; torchrun may also end it before its report is written
    for r0 in (r for r in ranks if r["world"] == 2 and r.get("rank", 0) == 0):
        assert r0["status"] == "failed" and r0["error"]
    run = sb.load_run(tmp_path / "run")  # the last complete save
    assert run.status in ("failed", "running") and len(run.metrics) >= 2


def test_ray_train_gives_the_torchrun_run(tmp_path):
    pytest.importorskip("ray.train.torch") if os.environ.get("CI") != "true" else None
    from sbexplore.jobs.ray_train import train_on_ray

    cfg = sb.RunConfig(**CFG, out_dir=str(tmp_path / "ray"))
    on_ray = train_on_ray(cfg, workers=2)
    p = torchrun(["-m", "sbexplore", "run", "--quiet", *sum(
        ([f"--{k.replace('_', '-')}", str(v)] for k, v in CFG.items()), []),
        "--out-dir", str(tmp_path / "torchrun")])
    assert p.returncode == 0, p.stderr[-3000:]
    via_torchrun = sb.load_run(tmp_path / "torchrun")
    assert on_ray.meta["world_size"] == 2
    assert on_ray.same_results(via_torchrun, config=True)

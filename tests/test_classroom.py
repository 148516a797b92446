"""Classroom limits and the `sbexplore app` command line (no server started)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from sbexplore.cli import build_parser
from sbexplore.cli.app_cmd import voila_argv
from sbexplore.errors import UserError
from sbexplore.ui.classroom import DEFAULT_MAX_RUNS, DEFAULT_THREADS, Limits, limits_from_env


def test_limits_default_and_from_env():
    assert limits_from_env({}) == Limits(DEFAULT_THREADS, DEFAULT_MAX_RUNS)
    env = {"SBEXPLORE_THREADS": "2", "SBEXPLORE_MAX_RUNS": "5"}
    assert limits_from_env(env) == Limits(2, 5)


@pytest.mark.parametrize("env", [{"SBEXPLORE_THREADS": "two"}, {"SBEXPLORE_MAX_RUNS": "0"}])
def test_bad_limits_name_the_variable(env):
    with pytest.raises(UserError, match="SBEXPLORE_THREADS|max_runs"):
        limits_from_env(env)


def _args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["app", *argv])


def test_app_binds_to_loopback_without_a_token_by_default():
    argv, token = voila_argv(_args(), Path("app.ipynb"))
    assert "--Voila.ip=127.0.0.1" in argv and token is None
    assert "--strip_sources=True" in argv  # no code visible


def test_app_on_another_interface_requires_a_token():
    argv, token = voila_argv(_args("--ip", "0.0.0.0"), Path("app.ipynb"))
    assert token and f"--token={token}" in argv
    argv, token = voila_argv(_args("--ip", "0.0.0.0", "--token", "abc"), Path("app.ipynb"))
    assert token == "abc"
    with pytest.raises(UserError, match="token"):
        voila_argv(_args("--ip", "0.0.0.0", "--token", " "), Path("app.ipynb"))


def test_app_rejects_a_bad_ip():
    with pytest.raises(UserError, match="--ip"):
        voila_argv(_args("--ip", "not-an-ip"), Path("app.ipynb"))


def test_the_app_keeps_a_pool_of_pre_started_kernels():
    argv, _ = voila_argv(_args(), Path("app.ipynb"))
    assert "--preheat_kernel=True" in argv and "--pool_size=1" in argv  # one warm tab
    argv, _ = voila_argv(_args("--students", "4"), Path("app.ipynb"), pool=4)
    assert "--pool_size=4" in argv


def test_capacity_is_the_scarcer_of_cores_and_memory():
    from sbexplore.ui.classroom import capacity

    cap = capacity(cores=16, memory_mb=64 * 1024, rss_mb=500, cpu_cores=0.25)
    assert (cap.by_cpu, cap.by_memory, cap.students, cap.bound) == (64, 104, 64, "cores")
    cap = capacity(cores=2, memory_mb=2000, rss_mb=500, cpu_cores=0.1)
    assert (cap.students, cap.bound) == (3, "memory")  # 0.8 * 2000 / 500
    with pytest.raises(UserError, match="rss_mb"):
        capacity(cores=2, memory_mb=2000, rss_mb=0, cpu_cores=0.1)


MEASURED = {"rss_mb": 500.0, "cpu_cores": 0.25, "runs": 3, "threads": 1}


def test_students_prints_the_pool_the_cost_and_the_largest_class():
    from sbexplore.cli.app_cmd import class_plan

    plan = class_plan(4, Limits(), MEASURED, machine=(2, 8192))
    assert plan["pool"] == 4 and plan["capacity"].students == 8
    assert "a pool of 4" in plan["text"] and "500 MB" in plan["text"]
    assert "0.25 cores" in plan["text"] and "at most 8 students" in plan["text"]
    assert "WARNING" not in plan["text"]


def test_more_students_than_the_machine_serves_warns_and_the_pool_fits_memory():
    from sbexplore.cli.app_cmd import class_plan

    plan = class_plan(30, Limits(), MEASURED, machine=(2, 2000))  # 3 kernels fit in memory
    assert plan["pool"] == 3 and plan["capacity"].students == 3
    assert "WARNING: 30 students exceed the 3" in plan["text"] and "memory" in plan["text"]
    with pytest.raises(UserError, match="--students"):
        class_plan(0, Limits(), MEASURED, machine=(2, 2000))


@pytest.mark.slow  # a fresh process imports torch and trains (the app browser test runs it too)
def test_the_probe_measures_a_students_kernel(monkeypatch):
    from sbexplore.cli.app_cmd import probe

    monkeypatch.setenv("SBEXPLORE_PROBE_S", "1.5")
    m = probe(Limits(threads=1, max_runs=2))
    assert m["runs"] == 2 and m["threads"] == 1
    assert 50 < m["rss_mb"] < 8000  # torch and the app are resident
    assert 0 < m["cpu_cores"] < 2.5  # paced runs: a share of the cores, not all

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

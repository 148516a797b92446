"""Shared fixtures. Tests that need ../shared/data skip when it is absent, except in CI."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from sbexplore import RunConfig

REPO = Path(__file__).resolve().parents[1]
# start() and the Dashboard save runs under ./runs by default: keep tests out of the checkout.
os.environ.setdefault("SBEXPLORE_RUNS", tempfile.mkdtemp(prefix="sbexplore-test-runs-"))
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def shared_data_dir() -> Path | None:
    for cand in (os.environ.get("SBEXPLORE_DATA"), REPO.parent / "shared" / "data"):
        if cand and Path(cand).is_dir():
            return Path(cand)
    return None


@pytest.fixture
def shared_data() -> Path:
    """../shared/data (or $SBEXPLORE_DATA); a skip on a user's clone, a failure in CI."""
    d = shared_data_dir()
    if d is None:
        if IN_CI:
            pytest.fail("CI=true but ../shared/data is missing: data tests must run in CI")
        pytest.skip("../shared/data is absent (a user's clone): data tests skipped")
    return d


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def chromium() -> str:
    """The system Chromium; a skip on machines without one, a failure in CI (it installs it)."""
    path = chromium_path()
    if path is None:
        if IN_CI:
            pytest.fail("CI=true but no Chromium is installed (.ci/run installs Debian's)")
        pytest.skip("no system Chromium (apt-get install chromium): browser/export tests skipped")
    return path


@pytest.fixture
def tiny() -> RunConfig:
    """A digits run that takes well under a second on a CPU."""
    return RunConfig(dataset="digits", model="mlp", epochs=3, device="cpu", batch_size=64)


def wait_until(cond, timeout: float = 30.0) -> bool:
    """Poll `cond()` until it is true (True) or `timeout` seconds pass (False)."""
    import time

    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.01)
    return False

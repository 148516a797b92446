"""Shared fixtures, and the test tiers they imply.

Two tiers: `pytest -m "not slow"` (the fast tier, a few minutes) and `pytest` (everything).
Marks come from the fixtures a test uses, so none can be forgotten: a test that uses a
browser, the JupyterLab server, the Voilà app, ../shared/data or a notebook kernel is `slow`
(and `browser` for the first three). Every other test that is not marked `slow` by hand gets
FAST_TIMEOUT_S, so a new slow test fails the fast tier until it is marked.

Tests that need ../shared/data skip when it is absent, except in CI (CI=true), where they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import pytest

from sbexplore import RunConfig

REPO = Path(__file__).resolve().parents[1]
# start() and the Dashboard save runs under ./runs by default: keep tests out of the checkout.
os.environ.setdefault("SBEXPLORE_RUNS", tempfile.mkdtemp(prefix="sbexplore-test-runs-"))
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
FAST_TIMEOUT_S = 30  # per test of the fast tier (the slowest takes ~15 s on 2 cores)
BROWSER_FIXTURES = {"lab", "browser", "page", "app_server"}
SLOW_FIXTURES = BROWSER_FIXTURES | {"shared_data", "cifar_folder", "run_notebook"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if used & BROWSER_FIXTURES:
            item.add_marker(pytest.mark.browser)
        if used & SLOW_FIXTURES:
            item.add_marker(pytest.mark.slow)
        if item.get_closest_marker("slow") is None and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(FAST_TIMEOUT_S))


def shared_data_dir() -> Path | None:
    for cand in (os.environ.get("SBEXPLORE_DATA"), REPO.parent / "shared" / "data"):
        if cand and Path(cand).is_dir():
            return Path(cand)
    return None


def missing(what: str, where: str) -> None:
    """A skip on a user's clone; a failure in CI, where everything the tests need is there."""
    if IN_CI:
        pytest.fail(f"CI=true but {what} is missing: {where}")
    pytest.skip(f"{what} is absent: {where}")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data (or $SBEXPLORE_DATA)."""
    d = shared_data_dir()
    if d is None:
        missing("../shared/data", "data tests need it")
    return d


@pytest.fixture(scope="session")
def cifar_folder(shared_data, tmp_path_factory) -> str:
    """The shared CIFAR-10 JPEG archive extracted once per session (an image-folder dataset)."""
    archive = shared_data / "cifar10-jpg.tar.gz"
    if not archive.is_file():
        missing("../shared/data/cifar10-jpg.tar.gz", "the image-folder tests need it")
    out = tmp_path_factory.mktemp("cifar")
    if shutil.which("tar"):  # GNU tar: ~2 s, Python's tarfile: ~20 s for 60,000 files
        subprocess.run(["tar", "xzf", str(archive), "-C", str(out)], check=True)
    else:
        with tarfile.open(archive) as tar:
            tar.extractall(out, filter="data")
    return str(out / "cifar10-jpg")


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def chromium() -> str:
    """The system Chromium; a skip on machines without one, a failure in CI (it installs it)."""
    path = chromium_path()
    if path is None:
        missing("a system Chromium", "apt-get install chromium (.ci/run installs it)")
    return path


@pytest.fixture(scope="session")
def lab(tmp_path_factory, chromium):
    """One JupyterLab server for every browser test of the session, serving a folder that the
    tests write their (tiny) notebook copies into; see `pages.Lab`."""
    from labserver import jupyterlab
    from pages import Lab

    root = tmp_path_factory.mktemp("lab")
    with jupyterlab(root, env={"SBEXPLORE_RUNS": str(root / "runs")}) as (base, token):
        lab = Lab(root, base, token)
        yield lab
        lab.shut_down_kernels()


@pytest.fixture(scope="session")
def browser(chromium):
    """One headless Chromium for every browser test of the session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()


@pytest.fixture
def page(browser, tmp_path, request):
    """A fresh page; on a failure its screenshot is saved and its path printed."""
    p = browser.new_page(viewport={"width": 1500, "height": 1000})
    yield p
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        shot = tmp_path / "failure.png"
        p.screenshot(path=str(shot), full_page=True)
        print(f"\n[browser] screenshot of the failure: {shot}")
    p.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    rep = yield
    if rep.when == "call":
        item.rep_call = rep  # the `page` fixture screenshots failed tests
    return rep


@pytest.fixture
def run_notebook():
    """Notebook execution in a kernel: `run_notebook.execute_notebook(path, parameters)` and
    `run_notebook.execute_cells(*sources, cwd=...)` (tests/nbexec.py)."""
    import nbexec

    return nbexec


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

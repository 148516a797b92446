"""`sbexplore app` in headless Chromium, two tabs as two students: both runs update, one stops
while the other goes on, no code is visible, a missing dataset is one line. Prints timings."""

from __future__ import annotations

import secrets
import socket
import subprocess
import sys
import time

import pytest
from conftest import REPO
from nbexec import kernel_env

STATUS_JS = """(page) => [...document.querySelectorAll('.widget-html-content')]
    .map(e => e.innerText).find(t => t.includes('candidate batches')) || ''"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def app_server(tmp_path):
    """The app on 127.0.0.1 (free port, token); data root empty, so MNIST is missing."""
    port, token = _free_port(), secrets.token_hex(16)
    env = kernel_env()
    env["SBEXPLORE_DATA"] = str(tmp_path / "no-data")
    t0 = time.time()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sbexplore", "app", "--port", str(port), "--token", token,
         "--no-browser"], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True)
    first = proc.stdout.readline()  # the URL line, printed once
    end = time.time() + 90
    while not _listening(port):
        if time.time() > end or proc.poll() is not None:
            proc.terminate()
            pytest.fail(f"sbexplore app did not listen within 90 s: {first}")
        time.sleep(0.2)
    yield f"http://127.0.0.1:{port}/?token={token}", t0, first
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()


def _open_student(browser, url: str):
    page = browser.new_page(viewport={"width": 1500, "height": 1100})
    page.goto(url, wait_until="commit", timeout=120_000)  # Voilà streams the page as it runs
    page.locator(".widget-button", has_text="Start").wait_for(timeout=120_000)
    epochs = page.locator(".widget-text", has_text="epochs").locator("input")
    epochs.fill("2000")  # long enough to outlive the test; stopped below
    epochs.press("Enter")
    return page


def _wait_running(page, after: str = "") -> str:
    """Wait until the status says running at epoch >= 1 and differs from `after`."""
    page.wait_for_function(
        f"""(after) => {{ const t = ({STATUS_JS})();
            return /running · epoch [1-9]/.test(t) && t !== after; }}""",
        arg=after, timeout=60_000)
    return page.evaluate(f"({STATUS_JS})()")


# data points drawn in the dashboard's plots (every live view has markers)
LIVE_POINTS_JS = """() => [...document.querySelectorAll('.js-plotly-plot')]
    .map(p => p.querySelectorAll('path.point').length).reduce((a, b) => a + b, 0)"""


def test_two_students_in_the_app(app_server, browser, tmp_path):
    url, t0, first_line = app_server
    shots = tmp_path
    assert first_line.count("token=") == 1  # printed once, with the URL
    timings = {}
    opened = []
    try:
        a = _open_student(browser, url)
        opened.append(a)
        timings["app_start_to_ui_s"] = time.time() - t0
        b = _open_student(browser, url)  # a second tab: its own kernel
        opened.append(b)
        t = time.time()
        a.locator(".widget-button", has_text="Start").click()
        _wait_running(a)
        a.wait_for_function(f"() => ({LIVE_POINTS_JS})() > 0", timeout=60_000)
        timings["start_click_to_first_live_plot_s"] = time.time() - t
        timings["app_start_to_first_live_plot_s"] = (
            timings["app_start_to_ui_s"] + timings["start_click_to_first_live_plot_s"])
        b.locator(".widget-button", has_text="Start").click()
        sb = _wait_running(b)
        sa = _wait_running(a)
        _wait_running(a, sa)  # both keep updating
        _wait_running(b, sb)
        for page in (a, b):  # each student's own plot is live
            page.wait_for_function(f"() => ({LIVE_POINTS_JS})() > 0", timeout=60_000)

        t = time.time()
        a.locator(".widget-button", has_text="Stop").first.click()
        a.wait_for_function(f"() => /: stopped ·/.test(({STATUS_JS})())", timeout=20_000)
        timings["stop_to_stopped_s"] = time.time() - t
        sb = _wait_running(b)
        _wait_running(b, sb)  # the other student's run goes on

        for page in (a, b):  # no code: no editor, no input area, no source text
            code = page.locator(".jp-InputArea-editor, .cm-editor, .CodeMirror, pre code")
            assert code.count() == 0
            assert "build_app" not in page.locator("body").inner_text()

        b.locator(".widget-dropdown", has_text="dataset").locator("select").select_option(
            "mnist")
        b.locator(".widget-button", has_text="Start").click()
        b.wait_for_function("""() => [...document.querySelectorAll('.widget-html-content')]
            .some(e => e.innerText.includes("dataset='mnist'"))""", timeout=60_000)
        message = b.evaluate("""() => [...document.querySelectorAll('.widget-html-content')]
            .map(e => e.innerText).find(t => t.includes("dataset='mnist'"))""")
        assert "\n" not in message.strip() and "Traceback" not in message
        assert "data_root" in message  # says what to do
    except Exception:
        for i, page in enumerate(opened):
            try:
                page.screenshot(path=str(shots / f"failure{i}.png"), timeout=10_000)
            except Exception as exc:  # the failure itself matters more
                print(f"[app] no screenshot: {exc}")
        print(f"[app] screenshots of the failure in {shots}")
        raise
    finally:
        for page in opened:
            page.close()
    print("\n[app] timings: " + ", ".join(f"{k}={v:.2f}" for k, v in timings.items()))

"""`sbexplore app` in headless Chromium, four tabs as four students opened at once against a warm
pool: every tab is ready in time, all four train paced runs whose plots keep changing, one stops
while the others go on, no code is visible, a missing dataset is one line, and the teacher's page
tallies the four predictions and then the four results. Prints timings."""

from __future__ import annotations

import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest
from labserver import _free_port
from nbexec import kernel_env

from sbexplore.ui.app import WARM

STATUS_JS = """(page) => [...document.querySelectorAll('.widget-html-content')]
    .map(e => e.innerText).find(t => t.includes('candidate batches')) || ''"""


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


class Output:
    """The server's output lines, read in a thread (a full pipe would block the server)."""

    def __init__(self, stream):
        self.lines: list[str] = []
        self.new = threading.Condition()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream) -> None:
        for line in stream:
            with self.new:
                self.lines.append(line)
                self.new.notify_all()

    def wait_for(self, text: str, timeout_s: float, times: int = 1) -> str:
        """The first line containing `text`, once the server printed it `times` times."""
        with self.new:
            ok = self.new.wait_for(lambda: sum(x.count(text) for x in self.lines) >= times,
                                   timeout_s)
            if not ok:
                pytest.fail(f"the app never printed {text!r}: {''.join(self.lines)[-2000:]}")
            return next(x for x in self.lines if text in x)


STUDENTS = 4  # kernels kept pre-started: each tab below takes a warm one
# a tab that takes a warm kernel shows the panel in 3.2 s alone; 4 tabs opened at once by this
# one browser, which draws them on the server's own 2 cores, took 7.6-11.6 s (cold: 24-29 s;
# BENCHMARKS.md "Classroom: warm kernels"). In a class each student's browser is their own.
WARM_TAB_S = 20.0


@pytest.fixture
def app_server(tmp_path):
    """The app on 127.0.0.1 (free port, token) for 4 students; data root empty, so MNIST is
    missing. Yields once the pool of pre-started kernels is full."""
    port, token, teacher_port = _free_port(), secrets.token_hex(16), _free_port()
    env = kernel_env()
    env["SBEXPLORE_DATA"] = str(tmp_path / "no-data")
    t0 = time.time()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sbexplore", "app", "--port", str(port), "--token", token,
         "--no-browser", "--students", str(STUDENTS), "--teacher", "--teacher-port",
         str(teacher_port)], cwd=tmp_path, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = Output(proc.stdout)
    try:
        first = out.wait_for("sbexplore app:", 300)  # the URL line, printed once
        out.teacher_url = out.wait_for("the teacher's view", 60).split(": ", 1)[1].strip()
        out.wait_for(WARM, 300, times=STUDENTS)  # each kernel of the pool
    except BaseException:
        proc.kill()
        raise
    out.ready_s = time.time() - t0
    yield f"http://127.0.0.1:{port}/?token={token}", out, first
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()


def _open_students(browser, url: str, n: int) -> tuple[list, list[float]]:
    """`n` tabs opened at once; each shows Start, then gets 2,000 epochs (to outlive the test;
    stopped below). The pages and the seconds each took to show Start."""
    pages, t0 = [], time.time()
    for _ in range(n):
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        page.goto(url, wait_until="commit", timeout=120_000)  # Voilà streams the page
        pages.append(page)
    ready = []
    for page in pages:
        page.locator(".widget-button", has_text="Start").wait_for(timeout=120_000)
        ready.append(time.time() - t0)
    for page in pages:
        epochs = page.locator(".widget-text", has_text="epochs").locator("input")
        epochs.fill("2000")
        epochs.press("Enter")
    return pages, ready


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


# every path the page's plots draw: it changes whenever some plot is redrawn differently
PLOT_PATHS_JS = """[...document.querySelectorAll('.js-plotly-plot path')]
    .map(p => p.getAttribute('d')).join('|')"""


def _plots_keep_changing(page, changes: int = 3) -> None:
    """Wait until the page's plots were drawn differently `changes` more times."""
    page.evaluate("() => { window.__paths = undefined; window.__drawn = 0; }")
    page.wait_for_function(
        f"""(n) => {{ const s = {PLOT_PATHS_JS};
            if (s !== window.__paths) {{ window.__paths = s; window.__drawn++; }}
            return window.__drawn > n; }}""", arg=changes, polling=200, timeout=90_000)


def _stop(page) -> None:
    page.locator(".widget-button", has_text="Stop").first.click()
    page.wait_for_function(f"() => /: stopped ·/.test(({STATUS_JS})())", timeout=30_000)


def test_four_students_in_the_app(app_server, browser, tmp_path):
    url, out, first_line = app_server
    shots = tmp_path
    assert first_line.count("token=") == 1  # printed once, with the URL
    plan = "".join(out.lines)
    assert f"a pool of {STUDENTS} pre-started" in plan and "MB" in plan  # --students' plan
    timings = {"app_start_to_warm_pool_s": out.ready_s}
    opened = []
    try:
        opened, ready = _open_students(browser, url, STUDENTS)  # each its own warm kernel
        students = list(opened)
        timings.update({f"tab{i}_open_to_ui_s": r for i, r in enumerate(ready)})
        assert max(ready) < WARM_TAB_S, f"tabs took {ready} s with a warm pool"
        a, *others = students
        t = time.time()
        a.locator(".widget-button", has_text="Start").click()
        _wait_running(a)
        a.wait_for_function(f"() => ({LIVE_POINTS_JS})() > 0", timeout=60_000)
        timings["start_click_to_first_live_plot_s"] = time.time() - t
        for page in others:
            page.locator(".widget-button", has_text="Start").click()
        status = [_wait_running(page) for page in students]
        for page, seen in zip(students, status, strict=True):
            _wait_running(page, seen)  # all four keep training
        t = time.time()
        for page in students:  # each student's own plots keep changing
            page.wait_for_function(f"() => ({LIVE_POINTS_JS})() > 0", timeout=60_000)
            _plots_keep_changing(page)
        timings["four_tabs_three_plot_changes_each_s"] = time.time() - t

        t = time.time()
        _stop(a)
        timings["stop_to_stopped_s"] = time.time() - t
        for page in others:  # the other students' runs go on
            _wait_running(page, _wait_running(page))

        for page in students:  # no code: no editor, no input area, no source text
            code = page.locator(".jp-InputArea-editor, .cm-editor, .CodeMirror, pre code")
            assert code.count() == 0
            assert "build_app" not in page.locator("body").inner_text()
        for page in others:  # the lesson's runs come next
            _stop(page)

        b = others[0]
        b.locator(".widget-dropdown", has_text="dataset").locator("select").select_option(
            "mnist")
        b.locator(".widget-button", has_text="Start").click()
        b.wait_for_function("""() => [...document.querySelectorAll('.widget-html-content')]
            .some(e => e.innerText.includes("dataset='mnist'"))""", timeout=60_000)
        message = b.evaluate("""() => [...document.querySelectorAll('.widget-html-content')]
            .map(e => e.innerText).find(t => t.includes("dataset='mnist'"))""")
        assert "\n" not in message.strip() and "Traceback" not in message
        assert "data_root" in message  # says what to do

        t = time.time()
        _teacher_sees_the_room(browser, out.teacher_url, url, students, opened)
        timings["predictions_to_four_results_revealed_s"] = time.time() - t
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


# the predictions the four students make on card 1 (β = 5: what share is kept?)
PREDICTIONS = ("about one in six", "about half", "about one in six", "all of them")


def _teacher_sees_the_room(browser, teacher_url: str, student_url: str, students, opened):
    """Each student predicts card 1 and runs it; the teacher's page tallies the predictions,
    then the measured results, and reveals the answer on a click. Without its token the view
    refuses, and the students' server has no route to the tally."""
    base = teacher_url.split("?")[0]
    for path in ("", "tally", "tally?token=" + student_url.split("token=")[1]):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(base + path, timeout=10)
        assert refused.value.code == 403, path
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(student_url.replace("/?", "/tally?"), timeout=10)
    assert missing.value.code in (403, 404)  # no such route there: refused or not found
    teacher = browser.new_page(viewport={"width": 1200, "height": 1000})
    opened.append(teacher)
    teacher.goto(teacher_url)
    card = teacher.locator('[data-card="beta"]')
    for page, choice in zip(students, PREDICTIONS, strict=True):
        page.locator(".widget-radio-box label", has_text=choice).first.click()
        page.locator(".widget-button", has_text="Run this experiment").first.click()
    for choice in dict.fromkeys(PREDICTIONS):  # tallied: 2, 1 and 1
        card.locator("tr", has_text=choice).filter(
            has_text=str(PREDICTIONS.count(choice))).wait_for(timeout=30_000)
    card.locator(".results", has_text=f"{len(students)} result(s)").wait_for(
        timeout=240_000)  # every student's runs ended
    assert card.locator(".answer").count() == 0
    card.locator("button", has_text="Reveal").click()
    card.locator(".answer", has_text="about one in six").wait_for(timeout=10_000)
    assert "mean 0.1" in card.locator(".results").inner_text()  # keep fraction at β = 5


KERNEL_ID_JS = ("() => JSON.parse(document.getElementById('jupyter-config-data').textContent)"
                ".kernelId")


def test_a_killed_kernel_recovers_on_reload_and_the_others_go_on(app_server, browser):
    """A student's kernel dies mid-run (killed, as the OS would on memory pressure): the other
    student's run goes on, the server stays up, the first student's page says to reload, and
    the reload gets a fresh kernel that trains."""
    url, out, _ = app_server
    opened = []
    try:
        opened, _ = _open_students(browser, url, 2)
        a, b = opened
        for page in opened:
            page.locator(".widget-button", has_text="Start").click()
        _wait_running(a)
        sb = _wait_running(b)
        killed = a.evaluate(KERNEL_ID_JS)
        assert killed and killed != b.evaluate(KERNEL_ID_JS)
        assert subprocess.run(["pkill", "-KILL", "-f", f"kernel-{killed}.json"]).returncode == 0
        t = time.time()
        sb = _wait_running(b, sb)  # the other student's run goes on
        _wait_running(b, sb)
        # the page whose kernel died says so (no heartbeat for lifeline.SILENT_S)
        a.locator(".sbexplore-lost", has_text="Reload the page").wait_for(timeout=60_000)
        lost_s = time.time() - t
        t = time.time()
        a.reload(wait_until="commit", timeout=120_000)
        a.locator(".widget-button", has_text="Start").wait_for(timeout=120_000)
        reload_s = time.time() - t
        assert a.evaluate(KERNEL_ID_JS) != killed  # a fresh kernel
        a.locator(".widget-button", has_text="Start").click()
        _wait_running(a)
        a.wait_for_function(f"() => ({LIVE_POINTS_JS})() > 0", timeout=60_000)
        _wait_running(b, _wait_running(b))  # and b still trains
        with urllib.request.urlopen(url, timeout=60) as resp:  # the server never restarted
            assert resp.status == 200
        print(f"\n[app] {lost_s:.1f} s after its kernel was killed the page said so; a reload "
              f"showed Start in {reload_s:.1f} s")
    finally:
        for page in opened:
            page.close()

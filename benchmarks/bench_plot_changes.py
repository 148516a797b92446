"""Plot changes per second in each student's tab while k students train at once.

`sbexplore app --students k` (a warm pool); k headless Chromium tabs open it, each sets a long
run (2,000 epochs) and clicks Start: the app's paced lesson run (0.5 s per epoch). Once every
tab trains, each page samples its plots 10 times a second for `--seconds` and counts the samples
in which some plot's drawing changed; the goal is >= 2 changes per second in every tab. It also
counts the plot updates each tab *received* (the kernel's figure edits on the tab's websocket,
grouped into 100 ms windows): what the server delivers, whatever the browser then manages to draw.
All tabs share one Chromium on the server's own 2 cores, which a class's laptops would not.

`--watched w` (w < k) puts only w students in the browser; the other k - w train as processes
like the app's kernels (`bench_classroom`'s student: one torch thread, the lesson's paced run, a
Dashboard redrawing), so the server's 2 cores carry k students while the one Chromium draws w
tabs, nearer a room where each student's browser is their own machine. (Those k - w send their
redraws to no browser, so the Voilà server relays nothing for them.)

    python -m benchmarks.bench_plot_changes --students 4 --watched 1

    python -m benchmarks.bench_plot_changes [--students 1 2 4 8] [--seconds 10]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time

from benchmarks.bench_classroom import spawn
from benchmarks.bench_warm_tabs import CHROMIUM, _server
from benchmarks.common import hardware

# every 100 ms: did any plot's drawn paths change since the last sample?
SAMPLE_JS = """() => {
    const sig = () => [...document.querySelectorAll('.js-plotly-plot path')]
        .map(p => p.getAttribute('d')).join('|');
    window.__changes = 0; let last = sig();
    window.__sampler = setInterval(() => { const s = sig();
        if (s !== last) { window.__changes++; last = s; } }, 100);
}"""
BACKGROUND_FLAGS = ("--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                    "--disable-backgrounding-occluded-windows")
# a figure edit sent to the page (plotly sets each `_py2js_*` trait, then resets it to null)
EDIT = re.compile(rb'"_py2js_\w+":\s*\{')


class Received:
    """When a page's websockets brought figure edits (seconds, monotonic)."""

    def __init__(self, page) -> None:
        self.times: list[float] = []
        page.on("websocket", lambda ws: ws.on("framereceived", self._frame))

    def _frame(self, payload: str | bytes) -> None:
        data = payload.encode() if isinstance(payload, str) else payload
        if EDIT.search(data):
            self.times.append(time.monotonic())

    def per_second(self, t0: float, t1: float) -> float:
        """Distinct 100 ms windows with an edit between t0 and t1, per second."""
        return len({int(t * 10) for t in self.times if t0 <= t < t1}) / (t1 - t0)


RUNNING_JS = """() => [...document.querySelectorAll('.widget-html-content')]
    .some(e => /running · epoch [1-9]/.test(e.innerText))"""


def changes_per_tab(url: str, k: int, seconds: float) -> tuple[list[float], list[float]]:
    """Per tab: plot changes drawn per second, and plot updates received per second."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            # each student's tab is in front on their own screen: no background-tab throttling
            *BACKGROUND_FLAGS])
        pages, received = [], []
        for _ in range(k):
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            received.append(Received(page))
            page.goto(url, wait_until="commit", timeout=300_000)
            pages.append(page)
        for page in pages:
            page.locator(".widget-button", has_text="Start").wait_for(timeout=300_000)
            epochs = page.locator(".widget-text", has_text="epochs").locator("input")
            epochs.fill("2000")
            epochs.press("Enter")
        for page in pages:
            page.locator(".widget-button", has_text="Start").click()
        for page in pages:
            page.wait_for_function(RUNNING_JS, timeout=300_000)
            page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot')"
                                   ".length >= 4", timeout=300_000)
        for page in pages:
            page.evaluate(SAMPLE_JS)
        t0 = time.monotonic()
        pages[0].wait_for_timeout(seconds * 1000)  # the window; playwright's events flow meanwhile
        t1 = time.monotonic()
        drawn = [page.evaluate("() => window.__changes") / (t1 - t0) for page in pages]
        got = [r.per_second(t0, t1) for r in received]
        browser.close()
    return drawn, got


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--students", type=int, nargs="+", default=[1, 2, 4, 8])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--watched", type=int, default=None,
                    help="students in the browser (default: all); the others train headless")
    a = ap.parse_args()
    print(f"# {hardware()}\n| students training at once | plot changes drawn per second per tab "
          "(min / median / max) | tabs with >= 2 | plot updates received per second per tab "
          "(min / median / max) | tabs with >= 2 |\n|---|---|---|---|---|", flush=True)
    for k in a.students:
        w = min(k, a.watched or k)
        with tempfile.TemporaryDirectory() as cwd:
            proc, _, url = _server([sys.executable, "-m", "sbexplore", "app",
                                    f"--students={w}"], cwd, w)
            headless = spawn(k - w, a.seconds + 120)  # train outside the browser
            try:
                drawn, got = changes_per_tab(url, w, a.seconds)
            finally:
                for p in [proc, *headless]:
                    p.terminate()
                    p.wait(30)
        cells = [f"{min(r):.1f} / {statistics.median(r):.1f} / {max(r):.1f} | "
                 f"{sum(x >= 2 for x in r)} of {w}" for r in (drawn, got)]
        who = f"{k}" if w == k else f"{k} ({w} in the browser, {k - w} headless)"
        print(f"| {who} | {' | '.join(cells)} |", flush=True)

"""01_quickstart in a real JupyterLab driven by headless Chromium: Start, live updates while
another cell runs, Stop within a second. Prints its timings."""

from __future__ import annotations

import time

import nbformat
import pytest
from conftest import REPO
from labserver import jupyterlab as serve
from nbexec import inject_parameters

pytestmark = pytest.mark.browser
SLEEP_CELL = "import time as _t\n_t.sleep(12) if dash.runs else None  # browser test: busy kernel"


@pytest.fixture
def jupyterlab(tmp_path, chromium):
    nb = nbformat.read(REPO / "notebooks" / "01_quickstart.ipynb", as_version=4)
    inject_parameters(nb, {"epochs": 5000, "autostart": False, "wait": False})  # test presses Start
    nb.cells.append(nbformat.v4.new_code_cell(SLEEP_CELL))
    root = tmp_path / "lab"
    root.mkdir()
    nbformat.write(nb, root / "01_quickstart.ipynb")
    t0 = time.time()
    with serve(root, timeout=60) as (base, token):
        print(f"\n[browser] JupyterLab up in {time.time() - t0:.1f}s")
        yield f"{base}/lab/tree/01_quickstart.ipynb?token={token}"


def _wait_idle(page, timeout=90.0):
    page.wait_for_function(
        "() => document.querySelector('#jp-main-statusbar')?.innerText.includes('Idle')",
        timeout=timeout * 1000)


def _status(page) -> str:
    return page.locator(".widget-html-content:visible", has_text="· step").first.inner_text()


def _hist_signature(page) -> str:
    return page.evaluate("""() => {
        const plots = [...document.querySelectorAll('.js-plotly-plot')];
        const h = plots.find(p => (p.querySelector('.gtitle')?.textContent || '')
                                  .startsWith('Loss histogram'));
        if (!h) return '';
        return h.querySelector('.gtitle').textContent + [...h.querySelectorAll('path.js-line')]
            .map(p => p.getAttribute('d')).join('|');
    }""")


def test_quickstart_live_in_jupyterlab(jupyterlab, chromium, tmp_path):
    from playwright.sync_api import sync_playwright

    timings = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        try:
            _drive(page, jupyterlab, timings, tmp_path)
        except Exception:
            shot = tmp_path / "failure.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"[browser] screenshot of the failure: {shot}")
            raise
        finally:
            browser.close()
    print("[browser] timings: " + ", ".join(f"{k}={v:.2f}" for k, v in timings.items()))
    assert timings["stop_to_stopped_s"] < 1.0


def _drive(page, url: str, timings: dict, shots) -> None:
    if True:
        t = time.time()
        page.goto(url)
        page.locator(".jp-Notebook").wait_for(timeout=60_000)
        _wait_idle(page)
        timings["open_notebook_s"] = time.time() - t

        t = time.time()
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        start_button = page.locator(".widget-button", has_text="Start")
        start_button.wait_for(timeout=60_000)
        _wait_idle(page)
        timings["run_all_cells_s"] = time.time() - t

        t = time.time()
        start_button.click()
        page.wait_for_function("() => [...document.querySelectorAll('.widget-html-content')]"
                               ".some(e => /running · epoch [1-9]/.test(e.innerText))",
                               timeout=60_000)
        timings["start_to_first_update_s"] = time.time() - t

        # another cell runs (the kernel is busy for 12 s): the views must keep updating
        cells = page.locator(".jp-Notebook .jp-Cell")
        last_cell = cells.nth(cells.count() - 1)  # pinned: Shift+Enter appends a new last cell
        last_cell.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Shift+Enter")
        prompt = last_cell.locator(".jp-InputPrompt")
        page.wait_for_function("(el) => el.innerText.includes('*')", arg=prompt.element_handle(),
                               timeout=10_000)  # [*]: the sleeping cell is executing
        s0, h0 = _status(page), _hist_signature(page)
        time.sleep(3)
        s1, h1 = _status(page), _hist_signature(page)
        busy = "*" in prompt.inner_text()
        assert busy, "the sleeping cell should still be running"
        assert s1 != s0, f"status did not update while another cell ran: {s0!r}"
        assert h1 and h1 != h0, "the loss histogram did not update while another cell ran"
        page.locator(".widget-button", has_text="Start").first.scroll_into_view_if_needed()
        page.screenshot(path=str(shots / "dashboard.png"), full_page=True)
        print(f"[browser] the live dashboard: {shots / 'dashboard.png'}")
        page.wait_for_function("(el) => !el.innerText.includes('*')",
                               arg=prompt.element_handle(), timeout=30_000)
        _wait_idle(page, 30)
        # While the busy cell blocked the kernel, the browser's messages to it (plotly's
        # relayout deltas) piled up. A cell executes only after them, so its output means
        # the backlog is gone; a click before that waited up to 9 s behind it.
        t = time.time()
        page.keyboard.type("'drained'")
        page.keyboard.press("Shift+Enter")
        page.locator(".jp-OutputArea-output", has_text="'drained'").wait_for(timeout=60_000)
        timings["backlog_after_busy_cell_s"] = time.time() - t

        t = time.time()
        page.locator(".widget-button", has_text="Stop").first.click()
        page.wait_for_function("() => [...document.querySelectorAll('.widget-html-content')]"
                               ".some(e => /: stopped ·/.test(e.innerText))", timeout=10_000)
        timings["stop_to_stopped_s"] = time.time() - t

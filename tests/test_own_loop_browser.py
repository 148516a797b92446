"""Notebook 06 in a real JupyterLab driven by headless Chromium: the user's hand-written loop
trains in a background thread and its Recorder drives the dashboard live; Stop ends the loop."""

from __future__ import annotations

import nbformat
import pytest
from conftest import REPO
from labserver import jupyterlab
from nbexec import inject_parameters
from test_browser import _wait_idle

pytestmark = pytest.mark.browser

# The loss histogram's drawn bars and the curves' points, as one string per view.
VIEW_SIGNATURE = """(title) => {
    const plots = [...document.querySelectorAll('.js-plotly-plot')];
    const p = plots.find(p => (p.querySelector('.gtitle')?.textContent || '').startsWith(title));
    if (!p) return '';
    return [...p.querySelectorAll('path')].map(e => e.getAttribute('d')).join('|');
}"""


@pytest.fixture
def lab_with_notebook_06(tmp_path, chromium):
    nb = nbformat.read(REPO / "notebooks" / "06_your_own_loop.ipynb", as_version=4)
    inject_parameters(nb, {"epochs": 2000, "pace": 0.3})
    nbformat.write(nb, tmp_path / "06.ipynb")
    with jupyterlab(tmp_path) as (base, token):
        yield f"{base}/lab/tree/06.ipynb?token={token}"


def _wait_view_changes(page, title: str, before: str, timeout_s: float = 60) -> str:
    page.wait_for_function(f"(a) => {{ const s = ({VIEW_SIGNATURE})(a[0]); "
                           "return s !== '' && s !== a[1]; }", arg=[title, before],
                           timeout=timeout_s * 1000)
    return page.evaluate(VIEW_SIGNATURE, title)


def test_a_user_loops_recorder_drives_the_dashboard_live(lab_with_notebook_06, chromium,
                                                        tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        try:
            page.goto(lab_with_notebook_06)
            page.locator(".jp-Notebook").wait_for(timeout=60_000)
            _wait_idle(page)
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
            page.wait_for_function("() => [...document.querySelectorAll('.widget-html-content')]"
                                   ".some(e => /running · epoch [2-9]/.test(e.innerText))",
                                   timeout=120_000)
            _wait_idle(page)  # every cell ran; the user's loop trains in its thread
            hist = _wait_view_changes(page, "Loss histogram", "")
            hist = _wait_view_changes(page, "Loss histogram", hist)  # a later epoch redraws it
            curves = page.evaluate(VIEW_SIGNATURE, "Test accuracy")
            _wait_view_changes(page, "Test accuracy", curves)
            page.locator(".widget-button", has_text="Stop").first.click()
            page.wait_for_function(
                "() => [...document.querySelectorAll('.widget-html-content')]"
                ".some(e => /: stopped ·/.test(e.innerText))", timeout=30_000)
        except Exception:
            shot = tmp_path / "failure.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"[browser] screenshot of the failure: {shot}")
            raise
        finally:
            browser.close()

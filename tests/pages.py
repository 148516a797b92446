"""What browser tests do on a JupyterLab page: open a notebook copy, Run All, wait, read."""

from __future__ import annotations

import ast
import json
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from conftest import REPO
from nbexec import inject_parameters

# a plotted figure with data; plotly>=6 sends numpy arrays base64-encoded ({dtype, bdata}), which
# plotly.js decodes into `_fullData`, so that is what is counted
FIGURES_JS = """() => [...document.querySelectorAll('.jp-Notebook .js-plotly-plot')]
    .filter(p => (p._fullData || []).some(t => ['x', 'y', 'z', 'values'].some(
        k => t[k] && t[k].length > 0))).length"""
PLOTS_JS = "() => document.querySelectorAll('.jp-Notebook .js-plotly-plot').length"
# a traceback, or sbexplore's short form of a user mistake (sbexplore/errors.py)
ERRORS = ("Traceback (most recent call last)", "An exception has occurred, use %tb")
ERROR_JS = f"""() => {{ const t = document.querySelector('.jp-Notebook').innerText;
    return {list(ERRORS)!r}.some(e => t.includes(e)); }}"""
PENDING_JS = """() => {
    const cells = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')];
    const prompts = cells.map(c => c.querySelector('.jp-InputPrompt')?.innerText || '');
    return prompts.filter(p => !/\\[\\d+\\]/.test(p)).length;
}"""
# The drawn paths of the plot whose title starts with `title`, as one string (changes on redraw).
VIEW_SIGNATURE = """(title) => {
    const plots = [...document.querySelectorAll('.js-plotly-plot')];
    const p = plots.find(p => (p.querySelector('.gtitle')?.textContent || '').startsWith(title));
    if (!p) return '';
    return [...p.querySelectorAll('path')].map(e => e.getAttribute('d')).join('|');
}"""
STATUS_JS = """() => [...document.querySelectorAll('.widget-html-content')]
    .map(e => e.innerText).find(t => t.includes('candidate batches')) || ''"""


@dataclass
class Lab:
    """The session's JupyterLab: `notebook(...)` puts a parameterised copy in its folder."""

    root: Path
    base: str
    token: str

    def notebook(self, source: str | Path, parameters: dict[str, Any] | None = None,
                 name: str | None = None, extra_cells: tuple[str, ...] = ()) -> str:
        """Copy notebook `source` (a path, or a name under notebooks/) with `parameters` set
        (only names its parameters cell defines) into the lab's folder; returns its URL,
        opened in a workspace of its own (no tab of another test is restored)."""
        self.shut_down_kernels()  # an earlier test's kernels would share the CPU
        path = Path(source) if Path(source).is_file() else REPO / "notebooks" / source
        nb = nbformat.read(path, as_version=4)
        names = parameter_names(nb)
        inject_parameters(nb, {k: v for k, v in (parameters or {}).items() if k in names})
        nb.cells += [nbformat.v4.new_code_cell(c) for c in extra_cells]
        stem = name or path.stem
        nbformat.write(nb, self.root / f"{stem}.ipynb")
        return f"{self.base}/lab/workspaces/{stem}/tree/{stem}.ipynb?reset&token={self.token}"


    def shut_down_kernels(self) -> None:
        """End every kernel the server runs (through its REST API)."""
        for kernel in self._api("GET", "/api/kernels"):
            self._api("DELETE", f"/api/kernels/{kernel['id']}")

    def _api(self, method: str, path: str) -> Any:
        req = urllib.request.Request(f"{self.base}{path}?token={self.token}", method=method)
        with urllib.request.urlopen(req, timeout=30) as resp:
            body = resp.read()
        return json.loads(body) if body else None


def parameter_names(nb: nbformat.NotebookNode) -> set[str]:
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    return {t.id for node in ast.parse(cell.source).body if isinstance(node, ast.Assign)
            for t in node.targets if isinstance(t, ast.Name)}


def wait_idle(page, timeout_s: float = 120.0) -> None:
    page.wait_for_function(
        "() => document.querySelector('#jp-main-statusbar')?.innerText.includes('Idle')",
        timeout=timeout_s * 1000)


def open_notebook(page, url: str) -> None:
    page.goto(url)
    page.locator(".jp-Notebook").wait_for(timeout=90_000)
    wait_idle(page)


def run_all(page, timeout_s: float = 540.0) -> str:
    """Run All, then wait until every code cell ran or an error stopped Run All; returns the
    notebook's text (an error's traceback fails the test, with its text)."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    return all_ran(page, timeout_s)


def all_ran(page, timeout_s: float = 540.0) -> str:
    """Wait until a Run All already under way has run every code cell (or an error stopped
    it); returns the notebook's text (an error's traceback fails the test, with its text)."""
    page.wait_for_function(f"() => ({PENDING_JS})() === 0 || ({ERROR_JS})()",
                           timeout=timeout_s * 1000)
    text = page.locator(".jp-Notebook").inner_text()
    assert not any(e in text for e in ERRORS), error_excerpt(text)
    return text


def wait_for_figures(page, want: int, timeout_s: float = 60.0) -> int:
    """Wait until at least `want` plotly figures show data; returns how many do."""
    try:
        page.wait_for_function(f"() => ({FIGURES_JS})() >= {want}", timeout=timeout_s * 1000)
    except Exception:
        raise AssertionError(f"{page.evaluate(FIGURES_JS)} of {page.evaluate(PLOTS_JS)} plotly "
                             f"figures have data; want {want}") from None
    return page.evaluate(FIGURES_JS)


def wait_view_changes(page, title: str, before: str, timeout_s: float = 60) -> str:
    """Wait until the plot titled `title` is drawn and differs from `before`; its signature."""
    page.wait_for_function(f"(a) => {{ const s = ({VIEW_SIGNATURE})(a[0]); "
                           "return s !== '' && s !== a[1]; }", arg=[title, before],
                           timeout=timeout_s * 1000)
    return page.evaluate(VIEW_SIGNATURE, title)


def view_signature(page, title: str) -> str:
    return page.evaluate(VIEW_SIGNATURE, title)


def status(page) -> str:
    """The dashboard's status line (name, state, epoch, candidate batches, backprops)."""
    return page.evaluate(f"({STATUS_JS})()")


def wait_status(page, pattern: str, timeout_s: float = 60.0) -> str:
    """Wait until some widget's text matches the regular expression `pattern`."""
    page.wait_for_function("(p) => [...document.querySelectorAll('.widget-html-content')]"
                           ".some(e => new RegExp(p).test(e.innerText))", arg=pattern,
                           timeout=timeout_s * 1000)
    return status(page)


def click_until_status(page, button: str, pattern: str, timeout_s: float = 10.0) -> float:
    """Click the first widget button labelled `button`, wait until a widget's text matches
    `pattern`; returns the seconds the user saw between the two, timed by the browser's clock
    (from the click event to the text's change), not counting Playwright's own round trips."""
    page.evaluate("""(p) => {
        window.__clicked = window.__shown = null;
        document.addEventListener('click', () => { window.__clicked ??= performance.now(); },
                                  {capture: true, once: true});
        const seen = () => [...document.querySelectorAll('.widget-html-content')]
            .some(e => new RegExp(p).test(e.innerText));
        new MutationObserver((_, o) => { if (seen()) { window.__shown = performance.now();
            o.disconnect(); } }).observe(document.body,
            {subtree: true, childList: true, characterData: true});
    }""", pattern)
    page.locator(".widget-button", has_text=button).first.click()
    wait_status(page, pattern, timeout_s)
    page.wait_for_function("() => window.__shown !== null", timeout=timeout_s * 1000)
    return page.evaluate("() => (window.__shown - window.__clicked) / 1000")


def error_excerpt(text: str) -> str:
    i = max(text.find(e) for e in ERRORS)
    return text[max(0, i - 300): i + 1500]

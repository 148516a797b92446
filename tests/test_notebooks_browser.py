"""Every notebook under Run All in a real JupyterLab (headless Chromium), with tiny parameters:
each cell runs without an error and the figures show, with no click on any widget."""

from __future__ import annotations

import ast

import nbformat
import pytest
from conftest import REPO
from labserver import jupyterlab
from nbexec import inject_parameters

pytestmark = [pytest.mark.browser, pytest.mark.slow]
# every teaching notebook (app.ipynb is the Voila app: tests/test_app_browser.py drives it)
NOTEBOOKS = sorted(p for p in (REPO / "notebooks").glob("*.ipynb") if p.stem != "app")
TINY = {  # the names a notebook's parameters cell defines get these values (others: untouched)
    "epochs": 2, "EPOCHS": 2, "autostart": True, "wait": True, "sleep_s": 0.0,
    "betas": [1.0, 3.0], "stalenesses": [1], "seeds": [0], "SEEDS": [0],
    "fractions": [0.0, 0.2], "MISLABEL_FRACTIONS": [0.1, 0.2], "MODEL": "mlp", "model": "mlp",
    "FORMATS": ["svg"], "train_subset": 600, "gallery_subset": 600, "gallery_epochs": 1,
    "folds": 2, "gpu_section": False, "pace": 0.0,
}
PER_NOTEBOOK = {"07_label_errors": {"fractions": [0.2]}}  # its study needs fractions > 0
MIN_FIGURES = {  # measured 2026-11-24 (01: the four of its last cell; its live views vary)
    "01_quickstart": 4, "02_beta_and_staleness": 2, "03_mislabeled_data": 3,
    "04_paper_figures": 9, "05_reproduce_the_paper": 1, "06_your_own_loop": 4, "07_label_errors": 3}


def _parameter_names(nb: nbformat.NotebookNode) -> set[str]:
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    return {t.id for node in ast.parse(cell.source).body if isinstance(node, ast.Assign)
            for t in node.targets if isinstance(t, ast.Name)}


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab serving tiny copies of the notebooks from a temporary folder."""
    from conftest import IN_CI, chromium_path, shared_data_dir

    if chromium_path() is None:
        if IN_CI:
            pytest.fail("CI=true but no Chromium is installed")
        pytest.skip("no system Chromium (apt-get install chromium): browser test skipped")
    root = tmp_path_factory.mktemp("notebooks")
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        names = _parameter_names(nb)
        data = shared_data_dir()  # notebooks 05 and 07 read MNIST from it
        tiny = {**TINY, **PER_NOTEBOOK.get(path.stem, {}),
                **({"data_root": str(data)} if data is not None else {})}
        inject_parameters(nb, {k: v for k, v in tiny.items() if k in names})
        nbformat.write(nb, root / path.name)
    # jupyterlab() keeps every cell in the page, even off screen (no windowing)
    with jupyterlab(root, env={"SBEXPLORE_RUNS": str(root / "runs")}) as (base, token):
        yield base, token, root


@pytest.fixture(scope="module")
def browser(lab):
    from conftest import chromium_path
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()


# a plotted figure with data; plotly>=6 sends numpy arrays base64-encoded ({dtype, bdata}), which
# plotly.js decodes into `_fullData`, so that is what is counted
FIGURES_JS = """() => [...document.querySelectorAll('.jp-Notebook .js-plotly-plot')]
    .filter(p => (p._fullData || []).some(t => ['x', 'y', 'z', 'values'].some(
        k => t[k] && t[k].length > 0))).length"""
PLOTS_JS = "() => document.querySelectorAll('.jp-Notebook .js-plotly-plot').length"
# a traceback, or sbexplore's short form of a user mistake (sbexplore/notebook_errors.py)
ERRORS = ("Traceback (most recent call last)", "An exception has occurred, use %tb")
ERROR_JS = f"""() => {{ const t = document.querySelector('.jp-Notebook').innerText;
    return {list(ERRORS)!r}.some(e => t.includes(e)); }}"""
PENDING_JS = """() => {
    const cells = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')];
    const prompts = cells.map(c => c.querySelector('.jp-InputPrompt')?.innerText || '');
    return prompts.filter(p => !/\\[\\d+\\]/.test(p)).length;
}"""


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_run_all_shows_the_figures_without_a_click(lab, browser, path, tmp_path):
    base, token, root = lab
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    try:
        # a workspace of its own per notebook (?reset): no tab of an earlier test is restored
        page.goto(f"{base}/lab/workspaces/{path.stem}/tree/{path.name}?reset&token={token}")
        page.locator(".jp-Notebook").wait_for(timeout=90_000)
        page.wait_for_function("() => document.querySelector('#jp-main-statusbar')"
                               "?.innerText.includes('Idle')", timeout=120_000)
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        # every code cell gets its execution count (Run All went through to the end), or an
        # error stops Run All: its traceback is the failure message
        page.wait_for_function(f"() => ({PENDING_JS})() === 0 || ({ERROR_JS})()",
                               timeout=540_000)
        text = page.locator(".jp-Notebook").inner_text()
        assert not any(e in text for e in ERRORS), _error_excerpt(text)
        want = MIN_FIGURES.get(path.stem, 1)
        try:
            page.wait_for_function(f"() => ({FIGURES_JS})() >= {want}", timeout=60_000)
        except Exception:
            raise AssertionError(f"{page.evaluate(FIGURES_JS)} of {page.evaluate(PLOTS_JS)} plotly "
                                 f"figures have data; want {want}") from None
        shot = tmp_path / f"{path.stem}.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"\n[browser] {path.stem}: {page.evaluate(FIGURES_JS)} figures with data; {shot}")
    except Exception:
        page.screenshot(path=str(tmp_path / f"{path.stem}-failure.png"), full_page=True)
        print(f"\n[browser] failure screenshot: {tmp_path / f'{path.stem}-failure.png'}")
        raise
    finally:
        page.close()


def _error_excerpt(text: str) -> str:
    i = max(text.find(e) for e in ERRORS)
    return text[max(0, i - 300): i + 1500]

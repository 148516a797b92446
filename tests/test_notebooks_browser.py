"""Every teaching notebook runs once per test run: under Run All, in the session's JupyterLab,
in headless Chromium, with tiny parameters. Each cell runs without an error, the figures show
with no click, and what the notebook says it does (runs saved, figures exported, a live run
steered) happens. app.ipynb is the Voilà app: tests/test_app_browser.py drives it."""

from __future__ import annotations

import time

import pages
from conftest import wait_until

# a busy kernel until the test releases it (no fixed sleep: a loaded machine only waits longer)
BUSY_CELL = ("import pathlib as _p, time as _t\n_t0 = _t.time()\n"
             "while not _p.Path({release!r}).exists() and _t.time() - _t0 < 300:\n"
             "    _t.sleep(0.05)  # browser test: the kernel is busy")


def test_01_quickstart_trains_live_while_another_cell_runs_and_stops_at_once(lab, page):
    release = lab.root / "release-01"
    url = lab.notebook("01_quickstart.ipynb", {"epochs": 5000, "autostart": True, "wait": False,
                                              "sleep_s": 0.0},
                       extra_cells=(BUSY_CELL.format(release=str(release)),))
    timings = {}
    t = time.time()
    pages.open_notebook(page, url)
    timings["open_notebook_s"] = time.time() - t
    t = time.time()
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    # the last cell keeps the kernel busy until released: the views must keep updating
    cells = page.locator(".jp-Notebook .jp-CodeCell")
    prompt = cells.last.locator(".jp-InputPrompt")
    page.wait_for_function(  # executing, not queued: the cell before it has run
        "(a) => a[1].innerText.includes('*') && /\\[\\d+\\]/.test(a[0].innerText)",
        arg=[cells.nth(cells.count() - 2).locator(".jp-InputPrompt").element_handle(),
             prompt.element_handle()], timeout=120_000)
    pages.wait_status(page, r"running · epoch [1-9]")  # autostart: no click needed
    timings["run_all_to_first_update_s"] = time.time() - t
    s0, h0 = pages.status(page), pages.view_signature(page, "Loss histogram")
    assert wait_until(lambda: pages.status(page) != s0, 30), \
        f"status did not update while another cell ran: {s0!r}"
    assert pages.wait_view_changes(page, "Loss histogram", h0, 30), \
        "the loss histogram did not update while another cell ran"
    assert "*" in prompt.inner_text(), "the busy cell should still be running"
    release.touch()
    text = pages.all_ran(page)  # the rest of Run All, through the busy cell
    assert "candidate batches" in text and "backprops" in text
    pages.wait_for_figures(page, 3)  # the rule, the histogram and the curves, live
    # While the busy cell blocked the kernel, the browser's messages to it (plotly's relayout
    # deltas) piled up. A cell executes only after them, so its output means the backlog is
    # gone; a click before that waited up to 9 s behind it.
    t = time.time()
    page.locator(".jp-Notebook .jp-Cell").last.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Escape")
    page.keyboard.press("b")  # a new cell below
    page.keyboard.press("Enter")
    # JupyterLab names the cell and its execution, so a re-run cell replaces its dashboard
    page.keyboard.type("from sbexplore.ui.cells import current_cell\n"
                       "'drained', current_cell() is not None")
    page.keyboard.press("Shift+Enter")
    page.locator(".jp-OutputArea-output", has_text="('drained', True)").wait_for(
        timeout=60_000)
    timings["backlog_after_busy_cell_s"] = time.time() - t
    t = time.time()
    timings["stop_to_stopped_s"] = pages.click_until_status(page, "Stop", r": stopped ·")
    timings["stop_to_stopped_in_playwright_s"] = time.time() - t  # plus its round trips
    print("\n[browser] 01 timings: " + ", ".join(f"{k}={v:.2f}" for k, v in timings.items()))
    assert timings["stop_to_stopped_s"] < 1.0


def test_02_beta_and_staleness_saves_every_run(lab, page):
    out = lab.root / "runs-02"
    page_text = _run_all(lab, page, "02_beta_and_staleness.ipynb", 2, {
        "epochs": 2, "betas": [1.0, 3.0], "stalenesses": [1], "seeds": [0], "out": str(out)})
    assert "uniform" in page_text and "accuracy_per_mbackprop" in page_text
    assert len(list(out.glob("*/*/config.json"))) == 5  # 2 SB + 1 traditional + 2 uniform


def test_03_mislabeled_data_shows_pick_rates(lab, page):
    out = lab.root / "runs-03"
    page_text = _run_all(lab, page, "03_mislabeled_data.ipynb", 3, {
        "epochs": 2, "fractions": [0.0, 0.2], "seeds": [0], "out": str(out)})
    assert "mislabel_pick_rate" in page_text
    assert len(list(out.glob("*/config.json"))) == 4


def test_04_paper_figures_exports_them(lab, page):
    figs = lab.root / "figures-04"
    page_text = _run_all(lab, page, "04_paper_figures.ipynb", 9, {
        "MODEL": "mlp", "EPOCHS": 2, "SEEDS": [0], "MISLABEL_FRACTIONS": [0.1, 0.2],
        "OUT": str(lab.root / "runs-04"), "EXPORT_DIR": str(figs), "FORMATS": ["svg"]})
    for name in ("speedup", "time_breakdown", "mislabels/pick_rate_vs_fraction"):
        assert (figs / f"{name}.svg").is_file() and (figs / f"{name}.csv").is_file()
    assert list(figs.rglob("most_backpropped.svg"))
    assert "Stale-SB n=3" in page_text and "uniform (matched)" in page_text
    assert "speedup" in page_text and "×1.2" in page_text


def test_05_reproduce_the_paper_on_mnist(lab, page, shared_data):
    out = lab.root / "runs-05"
    page_text = _run_all(lab, page, "05_reproduce_the_paper.ipynb", 1, {
        "data_root": str(shared_data), "seeds": [0], "epochs": 2, "train_subset": 600,
        "out": str(out), "gpu_section": False})
    assert "uniform (matched)" in page_text and "speedup" in page_text
    assert "would run" in page_text  # the GPU section says what it would run
    assert len(list(out.glob("*/config.json"))) == 6  # 6 methods x 1 seed


def test_06_a_user_loops_recorder_drives_the_dashboard_live(lab, page):
    url = lab.notebook("06_your_own_loop.ipynb", {"epochs": 2000, "pace": 0.3, "wait_s": 0.0})
    pages.open_notebook(page, url)
    page_text = pages.run_all(page)  # every cell ran; the user's loop trains in its thread
    assert "45 labels flipped" in page_text and "mislabel_pick_rate" in page_text
    pages.wait_status(page, r"running · epoch [2-9]", 120)
    hist = pages.wait_view_changes(page, "Loss histogram", "")
    pages.wait_view_changes(page, "Loss histogram", hist)  # a later epoch redraws it
    curves = pages.view_signature(page, "Test accuracy")
    pages.wait_view_changes(page, "Test accuracy", curves)
    page.locator(".widget-button", has_text="Stop").first.click()
    pages.wait_status(page, r": stopped ·", 30)


def test_07_label_errors_against_cleanlab(lab, page):
    page_text = _run_all(lab, page, "07_label_errors.ipynb", 3, {
        "epochs": 2, "fractions": [0.2], "seeds": [0], "folds": 2, "gallery_dataset": "digits",
        "k": 8})
    assert "cleanlab" in page_text and "mean_loss" in page_text and "extra_time_s" in page_text


def test_08_sb_against_its_rivals_at_a_fair_budget(lab, page):
    page_text = _run_all(lab, page, "08_sb_and_its_rivals.ipynb", 4, {
        "dataset": "digits", "model": "mlp", "train_subset": None, "epochs": 3, "seeds": [0],
        "mislabel_fractions": [0.0, 0.2], "out": str(lab.root / "runs-08")})
    for method in ("traditional, SB's budget (backprops)", "traditional, SB's budget (time)",
                   "uniform (matched)", "InfoBatch", "online batch", "importance sampling",
                   "RHO-LOSS", "accuracy at SB's time", "mislabel pick rate"):
        assert method in page_text, method
    assert "clean: " in page_text and "20% mislabels: " in page_text  # the verdicts
    assert len(list((lab.root / "runs-08").glob("*/*/config.json"))) == 20  # 10 methods x 2


def _run_all(lab, page, notebook: str, figures: int, parameters: dict) -> str:
    """Open a tiny copy, Run All, check `figures` plotly figures have data; the page text."""
    pages.open_notebook(page, lab.notebook(notebook, parameters))
    text = pages.run_all(page)
    shown = pages.wait_for_figures(page, figures)
    print(f"\n[browser] {notebook}: {shown} figures with data")
    return text

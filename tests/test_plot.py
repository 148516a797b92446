"""`Plot` restarts a plot whose browser stops answering its edits, and only then."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest
from conftest import wait_until

from sbexplore.ui import plot as plot_module
from sbexplore.ui.plot import Plot


@pytest.fixture(autouse=True)
def quick_watch(monkeypatch):
    """The watch looks every 50 ms (0.5 s in a kernel), so a plot is lost after 0.3 s here
    and "never restarted" needs only a second's wait."""
    monkeypatch.setattr(plot_module, "POLL_S", 0.05)


def _plot(**kw) -> Plot:
    return Plot(lambda: go.Figure(go.Scatter(y=[0, 1]), layout=dict(title="start")),
                timeout_s=kw.pop("timeout_s", 0.3), **kw)


def _answer(p: Plot) -> None:
    """What a browser that drew the figure's last edit sends back."""
    p.figure._js2py_widget_layoutDelta = {"layout_delta": {},
                                          "layout_edit_id": p.figure._last_layout_edit_id}


def test_a_plot_nobody_looks_at_is_never_restarted():
    p = _plot()
    p.figure.layout.title.text = "edited"  # unanswered, but no browser shows the box
    assert not wait_until(lambda: p.starts > 1, 1.0)
    p.close()


def test_a_plot_whose_browser_answers_every_edit_stays():
    p = _plot()
    p._view_count = 1  # a browser shows it
    for k in range(8):
        p.figure.layout.title.text = f"tick {k}"
        _answer(p)
        assert not wait_until(lambda: p.starts > 1, 0.1)
    assert p.rendered.is_set() and p.starts == 1
    p.close()


def test_an_unanswered_plot_is_restarted_with_its_current_figure():
    p = _plot()
    first = p.figure
    p._view_count = 1  # a browser shows it  # shown, but never drawn (anywidget gave up on it)
    first.layout.title.text = "tick 7"
    assert wait_until(lambda: p.starts == 2, 5.0)
    assert p.figure is not first and p.children == (p.figure,)
    assert p.figure.layout.title.text == "tick 7" and list(p.figure.data[0].y) == [0, 1]
    _answer(p)  # the fresh one draws: no more restarts
    assert not wait_until(lambda: p.starts > 2, 1.0)
    p.close()


def test_time_in_a_running_cell_does_not_count(monkeypatch):
    p = _plot()
    monkeypatch.setattr(p._cells, "running", True)  # the kernel can't hear answers now
    p._view_count = 1  # a browser shows it
    p.figure.layout.title.text = "edited"
    assert not wait_until(lambda: p.starts > 1, 1.0)
    monkeypatch.setattr(p._cells, "running", False)
    assert wait_until(lambda: p.starts == 2, 5.0)
    p.close()


def test_a_plot_that_never_answers_says_so_until_it_is_shown_again(monkeypatch):
    monkeypatch.setattr(plot_module, "MAX_RESTARTS", 1)
    p = _plot(timeout_s=0.3)
    p._view_count = 1  # a browser shows it
    p.figure.layout.title.text = "edited"
    assert wait_until(lambda: "reload the page" in getattr(p.children[0], "value", ""), 10)
    assert p.starts == 2 and p.children[1] is p.figure  # the plot stays, under the note
    assert not wait_until(lambda: p.starts > 2, 0.6)  # no more tries...
    p._view_count = 2  # ...until the page is opened again
    assert wait_until(lambda: p.starts == 3, 5.0)
    _answer(p)
    assert wait_until(lambda: p.children == (p.figure,), 5.0)
    p.close()


def test_an_answer_under_plotlys_own_name_counts_too():
    p = _plot()
    p._view_count = 1
    for k in range(4):
        p.figure.layout.title.text = f"tick {k}"
        p.figure._js2py_layoutDelta = {"layout_delta": {},
                                       "layout_edit_id": p.figure._last_layout_edit_id}
        assert not wait_until(lambda: p.starts > 1, 0.1)
    assert p.rendered.is_set() and p.starts == 1
    p.close()


def test_edits_wait_for_the_browser_to_draw_the_last_one(monkeypatch):
    p = _plot(timeout_s=60)
    p.figure.layout.title.text = "tick 1"
    assert p.caught_up()  # nobody shows it: every edit goes out
    p._view_count = 1  # a browser shows it, and has not drawn tick 1 yet
    assert not p.caught_up(now=100.0)
    assert not p.caught_up(now=100.0 + plot_module.AHEAD_S - 0.1)
    assert p.caught_up(now=100.0 + plot_module.AHEAD_S)  # silent too long: send anyway
    _answer(p)
    assert p.caught_up()
    p.figure.layout.title.text = "tick 2"
    assert not p.caught_up()
    monkeypatch.setattr(p._cells, "running", True)  # the kernel can't hear answers now
    assert p.caught_up()
    p.close()


def test_a_dashboard_sends_a_slow_browser_the_latest_figure_not_a_queue(tiny, monkeypatch):
    from sbexplore.ui import Dashboard

    monkeypatch.setattr(plot_module, "AHEAD_S", 60.0)  # only an answer lets an edit go out
    d = Dashboard(tiny.replace(epochs=500))
    hist = d.plots["hist"]
    hist.timeout_s = 600.0  # and no restart in this test
    hist._view_count = 1  # a browser shows the histogram, and draws nothing until told below

    def redraw_after_a_new_batch() -> None:
        n = run.snapshot()["candidate_batches"]
        assert wait_until(lambda: run.snapshot()["candidate_batches"] > n, 10)
        d.refresh()

    try:
        d.controls.start.click()
        run = d.current
        first = hist.figure._last_layout_edit_id
        for _ in range(6):
            redraw_after_a_new_batch()
        sent = hist.figure._last_layout_edit_id - first
        assert sent <= 1, f"{sent} edits queued for a browser that drew none"
        _answer(hist)  # it drew them: the next redraw sends the latest
        redraw_after_a_new_batch()
        assert hist.figure._last_layout_edit_id > first + sent
        before = hist.figure._last_layout_edit_id  # unanswered from here on
        d.controls.stop.click()
        run.join(30)
        d.refresh()  # no live run left: the final redraw reaches every view, answered or not
        assert hist.figure._last_layout_edit_id > before
    finally:
        d.stop_all()
        d.close()

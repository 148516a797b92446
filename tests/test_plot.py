"""`Plot` restarts a plot whose browser stops answering its edits, and only then."""

from __future__ import annotations

import plotly.graph_objects as go
from conftest import wait_until

from sbexplore.ui import plot as plot_module
from sbexplore.ui.plot import Plot


def _plot(**kw) -> Plot:
    return Plot(lambda: go.Figure(go.Scatter(y=[0, 1]), layout=dict(title="start")),
                timeout_s=kw.pop("timeout_s", 0.6), **kw)


def _answer(p: Plot) -> None:
    """What a browser that drew the figure's last edit sends back."""
    p.figure._js2py_widget_layoutDelta = {"layout_delta": {},
                                          "layout_edit_id": p.figure._last_layout_edit_id}


def test_a_plot_nobody_looks_at_is_never_restarted():
    p = _plot()
    p.figure.layout.title.text = "edited"  # unanswered, but no browser shows the box
    assert not wait_until(lambda: p.starts > 1, 2.0)
    p.close()


def test_a_plot_whose_browser_answers_every_edit_stays():
    p = _plot()
    p._view_count = 1  # a browser shows it
    for k in range(8):
        p.figure.layout.title.text = f"tick {k}"
        _answer(p)
        assert not wait_until(lambda: p.starts > 1, 0.25)
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
    assert not wait_until(lambda: p.starts > 2, 2.0)
    p.close()


def test_time_in_a_running_cell_does_not_count(monkeypatch):
    p = _plot()
    monkeypatch.setattr(p._cells, "running", True)  # the kernel can't hear answers now
    p._view_count = 1  # a browser shows it
    p.figure.layout.title.text = "edited"
    assert not wait_until(lambda: p.starts > 1, 2.0)
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
    assert not wait_until(lambda: p.starts > 2, 1.0)  # no more tries...
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
        assert not wait_until(lambda: p.starts > 1, 0.3)
    assert p.rendered.is_set() and p.starts == 1
    p.close()

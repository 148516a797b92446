"""A plot that can't miss its start: a box around a FigureWidget that starts it again when a
browser shows it but the plot stops answering.

plotly's FigureWidget is an anywidget, and anywidget gives the browser 2 s to load a widget's
code (plotly's 4.6 MB bundle, sent and parsed once per plot). Eight plots opened at once on a
busy machine miss it: some are drawn once and never update again, some are never drawn.

A live FigureWidget answers every edit it draws with a layout delta carrying the edit's number
(plotly's front-end sends it as `_js2py_widget_layoutDelta`, a name plotly's Python side does
not listen to; `AnsweringFigure` does). So while the box is on screen and the kernel is free to
hear answers (no cell running), an edit left unanswered for START_TIMEOUT_S means the plot is
lost: it gets a fresh FigureWidget with the figure as it is now, one restart at a time in a
kernel, so each gets the browser to itself.

The same answers pace the edits: a redraw skips a plot whose browser has not drawn its last
edit yet (`caught_up`), so a slow browser gets the latest figure when it is ready instead of a
growing queue of stale ones, which would also hold up the clicks and status lines behind them.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import anywidget
import ipywidgets as w
import plotly
import plotly.graph_objects as go
import traitlets
from plotly.basewidget import BaseFigureWidget

START_TIMEOUT_S = 8.0  # an edit unanswered this long (box on screen, kernel free): restart
AHEAD_S = 2.0  # a new edit waits for the browser to draw the last one, at most this long
MAX_RESTARTS = 5  # in a row; then the box says so, until the plot answers or shows again
POLL_S = 0.5
_RESTARTS = threading.Lock()  # one restart at a time in a kernel: the browser parses one bundle
LOADING = "<i style='color:#888'>loading the plot…</i>"


# plotly's widget code reaches a page once per kernel, through one `PlotlyCode` widget, and
# every AnsweringFigure's own code is these few lines that wait for it: a FigureWidget sends the
# whole 4.6 MB bundle with each plot (a dashboard's four plots: 20 MB through the kernel's
# socket, four compilations in the browser).
_KEY = json.dumps(f"__sbexplore_plotly_{plotly.__version__}")
_FIGURE_ESM = f"""const key = {_KEY};
async function code() {{
  for (let waited = 0; !globalThis[key]; waited += 20) {{  // its widget is on its way
    if (waited > 60000) throw new Error("sbexplore: plotly's code never reached this page");
    await new Promise(r => setTimeout(r, 20));
  }}
  return (await globalThis[key]).default;
}}
export default async () => (await code())();
"""


def count_views(widget: w.DOMWidget, on_change: Callable[[int], None]) -> Callable[[], None]:
    """Have the front-end count its views of `widget` and call `on_change(count)` when the
    count changes; returns the function that stops the calls."""
    def changed(change: dict) -> None:
        on_change(int(change["new"] or 0))

    widget._view_count = 0
    widget.observe(changed, "_view_count")
    return lambda: widget.unobserve(changed, "_view_count")


class PlotlyCode(anywidget.AnyWidget):
    """Carries plotly's widget code to the page (never displayed; one per kernel). Its code,
    plotly's bundle in a 5 MB string, is built when the first one is made, not at import."""

    def __init__(self, **kwargs: Any):
        if "_esm" not in PlotlyCode.__dict__:
            bundle = json.dumps(str(BaseFigureWidget._esm))
            PlotlyCode._esm = f"""const key = {_KEY};
globalThis[key] ??= import(URL.createObjectURL(new Blob([{bundle}], {{type: "text/javascript"}})))
  .catch(e => {{ delete globalThis[key]; throw e; }});
export default {{ render() {{}} }};
"""
        super().__init__(**kwargs)


_code: PlotlyCode | None = None
_code_lock = threading.Lock()


class AnsweringFigure(go.FigureWidget):
    """A FigureWidget that hears the browser's answer to each edit it drew, and whose code
    comes from the kernel's one `PlotlyCode` widget."""

    _esm = _FIGURE_ESM
    _js2py_widget_layoutDelta = traitlets.Dict(allow_none=True).tag(sync=True)

    def __init__(self, *args: Any, **kwargs: Any):
        global _code
        with _code_lock:
            if _code is None or _code.comm is None:  # first (a page then makes it first)
                _code = PlotlyCode()
        super().__init__(*args, **kwargs)


class _Cells:
    """Whether a cell is running in this kernel: the kernel hears a browser's answers only
    between cells, so time spent in a cell does not count against a plot."""

    def __init__(self) -> None:
        self.running = False
        self.ended = 0.0  # time.monotonic() when the last cell ended
        try:
            from IPython import get_ipython
        except ImportError:
            return
        shell = get_ipython()
        if shell is not None:
            shell.events.register("pre_execute", self._pre)
            shell.events.register("post_execute", self._post)

    def _pre(self) -> None:
        self.running = True

    def _post(self) -> None:
        self.running, self.ended = False, time.monotonic()


_cells: _Cells | None = None


def _kernel_cells() -> _Cells:
    global _cells
    if _cells is None:
        _cells = _Cells()
    return _cells


class Plot(w.Box):
    """Holds one FigureWidget (`figure`, None until `start()`) and starts it again, with the
    figure it has then, when a browser shows the box but the plot stops answering its edits.
    `lock`: held while the figure is swapped, so a redraw never writes to a closed one."""

    figure: AnsweringFigure | None

    def __init__(self, build: Callable[[], go.Figure], lock: Any = None,
                 layout: w.Layout | None = None, start: bool = True,
                 timeout_s: float = START_TIMEOUT_S):
        super().__init__([w.HTML(LOADING)], **({} if layout is None else {"layout": layout}))
        self.build, self.timeout_s = build, timeout_s
        self._lock = lock if lock is not None else threading.RLock()
        self._cells = _kernel_cells()
        self.figure = None
        self.starts = 0  # FigureWidgets made: 1 + restarts
        self.rendered = threading.Event()  # the current figure was drawn in a browser
        self._answered = -1  # the last edit number the current figure's browser answered
        self._behind: tuple[Any, int, float] | None = None  # (figure, edit, first seen behind)
        self._closed = threading.Event()
        self._watch: threading.Thread | None = None
        self.views = 0  # the box's views in browsers now
        count_views(self, self._on_view)
        if start:
            self.start()

    def start(self) -> go.FigureWidget:
        """Make the FigureWidget (once); it is watched from when a browser shows the box."""
        with self._lock:
            if self.figure is None:
                self._swap(self.build())
        self._maybe_watch()
        return self.figure

    def caught_up(self, now: float | None = None) -> bool:
        """Whether to send the next edit now: nobody shows the plot, a cell is running (the
        kernel can't hear answers then), the browser drew the last edit, or it has not answered
        it for AHEAD_S (a lost plot is the watch's business)."""
        fig = self.figure
        if fig is None or not self.views or self._cells.running:
            return True
        sent = fig._last_layout_edit_id
        if self._answered >= sent:
            return True
        now = time.monotonic() if now is None else now
        if self._behind is None or self._behind[:2] != (fig, sent):
            self._behind = (fig, sent, now)
        return now - self._behind[2] >= AHEAD_S

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            if self.figure is not None:
                self.figure.close()
        super().close()

    # -- the watch -----------------------------------------------------------------------
    def _swap(self, fig: go.Figure) -> None:
        old, self.figure = self.figure, AnsweringFigure(fig)
        self.starts += 1
        self._answered = -1
        self.rendered.clear()
        # the name plotly's front-end sends now, and the one its Python side expects (if a
        # plotly release makes them agree, the answers still count)
        self.figure.observe(self._on_answer, ["_js2py_widget_layoutDelta", "_js2py_layoutDelta"])
        self.children = [self.figure]
        if old is not None:
            old.close()

    def _on_answer(self, change: dict) -> None:
        if change["new"] is not None and change["owner"] is self.figure:
            self._answered = max(self._answered, change["new"].get("layout_edit_id", -1))
            self.rendered.set()

    def _on_view(self, count: int) -> None:
        self.views = count
        if count:
            self._maybe_watch()

    def _maybe_watch(self) -> None:
        with self._lock:
            if self.views and self.figure is not None and self._watch is None:
                self._watch = threading.Thread(target=self._watch_answers, daemon=True,
                                               name="sbexplore-plot-watch")
                self._watch.start()

    def lost(self, waiting: tuple[Any, int, float] | None, now: float
             ) -> tuple[tuple[Any, int, float] | None, bool]:
        """One look: the oldest unanswered edit being waited for (figure, edit number, since
        when) and whether the plot is lost (an edit unanswered for `timeout_s` of free time)."""
        fig, cells = self.figure, self._cells
        if not self.views or cells.running or self._closed.is_set():
            return None, False  # nobody looking, or the kernel can't hear answers now
        sent = fig._last_layout_edit_id
        if self.rendered.is_set() and self._answered >= sent:
            return None, False
        if waiting is None or waiting[0] is not fig or self._answered >= waiting[1]:
            return (fig, sent, max(now, cells.ended)), False
        return waiting, now - max(waiting[2], cells.ended) > self.timeout_s

    def _watch_answers(self) -> None:
        waiting, tries, gave_up_at = None, 0, None
        while not self._closed.wait(POLL_S):
            if gave_up_at is not None:  # until it answers, or the page is opened again
                if not (self.rendered.is_set() or self.views != gave_up_at):
                    continue
                gave_up_at, tries = None, 0
                self.children = [self.figure]
            waiting, lost = self.lost(waiting, time.monotonic())
            if not lost:
                continue
            with _RESTARTS:  # the next plot's restart waits until this one answered
                if tries >= MAX_RESTARTS:
                    gave_up_at = self.views
                    self.children = [w.HTML(
                        "<i style='color:#c00'>This plot stopped answering the browser "
                        f"{tries + 1} times: reload the page.</i>"), self.figure]
                    continue
                with self._lock:
                    self._swap(go.Figure(self.figure.to_dict()))
                tries += 1
                self.rendered.wait(self.timeout_s)
            waiting = None

"""The live dashboard: controls, a run list and views that overlay the visible runs.

Training runs in background threads (`sbexplore.start`); a refresher thread reads their
snapshots and updates the FigureWidgets with the traces built by `sbexplore.figures.live`.
"""

from __future__ import annotations

import copy
import html
import os
import threading
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import ipywidgets as w
import numpy as np
import plotly.graph_objects as go

from sbexplore.analysis.health import health
from sbexplore.config import RunConfig, run_slug
from sbexplore.engine.recorder import Recorder
from sbexplore.errors import RunFolderError, UserError
from sbexplore.figures import live
from sbexplore.figures.style import MISLABELED_COLOR, TOP_MARGIN
from sbexplore.jobs.background import BackgroundRun, start
from sbexplore.runs.folders import runs_root
from sbexplore.runs.follow import FolderRun, run_folders
from sbexplore.runs.record import Run, load_run
from sbexplore.runs.snapshot import Snapshot
from sbexplore.runs.source import LiveSource
from sbexplore.ui import cells
from sbexplore.ui.classroom import cap_message
from sbexplore.ui.controls import Controls
from sbexplore.ui.gallery import Gallery
from sbexplore.ui.plot import Plot, count_views
from sbexplore.ui.redraws import Redraws
from sbexplore.ui.refresher import MAX_RATE, Refresher
from sbexplore.ui.run_list import Entry, RunList

FIG_SIZE = dict(width=520, height=360)
# digits with the mlp: an epoch takes ~0.05 s on a laptop core, so a run ends in about a second
# and the pace, not the CPU, sets the speed; its recipe (lr 0.03, 15 epochs) reaches 97-98% and
# SB stays stable (BENCHMARKS.md "Recipes"); the cnn reaches 99% at about 10x the time per epoch
DEFAULT = RunConfig(dataset="digits", model="mlp", device="auto", mislabel_fraction=0.1)


def sync_figure(widget: go.FigureWidget, fig: go.Figure) -> None:
    """Copy a freshly built figure's traces and titles into a FigureWidget in one message."""
    same = len(widget.data) == len(fig.data) and all(
        a.type == b.type for a, b in zip(widget.data, fig.data, strict=True))
    if not same:
        with widget.batch_update():
            widget.data = []
        widget.add_traces(list(fig.data))
    with widget.batch_update():
        if same:
            for old, new in zip(widget.data, fig.data, strict=True):
                props = new.to_plotly_json()
                props.pop("type", None)
                props.pop("uid", None)
                old.update(props, overwrite=True)
        widget.layout.title.text = fig.layout.title.text
        widget.layout.xaxis.title.text = fig.layout.xaxis.title.text
        widget.layout.yaxis.title.text = fig.layout.yaxis.title.text
        widget.layout.annotations = fig.layout.annotations


def update_traces(widget: go.FigureWidget, traces: list, title: str) -> bool:
    """The per-candidate-batch fast path: when the traces keep their kind and names, send only
    the data arrays that changed (no figure, template or layout rebuilt). False: use
    `sync_figure`."""
    if len(widget.data) != len(traces) or any(
            (a.type, a.name) != (b.type, b.name) for a, b in zip(widget.data, traces,
                                                                   strict=True)):
        return False
    with widget.batch_update():
        for old, new in zip(widget.data, traces, strict=True):
            for key in ("x", "y", "text", "visible"):
                value = new[key]
                if not _same(old[key], value):
                    old[key] = value
        if widget.layout.title.text != title:
            widget.layout.title.text = title
    return True


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    try:
        return np.array_equal(np.asarray(a), np.asarray(b))
    except (TypeError, ValueError):
        return a == b


def _figure(fig: go.Figure) -> go.Figure:
    return fig.update_layout(**FIG_SIZE, margin=dict(l=60, r=10, t=TOP_MARGIN, b=50))


# Views that change once per epoch redraw at most this often while runs train: short epochs
# would otherwise resend curves and PNG grids at every tick, and a browser that falls behind
# shows the user's Stop seconds late. A change of focus, status or axes redraws them at once.
SLOW_VIEW_INTERVAL_S = {"curves": 1.0, "gallery": 2.0}
# lazy plots: the next one is added when the browser shows the last, or after this long (a
# front-end that does not count its views)
FIRST_VIEW_FALLBACK_S = 10.0


class Dashboard(w.VBox):
    """Start, steer and compare SB runs live. `Dashboard(run=r)` attaches to a run started
    elsewhere (a BackgroundRun, a Recorder of your own loop, a saved Run);
    `Dashboard.load(path)` replays a saved run (or every run of a sweep folder).
    `model`, `loss` and `data` make Start train your network (a fresh copy each run), your
    per-example loss and your data (see `sbexplore.train`); `start=True` starts a run with the
    panel's settings at once. `viewer_arrived` (with `lazy_figures`) blocks until a browser can
    show the panel: a kernel pre-started before any student (Voilà's preheated pool) adds its
    plots as that student's page shows them, not on a timer that ran out before."""

    def __init__(self, config: RunConfig | None = None, run: Any = None,
                 out: str | os.PathLike | None = None, rate: float = MAX_RATE,
                 max_runs: int | None = None, pace: float = 0.0, lazy_figures: bool = False,
                 save: bool = True, *, model: Any = None, loss: Any = None, data: Any = None,
                 start: bool = False, viewer_arrived: Callable[[], None] | None = None):
        self.base = config or DEFAULT
        self.model, self.loss, self.data = model, loss, data
        self.out = Path(out) if out else None  # None: ./runs/<slug>-<time> (sbexplore.runs.folders)
        self.save = save  # False: runs started here live in memory only
        self.max_runs = max_runs  # runs training at once (a classroom server's cap); None: any
        self._lock = threading.RLock()
        self._viewer_arrived, self._viewer_lock = viewer_arrived, threading.Lock()
        self._closed = threading.Event()
        self._quiet = False  # set while code (not the user) writes the controls
        self.redraws = Redraws(SLOW_VIEW_INTERVAL_S)
        self.refresher: Refresher | None = None  # started once the widgets exist
        self._followed: Path | None = None  # a sweep folder watched for new runs
        self._started: list[BackgroundRun] = []  # runs its Start made (stopped if replaced)
        self.focused: Entry | None = None
        self.controls = c = Controls(self.base, pace)
        self.runs_list = RunList(self._changed, self.focus)
        self.x_axis = w.ToggleButtons(options=[("epochs", "epoch"), ("backprops", "backprops"),
                                               ("wall time", "time")], value="epoch",
                                      style={"button_width": "85px"})
        self.y_axis = w.ToggleButtons(options=[("accuracy", "test_accuracy"),
                                               ("test loss", "test_loss")],
                                      value="test_accuracy", style={"button_width": "85px"})
        self.replay_epoch = w.IntSlider(value=1, min=1, max=1, description="replay epoch",
                                        continuous_update=True, layout=w.Layout(display="none"))
        self._figure_builders = {
            "rule": lambda: live.selection_rule(self.base.beta),
            "hist": lambda: live.loss_histogram(_blank_snapshot(self.base)),
            "pick": lambda: live.mislabel_pick_rate([]),
            "curves": lambda: live.learning_curves([]),
        }
        self.plots = {k: Plot(lambda b=b: _figure(b()), lock=self._lock,
                              layout=w.Layout(min_width=f"{FIG_SIZE['width']}px",
                                              min_height=f"{FIG_SIZE['height']}px"),
                              start=not lazy_figures)
                      for k, b in self._figure_builders.items()}
        self.galleries = [Gallery("hardest"), Gallery("easiest"), Gallery("mislabeled")]
        c.start.on_click(lambda _: self.start())
        c.stop.on_click(lambda _: self.stop())
        c.advance.on_click(lambda _: self.advance())
        c.pause.observe(self._on_pause, "value")
        c.beta.observe(lambda ch: self._live_set("beta", float(ch["new"])), "value")
        c.staleness.observe(lambda ch: self._live_set("staleness", int(ch["new"])), "value")
        c.pace.observe(lambda ch: self._live_set("pace", float(ch["new"])), "value")
        for widget in (self.x_axis, self.y_axis, self.replay_epoch):
            widget.observe(lambda _: self._changed(), "value")
        super().__init__([
            w.HBox([c, w.VBox([self.plots["rule"], self.replay_epoch])],
                   layout=w.Layout(flex_flow="row wrap")),  # narrow notebooks: rule below
            self.runs_list,
            w.HBox([self.plots["hist"], self.plots["pick"]],
                   layout=w.Layout(flex_flow="row wrap")),
            w.VBox([w.HBox([self.x_axis, self.y_axis]), self.plots["curves"]]),
            *self.galleries,
        ])
        self._paces: list[float] = []  # the shown live runs' paces (set by refresh)
        self.refresher = Refresher(self.refresh, self._busy, self._show_error, rate,
                                   paced=lambda: bool(self._paces) and min(self._paces) > 0)
        if lazy_figures:  # once the panel shows in a browser, add the plots one at a time
            self._after_first_view(c.status, self._add_next_figure)
        for source in ([] if run is None else run if isinstance(run, (list, tuple)) else [run]):
            self.attach(source)
        for old in cells.claim(self):
            self._replace(old)
        if start:
            self.start()

    @staticmethod
    def _replace(old: Dashboard) -> None:
        """The cell that made `old` ran again: stop the runs `old` started (its panel is gone
        from the page, they would train unseen) and close it; runs it only showed go on."""
        stopped = [r for r in old._started if not r.done]
        for r in stopped:
            r.stop()
        old.close()
        if stopped:
            warnings.warn(f"this cell ran again, so its earlier dashboard was closed and the "
                          f"{len(stopped)} run(s) it started were stopped (saved as 'stopped'): "
                          + ", ".join(r.name for r in stopped), UserWarning, stacklevel=3)

    # -- plots --------------------------------------------------------------------------
    # A page (Voilà) that opens four plotly FigureWidgets at once makes the browser load
    # plotly's widget code four times in parallel; on a busy machine a plot can miss anywidget's
    # 2 s start-up limit (`Plot` then starts it again). `lazy_figures` adds them one after
    # another, each once the previous one rendered, so the first shows soonest.
    rule_fig = property(lambda self: self.plots["rule"].figure)
    hist_fig = property(lambda self: self.plots["hist"].figure)
    pick_fig = property(lambda self: self.plots["pick"].figure)
    curves_fig = property(lambda self: self.plots["curves"].figure)

    def _add_next_figure(self) -> None:
        missing = [p for p in self.plots.values() if p.figure is None]
        if not missing:
            return
        plot = missing[0]
        plot.start()
        with self._lock:
            self.redraws.clear()
        if self.refresher is not None:
            self.refresher.poke()

        def then() -> None:  # a front-end that never answers: the next one anyway
            plot.rendered.wait(FIRST_VIEW_FALLBACK_S)
            if not self._closed.is_set():
                self._add_next_figure()
        threading.Thread(target=then, name="sbexplore-next-plot", daemon=True).start()

    def _after_first_view(self, widget: w.DOMWidget, then: Any) -> None:
        """Call `then()` once when a browser shows `widget` (or FIRST_VIEW_FALLBACK_S after a
        viewer can exist: at once, or once `viewer_arrived()` returned)."""
        once = threading.Lock()

        def fire(*_: Any) -> None:
            if once.acquire(blocking=False):
                stop()
                then()

        def seen(count: int) -> None:
            if count:
                fire()

        def fallback() -> None:
            with self._viewer_lock:  # the first link waits for the viewer, the rest are past it
                if self._viewer_arrived is not None:
                    self._viewer_arrived()  # blocks until a browser asked for this kernel
                    self._viewer_arrived = None
            if not once.locked() and not self._closed.wait(FIRST_VIEW_FALLBACK_S):
                fire()

        stop = count_views(widget, seen)
        threading.Thread(target=fallback, name="sbexplore-first-view", daemon=True).start()

    # -- runs ---------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | os.PathLike | None = None, follow: bool = False,
             **kwargs: Any) -> Dashboard:
        """Replay a saved run folder, or every run folder inside a sweep folder; no `path`:
        the runs saved by default (`./runs`, see `sbexplore.list_runs()`).

        `follow=True` shows runs that another process is still writing (a running sweep) live,
        from their folders, and adds new run folders as they appear."""
        p = Path(path) if path is not None else runs_root()
        found = run_folders(p)
        if not found and not (follow and p.is_dir()):
            raise UserError(f"path={str(p)!r} is not allowed: it is neither a run folder nor a "
                            "folder of run folders (a sweep)")
        if not follow:
            return cls(run=[load_run(d) for d in found], **kwargs)
        dash = cls(run=[FolderRun(d) for d in found], **kwargs)
        dash._followed = p
        dash.refresher.poke()
        return dash

    def _follow_new_folders(self) -> None:
        """Attach run folders that appeared in the followed sweep folder since the last look."""
        known = {str(getattr(e.source, "path", "")) for e in self.runs_list.entries}
        for d in run_folders(self._followed):
            if str(d) not in known:
                try:
                    self.runs_list.add(FolderRun(d))
                except RunFolderError:  # damaged, or replaced while we read: try next time
                    continue

    def attach(self, source: Run | LiveSource) -> Entry:
        """Add a live or saved run to the list and focus it."""
        entry = self.runs_list.add(source)
        if isinstance(source, (BackgroundRun, Recorder)):  # draw its end the moment it ends
            source.add_done_callback(lambda _: self._changed())
        self.focus(entry)
        return entry

    def start(self, config: RunConfig | None = None, pace: float | None = None
              ) -> BackgroundRun | None:
        """Start a run with the panel's settings (or `config`) beside any running ones, at
        `pace` seconds per epoch at least (default: the speed control). None when refused."""
        c = self.controls
        active = sum(e.active and e.stoppable for e in self.runs_list.entries)
        if self.max_runs is not None and active >= self.max_runs:
            self._show_error(cap_message(self.max_runs), plain=True)
            return None
        pace = float(c.pace.value if pace is None else pace)
        try:
            cfg = config or c.config()
            if self.out is not None:
                folder = f"{len(self.runs_list.entries) + 1:02d}-{run_slug(cfg, seed=True)}"
                cfg = cfg.replace(out_dir=str(self.out / folder))
            model = copy.deepcopy(self.model) if self.model is not None else None
            run = start(cfg, model=model, loss=self.loss, data=self.data, save=self.save)
        except ValueError as exc:  # ConfigError and friends: the user's settings
            self._show_error(str(exc), plain=True)
            return None
        self._show_error("")
        if pace:  # a live setting, applied before the run's first candidate batch
            run.set("pace", pace)
        self._started.append(run)
        self.attach(run)
        return run

    def advance(self, epochs: int = 1) -> None:
        """Let the focused paused run train `epochs` more epochs, then pause it again (a
        running one pauses after them)."""
        e = self.focused
        if e is not None and e.active and e.stoppable:
            e.source.advance(epochs)
        self._changed()

    def step(self, epochs: int = 1) -> None:
        """Deprecated name of `advance`."""
        warnings.warn("Dashboard.step(k) is now advance(k)", DeprecationWarning, stacklevel=2)
        self.advance(epochs)

    @contextmanager
    def quiet(self):
        """Write the controls from code without their observers acting on the runs."""
        with self._lock:
            was, self._quiet = self._quiet, True
            try:
                yield self.controls
            finally:
                self._quiet = was

    def stop(self) -> None:
        """Stop the focused run (after its current optimizer step)."""
        if self.focused is not None and self.focused.live:
            self.focused.source.stop()
        self._changed()

    def stop_all(self) -> None:
        for e in self.runs_list.entries:
            if e.live:
                e.source.stop()

    def focus(self, entry: Entry) -> None:
        """The histogram, rule view and galleries follow this run."""
        with self._lock:
            self.focused = entry
            saved = not entry.live
            self.replay_epoch.layout.display = "flex" if saved else "none"
            if saved:
                n = max(1, len(entry.source.metrics))
                self.replay_epoch.max = n
                self.replay_epoch.value = n
        self._changed()

    @property
    def runs(self) -> list[Run | LiveSource]:
        return [e.source for e in self.runs_list.entries]

    @property
    def current(self) -> Run | LiveSource | None:
        """The focused run (a live source or a saved Run), or None."""
        return self.focused.source if self.focused else None

    @property
    def run(self) -> Run | LiveSource | None:
        """Deprecated name of `current`."""
        warnings.warn("Dashboard.run is now Dashboard.current", DeprecationWarning,
                      stacklevel=2)
        return self.current

    def result(self, wait: bool = True, timeout: float | None = None) -> Run:
        """The focused run's record (an empty Run of the panel's settings before any run);
        `wait`: once it has ended (at most `timeout` s), else as far as it got."""
        source = self.current
        if source is None:
            return Run(config=self.base)
        if isinstance(source, Run):
            return source
        if wait and isinstance(source, (BackgroundRun, Recorder)):
            return source.wait(timeout)
        return source.record

    def close(self) -> None:
        self._closed.set()
        self._followed = None
        self.refresher.close()
        for plot in self.plots.values():
            plot.close()
        super().close()

    # -- wiring ---------------------------------------------------------------------------
    def _changed(self) -> None:
        if self.refresher is not None:
            self.refresher.poke()

    def _busy(self) -> bool:
        return self._followed is not None or any(e.active for e in self.runs_list.entries)

    def _on_pause(self, change: dict) -> None:
        with self._lock:  # a redraw writing the toggle finishes first (and is ignored here)
            e = self.focused
            if self._quiet or e is None or not e.active:
                return
            if change["new"] and e.source.status != "paused":
                e.source.pause()
            elif not change["new"] and e.source.status == "paused":
                e.source.resume()
        self._changed()

    def _live_set(self, field: str, value: float) -> None:
        with self._lock:
            e = self.focused
            if self._quiet:
                return
            if e is not None and e.active and e.stoppable:
                try:
                    e.source.set(field, value)
                except ValueError as exc:
                    self._show_error(str(exc), plain=True)
        self._changed()

    def _show_error(self, text: str, plain: bool = False) -> None:
        if not text:
            self.controls.error.value = ""
            return
        style = "color:#D55E00;font-size:12px;white-space:pre-wrap;margin:0"
        self.controls.error.value = (f"<div style='{style}'>{html.escape(text)}</div>" if plain
                                     else f"<pre style='{style}'>{html.escape(text)}</pre>")

    # -- drawing (refresher thread, or directly) ------------------------------------------
    def refresh(self, force: bool = False) -> bool:
        """Redraw the views whose data changed, from fresh snapshots; returns whether any
        view was redrawn (`force`: every view)."""
        with self._lock:
            if self._followed is not None:
                self._follow_new_folders()
                if self.focused is None and self.runs_list.entries:
                    self.focus(self.runs_list.entries[0])
            focus = self.focused
            if focus is None:
                return False
            if force:
                self.redraws.clear()
            epoch = None if focus.live else self.replay_epoch.value
            snap = focus.snapshot(epoch)
            visible = [(e, snap if e is focus else e.snapshot(None if e.live else epoch))
                       for e in self.runs_list.visible]
            self._paces = [s.pace for e, s in visible if e.active]
            drew = self.redraws.due("status", (id(focus), snap.status, snap.candidate_batches,
                                               snap.epoch, len(snap.metrics)))
            if drew:
                self._draw_status(focus, snap)
            # per candidate batch: the rule and the histogram of the focused run
            batch = (id(focus), snap.candidate_batches, snap.beta, snap.status, snap.epoch)
            if self._ready("rule") and self.redraws.due("rule", batch):
                args = live.rule_args(snap)
                if not update_traces(self.rule_fig, live.rule_traces(*args),
                                     live.rule_title(args[0])):
                    sync_figure(self.rule_fig, live.selection_rule(*args))
                drew = True
            if self._ready("hist") and self.redraws.due("hist", batch):
                counts, edges, what = live.histogram_counts(snap)
                if not update_traces(self.hist_fig, live.histogram_traces(counts, edges),
                                     live.histogram_title(snap.name, what)):
                    sync_figure(self.hist_fig, live.loss_histogram(snap))
                drew = True
            # per epoch, at most every SLOW_VIEW_INTERVAL_S: curves, pick rates, galleries
            x, y = self.x_axis.value, self.y_axis.value
            statuses = tuple((id(e), s.status) for e, s in visible)
            epochs = tuple((id(e), len(s.metrics)) for e, s in visible)
            if self._ready("curves") and self._ready("pick") and \
                    self.redraws.due("curves", epochs, (x, y, statuses)):
                self._draw_curves(visible, x, y)
                drew = True
            if self.redraws.due("gallery", (id(focus), snap.epoch, snap.status),
                                (id(focus), snap.status)):
                for g in self.galleries:
                    g.update(snap)
                drew = True
            self.runs_list.refresh_states()
            return drew

    def _ready(self, view: str) -> bool:
        """The view's plot exists and, while a shown run is live, its browser drew the last
        edit (`Plot.caught_up`): a view skipped now redraws, with the latest data, at a later
        check. Once no shown run is live, the final redraw draws every view."""
        plot = self.plots[view]
        return plot.figure is not None and (not self._paces or plot.caught_up())

    def _draw_curves(self, visible: list[tuple[Entry, Snapshot]], x: str, y: str) -> None:
        snaps, colors = [s for _, s in visible], [e.color for e, _ in visible]
        axes_same = not self.redraws.due("axes", (x, y))  # else the titles change too
        if not (axes_same and update_traces(self.curves_fig, live.curve_traces(
                snaps, x, y, colors), live.curves_title(x, y))):
            sync_figure(self.curves_fig, live.learning_curves(snaps, x, y, colors))
        if not update_traces(self.pick_fig, live.pick_rate_traces(snaps, colors),
                             self.pick_fig.layout.title.text):
            sync_figure(self.pick_fig, live.mislabel_pick_rate(snaps, colors))

    def _draw_status(self, entry: Entry, snap: dict[str, Any]) -> None:
        c = self.controls
        pick = snap["mislabel_pick_rate"]
        m = snap["metrics"]
        acc = f", test accuracy {m['test_accuracy'].iloc[-1]:.3f}" if len(m) else ""
        keep = f", keep fraction {m['keep_fraction'].iloc[-1]:.2f}" if len(m) else ""
        text = (f"<b>{html.escape(snap['name'])}</b>: {snap['status']} · epoch {snap['epoch']}/"
                f"{snap['epochs']} · {snap['candidate_batches']:,} candidate batches · "
                f"{snap['backprops']:,} backprops{acc}"
                f"{keep}" + (f", mislabel pick rate {pick:.3f} (base "
                             f"{snap['mislabel_fraction']:g})" if pick == pick else ""))
        h = health(m)
        if h["ratio"] == h["ratio"]:
            text += f", gradient ratio {h['ratio']:.2f}×" + (" (high; accuracy holding)"
                                                              if h["note"] else "")
        if h["warning"]:
            text += (f"<div style='color:{MISLABELED_COLOR}'>⚠ {html.escape(h['warning'])} "
                     "(README, 'SB's health signal')</div>")
        with c.hold_sync():
            c.status.value = text
            c.progress.value = float(snap["progress"])
            c.progress.bar_style = {"finished": "success", "failed": "danger",
                                    "stopped": "warning"}.get(snap["status"], "info")
            # the run's state now, not the snapshot's (taken before the user's last click)
            paused = entry.live and entry.source.status == "paused"
            if c.pause.value != paused:
                with self.quiet():
                    c.pause.value = paused
        if snap.get("error"):
            exc = getattr(entry.source, "exception", None)
            if isinstance(exc, UserError):  # missing data and the like: one line, no traceback
                self._show_error(str(exc).splitlines()[0], plain=True)
            else:
                self._show_error(snap["error"])


def _blank_snapshot(cfg: RunConfig) -> Snapshot:
    """What the histogram shows before any run exists."""
    return Snapshot(name="no run yet", config=cfg)

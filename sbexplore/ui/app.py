"""The classroom app: the guided lesson beside a dashboard, within this kernel's limits.

`notebooks/app.ipynb` (served by `sbexplore app` / Voilà, one kernel per browser tab) is one
call to `build_app()`.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any

import ipywidgets as w

from sbexplore.config import RunConfig
from sbexplore.ui.classroom import Limits, apply_limits, limits_from_env
from sbexplore.ui.dashboard import Dashboard
from sbexplore.ui.lesson import LESSON_PACE_S, Experiment, Lesson
from sbexplore.ui.lifeline import Lifeline
from sbexplore.ui.room import reporter_from_env

# digits + MLP: an epoch takes ~0.1 s of one core, so the pace, not the CPU, sets the speed
APP_CONFIG = RunConfig(dataset="digits", model="mlp", device="cpu", mislabel_fraction=0.1)
STOP_WAIT_S = 10.0  # a stopped run ends after its current step
WARM = "a kernel is warm"  # what each kernel of the warm pool logs once it is ready


class App(w.VBox):
    """The lesson (left) and the dashboard (right); `.dashboard` and `.lesson` to drive them,
    `.lifeline` the banner shown when the page loses its kernel."""

    def __init__(self, limits: Limits | None = None, config: RunConfig = APP_CONFIG):
        self.limits = limits or limits_from_env()
        apply_limits(self.limits)
        self.config = config
        self.dashboard = Dashboard(config, max_runs=self.limits.max_runs, pace=LESSON_PACE_S,
                                   lazy_figures=True, viewer_arrived=preheated_viewer())
        self.lesson = lesson_for(self.dashboard, config)
        header = w.HTML("<h2 style='margin:4px 0'>Selective-Backprop, hands on</h2>"
                        "SB backprops only the examples with a high loss. Follow the lesson on "
                        "the left, or set your own run on the right and press <b>Start</b>.")
        self.lifeline = Lifeline()  # a banner if this page loses its kernel
        super().__init__([header, self.lifeline, w.HBox([self.lesson, self.dashboard],
                                                        layout=w.Layout(flex_flow="row wrap"))])

    def run_preset(self, exp: Experiment) -> list[Any]:
        return run_experiment(self.dashboard, exp, self.config)


def run_experiment(d: Dashboard, exp: Experiment, config: RunConfig = APP_CONFIG) -> list[Any]:
    """Stop the dashboard's running runs, then start the experiment's runs (paced)."""
    stopped = [e.source for e in d.runs_list.entries if e.active and e.stoppable]
    for run in stopped:
        run.stop()
    for run in stopped:
        run.join(STOP_WAIT_S)
    device = d.controls.device.value
    started = []
    for overrides in exp.runs:
        cfg = config.replace(device=device, **overrides)
        started.append(d.start(cfg, pace=exp.pace))
        with d.quiet() as c:
            c.show(cfg)
            c.pace.value = exp.pace
    return [r for r in started if r is not None]


def lesson_for(d: Dashboard, config: RunConfig = APP_CONFIG) -> Lesson:
    """The guided lesson with its one-click presets starting runs on `d` (notebook 01)."""
    return Lesson(lambda exp: run_experiment(d, exp, config), reporter=reporter_from_env())


def preheated() -> bool:
    """Whether this kernel is one Voilà started before any student asked (the warm pool)."""
    return os.environ.get("VOILA_PREHEAT") == "True"


def preheated_viewer() -> Callable[[], None] | None:
    """In a kernel of the warm pool (`sbexplore app --students`): a call that blocks until a
    student's page takes this kernel. None elsewhere."""
    if not preheated():
        return None
    from voila.utils import wait_for_request

    return wait_for_request


def build_app(limits: Limits | None = None) -> App:
    """The app's widget tree (limits from $SBEXPLORE_THREADS / $SBEXPLORE_MAX_RUNS). A kernel
    of the warm pool says in the server's log when it is ready for a student."""
    t0 = time.perf_counter()
    app = App(limits)
    if preheated():
        # one write, so lines of kernels warming at once don't run into each other
        sys.__stderr__.write(f"sbexplore app: {WARM} (pid {os.getpid()}, the app built in "
                             f"{time.perf_counter() - t0:.1f} s)\n")
        sys.__stderr__.flush()
    return app

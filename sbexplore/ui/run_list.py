"""The run list: one row per run (colour, name, settings, status) to show, hide, focus, stop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as w

from sbexplore.config import series_labels
from sbexplore.engine.recorder import Recorder
from sbexplore.figures.style import run_color
from sbexplore.runs.record import Run
from sbexplore.runs.snapshot import Snapshot
from sbexplore.runs.source import LiveSource

Source = Run | LiveSource  # a saved Run, or a run in progress (BackgroundRun, Recorder, ...)


class Entry:
    """A run in the dashboard: a saved Run or a live source, with its colour."""

    def __init__(self, source: Source, color: str):
        self.source, self.color = source, color
        self.visible = w.Checkbox(value=True, description="show", indent=False,
                                  layout=w.Layout(width="60px"))
        self.focus = w.Button(description="focus", layout=w.Layout(width="60px"),
                              tooltip="histogram, rule and galleries follow this run")
        self.stop = w.Button(description="stop", layout=w.Layout(width="55px"),
                             disabled=not self.stoppable)
        self.label = w.HTML(layout=w.Layout(width="520px"))
        self.show_name(source.name)
        self.state = w.HTML(self.status, layout=w.Layout(width="200px"))
        self.row = w.HBox([self.visible, self.focus, self.stop, self.label, self.state])

    def show_name(self, name: str) -> None:
        cfg = self.source.config
        settings = (f"{cfg.dataset}/{cfg.model}, {cfg.policy}, β={cfg.beta:g}, "
                    f"n={cfg.staleness}, mislabels={cfg.mislabel_fraction:g}, seed={cfg.seed}")
        self.label.value = (f"<span style='color:{self.color};font-size:18px'>■</span> "
                            f"<b>{name}</b> <span style='color:#666'>{settings}</span>")

    @property
    def live(self) -> bool:
        return isinstance(self.source, LiveSource)

    @property
    def status(self) -> str:
        return self.source.status

    @property
    def stoppable(self) -> bool:
        """Only runs trained in this process can be stopped from here."""
        return self.live and self.source.steerable

    @property
    def active(self) -> bool:
        return self.live and self.source.status in ("created", "running", "paused")

    def snapshot(self, epoch: int | None = None) -> Snapshot:
        if not self.live:
            return Snapshot.from_run(self.source, epoch)
        return self.source.snapshot()


class RunList(w.VBox):
    """Rows of entries; callbacks tell the dashboard what the user clicked."""

    def __init__(self, on_change: Callable[[], None], on_focus: Callable[[Entry], None]):
        self.entries: list[Entry] = []
        self._on_change, self._on_focus = on_change, on_focus
        self.header = w.HTML("<b>Runs</b> (none yet)")
        super().__init__([self.header])

    def add(self, source: Any) -> Entry:
        entry = Entry(source, run_color(len(self.entries)))
        entry.visible.observe(lambda _: self._on_change(), "value")
        entry.focus.on_click(lambda _: self._on_focus(entry))
        entry.stop.on_click(lambda _: entry.source.stop())
        self.entries.append(entry)
        self.header.value = f"<b>Runs</b> ({len(self.entries)})"
        self.children = [self.header] + [e.row for e in self.entries]
        for e, name in zip(self.entries, self.names(), strict=True):  # told apart by settings
            e.show_name(name)
        return entry

    def names(self) -> list[str]:
        """Each entry's name among the others: its series label, and its seed."""
        labels = series_labels([e.source.config for e in self.entries])
        return [f"{label} · seed {e.source.config.seed}" if labels.count(label) > 1 else label
                for e, label in zip(self.entries, labels, strict=True)]

    @property
    def visible(self) -> list[Entry]:
        return [e for e in self.entries if e.visible.value]

    def refresh_states(self) -> None:
        for e in self.entries:
            text = e.status
            rec = e.source if isinstance(e.source, Recorder) else getattr(e.source, "recorder",
                                                                          None)
            if rec is not None and e.active:
                epochs = rec.cfg.epochs
                text = f"{text} · epoch {min(rec.counts.epoch + 1, epochs)}/{epochs}"
            if getattr(e.source, "error", None):
                text = f"<span style='color:#D55E00'>{text}</span>"
            if e.state.value != text:
                e.state.value = text
            can_stop = e.active and e.stoppable
            if e.stop.disabled == can_stop:
                e.stop.disabled = not can_stop

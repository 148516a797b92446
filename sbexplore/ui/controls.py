"""The dashboard's control panel: run settings, Start / Pause / Stop, progress and status."""

from __future__ import annotations

import ipywidgets as w

from sbexplore.config import POLICIES, RunConfig
from sbexplore.data.registry import DATASETS
from sbexplore.models import MODELS

WIDE = w.Layout(width="300px")
STYLE = {"description_width": "110px"}


def expected_keep_text(beta: float) -> str:
    return f"expected keep fraction 1/(β+1) = <b>{1 / (beta + 1):.2f}</b>"


class Controls(w.VBox):
    """Widgets for the settings of the next run; `config()` reads them into a RunConfig."""

    def __init__(self, base: RunConfig, pace: float = 0.0):
        self.base = base
        models = sorted(set(MODELS) | {base.model})
        self.dataset = w.Dropdown(options=sorted(DATASETS), value=base.dataset,
                                  description="dataset", layout=WIDE, style=STYLE)
        self.model = w.Dropdown(options=models, value=base.model, description="model",
                                layout=WIDE, style=STYLE)
        self.policy = w.Dropdown(options=list(POLICIES), value=base.policy, description="policy",
                                 layout=WIDE, style=STYLE)
        self.beta = w.FloatSlider(value=base.beta, min=0.0, max=10.0, step=0.5,
                                  description="β (beta)", continuous_update=False,
                                  layout=WIDE, style=STYLE)
        self.keep_label = w.HTML(expected_keep_text(base.beta))
        self.staleness = w.IntSlider(value=base.staleness, min=1, max=10, description="staleness",
                                     continuous_update=False, layout=WIDE, style=STYLE)
        self.mislabel = w.FloatSlider(value=base.mislabel_fraction, min=0.0, max=0.5, step=0.01,
                                      description="mislabel fraction", readout_format=".2f",
                                      layout=WIDE, style=STYLE)
        self.epochs = w.BoundedIntText(value=base.resolved().epochs, min=1, max=10_000,
                                       description="epochs", layout=WIDE, style=STYLE)
        self.seed = w.BoundedIntText(value=base.seed, min=0, max=2**31 - 1, description="seed",
                                     layout=WIDE, style=STYLE)
        self.device = w.Dropdown(options=_devices(base.device), value=base.device,
                                 description="device", layout=WIDE, style=STYLE)
        self.start = w.Button(description="Start", button_style="success", icon="play",
                              tooltip="start a new run with these settings (beside any others)")
        self.pause = w.ToggleButton(description="Pause", icon="pause", value=False,
                                    tooltip="pause / resume the focused run")
        self.stop = w.Button(description="Stop", button_style="danger", icon="stop",
                             tooltip="stop the focused run after its current optimizer step")
        self.advance = w.Button(description="+1 epoch", icon="step-forward",
                                tooltip="train the focused run one more epoch, then pause")
        self.pace = w.FloatSlider(value=pace, min=0.0, max=3.0, step=0.25,
                                  description="s per epoch", continuous_update=False,
                                  readout_format=".2f", layout=WIDE, style=STYLE,
                                  tooltip="slow runs down to steer them (0 = full speed)")
        self.progress = w.FloatProgress(value=0.0, min=0.0, max=1.0, description="progress",
                                        layout=WIDE, style=STYLE)
        self.status = w.HTML("ready: press Start")
        self.error = w.HTML("", layout=w.Layout(max_height="200px", overflow="auto",
                                                width="420px"))
        self.beta.observe(lambda ch: setattr(self.keep_label, "value",
                                             expected_keep_text(ch["new"])), "value")
        live = w.HTML("<i>β, staleness and speed also change the focused live run</i>")
        super().__init__([
            self.dataset, self.model, self.policy, w.HBox([self.beta, self.keep_label]),
            self.staleness, self.pace, live, self.mislabel, self.epochs, self.seed, self.device,
            w.HBox([self.start, self.pause, self.advance, self.stop]), self.progress, self.status,
            self.error,
        ])

    def show(self, cfg: RunConfig) -> None:
        """Display a run's settings (the caller keeps observers from acting on them)."""
        with self.hold_sync():
            for widget, value in ((self.dataset, cfg.dataset), (self.policy, cfg.policy),
                                  (self.beta, cfg.beta), (self.staleness, cfg.staleness),
                                  (self.mislabel, cfg.mislabel_fraction),
                                  (self.epochs, cfg.epochs), (self.seed, cfg.seed)):
                if widget.value != value:
                    widget.value = value

    def config(self) -> RunConfig:
        """The settings shown, on top of the base config (raises ConfigError if invalid)."""
        return self.base.replace(
            dataset=self.dataset.value, model=self.model.value, policy=self.policy.value,
            beta=float(self.beta.value), staleness=int(self.staleness.value),
            mislabel_fraction=float(self.mislabel.value), epochs=int(self.epochs.value),
            seed=int(self.seed.value), device=self.device.value, out_dir=None, name=None)


def _devices(current: str) -> list[str]:
    import torch

    found = ["auto", "cpu"] + [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if torch.cuda.is_available():
        found.insert(2, "cuda")
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        found.append("mps")
    return found if current in found else found + [current]

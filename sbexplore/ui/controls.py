"""The dashboard's control panel: run settings, Start / Pause / Stop, progress and status."""

from __future__ import annotations

import ipywidgets as w

from sbexplore.config import POLICIES, RunConfig
from sbexplore.data.registry import DATASETS
from sbexplore.models import MODELS

WIDE = w.Layout(width="300px")  # shared: only for widgets that are never hidden


def own_layout() -> w.Layout:
    """A layout of its own, for a widget shown and hidden by itself."""
    return w.Layout(width="300px")
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
        # each policy's own settings, shown only while that policy is chosen
        self.keep = w.FloatSlider(value=base.resolved_keep, min=0.05, max=1.0, step=0.05,
                                  description="keep", readout_format=".2f", layout=own_layout(),
                                  style=STYLE, tooltip="share of each candidate batch kept")
        self.infobatch_ratio = w.FloatSlider(
            value=base.infobatch_ratio, min=0.0, max=0.95, step=0.05, description="prune r",
            layout=own_layout(), style=STYLE, tooltip="InfoBatch: prune probability below the mean")
        self.infobatch_delta = w.FloatSlider(
            value=base.infobatch_delta, min=0.05, max=1.0, step=0.025, description="prune δ",
            readout_format=".3f", layout=own_layout(), style=STYLE,
            tooltip="InfoBatch: share of the epochs that prune")
        self.selection_pressure = w.FloatLogSlider(
            value=base.selection_pressure, base=10, min=0.1, max=8, description="pressure s",
            layout=own_layout(), style=STYLE,
            tooltip="online batch: best rank's keep probability / worst's")
        self.holdout_fraction = w.FloatSlider(
            value=base.holdout_fraction, min=0.05, max=0.5, step=0.05, description="holdout",
            layout=own_layout(), style=STYLE,
            tooltip="RHO-LOSS: training share for its holdout model")
        self.policy_settings = {
            "uniform": (self.keep,), "topk": (self.keep,), "importance": (self.keep,),
            "rho_loss": (self.keep, self.holdout_fraction),
            "infobatch": (self.infobatch_ratio, self.infobatch_delta),
            "online_batch": (self.selection_pressure,)}
        self.policy.observe(lambda _: self._show_policy_settings(), "value")
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
            self.staleness, *self._all_policy_settings(), self.pace, live, self.mislabel,
            self.epochs, self.seed, self.device,
            w.HBox([self.start, self.pause, self.advance, self.stop]), self.progress, self.status,
            self.error,
        ])
        self._show_policy_settings()

    def _all_policy_settings(self) -> list[w.Widget]:
        return list(dict.fromkeys(x for ws in self.policy_settings.values() for x in ws))

    def _show_policy_settings(self) -> None:
        """Show the chosen policy's own settings, hide the others'."""
        mine = set(self.policy_settings.get(self.policy.value, ()))
        for widget in self._all_policy_settings():
            widget.layout.display = None if widget in mine else "none"

    def policy_fields(self) -> dict[str, float]:
        """The chosen policy's own settings, as RunConfig fields."""
        fields = {"keep": self.keep, "infobatch_ratio": self.infobatch_ratio,
                  "infobatch_delta": self.infobatch_delta,
                  "selection_pressure": self.selection_pressure,
                  "holdout_fraction": self.holdout_fraction}
        mine = self.policy_settings.get(self.policy.value, ())
        return {name: float(x.value) for name, x in fields.items() if x in mine}

    def show(self, cfg: RunConfig) -> None:
        """Display a run's settings (the caller keeps observers from acting on them); epochs
        left to the recipe show the recipe's."""
        if cfg.epochs is None:
            cfg = cfg.replace(epochs=cfg.resolved().epochs)
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
            seed=int(self.seed.value), device=self.device.value, out_dir=None, name=None,
            **self.policy_fields())


def _devices(current: str) -> list[str]:
    import torch

    found = ["auto", "cpu"] + [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if torch.cuda.is_available():
        found.insert(2, "cuda")
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        found.append("mps")
    return found if current in found else found + [current]

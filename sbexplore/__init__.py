"""sbexplore: explore Selective-Backprop (Jiang et al. 2019, arXiv:1910.00762).

One-liners: `train(cfg)` (blocking), `start(cfg)` (background), `load_run(path)`, `sweep(...)`;
`sbexplore.ui.Dashboard()` in a notebook. Layers, each a package; an arrow is "imports", and
nothing imports a layer above it (tests/test_layers.py):

    errors ← config, data, models ← runs ← engine ← analysis ← jobs, loggers, integrations
           ← figures ← studies ← ui  (cli sits beside them and may use any of them)

- config: `RunConfig`, presets, run names      - data, models: registries
- runs: the `Run` record, its folder, snapshots - engine: policies, Selector, Recorder, Trainer
- analysis: pandas in, pandas out               - jobs: background runs, sweeps, Ray Train
- integrations: SB in PyTorch Lightning         - loggers: TensorBoard, W&B, MLflow
- figures: runs to plotly figures, export       - studies: demo, reproduction, detector study
- ui: the dashboard, lesson and classroom app   - cli: the `sbexplore` command

The layers up to jobs import no Jupyter or plotly: they run on a bare GPU box.
"""

from __future__ import annotations

from typing import Any

from sbexplore._compat import install_module_aliases
from sbexplore._version import __version__
from sbexplore.config import RunConfig
from sbexplore.data.labels import Mislabeled
from sbexplore.engine.recorder import Callback, Recorder
from sbexplore.engine.selector import Selector, WithIndices
from sbexplore.engine.trainer import Trainer, train
from sbexplore.errors import ConfigError, DataError, UserError, install_notebook_handler
from sbexplore.runs.record import Run, load_run
from sbexplore.runs.snapshot import Snapshot

install_module_aliases()  # `import sbexplore.records` and the other 0.1 paths still work
install_notebook_handler()  # in IPython: a UserError shows its message, not a traceback

_LAZY = {"start": "sbexplore.jobs.background", "BackgroundRun": "sbexplore.jobs.background",
         "sweep": "sbexplore.jobs.sweeps", "SweepResult": "sbexplore.jobs.sweeps",
         "list_runs": "sbexplore.runs.folders"}


def __getattr__(name: str) -> Any:  # start/sweep load on first use
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'sbexplore' has no attribute {name!r}")


__all__ = ["BackgroundRun", "Callback", "ConfigError", "DataError", "Mislabeled", "Recorder",
           "Run",
           "RunConfig", "Selector", "Snapshot", "SweepResult", "Trainer", "UserError",
           "WithIndices", "__version__", "list_runs", "load_run", "start", "sweep", "train"]

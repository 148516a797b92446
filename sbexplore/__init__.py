"""sbexplore: explore Selective-Backprop (Jiang et al. 2019, arXiv:1910.00762).

One-liners: `train(cfg)` (blocking), `start(cfg)` (background), `load_run(path)`, `sweep(...)`;
`sbexplore.ui.Dashboard()` in a notebook. The core imports no Jupyter or plotly.
"""

from __future__ import annotations

from typing import Any

from sbexplore import notebook_errors as _notebook_errors
from sbexplore._version import __version__
from sbexplore.config import RunConfig
from sbexplore.errors import ConfigError, DataError, UserError
from sbexplore.recorder import Callback, Recorder
from sbexplore.records import Run, load_run
from sbexplore.selector import Selector, WithIndices
from sbexplore.snapshot import Snapshot
from sbexplore.trainer import Trainer, train

_notebook_errors.install()  # in IPython: a UserError shows its message, not a traceback

_LAZY = {"start": "sbexplore.runner", "BackgroundRun": "sbexplore.runner",
         "sweep": "sbexplore.sweeps", "SweepResult": "sbexplore.sweeps",
         "list_runs": "sbexplore.rundirs"}


def __getattr__(name: str) -> Any:  # start/sweep load on first use
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'sbexplore' has no attribute {name!r}")


__all__ = ["BackgroundRun", "Callback", "ConfigError", "DataError", "Recorder", "Run",
           "RunConfig", "Selector", "Snapshot", "Trainer", "UserError", "WithIndices",
           "__version__", "list_runs", "load_run", "start", "sweep", "train"]

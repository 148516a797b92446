"""Names of earlier versions that still work, with a DeprecationWarning pointing to today's:
modules that moved into the layer packages (0.2) and renamed functions."""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings
from collections.abc import Callable
from typing import Any

# module of 0.1 -> module of 0.2 (README's "Project layout" says what each layer holds)
MOVED_MODULES = {
    "presets": "config.presets", "records": "runs.record", "fileio": "runs.fileio",
    "storage": "runs.storage", "snapshot": "runs.snapshot", "watch": "runs.follow",
    "rundirs": "runs.folders", "selection": "engine.policies", "selector": "engine.selector",
    "recorder": "engine.recorder", "control": "engine.control", "timing": "engine.timing",
    "schedule": "engine.schedule", "device": "engine.device", "trainer": "engine.trainer",
    "progress": "engine.progress", "runner": "jobs.background", "sweeps": "jobs.sweeps",
    "sweep_task": "jobs.task", "sweep_ray": "jobs.ray", "export": "figures.export",
    "demo": "studies.demo", "reproduce": "studies.reproduce", "report": "studies.report",
    "classroom": "ui.classroom", "notebook_errors": "errors",
    "analysis.detector_study": "studies.detector_study",
    "analysis.cleanlab_baseline": "studies.cleanlab_baseline", "analysis.naming": "analysis.series",
}


class _MovedFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """`import sbexplore.records` gives `sbexplore.runs.record` (the same module object)."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        old = name.removeprefix("sbexplore.")
        if name.startswith("sbexplore.") and old in MOVED_MODULES:
            return importlib.util.spec_from_loader(name, self)
        return None

    def create_module(self, spec: Any) -> Any:
        new = "sbexplore." + MOVED_MODULES[spec.name.removeprefix("sbexplore.")]
        warnings.warn(f"{spec.name} is now {new}", DeprecationWarning, stacklevel=3)
        return importlib.import_module(new)

    def exec_module(self, module: Any) -> None:
        pass  # the module imported in create_module is already executed


def install_module_aliases() -> None:
    if not any(isinstance(f, _MovedFinder) for f in sys.meta_path):
        sys.meta_path.append(_MovedFinder())


def renamed_attributes(module: str, names: dict[str, str]) -> Callable[[str], Any]:
    """A module `__getattr__` that serves each earlier name in `names` (old -> new) as today's
    object of that module, warning on use."""

    def __getattr__(name: str) -> Any:
        if name in names:
            warnings.warn(f"{module}.{name} is now {names[name]}", DeprecationWarning,
                          stacklevel=2)
            return getattr(sys.modules[module], names[name])
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    return __getattr__

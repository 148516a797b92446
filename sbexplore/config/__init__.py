"""What a run is: `RunConfig` (every knob, validated), presets, and the names read from it."""

from sbexplore.config.naming import run_name, run_slug, series_key, series_labels
from sbexplore.config.run_config import (
    AUGMENTS,
    LR_SCHEDULES,
    MEMORY_FORMATS,
    MISLABEL_MODES,
    POLICIES,
    PRECISIONS,
    RECIPE_FIELDS,
    SCHEDULE_UNITS,
    SELECT_MODES,
    RunConfig,
)

__all__ = ["AUGMENTS", "LR_SCHEDULES", "MEMORY_FORMATS", "MISLABEL_MODES", "POLICIES",
           "PRECISIONS", "RECIPE_FIELDS", "SCHEDULE_UNITS", "SELECT_MODES", "RunConfig",
           "run_name", "run_slug", "series_key", "series_labels"]

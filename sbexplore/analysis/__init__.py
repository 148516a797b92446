"""Analysis: pandas in, pandas out. Functions take Runs (or their frames) and return tidy frames."""

from __future__ import annotations

from sbexplore._compat import renamed_attributes
from sbexplore.analysis.budget import (
    BUDGET_CLOCKS,
    accuracy_at_budget,
    budget,
    budget_matched,
)
from sbexplore.analysis.comparison import SUMMARY_METRICS, comparison_table, run_summary
from sbexplore.analysis.cost_model import (
    DEFAULT_F_OVER_T,
    cost_model_table,
    cost_units,
    measured_f_over_t,
    pooled_f_over_t,
    predicted_epoch_ratio,
)
from sbexplore.analysis.detector import (
    DEFAULT_SCORE,
    FALLBACK_SCORE,
    default_score,
    detection_at_mislabel_count,
    detector_results,
    detector_table,
    label_suspects,
    mislabel_detection,
    pick_rate_table,
)
from sbexplore.analysis.dynamics import training_dynamics
from sbexplore.analysis.formatting import format_stat, format_table
from sbexplore.analysis.health import health
from sbexplore.analysis.keep import (
    expected_keep,
    keep_table,
    matched_keep,
    matched_keeps,
    realised_keep,
)
from sbexplore.analysis.label_errors import SCORES, available_scores, detector_scores, score_table
from sbexplore.analysis.ranking import backprop_ranking, least_backpropped, most_backpropped
from sbexplore.analysis.select import select
from sbexplore.analysis.series import as_runs, run_labels, series_name
from sbexplore.analysis.time_breakdown import time_breakdown
from sbexplore.analysis.time_to_accuracy import (
    CLOCKS,
    PAPER_FACTORS,
    clock,
    error_targets,
    final_accuracy,
    speedup_caption,
    speedup_table,
    time_to_accuracy,
    time_to_accuracy_table,
)

__all__ = [
    "as_runs", "health",
    "BUDGET_CLOCKS", "accuracy_at_budget", "budget", "budget_matched",
    "DEFAULT_SCORE", "FALLBACK_SCORE", "SCORES", "available_scores",
    "default_score", "detector_results", "detector_scores",
    "detector_table", "label_suspects", "run_labels", "score_table", "select",
    "CLOCKS", "DEFAULT_F_OVER_T", "clock", "comparison_table", "cost_model_table", "cost_units",
    "error_targets", "final_accuracy", "format_stat", "format_table", "PAPER_FACTORS",
    "run_summary", "speedup_caption", "SUMMARY_METRICS",
    "detection_at_mislabel_count", "expected_keep", "keep_table", "least_backpropped",
    "matched_keep", "matched_keeps", "measured_f_over_t", "mislabel_detection", "most_backpropped",
    "pick_rate_table", "pooled_f_over_t", "predicted_epoch_ratio", "realised_keep",
    "backprop_ranking", "series_name", "speedup_table", "time_breakdown", "time_to_accuracy",
    "time_to_accuracy_table", "training_dynamics",
]

__getattr__ = renamed_attributes(__name__, {  # names before 0.2
    "most_selected": "most_backpropped", "least_selected": "least_backpropped",
    "selection_ranking": "backprop_ranking"})

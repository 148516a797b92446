"""Analysis: pandas in, pandas out. Functions take Runs (or their frames) and return tidy frames."""

from __future__ import annotations

from sbexplore.analysis.cleanlab_baseline import CleanlabResult, cleanlab_baseline
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
from sbexplore.analysis.detector_study import detector_study
from sbexplore.analysis.dynamics import training_dynamics
from sbexplore.analysis.formatting import format_stat, format_table
from sbexplore.analysis.keep import (
    expected_keep,
    keep_table,
    matched_keep,
    matched_keeps,
    realised_keep,
)
from sbexplore.analysis.label_errors import SCORES, available_scores, detector_scores
from sbexplore.analysis.naming import series_name
from sbexplore.analysis.ranking import least_selected, most_selected, selection_ranking
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
    "DEFAULT_SCORE", "FALLBACK_SCORE", "SCORES", "CleanlabResult", "available_scores",
    "cleanlab_baseline", "default_score", "detector_results", "detector_scores",
    "detector_study", "detector_table", "label_suspects",
    "CLOCKS", "DEFAULT_F_OVER_T", "clock", "comparison_table", "cost_model_table", "cost_units",
    "error_targets", "final_accuracy", "format_stat", "format_table", "PAPER_FACTORS",
    "run_summary", "speedup_caption", "SUMMARY_METRICS",
    "detection_at_mislabel_count", "expected_keep", "keep_table", "least_selected",
    "matched_keep", "matched_keeps", "measured_f_over_t", "mislabel_detection", "most_selected",
    "pick_rate_table", "pooled_f_over_t", "predicted_epoch_ratio", "realised_keep",
    "selection_ranking", "series_name", "speedup_table", "time_breakdown", "time_to_accuracy",
    "time_to_accuracy_table", "training_dynamics",
]

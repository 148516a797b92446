"""Figures: pure functions from runs to plotly Figures, in one paper style (see `style`).

Each figure carries the table behind it: `figure_data(fig)` (export writes it as CSV).
"""

from __future__ import annotations

from sbexplore._compat import renamed_attributes
from sbexplore.figures.catalog import comparison_figures, figures_for, run_figures
from sbexplore.figures.comparison import (
    keep_vs_beta,
    pick_rate_vs_fraction,
    pooled_curves,
    seed_curves,
    speedup_bars,
    time_breakdown_bars,
)
from sbexplore.figures.data import attach_data, figure_data
from sbexplore.figures.detectors import detector_pr_curves
from sbexplore.figures.examples import backpropped_images, data_map, detection_curve
from sbexplore.figures.live import (
    learning_curves,
    loss_histogram,
    mislabel_pick_rate,
    selection_rule,
)
from sbexplore.figures.style import styled
from sbexplore.figures.suspects import suspects_gallery

__all__ = [
    "attach_data", "comparison_figures", "data_map", "detection_curve", "detector_pr_curves",
    "figure_data",
    "figures_for", "keep_vs_beta", "learning_curves", "loss_histogram", "mislabel_pick_rate",
    "pick_rate_vs_fraction", "pooled_curves", "run_figures", "seed_curves",
    "backpropped_images", "selection_rule", "speedup_bars",
    "styled", "suspects_gallery", "time_breakdown_bars",
]

__getattr__ = renamed_attributes(__name__, {  # names before 0.2
    "selected_images": "backpropped_images"})

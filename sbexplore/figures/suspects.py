"""A gallery of suspected label errors: image, given label, predicted label and score of the
examples a detector ranks most suspicious (fastai's `plot_top_losses`, for any score).

A static `go.Figure` of `go.Image` subplots (exportable); FigureWidget layout images are broken
(plotly#4932), so widgets should not be built from it.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from sbexplore.analysis.detector import label_suspects
from sbexplore.figures.image_grid import class_namer, image_grid_figure
from sbexplore.figures.style import MISLABELED_COLOR


def suspects_gallery(item: Any, score: str | None = None, k: int = 16, cols: int = 8,
                     tile_px: int = 110) -> go.Figure:
    """The k examples of a Run (or `CleanlabResult`) most suspicious by `score`: each titled
    "given → predicted" (red when they differ) and the score (None: `default_score`);
    injected flips add the true label."""
    df = label_suspects(item, score, k)
    score = df.columns[-1]  # the score label_suspects used (its default, or today's name)
    name = class_namer(list(getattr(item, "classes", []) or []))
    captions, colors = [], []
    for r in df.itertuples():
        pred = r.pred
        head = f"given {name(r.label)}" + (f" → {name(pred)}" if pred >= 0 else "")
        tail = f"{score} {_fmt(getattr(r, score))}"
        if r.mislabeled:
            tail += f" · true {name(r.true_label)}"
        captions.append(f"{head}<br>{tail}")
        colors.append(MISLABELED_COLOR if 0 <= pred != r.label else "#222222")
    return image_grid_figure(item, df, captions, colors,
                             f"Suspected label errors by {score} — {item.name}", cols, tile_px,
                             caption_size=10)


def _fmt(v: float) -> str:
    return f"{v:.0f}" if float(v).is_integer() and abs(v) >= 1 else f"{v:.3g}"

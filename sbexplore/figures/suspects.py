"""A gallery of suspected label errors: image, given label, predicted label and score of the
examples a detector ranks most suspicious (fastai's `plot_top_losses`, for any score).

A static `go.Figure` of `go.Image` subplots (exportable); FigureWidget layout images are broken
(plotly#4932), so widgets should not be built from it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sbexplore.analysis.detector import default_score, label_suspects
from sbexplore.figures.data import attach_data
from sbexplore.figures.style import MISLABELED_COLOR, styled


def suspects_gallery(item: Any, score: str | None = None, k: int = 16, cols: int = 8,
                     tile_px: int = 110) -> go.Figure:
    """The k examples of a Run (or `CleanlabResult`) most suspicious by `score`: each titled
    "given → predicted" (red when they differ) and the score (None: `default_score`);
    injected flips add the true label."""
    from sbexplore.data import raw_image

    score = score or default_score(item)
    df = label_suspects(item, score, k)
    cfg = item.config
    classes = list(getattr(item, "classes", []) or [])

    def name(c: int) -> str:
        return classes[int(c)] if 0 <= int(c) < len(classes) else str(int(c))

    titles, colors = [], []
    for r in df.itertuples():
        pred = r.pred
        head = f"given {name(r.label)}" + (f" → {name(pred)}" if pred >= 0 else "")
        tail = f"{score} {_fmt(getattr(r, score))}"
        if r.mislabeled:
            tail += f" · true {name(r.true_label)}"
        titles.append(f"{head}<br>{tail}")
        colors.append(MISLABELED_COLOR if 0 <= pred != r.label else "#222222")
    cols = max(1, min(cols, len(df)))
    rows = max(1, math.ceil(len(df) / cols))
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.01,
                        vertical_spacing=0.35 / rows)
    for i, r in enumerate(df.itertuples()):
        img = raw_image(cfg.dataset, int(r.source_index), cfg.data_root, cfg.image_size)
        if img.shape[-1] == 1:
            img = np.repeat(img, 3, axis=-1)
        fig.add_trace(go.Image(z=img, name=str(r.index),
                               hovertemplate=f"example {r.index}<extra></extra>"),
                      row=i // cols + 1, col=i % cols + 1)
    for ann, color in zip(fig.layout.annotations, colors, strict=True):
        ann.font = dict(size=10, color=color)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    styled(fig, f"Suspected label errors by {score} — {item.name}",
           width=cols * tile_px + 40, height=rows * (tile_px + 34) + 70,
           margin=dict(l=20, r=20, t=90, b=20))
    return attach_data(fig, df)


def _fmt(v: float) -> str:
    return f"{v:.0f}" if float(v).is_integer() and abs(v) >= 1 else f"{v:.3g}"

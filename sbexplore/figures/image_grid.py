"""A grid of training images with a caption each: the one builder behind the galleries of
backpropped examples and of label-error suspects (a static figure of `go.Image` subplots,
exportable; FigureWidget layout images are broken, plotly#4932, so widgets use ipywidgets)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sbexplore.figures.data import attach_data
from sbexplore.figures.style import styled


def class_namer(classes: Sequence[str]):
    """`name(c)`: a class index as its name (the index itself when unnamed)."""
    def name(c: Any) -> str:
        return classes[int(c)] if 0 <= int(c) < len(classes) else str(int(c))

    return name


def image_grid_figure(config: Any, df: pd.DataFrame, captions: list[str], colors: list[str],
                      title: str, cols: int = 8, tile_px: int = 110,
                      caption_size: int = 11) -> go.Figure:
    """One tile per row of `df` (its `source_index` and `index`), captioned, `df` attached."""
    from sbexplore.data import raw_image

    cols = max(1, min(cols, len(df)))
    rows = max(1, math.ceil(len(df) / cols))
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=captions, horizontal_spacing=0.01,
                        vertical_spacing=0.35 / rows)
    for i, r in enumerate(df.itertuples()):
        img = raw_image(config.dataset, int(r.source_index), config.data_root, config.image_size)
        if img.shape[-1] == 1:
            img = np.repeat(img, 3, axis=-1)
        fig.add_trace(go.Image(z=img, name=str(r.index),
                               hovertemplate=f"example {r.index}<extra></extra>"),
                      row=i // cols + 1, col=i % cols + 1)
    for ann, color in zip(fig.layout.annotations, colors, strict=True):
        ann.font = dict(size=caption_size, color=color)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    styled(fig, title, width=cols * tile_px + 40, height=rows * (tile_px + 34) + 70,
           margin=dict(l=20, r=20, t=90, b=20))
    return attach_data(fig, df)

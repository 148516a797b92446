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

from sbexplore.errors import ConfigError
from sbexplore.figures.data import attach_data
from sbexplore.figures.style import styled


def class_namer(classes: Sequence[str]):
    """`name(c)`: a class index as its name (the index itself when unnamed)."""
    def name(c: Any) -> str:
        return classes[int(c)] if 0 <= int(c) < len(classes) else str(int(c))

    return name


def has_images(item: Any) -> bool:
    """Whether a run (or a result with a config) can show its training images: stored with it
    (data passed in code), or readable from its registered dataset."""
    return getattr(item, "images", None) is not None or item.config.dataset != "custom"


def image_note(item: Any) -> str:
    """Why a run's image views are skipped."""
    return (f"{item.name}: no images to show. Its data was passed in code and it stored no "
            "images: its inputs are not images (features, say), or it was recorded without "
            "them (your own loop: Recorder(..., images=train_set))")


def example_image(item: Any, index: int, source_index: int) -> np.ndarray:
    """An example's displayable (H, W, C) image: the run's stored one, else its dataset's."""
    from sbexplore.data import raw_image

    stored = getattr(item, "images", None)
    if stored is not None:
        img = stored.get(int(index))
        if img is None:
            raise ConfigError(f"{item.name} stores the images of its galleries' examples only "
                              f"({len(stored.index)}); example {int(index)} is not among them "
                              "(ask for fewer, k <= 64)")
        return img
    if item.config.dataset == "custom":
        raise ConfigError(image_note(item))
    cfg = item.config
    return raw_image(cfg.dataset, int(source_index), cfg.data_root, cfg.image_size)


def image_grid_figure(item: Any, df: pd.DataFrame, captions: list[str], colors: list[str],
                      title: str, cols: int = 8, tile_px: int = 110,
                      caption_size: int = 11) -> go.Figure:
    """One tile per row of `df` (its `source_index` and `index`) of `item`'s images (a Run),
    captioned, `df` attached."""
    cols = max(1, min(cols, len(df)))
    rows = max(1, math.ceil(len(df) / cols))
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=captions, horizontal_spacing=0.01,
                        vertical_spacing=0.35 / rows)
    for i, r in enumerate(df.itertuples()):
        img = example_image(item, r.index, r.source_index)
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

"""The data behind a figure: each figure function attaches a tidy DataFrame that export writes
as CSV next to the image; `figure_data` falls back to the traces' x/y for other figures."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

_ATTR = "_sbexplore_data"


def attach_data(fig: go.Figure, data: pd.DataFrame) -> go.Figure:
    """Remember `data` as the table behind `fig`; returns `fig`."""
    object.__setattr__(fig, _ATTR, data)
    return fig


def figure_data(fig: go.Figure) -> pd.DataFrame:
    """The table behind `fig`: the attached one, else one row per point of each x/y trace."""
    data = getattr(fig, _ATTR, None)
    if data is not None:
        return data
    frames = []
    for i, t in enumerate(fig.data):
        x, y = getattr(t, "x", None), getattr(t, "y", None)
        if x is None and y is None:
            continue
        n = len(x if x is not None else y)
        frames.append(pd.DataFrame({"trace": t.name if t.name is not None else f"trace {i}",
                                    "x": list(x) if x is not None else [None] * n,
                                    "y": list(y) if y is not None else [None] * n}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["trace"])

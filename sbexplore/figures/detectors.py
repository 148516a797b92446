"""Precision-recall curves of label-error detectors: each score of a run, and cleanlab, ranked
against the injected flips (see `analysis.detector`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from sbexplore.analysis.detector import mislabel_detection
from sbexplore.analysis.detector import scores_of as _scores
from sbexplore.analysis.label_errors import available_scores
from sbexplore.errors import ConfigError
from sbexplore.figures.data import attach_data
from sbexplore.figures.style import PALETTE, styled
from sbexplore.runs.record import Run

MAX_POINTS = 400  # per curve: enough for a smooth line, small enough to export quickly


def detector_pr_curves(items: Any, scores: list[str] | None = None) -> go.Figure:
    """Precision against recall of flagging the top k by each score, for each Run and each
    `CleanlabResult` in `items` (one colour per score, one dash per item); the dotted line is
    the base rate."""
    items = list(items) if isinstance(items, (list, tuple)) else [items]
    frames = []
    for item in items:
        if not _scores(item)["mislabeled"].astype(bool).any():
            raise ConfigError(f"{item.name!r} has no injected mislabels: precision-recall "
                              "curves need runs with mislabel_fraction > 0")
        own = available_scores(item) if isinstance(item, Run) else list(item.score_names)
        for s in own if scores is None else [s for s in scores if s in own]:
            d = mislabel_detection(item, score=s)
            step = max(1, len(d) // MAX_POINTS)
            d = d.iloc[np.unique(np.r_[np.arange(0, len(d), step), len(d) - 1])]
            frames.append(d.assign(item=_item_label(item, items)))
    if not frames:
        raise ConfigError(f"scores={scores!r} matched none of the items' scores")
    df = pd.concat(frames, ignore_index=True)
    fig = go.Figure()
    score_names = list(dict.fromkeys(df["score"]))
    dashes = ["solid", "dash", "dot", "dashdot", "longdash"]
    for j, (label, d_item) in enumerate(df.groupby("item", sort=False)):
        for s, d in d_item.groupby("score", sort=False):
            shared = df.loc[df["score"] == s, "item"].nunique() > 1
            name = f"{s} · {label}" if shared else s
            fig.add_scatter(x=d["recall"], y=d["precision"], mode="lines", name=name,
                            line=dict(color=PALETTE[score_names.index(s) % len(PALETTE)],
                                      dash=dashes[j % len(dashes)]),
                            customdata=d[["k"]].to_numpy(),
                            hovertemplate=f"{name}<br>k %{{customdata[0]}}<br>recall %{{x:.3f}}"
                                          "<br>precision %{y:.3f}<extra></extra>")
    fig.add_hline(y=float(df["base_rate"].iloc[0]), line=dict(color="#888", dash="dot"),
                  annotation_text="base rate", annotation_position="bottom right")
    styled(fig, "Label-error detection: precision–recall by score", xaxis_title="recall",
           yaxis_title="precision", xaxis_range=[0, 1.0], yaxis_range=[0, 1.02])
    return attach_data(fig, df)


def _item_label(item: Any, items: list[Any]) -> str:
    if not isinstance(item, Run):
        return f"{item.name} seed {item.config.seed}"
    runs = [i for i in items if isinstance(i, Run)]
    if len(runs) == 1:
        return item.name
    c = item.config
    return f"{item.name} f={c.mislabel_fraction:g} seed {c.seed}"

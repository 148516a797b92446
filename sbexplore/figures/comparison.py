"""Comparison figures over several runs: speedup, keep against beta, mislabel pick rate against
mislabel fraction, time breakdown. Each attaches its table (see `figures.data.figure_data`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from sbexplore.analysis import keep_table, pick_rate_table, speedup_table, time_breakdown
from sbexplore.analysis.time_to_accuracy import CLOCK_LABELS, CLOCKS
from sbexplore.figures.data import attach_data
from sbexplore.figures.style import PALETTE, styled
from sbexplore.records import Run

CLOCK_COLORS = dict(zip(CLOCKS, PALETTE[:3], strict=True))


def speedup_bars(runs: list[Run], target: float | None = None, tolerance: float = 0.01,
                 f_over_t: float | None = None, clocks: tuple[str, ...] = CLOCKS) -> go.Figure:
    """Speedup to the target accuracy over traditional training, per run name and clock (bars:
    mean over seeds, whiskers: std). A missing bar: the run never reached the target."""
    df = speedup_table(runs, target, tolerance, f_over_t, clocks=clocks)
    df = df[df["policy"] != "all"]
    fig = go.Figure()
    for c in clocks:
        d = df[df["clock"] == c]
        fig.add_bar(x=d["run"], y=d["speedup_mean"], name=CLOCK_LABELS[c],
                    marker_color=CLOCK_COLORS.get(c),
                    error_y=dict(type="data", array=d["speedup_std"].fillna(0), visible=True))
    fig.add_hline(y=1.0, line=dict(color="#444", dash="dash"),
                  annotation_text="traditional", annotation_position="top left")
    tgt = df["target"].iloc[0] if len(df) else float("nan")
    styled(fig, f"Speedup to {tgt:.1%} test accuracy", barmode="group",
           yaxis_title="speedup over traditional (×)", xaxis_title=None,
           legend=dict(orientation="h", y=-0.2))
    return attach_data(fig, df)


def keep_vs_beta(runs: list[Run]) -> go.Figure:
    """Realised keep fraction of SB runs against β, with the expected 1/(β+1)."""
    df = keep_table([r for r in runs if r.config.policy == "sb"])
    betas = df["beta"] if len(df) else pd.Series([0.0, 4.0])
    b = np.linspace(0, max(1.0, float(betas.max()) * 1.1), 100)
    fig = go.Figure(go.Scatter(x=b, y=1 / (b + 1), mode="lines", name="expected 1/(β+1)",
                               line=dict(color="#444", dash="dash")))
    for i, (n, d) in enumerate(df.groupby("staleness", sort=True)):
        fig.add_scatter(x=d["beta"], y=d["realised_keep"], mode="markers",
                        name=f"realised (staleness {n})" if df["staleness"].nunique() > 1
                        else "realised", marker=dict(size=10, color=PALETTE[i % len(PALETTE)]),
                        text=d["run"], hovertemplate="%{text}<br>β=%{x}<br>keep=%{y:.3f}")
    styled(fig, "Keep fraction against β", xaxis_title="β (selectivity)",
           yaxis_title="keep fraction (after priming)", yaxis_range=[0, 1.05])
    return attach_data(fig, df)


def pick_rate_vs_fraction(runs: list[Run]) -> go.Figure:
    """Mislabel pick rate (share of backpropped examples that are mislabeled) against the
    mislabel fraction, per run name; the diagonal is what random selection picks."""
    df = pick_rate_table(runs)
    fmax = float(df["mislabel_fraction"].max()) if len(df) else 0.2
    fig = go.Figure(go.Scatter(x=[0, fmax * 1.05], y=[0, fmax * 1.05], mode="lines",
                               name="random (= fraction)", line=dict(color="#444", dash="dash")))
    for i, (name, d) in enumerate(df.groupby("run", sort=False)):
        fig.add_scatter(x=d["mislabel_fraction"], y=d["pick_rate_mean"], name=name,
                        mode="lines+markers",
                        line=dict(color=PALETTE[i % len(PALETTE)]),
                        error_y=dict(type="data", array=d["pick_rate_std"].fillna(0)))
    styled(fig, "Mislabel pick rate against mislabel fraction",
           xaxis_title="mislabel fraction", yaxis_title="mislabel pick rate",
           xaxis_tickformat=".0%", yaxis_tickformat=".0%")
    return attach_data(fig, df)


def time_breakdown_bars(runs: list[Run]) -> go.Figure:
    """Mean seconds per epoch (after priming), stacked: selection forward, training
    forward/backward, other (evaluation, data, bookkeeping)."""
    df = time_breakdown(runs)
    fig = go.Figure()
    for col, name, color in (("select_s", "selection forward", PALETTE[0]),
                             ("train_s", "training forward + backward", PALETTE[1]),
                             ("other_s", "other (eval, data)", "#BBBBBB")):
        fig.add_bar(x=df["run"], y=df[col], name=name, marker_color=color)
    styled(fig, "Time per epoch", barmode="stack", yaxis_title="seconds per epoch",
           legend=dict(orientation="h", y=-0.2))
    return attach_data(fig, df)


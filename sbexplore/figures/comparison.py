"""Comparison figures over several runs, seeds pooled by series (`analysis.run_labels`):
learning curves with bands, speedup at the paper's targets, keep against beta, mislabel pick rate
against mislabel fraction, time breakdown. Each attaches its table (`figures.data.figure_data`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sbexplore.analysis import (
    PAPER_FACTORS,
    error_targets,
    format_stat,
    keep_table,
    pick_rate_table,
    run_labels,
    speedup_table,
    time_breakdown,
)
from sbexplore.analysis.time_to_accuracy import CLOCK_LABELS, CLOCKS
from sbexplore.errors import ConfigError
from sbexplore.figures.data import attach_data
from sbexplore.figures.live import X_AXES, Y_LABELS
from sbexplore.figures.style import PALETTE, styled
from sbexplore.runs.record import Run

CLOCK_COLORS = dict(zip(CLOCKS, PALETTE[:3], strict=True))
BANDS = ("std", "minmax", "none")


def pooled_curves(runs: list[Run], x: str = "epoch", y: str = "test_accuracy") -> pd.DataFrame:
    """Per series and epoch: seeds (n), mean of the x clock, and mean, std, min, max of `y`."""
    if x not in X_AXES:
        raise ConfigError(f"x={x!r} is not allowed: one of {', '.join(X_AXES)}")
    frames = []
    for label, r in zip(run_labels(runs), runs, strict=True):
        m = r.metrics
        if y not in m.columns:
            raise ConfigError(f"y={y!r} is not allowed: one of the metrics columns "
                              f"{', '.join(m.columns)}")
        frames.append(pd.DataFrame({"run": label, "seed": r.config.seed, "epoch": m["epoch"],
                                    "x": m[X_AXES[x][0]].astype(float),
                                    "y": m[y].astype(float)}))
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["run", "seed", "epoch", "x", "y"])
    return (df.groupby(["run", "epoch"], sort=False)
            .agg(seeds=("seed", "size"), x_mean=("x", "mean"), y_mean=("y", "mean"),
                 y_std=("y", "std"), y_min=("y", "min"), y_max=("y", "max"))
            .reset_index())


def seed_curves(runs: list[Run], x: str = "epoch", y: str = "test_accuracy",
                band: str = "std") -> go.Figure:
    """`y` against epochs, backprops or wall time, one line per series: the mean over seeds at
    each epoch (x: the seeds' mean clock value), with a band of ± one std (`band="std"`) or
    min to max (`"minmax"`). Test-accuracy plots mark the paper's targets when traditional ran."""
    if band not in BANDS:
        raise ConfigError(f"band={band!r} is not allowed: one of {', '.join(BANDS)}")
    df = pooled_curves(runs, x, y)
    fig = go.Figure()
    for i, (name, d) in enumerate(df.groupby("run", sort=False)):
        color = PALETTE[i % len(PALETTE)]
        std = d["y_std"].fillna(0.0)
        lo, hi = ((d["y_mean"] - std, d["y_mean"] + std) if band == "std"
                  else (d["y_min"], d["y_max"]))
        if band != "none" and int(d["seeds"].max()) > 1:
            fig.add_scatter(x=d["x_mean"], y=hi, mode="lines", line=dict(width=0),
                            legendgroup=name, showlegend=False, hoverinfo="skip")
            fig.add_scatter(x=d["x_mean"], y=lo, mode="lines", line=dict(width=0),
                            fill="tonexty", fillcolor=_rgba(color, 0.2), legendgroup=name,
                            showlegend=False, hoverinfo="skip")
        n = int(d["seeds"].max())
        fig.add_scatter(x=d["x_mean"], y=d["y_mean"], mode="lines+markers",
                        name=f"{name} (n={n})", legendgroup=name,
                        line=dict(color=color, width=2), marker=dict(size=4),
                        customdata=np.stack([d["seeds"], std], axis=-1),
                        hovertemplate="%{y:.3f} ± %{customdata[1]:.3f} (n=%{customdata[0]})"
                        f"<extra>{name}</extra>")
    if y == "test_accuracy":
        _mark_targets(fig, runs)
    fig.update_xaxes(title=X_AXES[x][1])
    fig.update_yaxes(title=Y_LABELS.get(y, y))
    what = {"std": "band: mean ± std over seeds", "minmax": "band: min–max over seeds",
            "none": "mean over seeds"}[band]
    return attach_data(styled(fig, f"{Y_LABELS.get(y, y).capitalize()} vs {X_AXES[x][1]} "
                              f"({what})"), df)


def _mark_targets(fig: go.Figure, runs: list[Run]) -> None:
    """Dotted lines at traditional's final error × 1.1, 1.2, 1.4 (one mislabel fraction only)."""
    if len({r.config.mislabel_fraction for r in runs}) != 1 or not any(
            r.config.is_baseline for r in runs):
        return
    (targets,) = error_targets(runs).values()
    for k, acc in targets.items():
        fig.add_hline(y=acc, line=dict(color="#888", dash="dot", width=1),
                      annotation_text=f"final error ×{k:g}", annotation_position="bottom right",
                      annotation_font_size=10)


def _bar_text(n: int, reached: int) -> str:
    if reached == 0:
        return "never reached"
    return f"n={n}" if reached == n else f"{reached} of {n} reached"


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    return f"rgba({int(h[0:2], 16)},{int(h[2:4], 16)},{int(h[4:6], 16)},{alpha})"


def speedup_bars(runs: list[Run], target: float | None = None,
                 factors: tuple[float, ...] = PAPER_FACTORS, f_over_t: float | None = None,
                 clocks: tuple[str, ...] = CLOCKS) -> go.Figure:
    """Speedup over traditional per run series, one panel per clock, one bar per target (the
    paper's: traditional's final error × 1.1, 1.2, 1.4; or an explicit `target` accuracy). Bars:
    mean over the seeds that reached the target, whiskers: std; labels give n and 'never
    reached' (no bar) or 'k of n reached'."""
    df = speedup_table(runs, target, factors, f_over_t, clocks=clocks)
    df = df[~df["baseline"].astype(bool)].reset_index(drop=True)
    df["label"] = [format_stat(m, s, n, k) for m, s, n, k in
                   zip(df["speedup_mean"], df["speedup_std"], df["seeds"], df["reached"],
                       strict=True)]
    if df["mislabel_fraction"].nunique() > 1:
        df["run"] = [f"{r} ({f:.0%} mislabeled)" for r, f in
                     zip(df["run"], df["mislabel_fraction"], strict=True)]
    fig = make_subplots(rows=1, cols=len(clocks), subplot_titles=[CLOCK_LABELS[c]
                                                                  for c in clocks])
    factor_keys = list(dict.fromkeys(df["factor"].tolist())) or [float("nan")]
    for j, c in enumerate(clocks, start=1):
        for i, k in enumerate(factor_keys):
            d = df[(df["clock"] == c) & ((df["factor"] == k) | (df["factor"].isna()
                                                                & pd.isna(k)))]
            name = f"final error ×{k:g}" if not pd.isna(k) else "target accuracy"
            fig.add_bar(x=d["run"], y=d["speedup_mean"].fillna(0.0), name=name,
                        legendgroup=name, showlegend=j == 1,
                        marker_color=PALETTE[i % len(PALETTE)],
                        error_y=dict(type="data", array=d["speedup_std"].fillna(0.0),
                                     visible=True),
                        text=[_bar_text(n, r) for n, r in zip(d["seeds"], d["reached"],
                                                              strict=True)],
                        textposition="outside", cliponaxis=False,
                        hovertext=[f"{r}<br>speedup {t}<br>target accuracy {a:.3f}" for r, t, a
                                   in zip(d["run"], d["label"], d["target"], strict=True)],
                        hovertemplate=f"%{{hovertext}}<extra>{name}</extra>", row=1, col=j)
        fig.add_hline(y=1.0, line=dict(color="#444", dash="dash"), row=1, col=j)
    fig.update_yaxes(title_text="speedup over traditional (×)", row=1, col=1)
    title = ("Speedup to traditional's final error × k" if target is None
             else f"Speedup to {target:.1%} test accuracy")
    styled(fig, title, barmode="group", legend=dict(orientation="h", y=-0.2), height=450)
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
    forward/backward, other (evaluation, data, bookkeeping); seeds pooled by series (mean)."""
    df = time_breakdown(runs)
    df["run"] = run_labels(runs)
    df = (df.groupby("run", sort=False)
          .agg(policy=("policy", "first"), seeds=("run", "size"), epochs=("epochs", "mean"),
               select_s=("select_s", "mean"), train_s=("train_s", "mean"),
               other_s=("other_s", "mean"), total_s=("total_s", "mean")).reset_index())
    fig = go.Figure()
    for col, name, color in (("select_s", "selection forward", PALETTE[0]),
                             ("train_s", "training forward + backward", PALETTE[1]),
                             ("other_s", "other (eval, data)", "#BBBBBB")):
        fig.add_bar(x=df["run"], y=df[col], name=name, marker_color=color)
    styled(fig, "Time per epoch (mean over seeds)", barmode="stack",
           yaxis_title="seconds per epoch", legend=dict(orientation="h", y=-0.2))
    return attach_data(fig, df)

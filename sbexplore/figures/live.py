"""The dashboard's views as pure functions: a Run (or a live snapshot) -> plotly Figure.

Usable outside the dashboard (and for the paper); the dashboard copies these figures' traces
into its FigureWidgets, so every trace is built here and only here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from sbexplore.figures.style import (
    BACKPROPPED_COLOR,
    BASE_RATE_COLOR,
    MISLABELED_COLOR,
    SKIPPED_COLOR,
    run_color,
    run_dash,
    run_symbol,
    styled,
)
from sbexplore.runs.record import HIST_EDGES, Run
from sbexplore.runs.snapshot import Snapshot
from sbexplore.runs.source import LiveSource

X_AXES = {"epoch": ("epoch", "epoch"), "backprops": ("total_backprops", "examples backpropped"),
          "time": ("total_time_s", "wall time (s)")}
Y_LABELS = {"test_accuracy": "test accuracy", "test_loss": "test loss",
            "train_loss": "train loss (backpropped)", "keep_fraction": "keep fraction",
            "mislabel_pick_rate": "mislabel pick rate"}
FIRST_BIN_LEFT = 1e-4  # the [0, 1e-3) bin is drawn from here on the log axis

Source = Run | Snapshot | LiveSource  # a record, a moment of a run, or a run in progress


# -- normalising sources -----------------------------------------------------------------------
def _record(source: Source) -> Run | Snapshot:
    return source.record if isinstance(source, LiveSource) else source


def _metrics(source: Source) -> pd.DataFrame:
    return _record(source).metrics


def _name(source: Source) -> str:
    return source.name


def _config(source: Source) -> Any:
    return source.config


def _as_list(runs: Source | Sequence[Source]) -> list[Source]:
    if isinstance(runs, (Run, Snapshot, LiveSource)):
        return [runs]
    return list(runs)


def histogram_counts(source: Source, epoch: int | None = None) -> tuple[np.ndarray, np.ndarray,
                                                                           str]:
    """(counts[4, bins], edges, what) for a Run's epoch (1-based, default last) or a snapshot's
    epoch in progress (the last complete one when the new epoch has no counts yet)."""
    if isinstance(source, Snapshot):
        if source["hist"].sum() or source.get("hist_last") is None:
            return source["hist"], source["hist_edges"], f"epoch {source['epoch']} so far"
        return source["hist_last"], source["hist_edges"], f"epoch {max(1, source['epoch'] - 1)}"
    run = _record(source)
    if not len(run.hist):
        return np.zeros((4, len(HIST_EDGES) - 1), np.int64), HIST_EDGES, "no epoch yet"
    e = len(run.hist) if epoch is None else epoch
    if not 1 <= e <= len(run.hist):
        raise ValueError(f"epoch={epoch} is not allowed: run {run.name!r} has epochs "
                         f"1..{len(run.hist)}")
    return run.hist[e - 1], run.hist_edges, f"epoch {e}"


# -- (1) loss histogram ------------------------------------------------------------------------
def histogram_traces(counts: np.ndarray, edges: np.ndarray) -> list[go.Scatter]:
    """Four step traces on fixed bins: backpropped/skipped x clean/mislabeled."""
    left = np.asarray(edges, float).copy()
    left[0] = FIRST_BIN_LEFT
    styles = [  # order of records.HIST_GROUPS
        ("skipped, clean", SKIPPED_COLOR, "solid"),
        ("skipped, mislabeled", MISLABELED_COLOR, "dot"),
        ("backpropped, clean", BACKPROPPED_COLOR, "solid"),
        ("backpropped, mislabeled", MISLABELED_COLOR, "solid"),
    ]
    traces = []
    for g, (label, color, dash) in enumerate(styles):
        y = np.append(counts[g], counts[g][-1]).astype(float)
        traces.append(go.Scatter(
            x=left, y=y, name=label, mode="lines", line=dict(shape="hv", color=color, dash=dash,
                                                              width=2),
            fill="tozeroy" if g in (0, 2) else None, opacity=0.9,
            hovertemplate="loss ≥ %{x:.3g}: %{y:.0f}<extra>" + label + "</extra>",
            visible=True if g in (0, 2) or counts[g].sum() else "legendonly"))
    return traces


def loss_histogram(source: Source, epoch: int | None = None) -> go.Figure:
    """Losses used for selection on fixed log bins, backpropped vs skipped, clean vs mislabeled."""
    counts, edges, what = histogram_counts(source, epoch)
    fig = go.Figure(histogram_traces(counts, edges))
    fig.update_xaxes(type="log", title="loss (log scale; first bin is < 0.001)",
                     range=[np.log10(FIRST_BIN_LEFT), np.log10(edges[-1])])
    fig.update_yaxes(title="examples")
    return styled(fig, histogram_title(_name(source), what))


def histogram_title(name: str, what: str) -> str:
    return f"Loss histogram — {name}, {what}"


# -- (2) learning curves -----------------------------------------------------------------------
def curve_traces(runs: Source | Sequence[Source], x: str = "epoch", y: str = "test_accuracy",
                 colors: Sequence[str] | None = None) -> list[go.Scatter]:
    """One line per run (markers too, so single-epoch runs show)."""
    if x not in X_AXES:
        raise ValueError(f"x={x!r} is not allowed: one of {', '.join(X_AXES)}")
    traces = []
    for i, src in enumerate(_as_list(runs)):
        m = _metrics(src)
        if not len(m):  # no epoch yet (or a run that failed to start): nothing to draw
            continue
        if y not in m.columns:
            raise ValueError(f"y={y!r} is not allowed: one of the metrics columns "
                             f"{', '.join(m.columns)}")
        color = colors[i] if colors is not None else run_color(i)
        traces.append(go.Scatter(x=m[X_AXES[x][0]].to_numpy(), y=m[y].to_numpy(dtype=float),
                                 name=_name(src), mode="lines+markers",
                                 line=dict(color=color, width=2, dash=run_dash(i)),
                                 marker=dict(size=7, symbol=run_symbol(i))))
    return traces


def learning_curves(runs: Source | Sequence[Source], x: str = "epoch", y: str = "test_accuracy",
                    colors: Sequence[str] | None = None) -> go.Figure:
    """`y` (test accuracy, test loss, ...) against epochs, backprops or wall time, runs overlaid."""
    fig = go.Figure(curve_traces(runs, x, y, colors))
    fig.update_xaxes(title=X_AXES[x][1])
    fig.update_yaxes(title=Y_LABELS.get(y, y))
    return styled(fig, curves_title(x, y))


def curves_title(x: str = "epoch", y: str = "test_accuracy") -> str:
    return f"{Y_LABELS.get(y, y).capitalize()} vs {X_AXES[x][1]}"


# -- (4) mislabel pick rate --------------------------------------------------------------------
def pick_rate_traces(runs: Source | Sequence[Source],
                     colors: Sequence[str] | None = None) -> list[go.Scatter]:
    """Per run: the share of backpropped examples that were mislabeled; then one dashed base
    rate line per distinct mislabel fraction."""
    traces, last = [], {}
    for i, src in enumerate(_as_list(runs)):
        m, f = _metrics(src), _config(src).mislabel_fraction
        color = colors[i] if colors is not None else run_color(i)
        if f <= 0 or not len(m):
            continue
        traces.append(go.Scatter(x=m["epoch"].to_numpy(), y=m["mislabel_pick_rate"].to_numpy(
            dtype=float), name=_name(src), mode="lines+markers",
            line=dict(color=color, width=2), marker=dict(size=7, symbol=run_symbol(i))))
        last[f] = max(last.get(f, 1), int(m["epoch"].max()) if len(m) else 1)
    for f, end in sorted(last.items()):
        traces.append(go.Scatter(x=[1, end], y=[f, f], name=f"base rate {f:.0%}", mode="lines",
                                 line=dict(color=BASE_RATE_COLOR, dash="dash", width=1.5)))
    return traces


def mislabel_pick_rate(runs: Source | Sequence[Source],
                       colors: Sequence[str] | None = None) -> go.Figure:
    """Pick rate over epochs against the base rate (= mislabel_fraction); SB picks more."""
    traces = pick_rate_traces(runs, colors)
    fig = go.Figure(traces)
    fig.update_xaxes(title="epoch")
    fig.update_yaxes(title="mislabeled share of backprops", rangemode="tozero")
    if not traces:
        fig.add_annotation(text="no run with mislabel_fraction > 0", showarrow=False,
                           xref="paper", yref="paper", x=0.5, y=0.5)
    return styled(fig, "Mislabel pick rate vs base rate")


# -- the rule itself ---------------------------------------------------------------------------
def rule_traces(beta: float, losses: np.ndarray | None = None, probs: np.ndarray | None = None,
                keep: np.ndarray | None = None,
                percentile: np.ndarray | None = None) -> list[go.Scatter]:
    """The curve P = percentile^β and the latest candidate batch on it (backpropped / skipped)."""
    p = np.linspace(0, 1, 101)
    traces = [go.Scatter(x=p, y=p ** beta, mode="lines", name=f"P = percentile^{beta:g}",
                         line=dict(color="#444444", width=2))]
    if probs is not None and len(probs):
        probs = np.asarray(probs, float)
        if percentile is None:
            percentile = (probs ** (1 / beta) if beta > 0
                          else np.argsort(np.argsort(np.asarray(losses))) / len(probs))
        keep = np.ones(len(probs), bool) if keep is None else np.asarray(keep, bool)
        text = None if losses is None else [f"loss {v:.3g}" for v in np.asarray(losses, float)]
        for mask, label, color in ((keep, "backpropped", BACKPROPPED_COLOR),
                                   (~keep, "skipped", SKIPPED_COLOR)):
            traces.append(go.Scatter(
                x=np.asarray(percentile)[mask], y=probs[mask], mode="markers", name=label,
                marker=dict(color=color, size=8, symbol="circle" if label == "backpropped" else "x",
                            line=dict(color="white", width=0.5)),
                text=None if text is None else [t for t, k in zip(text, mask, strict=True) if k],
                hovertemplate="percentile %{x:.2f}, P %{y:.2f}<br>%{text}<extra></extra>"))
    else:
        for label, color in (("backpropped", BACKPROPPED_COLOR), ("skipped", SKIPPED_COLOR)):
            traces.append(go.Scatter(x=[], y=[], mode="markers", name=label, marker=dict(
                color=color, size=8, symbol="circle" if label == "backpropped" else "x")))
    return traces


def selection_rule(beta: float, losses: np.ndarray | None = None, probs: np.ndarray | None = None,
                   keep: np.ndarray | None = None,
                   percentile: np.ndarray | None = None) -> go.Figure:
    """SB's rule for teaching: keep probability vs loss percentile, expected keep 1/(β+1)."""
    fig = go.Figure(rule_traces(beta, losses, probs, keep, percentile))
    fig.update_xaxes(title="loss percentile among recent losses", range=[-0.02, 1.02])
    fig.update_yaxes(title="keep probability P", range=[-0.02, 1.05])
    return styled(fig, rule_title(beta))


def rule_title(beta: float) -> str:
    return f"Selection rule: β={beta:g}, expected keep fraction {1 / (beta + 1):.2f}"


def rule_from(source: Source) -> go.Figure:
    """`selection_rule` for a snapshot's current beta and latest candidate batch (or a Run's β)."""
    return selection_rule(*rule_args(source))


def rule_args(source: Source) -> tuple:
    """(beta, losses, probs, keep, percentile) of a snapshot's latest candidate batch."""
    if isinstance(source, Snapshot):
        b = source.get("last_batch") or {}
        return (source["beta"], b.get("losses"), b.get("probs"), b.get("keep"),
                b.get("percentile"))
    return (_config(source).beta, None, None, None, None)

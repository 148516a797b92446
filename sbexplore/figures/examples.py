"""Per-example figures of one run: most / least backpropped images, the data map, and SB as a
mislabel detector. Each attaches its table (see `figures.data.figure_data`)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from sbexplore.analysis import (
    least_backpropped,
    mislabel_detection,
    most_backpropped,
    training_dynamics,
)
from sbexplore.errors import ConfigError
from sbexplore.figures.data import attach_data
from sbexplore.figures.image_grid import class_namer, image_grid_figure
from sbexplore.figures.style import CLEAN_COLOR, MISLABELED_COLOR, PALETTE, styled
from sbexplore.runs.record import Run

WHICH = ("most", "least")


def backpropped_images(run: Run, which: str = "most", k: int = 16, cols: int = 8,
                       tile_px: int = 110) -> go.Figure:
    """A grid of the k most (or least) often backpropped training images; captions give the
    label and the times backpropped; mislabeled ones (in red) give the given and the true
    label."""
    if which not in WHICH:
        raise ConfigError(f"which={which!r} is not allowed: one of {', '.join(WHICH)}")
    if k < 1:
        raise ConfigError(f"k={k!r} is not allowed: must be >= 1")
    df = (most_backpropped if which == "most" else least_backpropped)(run, k)
    name = class_namer(run.classes)
    captions = [(f"✗ given {name(r.label)} · true {name(r.true_label)}" if r.mislabeled
                 else name(r.label)) + f"<br>×{r.times_backpropped}" for r in df.itertuples()]
    colors = [MISLABELED_COLOR if m else "#222222" for m in df["mislabeled"]]
    return image_grid_figure(run, df, captions, colors,
                             f"{which.capitalize()} backpropped examples — {run.name}", cols,
                             tile_px)


def data_map(run: Run, max_points: int = 20000) -> go.Figure:
    """Cartography data map: variability (std across epochs) against mean confidence in the
    given label, coloured by selection frequency; mislabeled examples marked ×. Confidence is
    the recorded softmax probability, or exp(−loss) for runs saved before it was recorded."""
    df = training_dynamics(run)
    p = "p" if df.attrs.get("confidence_source") == "probs" else "exp(−loss)"
    plot = df.sample(max_points, random_state=0) if len(df) > max_points else df
    fig = go.Figure()
    for flag, name, symbol in ((False, "clean", "circle"), (True, "mislabeled", "x")):
        d = plot[plot["mislabeled"].astype(bool) == flag]
        if not len(d) and flag:
            continue
        fig.add_scatter(
            x=d["confidence_std"], y=d["confidence_mean"], mode="markers", name=name,
            marker=dict(symbol=symbol, size=6 if flag else 5, opacity=0.8,
                        color=d["backprop_frequency"], coloraxis="coloraxis",
                        line=dict(width=1, color=MISLABELED_COLOR) if flag else None),
            customdata=d[["index", "times_backpropped"]].to_numpy(),
            hovertemplate="example %{customdata[0]}<br>selected %{customdata[1]}×"
                          "<br>variability %{x:.3f}<br>confidence %{y:.3f}<extra></extra>")
    styled(fig, f"Data map — {run.name}", xaxis_title=f"variability (std of {p})",
           yaxis_title=f"confidence (mean {p} of the given label)",
           coloraxis=dict(colorscale="Viridis", colorbar=dict(title="selection<br>frequency")),
           legend=dict(x=1.0, xanchor="right", y=0.0, yanchor="bottom"))
    return attach_data(fig, df)


def detection_curve(runs: Run | list[Run]) -> go.Figure:
    """SB as a mislabel detector: precision and recall of flagging the k most backpropped examples,
    against k; the dotted line is the base rate (random flags)."""
    runs = [runs] if isinstance(runs, Run) else runs
    frames = [mislabel_detection(r) for r in runs if r.examples["mislabeled"].astype(bool).any()]
    if not frames:
        raise ConfigError("detection_curve needs a run with injected mislabels "
                          "(mislabel_fraction > 0)")
    df = pd.concat(frames, ignore_index=True)
    fig = go.Figure()
    for i, (name, d) in enumerate(df.groupby("run", sort=False)):
        c = PALETTE[i % len(PALETTE)]
        fig.add_scatter(x=d["k"], y=d["precision"], name=f"{name} precision",
                        line=dict(color=c))
        fig.add_scatter(x=d["k"], y=d["recall"], name=f"{name} recall",
                        line=dict(color=c, dash="dash"))
        n_mis = int(round(d["base_rate"].iloc[0] * len(d)))
        fig.add_vline(x=n_mis, line=dict(color=CLEAN_COLOR, dash="dot", width=1))
    fig.add_hline(y=float(df["base_rate"].iloc[0]), line=dict(color="#888", dash="dot"),
                  annotation_text="base rate", annotation_position="bottom right")
    styled(fig, "Mislabel detection by backprop frequency", xaxis_title="k (most backpropped)",
           yaxis_title="precision / recall", yaxis_range=[0, 1.02])
    return attach_data(fig, df)

"""The paper style shared by every figure: white background, readable fonts, Okabe-Ito colours.

Figures write β in Unicode (MathJax needs the network).
"""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

# Okabe & Ito (2008): distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
POLICY_COLORS = {"sb": "#0072B2", "uniform": "#E69F00", "topk": "#CC79A7", "traditional": "#000000"}
BACKPROPPED_COLOR, SKIPPED_COLOR = "#0072B2", "#BBBBBB"
CLEAN_COLOR, MISLABELED_COLOR = "#009E73", "#D55E00"
BASE_RATE_COLOR = "#666666"
# runs differ by marker symbol and dash too, not by colour alone
SYMBOLS = ["circle", "square", "diamond", "triangle-up", "x", "star", "cross", "triangle-down"]
DASHES = ["solid", "dash", "dot", "dashdot", "longdash", "longdashdot"]
# legends sit in one horizontal row above the plot area, under the title: never over an
# axis title, never cut off at the right edge (the top margin leaves room for both)
LEGEND_ABOVE = dict(orientation="h", x=0.0, xanchor="left", y=1.02, yanchor="bottom",
                    font=dict(size=12))
TOP_MARGIN = 95
FONT = dict(family="Arial, Helvetica, sans-serif", size=14, color="#222222")

TEMPLATE = go.layout.Template(
    layout=go.Layout(
        font=FONT, paper_bgcolor="white", plot_bgcolor="white", colorway=PALETTE,
        margin=dict(l=70, r=20, t=TOP_MARGIN, b=60),
        xaxis=dict(showline=True, linecolor="#444", ticks="outside", showgrid=True,
                   gridcolor="#EEEEEE", zeroline=False, mirror=False),
        yaxis=dict(showline=True, linecolor="#444", ticks="outside", showgrid=True,
                   gridcolor="#EEEEEE", zeroline=False, mirror=False),
        legend=dict(bgcolor="rgba(255,255,255,0.8)", borderwidth=0, **LEGEND_ABOVE),
        title=dict(x=0.02, xanchor="left", y=0.985, yanchor="top", yref="container",
                   font=dict(size=15)),
    )
)
pio.templates["sbexplore"] = TEMPLATE


def styled(fig: go.Figure, title: str | None = None, **layout) -> go.Figure:
    """Apply the paper template (and a title) to a figure; returns it."""
    fig.update_layout(template=TEMPLATE, title=title, **layout)
    return fig


def run_color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def run_symbol(i: int) -> str:
    return SYMBOLS[i % len(SYMBOLS)]


def run_dash(i: int) -> str:
    return DASHES[i % len(DASHES)]

"""A self-contained HTML report comparing runs (the demo's SB, Stale-SB, uniform, traditional):
a summary table and interactive figures; plotly.js embedded once, so it opens offline."""

from __future__ import annotations

import datetime as _dt
import html
import os
from pathlib import Path

import plotly.graph_objects as go

from sbexplore._version import __version__
from sbexplore.analysis import comparison_table, cost_model_table
from sbexplore.analysis.epochs import selecting_epochs
from sbexplore.fileio import atomic_write
from sbexplore.records import Run

CSS = """body{font-family:Arial,Helvetica,sans-serif;max-width:1100px;margin:2em auto;color:#222;
padding:0 1em}table{border-collapse:collapse;margin:1em 0}td,th{padding:4px 10px;
border-bottom:1px solid #ddd;text-align:right}th{background:#f4f4f4}td:first-child,
th:first-child{text-align:left}.note{color:#555;font-size:0.9em}"""


def report_figures(runs: list[Run]) -> list[tuple[str, go.Figure]]:
    """The report's figures, cheapest first; per-example figures for the first SB run."""
    from sbexplore.figures import (
        data_map,
        detection_curve,
        learning_curves,
        loss_histogram,
        mislabel_pick_rate,
        selected_images,
        speedup_bars,
        time_breakdown_bars,
    )

    figs = [(f"Test accuracy against {x}", learning_curves(runs, x=x))
            for x in ("epoch", "backprops", "time")]
    if any(r.config.policy == "all" for r in runs) and len(runs) > 1:
        figs.append(("Speedup to target accuracy", speedup_bars(runs)))
    figs.append(("Time breakdown", time_breakdown_bars(runs)))
    mis = [r for r in runs if r.config.mislabel_fraction > 0]
    sb = [r for r in runs if r.config.policy == "sb" and bool(selecting_epochs(r).any())]
    if mis:
        figs.append(("Mislabel pick rate", mislabel_pick_rate(mis)))
        det = [r for r in mis if r.config.policy != "all"
               and bool(selecting_epochs(r).any())]
        if det:
            figs.append(("SB as a mislabel detector", detection_curve(det)))
    if sb:
        figs += [("Loss histogram", loss_histogram(sb[0])),
                 ("Most selected examples", selected_images(sb[0], "most")),
                 ("Least selected examples", selected_images(sb[0], "least")),
                 ("Data map", data_map(sb[0]))]
    return figs


def write_report(runs: list[Run], out: str | os.PathLike, title: str = "Selective-Backprop "
                 "comparison") -> Path:
    """Write `out/report.html` (atomically) and return its path."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    table = comparison_table(runs)
    cost = cost_model_table(runs)[["run", "keep", "fresh_share", "measured_f_over_t",
                                   "predicted_ratio", "measured_ratio"]]
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
             f"</title><style>{CSS}</style></head><body><h1>{html.escape(title)}</h1>",
             f"<p class='note'>sbexplore {__version__}, "
             f"{_dt.datetime.now().isoformat(timespec='seconds')}; dataset "
             f"{html.escape(runs[0].config.dataset)}, model {html.escape(runs[0].config.model)}, "
             f"{len(runs[0].metrics)} epochs, mislabel fraction "
             f"{runs[0].config.mislabel_fraction:g}.</p>", "<h2>Summary</h2>",
             table.to_html(index=False, float_format=lambda v: f"{v:.3f}", na_rep="—")]
    if "target" in table.attrs:
        parts.append(f"<p class='note'>Speedup: time to {table.attrs['target']:.1%} test "
                     "accuracy (traditional final accuracy − 1 point), interpolated within the "
                     "crossing epoch, traditional over run. Detection precision: share of "
                     "mislabeled examples among the k most selected, k = number of mislabels."
                     "</p>")
    parts += ["<h2>Cost model</h2>",
              cost.to_html(index=False, float_format=lambda v: f"{v:.3f}", na_rep="—"),
              "<p class='note'>predicted_ratio = fresh_share × F/T + keep (an epoch's compute "
              "relative to traditional); measured_ratio = (selection + training seconds) per "
              "epoch over traditional's.</p>"]
    for i, (name, fig) in enumerate(report_figures(runs)):
        parts.append(f"<h2>{html.escape(name)}</h2>")
        parts.append(fig.to_html(full_html=False, include_plotlyjs=(i == 0),
                                 config={"displaylogo": False}))
    parts.append("</body></html>")
    path = out / "report.html"
    atomic_write(path, "\n".join(parts).encode())
    return path

"""A self-contained HTML report comparing runs (the demo's SB, Stale-SB, uniform, traditional):
tables pooled over seeds (mean ± std, n, "never reached") and interactive figures with bands;
plotly.js embedded once, so it opens offline."""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from sbexplore.analysis import comparison_table, cost_model_table, format_table, speedup_table
from sbexplore.analysis.epochs import after_priming
from sbexplore.analysis.paper_tables import table1
from sbexplore.analysis.provenance import provenance, provenance_line
from sbexplore.analysis.time_to_accuracy import CLOCKS
from sbexplore.runs.fileio import atomic_write
from sbexplore.runs.record import Run

CSS = """body{font-family:Arial,Helvetica,sans-serif;max-width:1100px;margin:2em auto;color:#222;
padding:0 1em}table{border-collapse:collapse;margin:1em 0}td,th{padding:4px 10px;
border-bottom:1px solid #ddd;text-align:right}th{background:#f4f4f4}td:first-child,
th:first-child{text-align:left}.note{color:#555;font-size:0.9em}table{font-size:0.85em;
max-width:100%;table-layout:auto}td,th{overflow-wrap:anywhere}details{margin:1em 0}
pre{white-space:pre-wrap;font-size:0.8em;max-height:30em;overflow:auto}"""
SUMMARY_COLUMNS = ["run", "mislabel_fraction", "seeds", "final_accuracy", "keep_fraction",
                   "wall_time_s", "mislabel_pick_rate", "detection_precision_at_k"]


def report_figures(runs: list[Run]) -> list[tuple[str, go.Figure | str]]:
    """The report's figures, cheapest first; per-example figures for the first SB run (a
    note instead of a view that does not apply)."""
    from sbexplore.figures import (
        backpropped_images,
        data_map,
        detection_curve,
        loss_histogram,
        seed_curves,
        speedup_bars,
        time_breakdown_bars,
    )
    from sbexplore.figures.image_grid import has_images, image_note

    figs: list[tuple[str, go.Figure | str]] = [
        (f"Test accuracy against {x}", seed_curves(runs, x=x))
        for x in ("epoch", "backprops", "time")]
    if any(r.config.is_baseline for r in runs) and len(runs) > 1:
        figs.append(("Speedup at the paper's targets", speedup_bars(runs)))
    figs.append(("Time breakdown", time_breakdown_bars(runs)))
    selects = [r for r in runs if r.config.policy != "traditional" and len(after_priming(r))]
    mis = [r for r in runs if r.config.mislabel_fraction > 0]
    sb = [r for r in selects if r.config.policy == "sb"]
    if mis:
        figs.append(("Mislabel pick rate (mean over seeds, ± std band)",
                     seed_curves(mis, x="epoch", y="mislabel_pick_rate")))
        det = [r for r in mis if r in selects]
        if det:  # one seed: a line per seed would hide the comparison
            figs.append((f"SB as a mislabel detector (seed {det[0].config.seed})",
                         detection_curve([r for r in det if r.config.seed == det[0].config.seed])))
    if sb:
        figs.append(("Loss histogram", loss_histogram(sb[0])))
        if has_images(sb[0]):
            figs += [("Most backpropped examples", backpropped_images(sb[0], "most")),
                     ("Least backpropped examples", backpropped_images(sb[0], "least"))]
        else:
            figs.append(("Most and least backpropped examples", image_note(sb[0])))
        figs.append(("Data map", data_map(sb[0])))
    return figs


def html_table(df: pd.DataFrame, caption: str = "") -> str:
    """A pooled table as HTML text ('mean ± std', 'never reached'), with its caption below."""
    body = format_table(df).to_html(index=False, na_rep="—")
    return body + (f"<p class='note'>{html.escape(caption)}</p>" if caption else "")


def write_report(runs: list[Run], out: str | os.PathLike, title: str = "Selective-Backprop "
                 "comparison") -> Path:
    """Write `out/report.html` (atomically) and return its path. It reads like a results
    section: Table 1 per clock, the summary, the figures with one-line captions, then the long
    tables (collapsed) and the provenance (versions, hardware, every run's config)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    table = comparison_table(runs)
    cols = [c for c in table.columns if re.sub(r"_(mean|std|reached)$", "", c)
            in SUMMARY_COLUMNS]
    fractions = sorted({r.config.mislabel_fraction for r in runs})
    prov = provenance(runs)
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
             f"</title><style>{CSS}</style></head><body><h1>{html.escape(title)}</h1>",
             f"<p class='note'>{html.escape(provenance_line(prov))}; dataset "
             f"{html.escape(runs[0].config.dataset)}, model {html.escape(runs[0].config.model)}, "
             f"{len(runs)} runs, {len(runs[0].metrics)} epochs, mislabel fraction(s) "
             f"{', '.join(f'{f:g}' for f in fractions)}.</p>"]
    sp = None
    if any(r.config.is_baseline for r in runs):
        sp = speedup_table(runs)
        parts.append("<h2>Table 1: time to traditional's final error × k</h2>")
        for clock in CLOCKS:
            t1 = table1(runs, clock)
            parts += [f"<h3>{html.escape(CLOCK_TITLES[clock])}</h3>",
                      t1.to_html(index=False, na_rep="—", classes="wide"),
                      f"<p class='note'>{html.escape(t1.attrs['caption'])}</p>"]
    parts += ["<h2>Summary</h2>",
              html_table(table[cols], table.attrs.get("caption", "") + " Detection precision: "
                         "share of mislabeled examples among the k most backpropped, k = number "
                         "of mislabels.")]
    for i, (name, fig) in enumerate(report_figures(runs)):
        parts.append(f"<h2>{html.escape(name)}</h2>")
        if isinstance(fig, str):
            parts.append(f"<p class='note'>{html.escape(fig)}</p>")
            continue
        parts.append(fig.to_html(full_html=False, include_plotlyjs=(i == 0),
                                 config={"displaylogo": False}))
        parts.append(f"<p class='note'>{html.escape(FIGURE_CAPTIONS.get(name, ''))}</p>")
    parts.append("<h2>Long tables</h2>")
    if sp is not None:
        parts += ["<details><summary>Speedup, every method × clock × target (the CSV's long "
                  "form)</summary>",
                  html_table(sp.drop(columns=["f_over_t"]), sp.attrs["caption"] + " Clocks: "
                             "wall time (s), backprops (examples), cost units (selection "
                             f"forwards × F/T + backprops, F/T = {sp['f_over_t'].iloc[0]:.3f})."),
                  "</details>"]
    cost = cost_model_table(runs)[["run", "keep", "fresh_share", "measured_f_over_t",
                                   "predicted_ratio", "measured_ratio"]]
    parts += ["<details><summary>Cost model, one row per run</summary>",
              cost.to_html(index=False, float_format=lambda v: f"{v:.3f}", na_rep="—"),
              "<p class='note'>predicted_ratio = fresh_share × F/T + keep (an epoch's compute "
              "relative to traditional); measured_ratio = (selection + training seconds) per "
              "epoch over traditional's.</p></details>",
              "<h2>Provenance</h2>", _provenance_html(prov)]
    parts.append("</body></html>")
    path = out / "report.html"
    atomic_write(path, "\n".join(parts).encode())
    return path


CLOCK_TITLES = {"time": "Wall clock (seconds)", "backprops": "Backprops (examples)",
                "cost": "Cost units (selection forwards × F/T + backprops)"}
FIGURE_CAPTIONS = {
    "Test accuracy against epoch": "Mean test accuracy over seeds per epoch, ± std band.",
    "Test accuracy against backprops": "The same against examples backpropped: the work SB "
                                       "saves.",
    "Test accuracy against time": "The same against training wall time (evaluation excluded).",
    "Speedup at the paper's targets": "Time to traditional's final error × k, relative to "
                                      "traditional, on three clocks.",
    "Time breakdown": "Seconds per epoch in selection, backprop steps and the rest.",
    "Loss histogram": "The losses SB ranked in the last epoch: backpropped and skipped, clean "
                      "and mislabeled.",
    "Most backpropped examples": "The training examples backpropped most often.",
    "Least backpropped examples": "The training examples backpropped least often.",
    "Data map": "Each example by the mean and spread of its label's probability over epochs.",
}


def _provenance_html(prov: dict) -> str:
    rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(str(v))}</td></tr>"
                   for k, v in prov.items() if k != "runs")
    configs = html.escape(json.dumps(prov["runs"], indent=1, default=str))
    return (f"<table>{rows}</table><details><summary>Every run's config "
            f"({len(prov['runs'])})</summary><pre>{configs}</pre></details>")

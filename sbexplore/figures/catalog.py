"""Every figure that applies to a set of runs, by file name: what `sbexplore figures` exports."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from sbexplore.analysis.epochs import after_priming
from sbexplore.runs.record import Run


def slug(text: str) -> str:
    """A file-name-safe form of a run name."""
    text = text.lower().replace("β", "beta")
    s = "".join(c if c.isascii() and c.isalnum() else "-" for c in text)
    return "-".join(p for p in s.split("-") if p) or "run"


class Figures(dict):
    """Figures by file name, with `notes`: the views that did not apply, and why."""

    def __init__(self, *args: Any, notes: list[str] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.notes: list[str] = list(notes or [])


def folder_names(runs: list[Run]) -> list[str]:
    """One folder name per run: its name's slug, with `-seed<k>` where several runs share it
    (a counter only for runs alike in name and seed)."""
    from sbexplore.analysis.series import run_labels

    names = [slug(label) for label in run_labels(runs)]
    out = [f"{n}-seed{r.config.seed}" if names.count(n) > 1 else n
           for n, r in zip(names, runs, strict=True)]
    seen: dict[str, int] = {}
    for i, n in enumerate(out):
        seen[n] = seen.get(n, 0) + 1
        if out.count(n) > 1:
            out[i] = f"{n}-{seen[n]}"
    return out


def run_figures(run: Run, prefix: str = "") -> Figures:
    """One run's own figures: learning curve, loss histogram, pick rate, most / least selected
    images, data map, mislabel detection, label-error suspects and time breakdown (those that
    apply; image views when the run can show images, else a note in `.notes`)."""
    from sbexplore.figures import live
    from sbexplore.figures.comparison import time_breakdown_bars
    from sbexplore.figures.detectors import detector_pr_curves
    from sbexplore.figures.examples import backpropped_images, data_map, detection_curve
    from sbexplore.figures.suspects import suspects_gallery

    has_mis = bool(run.examples["mislabeled"].astype(bool).any()) if len(run.examples) else False
    selects = selected_after_priming(run)
    from sbexplore.figures.image_grid import has_images, image_note

    figs = Figures({"learning_curve": live.learning_curves([run])})
    images = has_images(run)
    if len(run.hist):
        figs["loss_histogram"] = live.loss_histogram(run)
    if has_mis:
        figs["mislabel_pick_rate"] = live.mislabel_pick_rate([run])
    if selects and len(run.examples) and not images:
        figs.notes.append(image_note(run))
    if selects and len(run.examples) and images:
        figs["most_backpropped"] = backpropped_images(run, "most")
        figs["least_backpropped"] = backpropped_images(run, "least")
    if len(run.losses):
        figs["data_map"] = data_map(run)
    if has_mis and selects:
        figs["mislabel_detection"] = detection_curve(run)
        figs["label_error_pr"] = detector_pr_curves(run)
    if selects and len(run.examples) and images:
        figs["label_suspects"] = suspects_gallery(run)  # given vs predicted label, by score
    figs["time_breakdown"] = time_breakdown_bars([run])
    return Figures({prefix + k: v for k, v in figs.items()}, notes=figs.notes)


def selected_after_priming(run: Run) -> bool:
    """Whether the run selected (not traditional) for at least one epoch after priming."""
    return run.config.policy != "traditional" and bool(len(after_priming(run)))


def comparison_figures(runs: list[Run], prefix: str = "") -> dict[str, go.Figure]:
    """Figures across runs (seeds pooled): learning curves with bands on three clocks, speedup at
    the paper's targets (with a traditional run), keep against β, pick rate against mislabel
    fraction, time breakdown, detection. `prefix` goes before every name (a sub-folder)."""
    from sbexplore.figures import live
    from sbexplore.figures.comparison import (
        keep_vs_beta,
        pick_rate_vs_fraction,
        seed_curves,
        speedup_bars,
        time_breakdown_bars,
    )
    from sbexplore.figures.examples import detection_curve

    figs: dict[str, go.Figure] = {f"learning_curves_{x}": seed_curves(runs, x=x)
                                  for x in ("epoch", "backprops", "time")}
    if any(r.config.is_baseline for r in runs) and any(not r.config.is_baseline
                                                           for r in runs):
        figs["speedup"] = speedup_bars(runs)
    sb = [r for r in runs if r.config.policy == "sb"]
    if sb and len({(r.config.beta, r.config.staleness) for r in sb}) > 1:
        figs["keep_vs_beta"] = keep_vs_beta(runs)
    mis = [r for r in runs if r.config.mislabel_fraction > 0]
    if mis:
        figs["mislabel_pick_rate"] = live.mislabel_pick_rate(mis)
        if len({r.config.mislabel_fraction for r in mis}) > 1:
            figs["pick_rate_vs_fraction"] = pick_rate_vs_fraction(mis)
        detect = [r for r in mis if selected_after_priming(r)]
        if detect:
            figs["mislabel_detection"] = detection_curve(detect)
    figs["time_breakdown"] = time_breakdown_bars(runs)
    return {prefix + k: v for k, v in figs.items()}


def figures_for(runs: list[Run]) -> Figures:
    """One run: its own figures. Several: the comparisons, then each run's own figures in a
    sub-folder named after the run. `.notes` says which views did not apply."""
    if len(runs) == 1:
        return run_figures(runs[0])
    figs = Figures(comparison_figures(runs))
    for r, s in zip(runs, folder_names(runs), strict=True):
        own = run_figures(r, prefix=f"{s}/")
        figs.update(own)
        figs.notes += own.notes
    return figs

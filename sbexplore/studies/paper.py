"""The paper kit: everything an author pastes into a paper from saved runs, in one folder.

    write_paper_kit(runs, "paper/")      # = sbexplore paper RUN_DIR... --out paper/

- `figures/column/`, `figures/page/`: every figure that applies, sized for a two-column paper's
  column (3.25 in) and for the full page width (6.75 in), as PDF, SVG and PNG (+ CSV);
- `tables/`: Table 1 per clock, the summary, the mislabel pick rates and the detector table,
  each as booktabs LaTeX (`.tex`), Markdown and CSV;
- `methods.md`: a methods paragraph generated from the configs and the provenance;
- `provenance.json`: versions, commit, hardware, date and every run's config.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from sbexplore.analysis import comparison_table, format_table, pick_rate_table
from sbexplore.analysis.paper_tables import table1, to_latex, to_markdown
from sbexplore.analysis.provenance import provenance, provenance_line
from sbexplore.analysis.series import run_labels
from sbexplore.analysis.time_to_accuracy import CLOCKS
from sbexplore.config.naming import NOT_A_SETTING, POLICY_NAMES
from sbexplore.runs.fileio import atomic_write
from sbexplore.runs.record import Run

PAPER_SIZES = ("column", "page")
SUMMARY = ["run", "mislabel_fraction", "seeds", "final_accuracy", "keep_fraction",
           "backprops", "wall_time_s", "mislabel_pick_rate"]


def write_paper_kit(runs: Sequence[Run], out: str | os.PathLike,
                    formats: Iterable[str] = ("pdf", "svg", "png"),
                    sizes: Sequence[str] = PAPER_SIZES) -> list[Path]:
    """Write the kit (see the module docstring) under `out`; returns every file written."""
    from sbexplore.figures import figures_for
    from sbexplore.figures.export import export_all

    out = Path(out)
    prov = provenance(runs)
    written = write_tables(runs, out / "tables", prov)
    figs = figures_for(list(runs))
    for size in sizes:
        written += export_all(figs, out / "figures" / size, formats, size=size,
                              provenance=provenance_line(prov))
    written.append(_write(out / "methods.md", methods_text(runs, prov)))
    written.append(_write(out / "provenance.json", json.dumps(prov, indent=1, default=str)))
    return written


def paper_tables(runs: Sequence[Run]) -> dict[str, tuple[pd.DataFrame, str]]:
    """The kit's tables as text frames with their captions, by file name."""
    tables: dict[str, tuple[pd.DataFrame, str]] = {}
    if any(r.config.is_baseline for r in runs):
        for clock in CLOCKS:
            t = table1(runs, clock)
            tables[f"table1_{clock}"] = (t, t.attrs["caption"])
    summary = comparison_table(runs)
    cols = [c for c in summary.columns if c.rsplit("_", 1)[0] in SUMMARY or c in SUMMARY]
    tables["summary"] = (format_table(summary[cols]),
                         "Per method: mean ± std over n seeds; keep fraction and pick rate "
                         "after priming.")
    if any(r.config.mislabel_fraction > 0 for r in runs):
        picks = pick_rate_table(runs)
        if len(picks):
            tables["mislabel_pick_rates"] = (format_table(picks), "Mislabel pick rate after "
                                             "priming (share of backprops on flipped labels) "
                                             "and enrichment over the mislabel fraction.")
        from sbexplore.analysis.detector import detector_table
        from sbexplore.figures.catalog import selected_after_priming

        detecting = [r for r in runs if r.config.mislabel_fraction > 0
                     and selected_after_priming(r)]
        if detecting:
            tables["detector"] = (format_table(detector_table(detecting)),
                                  "SB as a label-error detector: precision and recall at k "
                                  "(k = number of flipped labels) and average precision.")
    return tables


def write_tables(runs: Sequence[Run], out: Path, prov: dict | None = None) -> list[Path]:
    """Each table as `.tex`, `.md` and `.csv`, headed by the provenance line."""
    prov = prov or provenance(runs)
    head = provenance_line(prov)
    written = []
    for name, (df, caption) in paper_tables(runs).items():
        label = f"tab:{name.replace('_', '-')}"
        written.append(_write(out / f"{name}.tex", f"% {head}\n" + to_latex(df, caption, label)))
        written.append(_write(out / f"{name}.md", f"<!-- {head} -->\n" + to_markdown(df, caption)))
        written.append(_write(out / f"{name}.csv", f"# {head}\n" + df.to_csv(index=False)))
    return written


def differing_settings(runs: Sequence[Run]) -> dict[str, list]:
    """Config fields whose values differ between the runs (seeds and paths left out)."""
    dicts = [r.config.to_dict() for r in runs]
    return {k: [d[k] for d in dicts] for k in dicts[0]
            if k not in NOT_A_SETTING and len({repr(d[k]) for d in dicts}) > 1}


def methods_text(runs: Sequence[Run], prov: dict | None = None) -> str:
    """A methods paragraph from the configs and the provenance: paste, then edit."""
    prov = prov or provenance(runs)
    base = next((r for r in runs if r.config.policy == "sb"), runs[0])
    c = base.config
    n = base.meta.get("num_train", len(base.examples))
    subset = f" (a fixed random subset of {c.train_subset:,})" if c.train_subset else ""
    seeds = sorted({r.config.seed for r in runs})
    methods = sorted({POLICY_NAMES.get(r.config.policy, r.config.policy) for r in runs})
    own = c.loop == "own"
    training = ("a hand-written training loop (its optimizer: "
                f"{base.meta.get('optimizer', 'user-supplied')})" if own else
                f"SGD with Nesterov momentum {c.momentum:g} and weight decay {c.weight_decay:g}, "
                f"peak learning rate {c.lr:g} with a {c.warmup_epochs:g}-epoch linear warm-up and "
                f"a {c.lr_schedule} schedule keyed by {c.schedule_unit}, batch size "
                f"{c.batch_size}, {c.epochs} epochs, augmentation {c.augment}"
                + (f" with Cutout {c.cutout}" if c.cutout else ""))
    lines = [
        "## Methods",
        "",
        f"We train the `{c.model}` network ({base.meta.get('model_parameters', '?'):,} "
        f"parameters) on {c.dataset} ({n:,} training examples{subset}) with {training}"
        f"{' (sbexplore recipe ' + c.recipe + ')' if c.recipe else ''}. Selective-Backprop "
        f"(Jiang et al., 2019) ranks each candidate's loss among the last {c.history_size:,} "
        f"losses and backprops it with probability percentile^β (β = {c.beta:g}), after "
        f"priming on {c.prime_examples or 0:,} examples"
        + (f"; Stale-SB reuses losses for {c.staleness} epochs" if c.staleness > 1 else "")
        + f". Methods compared: {', '.join(methods)}. Traditional training backprops every "
        "example every epoch; a budget-matched traditional run is given SB's total backprops "
        "(or its training time) with its learning-rate schedule ending there (Kaddour et al., "
        "2023); uniform keeps a random share of each candidate batch equal to SB's realised "
        f"keep fraction. Seeds: {', '.join(map(str, seeds))} (mean ± std over seeds). "
        f"Hardware: {', '.join(prov['devices'])}; CPU {prov['cpu']}. Software: sbexplore "
        f"{prov['sbexplore']}"
        + (f" (commit {prov['git_commit'][:12]})" if prov.get("git_commit") else "")
        + f", PyTorch {prov['torch']}.",
        "",
        "Settings that differ between the compared runs:",
        "",
    ]
    names = run_labels(list(runs))
    for k, vals in differing_settings(runs).items():
        groups: dict[str, list[str]] = {}
        for name, v in zip(names, vals, strict=True):
            groups.setdefault(repr(v), []).append(name)
        lines.append(f"- `{k}`: " + "; ".join(f"{v} ({', '.join(dict.fromkeys(who))})"
                                              for v, who in groups.items()))
    if lines[-1] == "":
        lines.append("- none besides the seed")
    return "\n".join(lines) + "\n"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, text.encode())
    return path

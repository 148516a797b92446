"""`sbexplore figures`: export every figure that applies to saved runs (PDF, SVG, PNG + CSV)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from sbexplore.errors import UserError
from sbexplore.runs.fileio import atomic_write
from sbexplore.runs.record import Run, is_run_dir, load_run


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser("figures", help="export paper figures of saved runs (pdf, svg, png)",
                       description="Write every figure that applies to the runs given: one "
                       "run: its own figures; several (or a sweep folder): comparisons too.")
    add_runs_argument(p)
    p.add_argument("--out", required=True, help="folder for the figures")
    p.add_argument("--format", default="pdf,svg,png", dest="formats",
                   help="comma-separated: pdf, svg, png (default all three)")
    p.add_argument("--size", default=None, choices=("column", "page", "slide"),
                   help="physical size for papers and slides: column (3.25 in, 8-pt text), "
                        "page (6.75 in, 9 pt), slide (13.3 in, 18 pt); default: screen size")
    p.add_argument("--width", type=int, default=None, help="width in layout pixels")
    p.add_argument("--height", type=int, default=None, help="height in layout pixels")
    p.add_argument("--scale", type=float, default=None, help="PNG pixel multiplier (default 2)")
    return p


def add_runs_argument(p: argparse.ArgumentParser) -> None:
    """The RUN_DIR… positional shared by the commands that read saved runs."""
    p.add_argument("runs", nargs="+", metavar="RUN_DIR",
                   help="run folders, or folders holding run folders (a sweep, a demo)")


def find_runs(paths: list[str]) -> list[Run]:
    """Load each run folder; a folder that is not a run contributes the run folders below it.
    Plain files (a shell glob like `runs/demo/*` also matches `report.html`) are skipped with a
    note, as long as some run was given."""
    runs: list[Run] = []
    files = [raw for raw in paths if Path(raw).is_file()]
    if files and len(files) < len(paths):
        sys.stderr.write(f"skipping {', '.join(files)}: not a run folder\n")
        paths = [raw for raw in paths if raw not in files]
    for raw in paths:
        p = Path(raw)
        if not p.exists():
            raise UserError(f"RUN_DIR {raw!r} does not exist")
        if is_run_dir(p):
            runs.append(load_run(p))
            continue
        found = sorted(d.parent for d in p.rglob("config.json") if is_run_dir(d.parent))
        if not p.is_dir() or not found:
            raise UserError(f"RUN_DIR {raw!r} is not a run folder (no manifest.json or "
                            "config.json + arrays.npz) and holds none")
        runs.extend(load_run(d) for d in found)
    return runs


def write_tables(runs: list[Run], out: str) -> list[Path]:
    """Several runs: the pooled comparison and speedup tables (seeds pooled; NaN where no seed
    reached a target, `reached` counts those that did) as CSV next to the figures."""
    from sbexplore.analysis import comparison_table, speedup_table

    if len(runs) < 2:
        return []
    tables = {"comparison_table": comparison_table(runs)}
    if any(r.config.is_baseline for r in runs):
        tables["speedup_table"] = speedup_table(runs)
    paths = []
    for name, df in tables.items():
        path = Path(out) / f"{name}.csv"
        atomic_write(path, df.to_csv(index=False).encode())
        paths.append(path)
    return paths


def main(args: argparse.Namespace) -> int:
    from sbexplore.figures import figures_for
    from sbexplore.figures.export import export_all, parse_formats

    formats = parse_formats(args.formats)
    for name in ("width", "height", "scale"):
        v = getattr(args, name)
        if v is not None and v <= 0:
            raise UserError(f"--{name} {v} is not allowed: must be > 0")
    t = time.perf_counter()
    runs = find_runs(args.runs)
    figs = figures_for(runs)
    written = export_all(figs, args.out, formats, args.width, args.height, args.scale,
                         size=args.size)
    written += write_tables(runs, args.out)
    print(f"{len(figs)} figures of {len(runs)} run(s) in {', '.join(formats)} (+ csv, and the "
          "comparison and speedup tables for several runs): "
          f"{len(written)} files in {args.out} ({time.perf_counter() - t:.1f}s)")
    for note in figs.notes:
        print(f"skipped image views: {note}")
    return 0

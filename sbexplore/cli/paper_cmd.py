"""`sbexplore paper`: the paper kit of saved runs in one folder (figures at column and page
size, LaTeX and Markdown tables, a methods paragraph, provenance)."""

from __future__ import annotations

import argparse
import time
from typing import Any

from sbexplore.cli.figures_cmd import add_runs_argument, find_runs


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser("paper", help="write the paper kit of saved runs: figures, tables, "
                                     "methods paragraph",
                       description="Write everything a paper needs from saved runs into one "
                       "folder: every figure at column (3.25 in) and page (6.75 in) width as "
                       "PDF, SVG and PNG; Table 1 per clock, the summary, mislabel and detector "
                       "tables as booktabs LaTeX, Markdown and CSV; methods.md; "
                       "provenance.json.")
    add_runs_argument(p)
    p.add_argument("--out", required=True, help="the kit's folder")
    p.add_argument("--format", default="pdf,svg,png", dest="formats",
                   help="figure formats, comma-separated (default pdf,svg,png)")
    return p


def main(args: argparse.Namespace) -> int:
    from sbexplore.figures.export import parse_formats
    from sbexplore.studies.paper import write_paper_kit

    formats = parse_formats(args.formats)
    t = time.perf_counter()
    runs = find_runs(args.runs)
    written = write_paper_kit(runs, args.out, formats)
    print(f"paper kit of {len(runs)} run(s): {len(written)} files in {args.out} "
          f"({time.perf_counter() - t:.0f}s):")
    for p in written:
        if p.suffix in (".tex", ".md", ".json"):
            print(f"  {p}")
    print(f"  figures: {args.out}/figures/{{column,page}}/*.{{{','.join(formats)}}}")
    return 0

"""`sbexplore report`: an offline HTML report (tables and figures) of saved runs."""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from sbexplore.cli.figures_cmd import add_runs_argument, find_runs


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser("report", help="write an offline HTML report of saved runs",
                       description="Write one self-contained HTML page (summary table, cost "
                       "model, figures) comparing the runs given; it opens without a network.")
    add_runs_argument(p)
    p.add_argument("--out", default="report.html",
                   help="the HTML file to write, or a folder for report.html "
                        "(default: report.html)")
    return p


def main(args: argparse.Namespace) -> int:
    from sbexplore.studies.report import write_report

    runs = find_runs(args.runs)
    out = Path(args.out)
    if out.suffix.lower() in (".html", ".htm"):  # write beside it, then rename: an existing
        out.parent.mkdir(parents=True, exist_ok=True)  # report.html there stays untouched
        tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=".report-"))
        try:
            os.replace(write_report(runs, tmp), out)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        written = out
    else:
        written = write_report(runs, out)
    print(f"report of {len(runs)} run(s): {written}")
    return 0

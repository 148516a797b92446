"""`sbexplore demo`: SB, Stale-SB, matched uniform and traditional on digits, as a table."""

from __future__ import annotations

import argparse
import importlib.util
import time
from typing import Any

import pandas as pd

from sbexplore.demo import run_demo


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser("demo", help="compare SB, Stale-SB, uniform and traditional on digits")
    p.add_argument("--out", default=None, help="save the runs (and a report) in this folder")
    p.add_argument("--epochs", type=int, default=None, help="epochs per run (default 30)")
    p.add_argument("--mislabel-fraction", type=float, default=None, dest="mislabel_fraction",
                   help="share of flipped labels (default 0.1)")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--device", default=None)
    return p


def main(args: argparse.Namespace) -> int:
    overrides = {k: v for k in ("epochs", "mislabel_fraction", "seed", "device")
                 if (v := getattr(args, k)) is not None}
    t = time.perf_counter()
    print("sbexplore demo: Selective-Backprop on scikit-learn digits "
          "(1,438 train / 359 test images, CPU)")
    runs, table = run_demo(args.out, **overrides)
    with pd.option_context("display.width", 200, "display.max_columns", 20,
                           "display.float_format", "{:.3f}".format):
        print()
        print(table.to_string(index=False))
    if args.out:
        if importlib.util.find_spec("plotly") is None:  # a bare core install (a GPU box)
            print("\nno report: plotly is not installed (pip install sbexplore)")
        else:
            from sbexplore.report import write_report

            print(f"\nreport: {write_report(runs, args.out)}")
        print(f"runs saved under {args.out}")
    print(f"\ntotal {time.perf_counter() - t:.1f}s")
    return 0

"""`sbexplore demo`: two stories on digits over 3 seeds, as two tables: (a) clean data, SB,
Stale-SB, matched uniform and traditional with speedups; (b) SB against traditional on
mislabeled data."""

from __future__ import annotations

import argparse
import importlib.util
import textwrap
import time
from typing import Any

import pandas as pd

from sbexplore.errors import UserError
from sbexplore.studies.demo import (
    CLEAN_COLUMNS,
    DEMO_EPOCHS,
    DEMO_MISLABEL_FRACTIONS,
    DEMO_SEEDS,
    DEMO_WORKERS,
    MISLABEL_COLUMNS,
    printable,
    run_demo,
)


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "demo", help="SB, Stale-SB and its controls against traditional on digits (clean), and "
        "SB against traditional on mislabeled digits; 3 seeds",
        description="The main job, on scikit-learn's bundled digits (no download), over 3 "
        "seeds: (a) clean data: SB, Stale-SB n=3, uniform at SB's realised keep rate, "
        "traditional with SB's budget on the backprops and the wall clock, and traditional, "
        "with speedups to traditional's final error x 1.1/1.2/1.4; (b) 10%% and 20%% "
        "mislabels: SB against traditional (mislabel pick rate, accuracy). Two runs train at "
        "once (--workers); --out saves the runs and an HTML report.")
    p.add_argument("--out", default=None, help="save the runs (and a report) in this folder")
    p.add_argument("--epochs", type=int, default=None,
                   help=f"epochs per run (default {DEMO_EPOCHS}; the digits recipe trains 15)")
    p.add_argument("--workers", type=int, default=DEMO_WORKERS,
                   help=f"runs trained at once, sharing the CPU threads (default {DEMO_WORKERS})")
    p.add_argument("--seeds", default=",".join(map(str, DEMO_SEEDS)),
                   help="comma-separated seeds (default 0,1,2)")
    p.add_argument("--mislabel-fractions", dest="mislabel_fractions",
                   default=",".join(f"{f:g}" for f in DEMO_MISLABEL_FRACTIONS),
                   help="comma-separated label-noise levels for story (b) (default 0.1,0.2)")
    p.add_argument("--device", default=None,
                   help="auto, cpu, cuda, cuda:N or mps (default: cpu, the demo's)")
    return p


def main(args: argparse.Namespace) -> int:
    seeds = _numbers("--seeds", args.seeds, int)
    fractions = _numbers("--mislabel-fractions", args.mislabel_fractions, float)
    overrides = {k: v for k in ("epochs", "device") if (v := getattr(args, k)) is not None}
    t = time.perf_counter()
    print("sbexplore demo: Selective-Backprop on scikit-learn digits "
          f"(1,438 train / 359 test images, CPU), seeds {', '.join(map(str, seeds))}")
    res = run_demo(args.out, seeds=tuple(seeds), mislabel_fractions=tuple(fractions),
                   workers=args.workers, **overrides)
    with pd.option_context("display.width", 200, "display.max_columns", 20,
                           "display.max_colwidth", 40):
        _print_table("(a) Clean data: SB, Stale-SB n=3, uniform at SB's realised keep rate, "
                     "traditional with SB's budget (backprops, wall time), traditional — "
                     "speedup in wall time to traditional's final error × k",
                     printable(res.clean_table, CLEAN_COLUMNS), res.clean_table.attrs["caption"])
        if len(res.mislabel_table):
            _print_table("(b) Mislabeled data: SB against traditional — mislabel pick rate "
                         "and final accuracy",
                         printable(res.mislabel_table, MISLABEL_COLUMNS),
                         "n = seeds; mean ± std over seeds. Mislabel pick rate: share of the "
                         "backprops after priming that went to mislabeled examples (random "
                         "selection: the mislabeled share). Detection precision: share of "
                         "mislabeled examples among the k most backpropped, k = #mislabeled.")
    if args.out:
        if importlib.util.find_spec("plotly") is None:  # a bare core install (a GPU box)
            print("\nno report: plotly is not installed (pip install sbexplore)")
        else:
            from sbexplore.studies.report import write_report

            print(f"\nreport: {write_report(res.runs, args.out)}")
        print(f"runs saved under {args.out}")
    print(f"\ntotal {time.perf_counter() - t:.1f}s")
    return 0


def _print_table(title: str, table: pd.DataFrame, caption: str) -> None:
    print(f"\n{title}\n{'=' * min(len(title), 100)}")
    print(table.to_string(index=False))
    print(textwrap.fill(caption, 100))


def _numbers(flag: str, text: str, kind: type) -> list:
    try:
        values = [kind(v) for v in text.split(",") if v.strip()]
    except ValueError:
        values = []
    if not values:
        raise UserError(f"{flag} {text!r} is not allowed: comma-separated "
                        f"{'integers' if kind is int else 'numbers'}, e.g. "
                        f"{'0,1,2' if kind is int else '0.1,0.2'}")
    return values

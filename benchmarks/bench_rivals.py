"""SB against its rivals at a fair budget, as notebook 08 runs it by default: MNIST, a fixed
20,000-image subset, the cnn and its recipe, SB β=2, 3 seeds, clean and 20% mislabels. Prints
each run, then markdown tables for BENCHMARKS.md: time to traditional's final error x 1.1/1.2/
1.4 on each clock with accuracy at SB's wall-clock budget, the fastest method per target, and
the verdict on SB against traditional with SB's budget.

    python -m benchmarks.bench_rivals                 # ~1 h on a 2-core CPU: nothing else running
    python -m benchmarks.bench_rivals --dataset digits --model mlp --train-subset 0 --seeds 0
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from benchmarks.common import hardware
from sbexplore.studies import rivals as rv

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def table_markdown(df) -> str:
    """A markdown table of text cells (`format_rivals` output)."""
    lines = ["| " + " | ".join(df.columns) + " |", "|" + " --- |" * len(df.columns)]
    return "\n".join(lines + ["| " + " | ".join(str(v) for v in row) + " |"
                              for row in df.itertuples(index=False)])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-root", default=str(SHARED))
    ap.add_argument("--dataset", default=None, help="default: rivals.DEFAULTS (mnist)")
    ap.add_argument("--model", default=None)
    ap.add_argument("--train-subset", type=int, default=None, help="0: the whole training set")
    ap.add_argument("--epochs", type=int, default=None, help="default: the dataset's recipe")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--mislabel-fractions", default="0,0.2")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--out", default=None, help="save (and resume) the run folders here")
    a = ap.parse_args()
    overrides = {k: v for k, v in dict(data_root=a.data_root, dataset=a.dataset, model=a.model,
                                       epochs=a.epochs, device=a.device).items()
                 if v is not None}
    if a.train_subset is not None:
        overrides["train_subset"] = a.train_subset or None
    seeds = [int(s) for s in a.seeds.split(",")]
    fractions = [float(f) for f in a.mislabel_fractions.split(",")]
    print(f"# {hardware()}", flush=True)
    t = time.perf_counter()
    runs = rv.rivals_study(seeds, fractions, out=a.out,
                           log=lambda m: print(f"# {m}", flush=True), **overrides)
    print(f"# total {time.perf_counter() - t:.0f} s for {len(runs)} runs", flush=True)
    table = rv.rivals_table(runs)
    for clock in ("time", "backprops", "cost"):
        print(f"\n### Time to traditional's final error x k, {rv.CLOCK_NAMES[clock]} clock\n")
        print(table_markdown(rv.format_rivals(table, clock)))
    print("\n### Targets\n")
    print(table_markdown(table.attrs["targets"].round(4)))
    print("\n### Fastest method per target\n")
    print(table_markdown(rv.fastest(table).round(3)))
    print("\n### SB against traditional with SB's budget\n")
    for f in fractions:
        print(f"- {f:.0%} mislabels: {rv.verdict(table, f)}")


if __name__ == "__main__":
    main()

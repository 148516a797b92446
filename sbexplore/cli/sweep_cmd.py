"""`sbexplore sweep`: train a grid of runs (resumable), print the summary table."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from sbexplore.cli.config_flags import add_config_flags, config_from_args
from sbexplore.config import RunConfig
from sbexplore.errors import UserError


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "sweep", help="train every combination of a grid x seeds (resumable)",
        description="Train every combination of --grid values x --seeds from a base config "
                    "(the RunConfig flags); finished runs in --out are loaded, not retrained.")
    p.add_argument("--grid", action="append", default=[], metavar="FIELD=V1,V2",
                   help="a RunConfig field and its values, e.g. beta=1,2,3 (repeatable)")
    p.add_argument("--seeds", default=None, help="comma-separated seeds (default: --seed)")
    p.add_argument("--out", required=True, help="the sweep folder (one subfolder per run)")
    p.add_argument("--backend", default="local", choices=("local", "process", "ray"))
    p.add_argument("--workers", type=int, default=2, help="parallel processes (process backend)")
    p.add_argument("--address", default=None, help="Ray cluster address (ray backend)")
    p.add_argument("--num-cpus", type=float, default=None,
                   help="CPUs per run in every backend: its torch threads (and, with ray, its "
                        "CPU request); the same value gives identical runs across backends "
                        "(default: all threads local, an equal share per process worker, 1 ray)")
    p.add_argument("--num-gpus", type=float, default=0, help="GPUs per run (ray backend)")
    p.add_argument("--retries", type=int, default=0, help="retries per failed run (ray backend)")
    p.add_argument("--rerun", action="store_true", help="retrain finished runs too")
    p.add_argument("--preset", default=None, help="start the base from a preset")
    add_config_flags(p)
    return p


def parse_grid(items: list[str]) -> dict[str, list[Any]]:
    """`["beta=1,2", "policy=sb,uniform"]` -> typed values per RunConfig field."""
    types = {f.name: str(f.type) for f in dataclasses.fields(RunConfig)}
    grid: dict[str, list[Any]] = {}
    for item in items:
        key, sep, values = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not values:
            raise UserError(f"--grid {item!r} is not allowed: write FIELD=V1,V2,...")
        if key not in types:
            raise UserError(f"--grid field {key!r} is not allowed: one of the RunConfig fields "
                            f"({', '.join(sorted(types))})")
        grid[key] = [_parse(key, types[key], v.strip()) for v in values.split(",")]
    return grid


def _parse(key: str, t: str, text: str) -> Any:
    if "None" in t and text.lower() in ("none", "null"):
        return None
    try:
        if t.startswith("bool"):
            if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError
            return text.lower() in ("true", "1", "yes")
        if t.startswith("int"):
            return int(text)
        if t.startswith("float"):
            return float(text)
    except ValueError:
        kind = t.split(" ")[0]
        raise UserError(f"--grid {key}={text!r} is not allowed: expected {kind}") from None
    return text


def main(args: argparse.Namespace) -> int:
    from sbexplore.jobs.sweeps import sweep

    base = config_from_args(args)
    grid = parse_grid(args.grid)
    try:
        seeds = ([int(s) for s in args.seeds.split(",")] if args.seeds else [base.seed])
    except ValueError:
        raise UserError(f"--seeds {args.seeds!r} is not allowed: comma-separated integers") \
            from None
    result = sweep(base, grid, seeds, args.out, backend=args.backend, workers=args.workers,
                   address=args.address, num_cpus=args.num_cpus, num_gpus=args.num_gpus,
                   retries=args.retries, rerun=args.rerun)
    cols = [c for c in ("name", "status", "final_accuracy", "best_accuracy", "backprops",
                        "keep_fraction", "mislabel_pick_rate", "wall_time_s")
            if c in result.summary.columns]
    if len(result.summary):
        print(result.summary[cols].to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    print(f"{len(result.trained)} trained, {len(result.skipped)} already done, "
          f"{len(result.errors)} failed -> {result.out}")
    if len(result.summary):
        result.summary.to_csv(result.out / "summary.csv", index=False)
    for out_dir, err in result.errors.items():
        print(f"FAILED {out_dir}:\n{err.strip().splitlines()[-1]}")
    return 1 if result.errors else 0

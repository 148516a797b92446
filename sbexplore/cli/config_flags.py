"""CLI flags generated from RunConfig's fields, one to one (`beta` -> `--beta`)."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from sbexplore.config import RunConfig

_HELP = {
    "dataset": "dataset name (default digits, bundled)", "policy": "sb | uniform | topk | all",
    "beta": "SB selectivity; expected keep fraction 1/(beta+1)",
    "keep": "keep rate for uniform/topk (default 1/(beta+1))",
    "staleness": "selection pass every n epochs (Stale-SB)",
    "mislabel_fraction": "share of training labels flipped (0 <= f < 1)",
}


def _optional(kind: type) -> Any:
    def parse(text: str) -> Any:
        if text.lower() in ("none", "null", ""):
            return None
        try:
            return kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a {kind.__name__} or 'none'") from None

    parse.__name__ = kind.__name__
    return parse


def add_config_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per RunConfig field; unset flags keep the config's (or preset's) value."""
    for f in dataclasses.fields(RunConfig):
        flag = "--" + f.name.replace("_", "-")
        t = str(f.type)
        kw: dict[str, Any] = {"dest": f.name, "default": argparse.SUPPRESS,
                              "help": _HELP.get(f.name, f"RunConfig.{f.name}")}
        if t.startswith("bool"):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, **kw)
        elif t.startswith("list"):
            parser.add_argument(flag, nargs="*", type=float, metavar="X", **kw)
        else:
            kind = int if t.startswith("int") else float if t.startswith("float") else str
            parser.add_argument(flag, type=_optional(kind) if "None" in t else kind,
                                metavar=kind.__name__.upper(), **kw)


def config_from_args(args: argparse.Namespace) -> RunConfig:
    """The RunConfig the flags describe (starting from `--preset` when given)."""
    names = {f.name for f in dataclasses.fields(RunConfig)}
    overrides = {k: v for k, v in vars(args).items() if k in names}
    preset = getattr(args, "preset", None)
    if preset:
        return RunConfig.from_preset(preset, **overrides)
    return RunConfig(**overrides)

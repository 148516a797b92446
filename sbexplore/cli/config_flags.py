"""CLI flags generated from RunConfig's fields, one to one (`beta` -> `--beta`).

Help, defaults and allowed values come from `config.py` itself (`field_docs`): one source.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any

from sbexplore.cli.field_docs import field_docs, help_text
from sbexplore.config import RunConfig
from sbexplore.config.run_config import RECORD_FIELDS
from sbexplore.errors import UserError
from sbexplore.runs.record import FILES


def _optional(kind: type, choices: tuple[str, ...] = ()) -> Any:
    def parse(text: str) -> Any:
        if text in choices:  # `--augment none` is the choice "none", not None
            return text
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
    """`--config FILE` and one flag per RunConfig field, grouped by config.py's sections; unset
    flags keep the saved config's (or preset's) value."""
    parser.add_argument("--config", default=None, metavar="CONFIG_JSON",
                        help="start from a saved run's config.json (or its run folder); "
                             "flags override it; its out_dir is not reused")
    groups: dict[str, Any] = {}
    for f in dataclasses.fields(RunConfig):
        if f.name in RECORD_FIELDS:
            continue
        doc = field_docs()[f.name]
        title = f"RunConfig: {doc.section}" if doc.section else "RunConfig"
        group = groups.get(title) or groups.setdefault(title, parser.add_argument_group(title))
        flag = "--" + f.name.replace("_", "-")
        t = str(f.type)
        kw: dict[str, Any] = {"dest": f.name, "default": argparse.SUPPRESS,
                              "help": help_text(doc)}
        if t.startswith("bool"):
            group.add_argument(flag, action=argparse.BooleanOptionalAction, **kw)
        elif t.startswith("list"):
            group.add_argument(flag, nargs="*", type=float, metavar="X", **kw)
        else:
            kind = int if t.startswith("int") else float if t.startswith("float") else str
            metavar = kind.__name__.upper()
            if doc.choices and doc.strict and kind is str:
                metavar = "{" + ",".join(doc.choices) + "}"  # validated by RunConfig's message
            parse = _optional(kind, doc.choices or ()) if "None" in t else kind
            group.add_argument(flag, type=parse,
                               metavar=metavar, **kw)


def read_config_file(path: str | Path) -> RunConfig:
    """A RunConfig from a `config.json` file or a run folder holding one."""
    p = Path(path)
    if p.is_dir():
        p = p / FILES["config"]
    if not p.is_file():
        raise UserError(f"--config {str(path)!r} is not allowed: no such file (give a run "
                        f"folder or its {FILES['config']})")
    try:
        return RunConfig.from_json(p.read_text())
    except ValueError as exc:  # bad JSON, unknown fields, bad values
        raise UserError(f"--config {str(path)!r} is not a valid RunConfig: {exc}") from None


def config_from_args(args: argparse.Namespace) -> RunConfig:
    """The RunConfig the flags describe, starting from `--config` or `--preset` when given."""
    names = {f.name for f in dataclasses.fields(RunConfig)}
    overrides = {k: v for k, v in vars(args).items() if k in names}
    preset = getattr(args, "preset", None)
    config_path = getattr(args, "config", None)
    if preset and config_path:
        raise UserError("--config and --preset are not allowed together: a saved config "
                        "already holds every field")
    if config_path:
        saved = read_config_file(config_path)
        return saved.replace(**{"out_dir": None, **overrides})  # never overwrite the saved run
    if preset:
        return RunConfig.from_preset(preset, **overrides)
    return RunConfig(**overrides)

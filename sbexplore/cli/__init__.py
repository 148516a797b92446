"""The `sbexplore` command: one subcommand per module `sbexplore/cli/<name>_cmd.py`.

Each module has `add_parser(subparsers)` and `main(args) -> int`. User mistakes print one line
naming the parameter and exit 2, with no traceback and nothing written.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from sbexplore.errors import UserError

COMMANDS = ("run", "demo", "figures", "report", "sweep", "app")


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a bad flag in one line and exits 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="sbexplore", description="Explore Selective-Backprop.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"sbexplore.cli.{name}_cmd")
        except ModuleNotFoundError as exc:
            if exc.name != f"sbexplore.cli.{name}_cmd":
                raise
            continue
        p = module.add_parser(sub)
        p.set_defaults(handler=module.main)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except UserError as exc:
        sys.stderr.write(f"sbexplore {args.command}: error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""The `sbexplore` command: one subcommand per module `sbexplore/cli/<name>_cmd.py`.

Each module has `add_parser(subparsers)` and `main(args) -> int`. User mistakes print one line
naming the parameter and exit 2, with no traceback and nothing written.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import sys

from sbexplore.errors import UserError

COMMANDS = ("run", "demo", "figures", "report", "paper", "sweep", "app")


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a bad flag in one line and exits 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message}{self._suggestion(message)}\n")
        raise SystemExit(2)

    def _suggestion(self, message: str) -> str:
        """`; did you mean --beta?` for an unrecognized flag close to a known one."""
        if not message.startswith("unrecognized arguments:"):
            return ""
        parsers = [self] + [p for a in self._actions
                            if isinstance(a, argparse._SubParsersAction)
                            for p in a.choices.values()]
        known = sorted({o for p in parsers for a in p._actions for o in a.option_strings
                        if o.startswith("--")})
        hints = []
        for arg in message.split(":", 1)[1].split():
            flag = arg.split("=", 1)[0]
            close = difflib.get_close_matches(flag, known, n=1, cutoff=0.75)
            if flag.startswith("--") and close:
                hints.append(f"{close[0]} for {flag}")
        return f" (did you mean {', '.join(hints)}?)" if hints else ""


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

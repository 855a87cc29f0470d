"""The `privacy-audit` command. Each subcommand lives in its own module in this package and
exposes `register(subparsers)`, which adds its parser and sets `func(args) -> int`.

Exit codes: 0 success, 1 a policy failed, 2 bad input or configuration.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from typing import Optional, Sequence

from analysis import __version__
from analysis.cli.common import CliError

# Modules in this package that are helpers, not subcommands.
_NOT_SUBCOMMANDS = {"common"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="privacy-audit",
        description="Find personal data, measure re-identification and membership-inference risk, "
                    "and compare private training, from the command line.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name in _NOT_SUBCOMMANDS or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        module.register(subparsers)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except CliError as exc:
        print(f"privacy-audit {args.command}: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":  # python -m analysis.cli
    sys.exit(main())

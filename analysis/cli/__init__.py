"""The `privacy-audit` command. Each subcommand lives in its own module in this package and
exposes `register(subparsers)`, which adds its parser and sets `func(args) -> int`.

Exit codes: 0 success, 1 a policy (or a `doctor` check) failed, 2 bad input or configuration, 3 an
internal error. Bad input gets a one-line message of our own (it names columns, never cell values); an
internal error gets one line with the exception's type only, and `--debug` adds the traceback.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import traceback
from typing import Optional, Sequence

from analysis import __version__
from analysis.cli.common import CliError
from analysis.errors import raised_here

# Modules in this package that are helpers, not subcommands.
_NOT_SUBCOMMANDS = {"common"}
EXIT_OK, EXIT_POLICY_FAILED, EXIT_BAD_INPUT, EXIT_INTERNAL_ERROR = 0, 1, 2, 3
_DEBUG_HELP = "print the traceback of an error"


class _SubcommandParser(argparse.ArgumentParser):
    """A subcommand's parser: takes --debug too, so it works before or after the subcommand."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=_DEBUG_HELP)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="privacy-audit",
        description="Find personal data, measure re-identification and membership-inference risk, "
                    "and compare private training, from the command line.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help=_DEBUG_HELP)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_SubcommandParser)
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
        _fail(args, str(exc), exc.__cause__ or exc.__context__)
        return exc.exit_code
    except ValueError as exc:
        if not raised_here(exc):  # a library's message may quote a cell value: the type only
            _fail(args, _internal(exc), exc)
            return EXIT_INTERNAL_ERROR
        _fail(args, str(exc), exc)  # DataError, ModelLoadError, ConfigError, ... all ValueErrors of ours
        return EXIT_BAD_INPUT
    except Exception as exc:  # noqa: BLE001 - a crash is reported in one line and exits 3, never 1
        _fail(args, _internal(exc), exc)
        return EXIT_INTERNAL_ERROR


def _internal(exc: BaseException) -> str:
    """The one line for a crash: the exception's type, never its text (which may quote a value)."""
    kind = type(exc)
    name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    return f"internal error: {name}; rerun with --debug for the traceback"


def _fail(args: argparse.Namespace, message: str, exc: Optional[BaseException]) -> None:
    """One line on stderr; with --debug, the traceback of `exc` first."""
    if getattr(args, "debug", False) and exc is not None:
        traceback.print_exception(exc, file=sys.stderr)
    print(f"privacy-audit {args.command}: {message}", file=sys.stderr)


if __name__ == "__main__":  # python -m analysis.cli
    sys.exit(main())

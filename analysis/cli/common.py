"""Shared pieces of the subcommands: reading a table, writing JSON, progress on stderr."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Optional

from analysis.errors import raised_here, safe_message
from analysis.tables import DataError, Table, load_table


class CliError(Exception):
    """An error the CLI reports in one line; exit_code 2 means bad input or configuration."""

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.exit_code = exit_code


def read_table(path: str) -> Table:
    """Load DATA for a subcommand, turning loader errors into exit code 2; renamed columns noted on stderr."""
    try:
        table = load_table(Path(path))
    except DataError as exc:
        raise input_error(exc) from exc
    if table.renamed_columns:
        print(f"note: {table.rename_note()}", file=sys.stderr)
    return table


def require_columns(table: Table, columns: list[str]) -> None:
    missing = [c for c in columns if c not in table.frame.columns]
    if missing:
        raise CliError(f"column(s) {', '.join(missing)} not in {table.name}; "
                       f"it has {', '.join(table.columns)}")


def split_list(value: Optional[str]) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()] if value else []


def write_json(payload: Any, out: Optional[str]) -> None:
    """Write JSON to OUT, or to stdout when OUT is None or '-'."""
    text = json.dumps(payload, indent=2)
    if out and out != "-":
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(text + "\n", encoding="utf-8")
    else:
        print(text)


def stderr_progress(fraction: float, message: str) -> None:
    """A progress callback for the CLI: one line per update on stderr."""
    print(f"[{fraction * 100:5.1f}%] {message}", file=sys.stderr, flush=True)


def input_error(exc: BaseException) -> CliError:
    """A bad-input CliError (exit 2) for `exc`: our message, or a library's name and type only."""
    message = safe_message(exc)
    return CliError(message if raised_here(exc) else f"{message} (rerun with --debug to see it)")

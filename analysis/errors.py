"""Which error messages may be shown: ours name columns, a library's may quote a cell value.

A library's message can echo the value it choked on ("could not convert string to float:
'ann@example.com'"), and messages reach the page, the CLI and CI logs. `safe_message` shows an
exception's text only when this project's code raised it; otherwise the library and the type.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Optional

_PACKAGE_DIR = Path(__file__).resolve().parent  # analysis/


def _raise_point(exc: BaseException) -> Optional[TracebackType]:
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb


def raised_here(exc: BaseException) -> bool:
    """True when `exc` was raised by code in `analysis/`, so its message is one we wrote."""
    tb = _raise_point(exc)
    return tb is not None and Path(tb.tb_frame.f_code.co_filename).resolve().is_relative_to(_PACKAGE_DIR)


def safe_message(exc: BaseException) -> str:
    """`str(exc)` for our own errors; for a library's, its name and the type (no text, no values)."""
    if raised_here(exc):
        return str(exc)
    tb = _raise_point(exc)
    library = str(tb.tb_frame.f_globals.get("__name__", "?")).split(".")[0] if tb is not None else "?"
    return (f"the input was refused by {library} ({type(exc).__name__}); its message is not shown because it "
            "may quote cell values")

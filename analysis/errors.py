"""Which error messages may be shown: ours name columns, a library's may quote a cell value.

A library's message can echo the value it choked on ("could not convert string to float:
'ann@example.com'"), and messages reach the page, the CLI and CI logs. `safe_message` shows an
exception's text only when this project's code raised it; otherwise the library and the type.
"""

from __future__ import annotations

import dis
from pathlib import Path
from types import TracebackType
from typing import Optional

_PACKAGE_DIR = Path(__file__).resolve().parent  # analysis/
_OUR_DIRS = (_PACKAGE_DIR, _PACKAGE_DIR.parent / "dashboard")  # pages wrap errors with a `raise` of their own
_OUR_PACKAGES = {"analysis", "dashboard"}
_RAISE = dis.opmap["RAISE_VARARGS"]


def _raise_point(exc: BaseException) -> Optional[TracebackType]:
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb


def _our_class(exc: BaseException) -> bool:
    """DataError, ModelLoadError, ConfigError, CliError, ...: classes defined in analysis/ carry our text."""
    return any(str(getattr(kind, "__module__", "")).split(".")[0] in _OUR_PACKAGES
               for kind in type(exc).__mro__)


def _our_raise_statement(tb: Optional[TracebackType]) -> bool:
    """The innermost frame is in analysis/ (or dashboard/) AND stopped on a `raise` statement there.

    A C builtin called from analysis/ (`float(cell)`, `int(cell)`, `np.asarray(x, dtype=float)`) adds no frame
    of its own, so its error also ends in our frame, but on the call, not on a `raise`. The instruction at
    `tb_lasti` tells them apart exactly (`raise ValueError(float(cell))` included), source or not.
    """
    if tb is None:
        return False
    where = Path(tb.tb_frame.f_code.co_filename).resolve()
    if not any(where.is_relative_to(folder) for folder in _OUR_DIRS):
        return False
    code = tb.tb_frame.f_code.co_code
    return 0 <= tb.tb_lasti < len(code) and code[tb.tb_lasti] == _RAISE


def raised_here(exc: BaseException) -> bool:
    """True when we wrote the message of `exc`: one of our exception classes, or a `raise` of ours."""
    return _our_class(exc) or _our_raise_statement(_raise_point(exc))


def safe_message(exc: BaseException) -> str:
    """`str(exc)` for our own errors; for a library's, its name and the type (no text, no values)."""
    if raised_here(exc):
        return str(exc)
    tb = _raise_point(exc)
    library = str(tb.tb_frame.f_globals.get("__name__", "?")).split(".")[0] if tb is not None else "?"
    library = "Python" if library in _OUR_PACKAGES else library  # a builtin such as float() called by us
    return (f"the input was refused by {library} ({type(exc).__name__}); its message is not shown because it "
            "may quote cell values")

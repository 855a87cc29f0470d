"""The progress-callback contract shared by long engine functions.

A callback takes (fraction in [0, 1], message). The dashboard adapts it to st.progress, the CLI to
stderr lines; the engine never imports a UI library.
"""

from __future__ import annotations

from typing import Callable, Optional

ProgressCallback = Callable[[float, str], None]


def report(progress: Optional[ProgressCallback], fraction: float, message: str) -> None:
    """Call `progress` if given, clamping the fraction to [0, 1]."""
    if progress is not None:
        progress(min(1.0, max(0.0, float(fraction))), message)


def scaled(progress: Optional[ProgressCallback], start: float, end: float) -> Optional[ProgressCallback]:
    """A callback that maps a sub-task's [0, 1] onto [start, end] of the parent's progress."""
    if progress is None:
        return None
    return lambda fraction, message: report(progress, start + (end - start) * fraction, message)

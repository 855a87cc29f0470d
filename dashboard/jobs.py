"""A process-wide line for heavy work: at most N jobs run at once (PRIVACY_AUDIT_MAX_CONCURRENT_JOBS, default
2), the others wait first come, first served and are told how many are ahead of them.

Sixteen people on a 2-core machine then share the cores in turn instead of all slowing each other down to a
standstill, and a waiting session keeps its page moving ("waiting: 3 ahead"). The line holds only counters
and ticket numbers, never a session's data (uploads stay with their session).
"""

from __future__ import annotations

import itertools
import threading
from contextlib import contextmanager
from typing import Callable, Iterator, Optional

from analysis.settings import get_settings

POLL_SECONDS = 0.5  # how often a waiting job redraws its place in the line (and so can be cancelled)


class JobLine:
    """At most `limit` holders at once; the rest wait in arrival order."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"PRIVACY_AUDIT_MAX_CONCURRENT_JOBS must be at least 1, got {limit}")
        self.limit = limit
        self._cond = threading.Condition()
        self._tickets = itertools.count(1)
        self._waiting: list[int] = []  # ticket numbers, oldest first
        self._running = 0

    @property
    def running(self) -> int:
        return self._running

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    @contextmanager
    def slot(self, on_wait: Optional[Callable[[int], None]] = None, poll: float = POLL_SECONDS) -> Iterator[None]:
        """Hold one of the `limit` places while the block runs. While waiting, `on_wait(ahead)` is called
        about every `poll` seconds with the number of jobs ahead in the line (0: next); whatever it raises
        (a Streamlit rerun or stop after Cancel) leaves the line and propagates."""
        with self._cond:
            ticket = next(self._tickets)
            self._waiting.append(ticket)
        try:
            while True:
                with self._cond:
                    ahead = self._waiting.index(ticket)
                    if ahead == 0 and self._running < self.limit:
                        self._waiting.pop(0)
                        self._running += 1
                        self._cond.notify_all()
                        break
                if on_wait is not None:
                    on_wait(ahead)  # outside the lock: it may draw on the page, or raise
                with self._cond:
                    self._cond.wait(timeout=poll)
        except BaseException:
            with self._cond:
                if ticket in self._waiting:
                    self._waiting.remove(ticket)
                self._cond.notify_all()
            raise
        try:
            yield
        finally:
            with self._cond:
                self._running -= 1
                self._cond.notify_all()


_LINE: Optional[JobLine] = None
_LINE_LOCK = threading.Lock()


def job_line() -> JobLine:
    """The process's one line, sized from the settings on first use."""
    global _LINE
    with _LINE_LOCK:
        if _LINE is None:
            _LINE = JobLine(get_settings().max_concurrent_jobs)
        return _LINE


def waiting_text(ahead: int) -> str:
    """The page's words for a place in the line."""
    return "waiting for a free worker (next in line)" if ahead == 0 else f"waiting: {ahead} ahead"

"""The process-wide job line (dashboard/jobs.py): at most N jobs at once, the rest first come first served,
each told how many are ahead; leaving the line (Cancel) frees the place."""

from __future__ import annotations

import threading
import time

import pytest

from dashboard.jobs import JobLine, waiting_text


def _wait_until(condition, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_two_places_then_first_come_first_served_with_places_reported():
    line = JobLine(2)
    release = threading.Event()
    order, seen = [], {}

    def job(name: str) -> None:
        with line.slot(lambda ahead: seen.setdefault(name, []).append(ahead), poll=0.01):
            order.append(name)
            release.wait(5)

    threads = []
    for name in ("a", "b", "c", "d", "e"):
        threads.append(threading.Thread(target=job, args=(name,)))
        threads[-1].start()
        _wait_until(lambda: line.running + line.waiting == len(threads))
    _wait_until(lambda: seen.get("e"))
    assert order == ["a", "b"] and line.running == 2 and line.waiting == 3
    assert seen["c"][-1] == 0 and seen["d"][-1] == 1 and seen["e"][-1] == 2
    release.set()
    for t in threads:
        t.join(5)
    assert order == ["a", "b", "c", "d", "e"]
    assert line.running == 0 and line.waiting == 0


def test_leaving_the_line_while_waiting_frees_the_place():
    line = JobLine(1)
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        with line.slot():
            held.set()
            release.wait(5)

    t = threading.Thread(target=holder)
    t.start()
    held.wait(5)

    class Cancelled(BaseException):  # what a Streamlit rerun raises from the page's next update
        pass

    def cancel(ahead: int) -> None:
        raise Cancelled()

    with pytest.raises(Cancelled):
        with line.slot(cancel, poll=0.01):
            pytest.fail("ran without a place")
    assert line.waiting == 0
    release.set()
    t.join(5)
    with line.slot():  # the place is free again
        assert line.running == 1
    assert line.running == 0


def test_an_error_in_the_job_gives_the_place_back():
    line = JobLine(1)
    with pytest.raises(ValueError):
        with line.slot():
            raise ValueError("boom")
    assert line.running == 0


def test_words_and_limits():
    assert waiting_text(3) == "waiting: 3 ahead"
    assert "next in line" in waiting_text(0)
    with pytest.raises(ValueError, match="MAX_CONCURRENT_JOBS"):
        JobLine(0)

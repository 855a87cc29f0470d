"""Session-scoped memo by content hash: leave a page, come back, and the result is still there.

Uploaded data must stay with the session that uploaded it, so results are kept in st.session_state
(not in Streamlit's process-wide caches), keyed by a hash of the inputs, a few per namespace.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from typing import Any, Callable, TypeVar

import streamlit as st

from analysis.errors import safe_message
from analysis.text_safety import markdown_text
from dashboard import jobs

T = TypeVar("T")
_STORE = "_memo_store"
_KEEP_PER_NAMESPACE = 4


def content_key(*parts: Any) -> str:
    """A stable hash of fingerprints and settings (anything json.dumps can show with default=str)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def memo(namespace: str, key: str, compute: Callable[[], T]) -> T:
    """Return the cached value for (namespace, key), computing and storing it on a miss."""
    store: dict[str, OrderedDict] = st.session_state.setdefault(_STORE, {})
    entries = store.setdefault(namespace, OrderedDict())
    if key in entries:
        entries.move_to_end(key)
        return entries[key]
    value = compute()
    entries[key] = value
    while len(entries) > _KEEP_PER_NAMESPACE:
        entries.popitem(last=False)
    return value


def session_store(namespace: str) -> OrderedDict:
    """This session's own mapping for `namespace`, for an engine function that takes the caller's memo
    (e.g. the report's identifier guard)."""
    store: dict[str, OrderedDict] = st.session_state.setdefault(_STORE, {})
    return store.setdefault(namespace, OrderedDict())


def cached(namespace: str, key: str) -> Any:
    """The cached value for (namespace, key), or None."""
    return st.session_state.get(_STORE, {}).get(namespace, {}).get(key)


def check_for_cancel() -> None:
    """Let a pending Cancel (Streamlit's rerun or stop request) take effect here, without drawing anything:
    Streamlit handles those requests whenever the script touches its session state, as when it draws."""
    st.session_state.get(_STORE)


def draw_changes(draw: Callable[[Any], None], shown: Any) -> Callable[[Any], None]:
    """`draw(value)` for a value unlike the last one drawn (at first `shown`); an unchanged value only checks
    for Cancel. Every draw is a message to the browser and a redraw of its page, and 16 waiting pages
    redrawing the same words twice a second keep the cores from the pages that have something new to show."""
    last = [shown]

    def update(value: Any) -> None:
        if value == last[0]:
            check_for_cancel()
            return
        last[0] = value
        draw(value)

    return update


def progress_bar(label: str, parent=None) -> Callable[[float, str], None]:
    """An engine progress callback drawn as st.progress, only its changes (`draw_changes`).
    `parent`: the container to draw in (a running st.status: entering it as a `with` block would mark it
    complete when the block ends)."""
    bar = (parent or st).progress(0.0, text=markdown_text(label))
    # the text is Markdown; engine messages name columns
    draw = draw_changes(lambda drawn: bar.progress(drawn[0], text=markdown_text(drawn[1])), (0.0, label))

    def update(fraction: float, message: str) -> None:
        draw((round(min(1.0, max(0.0, fraction)), 2), f"{label}: {message}"))

    return update


WAITING_ICON = ":material/hourglass_top:"


def waiting_notice(slot, label: str) -> Callable[[int], None]:
    """Draw "<label>: starting…" in `slot` now, and return the job line's `on_wait` for it: the notice names
    the place in the line whenever it changes (`draw_changes`).

    The notice is still (no spinner): a waiting job is not running, and a spinner is redrawn by every
    browser many times a second; 14 waiting pages spinning took more of a 2-core machine than the two jobs
    that were running (benchmarks/load_sessions.py). The running job's status keeps its spinner."""
    starting = f"{label}: starting…"
    slot.info(starting, icon=WAITING_ICON)
    draw = draw_changes(lambda text: slot.info(text, icon=WAITING_ICON), starting)
    return lambda ahead: draw(f"{label}: {jobs.waiting_text(ahead)}")


def memo_job(namespace: str, key: str, compute: Callable[[], T], *, label: str) -> T:
    """`memo` for heavy work a button starts (no Cancel of its own): on a miss, a notice shows its place in
    the job line (dashboard/jobs.py), then a status names the work and holds the progress bars `compute`
    draws."""
    if key in session_store(namespace):
        return memo(namespace, key, compute)
    slot = st.empty()
    try:
        with jobs.job_line().slot(waiting_notice(slot, label)):
            with slot.status(f"{label}: running…", expanded=True):
                value = memo(namespace, key, compute)
    except Exception:  # the caller shows the error; no status is left behind
        slot.empty()
        raise
    slot.empty()
    return value


def run_once(namespace: str, key: str, compute: Callable[[Callable[[float, str], None]], T], *,
             label: str, request_key: str, cancel_key: str, errors: tuple[type[BaseException], ...] = (ValueError,)
             ) -> T:
    """A long engine call behind a Cancel button and a status with its progress bar, memoized by content key.

    `compute(progress)` runs only on a cache miss, once a place in the process's job line is free
    (dashboard/jobs.py); until then a notice says how many jobs are ahead. Cancel (which reruns the page
    and so stops the work at its next progress report, or takes it out of the line) or an error in `errors`
    clears the request in `request_key`, says so, and stops the page. The status and the Cancel button never
    outlive the run that drew them.
    """
    result = cached(namespace, key)
    if result is not None:
        return result
    cancel_slot, status_slot = st.empty(), st.empty()
    if cancel_slot.button("Cancel", key=cancel_key, icon=":material/stop:"):
        st.session_state[request_key] = None
        cancel_slot.empty()
        st.warning(f"{label}: cancelled.")
        st.stop()
    try:
        with jobs.job_line().slot(waiting_notice(status_slot, label)):
            bar = progress_bar(label, parent=status_slot.status(f"{label}: running…", expanded=True))
            result = memo(namespace, key, lambda: compute(bar))
    except errors as exc:
        st.session_state[request_key] = None
        cancel_slot.empty()
        status_slot.empty()
        st.error(markdown_text(safe_message(exc)))
        st.stop()
    except Exception:  # an error the caller handles: leave no status or Cancel behind (a rerun/stop passes)
        cancel_slot.empty()
        status_slot.empty()
        raise
    cancel_slot.empty()
    status_slot.empty()
    return result


def run_auto(namespace: str, key: str, compute: Callable[[Callable[[float, str], None]], T], *,
             label: str, cancel_key: str, errors: tuple[type[BaseException], ...] = (ValueError,)) -> T:
    """`run_once` for work a page starts by itself (the PII scan when a table is shown, the risk when
    quasi-identifiers are chosen). After Cancel it stays stopped for these inputs, with a button to
    start it again; new inputs (another table, other settings) start it again by themselves. An error
    in `errors` is shown and tried again on the next rerun (it is not a cancel)."""
    request_key, seen_key = f"_auto_request_{namespace}", f"_auto_seen_{namespace}"
    if st.session_state.get(seen_key) != key:
        st.session_state[seen_key] = key
        st.session_state[request_key] = key
    if cached(namespace, key) is None and st.session_state.get(request_key) != key:
        st.info(f"{label}: cancelled.")
        if st.button("Start again", key=f"{cancel_key}_restart", icon=":material/play_arrow:"):
            st.session_state[request_key] = key
            st.rerun()
        st.stop()
    try:
        return run_once(namespace, key, compute, label=label, request_key=request_key, cancel_key=cancel_key,
                        errors=())
    except errors as exc:
        st.error(markdown_text(safe_message(exc)))
        st.stop()

"""The app's own "working" / "ready" marker in the sidebar, for people and for browser tests.

`.streamlit/config.toml` hides Streamlit's status widget (toolbarMode = "minimal"), so the app shows its
own. Both marker elements are drawn at the top of every run; which one shows follows the browser's own
script state (the `data-test-script-state` attribute Streamlit's front end keeps on the app root), so
"Ready" appears only once a run has really ended, however it ended (to the end, st.stop, an error).
Tests wait for `.st-key-app_run_done` to be visible (tests/e2e/conftest.py `wait_idle`).

Streamlit's own status widget is taken out of the page as well (display: none): "minimal" hides it from
view, but its animation kept running in every browser while a script ran, at about 0.02 of a core per
page (benchmarks/load_sessions.py with 16 pages on the app's 2 cores).
"""

from __future__ import annotations

import streamlit as st

BUSY_KEY = "app_run_busy"
DONE_KEY = "app_run_done"

_CSS = f"""<style>
.st-key-{BUSY_KEY}, .st-key-{DONE_KEY} {{ display: none; }}
[data-test-script-state="running"] .st-key-{BUSY_KEY},
[data-test-script-state="rerunRequested"] .st-key-{BUSY_KEY},
[data-test-script-state="notRunning"] .st-key-{DONE_KEY} {{ display: block; }}
[data-testid="stStatusWidget"] {{ display: none; }}
</style>"""


def draw() -> None:
    """Draw both markers (call first in the sidebar, on every run)."""
    st.html(_CSS)
    with st.container(key=BUSY_KEY):
        st.caption(":material/progress_activity: Working…")
    with st.container(key=DONE_KEY):
        st.caption(":material/check_circle: Ready")

"""Entry point: `streamlit run dashboard/app.py`. Sets up the page list and the session's data."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from analysis.errors import safe_message
from analysis.tables import DataError, load_sample
from dashboard import run_marker, state
from dashboard.server_compat import fix_static_responses

PAGES_DIR = Path(__file__).parent / "app_pages"
DEFAULT_SAMPLE = "customers.csv"

# (file in app_pages/, title, icon). Each capability adds its page here when it lands.
PAGES = [
    ("data.py", "Data", ":material/table:"),
    ("pii_scan.py", "PII scan", ":material/person_search:"),
    ("anonymize.py", "Anonymize", ":material/shield_person:"),
    ("model_audit.py", "Model audit", ":material/policy:"),
    ("memorization.py", "Memorization", ":material/key:"),
    ("language_model.py", "Language model", ":material/chat:"),
    ("privacy_utility.py", "Privacy-utility", ":material/balance:"),
    ("report.py", "Report", ":material/summarize:"),
    ("history.py", "History", ":material/history:"),
]


def _init_session() -> None:
    """Load the bundled sample on a session's first run so the first page shows data."""
    if state.table() is None and not state.get("_sample_tried"):
        state.put("_sample_tried", True)
        try:
            state.set_table(load_sample(DEFAULT_SAMPLE))
        except DataError as exc:
            state.put(state.LOAD_MESSAGE, ("error", safe_message(exc)))


def _page_icon():
    """A shield drawn here and served by this app: a `:material:` or emoji icon makes the browser fetch the
    favicon from fonts.gstatic.com or cdn.jsdelivr.net, and the app opens no connection to anyone."""
    from PIL import Image, ImageDraw

    icon = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    ImageDraw.Draw(icon).polygon([(16, 2), (29, 7), (27, 20), (16, 30), (5, 20), (3, 7)], fill="#1f6feb")
    return icon


def main() -> None:
    fix_static_responses()  # GET /favicon.png must not fail (see the module)
    st.set_page_config(page_title="Privacy Audit Dashboard", page_icon=_page_icon(), layout="wide")
    with st.sidebar:
        run_marker.draw()
        st.caption("Privacy Audit Dashboard")
        state.bind_dataset_caption(st.empty())  # redrawn in the same run when a page loads another table
    _init_session()
    # Paths relative to this entry file, as st.Page resolves them (AppTest too).
    pages = [st.Page(f"app_pages/{f}", title=t, icon=i, default=(f == "data.py"))
             for f, t, i in PAGES if (PAGES_DIR / f).is_file()]
    st.navigation(pages).run()


main()

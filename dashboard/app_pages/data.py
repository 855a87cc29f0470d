"""Data page: upload a file or pick a bundled dataset; preview, counts, column profile, label."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analysis.errors import safe_message
from analysis.tables import SUPPORTED_EXTENSIONS, DataError, list_samples, load_sample, load_table, profile_table
from analysis.text_safety import markdown_text
from dashboard import cache, state
from dashboard.sections.consent import render_consent_section

st.title("Data")
st.caption("Load a table to audit. Uploads stay in this browser session's memory and are written nowhere.")

source_col, sample_col = st.columns([3, 2])
with source_col:
    upload = st.file_uploader(f"Upload a table ({', '.join(SUPPORTED_EXTENSIONS)})", key="uploader")
with sample_col:
    samples = list_samples()
    choice = st.selectbox("…or a bundled dataset", list(samples), format_func=lambda n: f"{n} — {samples[n]}")
    if st.button("Load bundled dataset", key="load_sample"):
        try:
            state.set_table(load_sample(choice))
            state.put(state.LOAD_MESSAGE, ("success", f"Loaded {choice}."))
        except DataError as exc:
            state.put(state.LOAD_MESSAGE, ("error", safe_message(exc)))

# Process each uploaded file once (Streamlit reruns the page on every widget change).
if upload is not None and state.get("_last_upload_id") != upload.file_id:
    state.put("_last_upload_id", upload.file_id)
    try:
        state.set_table(load_table(upload.getvalue(), name=upload.name))
        state.put(state.LOAD_MESSAGE, ("success", f"Loaded {upload.name}."))
    except DataError as exc:
        message = f"{safe_message(exc)} The previously loaded dataset is still in use."
        state.put(state.LOAD_MESSAGE, ("error", message))

message = state.get(state.LOAD_MESSAGE)
if message:
    level, text = message
    (st.error if level == "error" else st.success)(markdown_text(text))

table = state.table()
if table is None:
    st.info("No dataset loaded yet.")
    st.stop()

profile = cache.memo("profile", table.fingerprint, lambda: profile_table(table))

st.subheader(markdown_text(table.name))
m1, m2, m3, m4 = st.columns(4)
m1.metric("Rows", f"{profile.rows:,}")
m2.metric("Columns", profile.columns)
m3.metric("Format", profile.format.upper())
m4.metric("Fingerprint", profile.fingerprint[:12], help=f"SHA-256 of the file: {profile.fingerprint}")
t1, t2, _, _ = st.columns(4)
t1.metric("Load time", f"{table.load_seconds:,.2f} s", help="Reading and checking the file, measured by the loader.")
t2.metric("Memory", f"{table.memory_bytes / 2**20:,.1f} MB",
          help="Size of the loaded table in memory (pandas, including text), measured by the loader.")
if table.renamed_columns:
    st.warning(f"{markdown_text(table.rename_note())} Every page uses the new names.")

options = [None] + table.columns
current = state.label_column()
label = st.selectbox(
    "Label (target) column", options, index=options.index(current) if current in options else 0,
    key=state.label_widget_key(table),
    format_func=lambda c: "(none)" if c is None else (f"{c} (suggested)" if c in profile.label_candidates[:3] else c),
    help="The column a model predicts. Suggested: columns with 2–20 values and a label-like name.")
state.put(state.LABEL_COLUMN, label)

st.markdown("**Preview** (first 100 rows)")
st.dataframe(table.frame.head(100), width="stretch", hide_index=True)

st.markdown("**Columns**")
st.dataframe(
    pd.DataFrame([{"column": c.name, "type": c.inferred_type, "missing": c.missing_share,
                   "distinct": c.distinct_count} for c in profile.column_profiles]),
    width="stretch", hide_index=True,
    column_config={"missing": st.column_config.ProgressColumn("missing", format="percent", min_value=0, max_value=1)},
)

render_consent_section(table)

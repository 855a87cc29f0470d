"""History page: every stored audit run, and two runs side by side (what changed, which numbers moved)."""

from __future__ import annotations

import json

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from analysis.errors import safe_message
from analysis.history import HistoryError, compare_runs, default_url, get_run, list_runs
from analysis.text_safety import markdown_text

LIGHTS = {"green": "● OK", "amber": "● Watch", "red": "● Act", "grey": "○ not run", None: ""}
VERDICT = {"better": "▲ better", "worse": "▼ worse", "changed": "● changed", "same": "", "added": "+ added",
           "removed": "− removed"}

st.title("History")
url = default_url()
st.caption(f"Audit runs stored in `{sa.make_url(url).render_as_string(hide_password=True)}` "
           "(setting PRIVACY_AUDIT_HISTORY_URL). Save a run from the Report page or with `privacy-audit audit`.")
try:
    runs = list_runs(url=url)
except (HistoryError, sa.exc.SQLAlchemyError, OSError) as exc:
    st.error(f"The history database cannot be read: {markdown_text(safe_message(exc))}")
    st.stop()
if not runs:
    st.info("No runs yet. Open the Report page and press “Save to history”, or run "
            "`privacy-audit audit configs/audit.sample.yaml`.")
    st.stop()


def show(value) -> str:
    return "—" if value is None else f"{value:.4g}" if isinstance(value, float) else str(value)


def label(run) -> str:
    return f"{run.created_at[:19].replace('T', ' ')} · {run.title} · {run.run_id[:8]}"


st.dataframe(pd.DataFrame([{
    "when": r.created_at[:19].replace("T", " "), "title": r.title, "source": r.source, "dataset": r.dataset_name,
    "rows": r.dataset_rows, "overall": LIGHTS.get(r.overall_rating, ""),
    "policies": {True: "pass", False: "FAIL", None: "—"}[r.policies_passed], "seconds": r.seconds,
    "run": r.run_id[:8]} for r in runs]), hide_index=True, width="stretch", key="history_runs",
    column_config={"seconds": st.column_config.NumberColumn(format="%.1f")})

if len(runs) < 2:
    st.info("Store a second run to compare two side by side.")
    st.stop()

st.subheader("Compare two runs")
by_label = {label(r): r for r in runs}
labels = list(by_label)
c1, c2 = st.columns(2)
a_label = c1.selectbox("Before (A)", labels, index=1, key="history_a")
b_label = c2.selectbox("After (B)", labels, index=0, key="history_b")
if a_label == b_label:
    st.info("Choose two different runs.")
    st.stop()
try:
    comparison = compare_runs(by_label[a_label].run_id, by_label[b_label].run_id, url=url)
except HistoryError as exc:
    st.error(markdown_text(safe_message(exc)))
    st.stop()

for col, summary in ((c1, comparison.a), (c2, comparison.b)):
    col.markdown(f"**{markdown_text(summary.title)}**  \n{markdown_text(summary.dataset_name)} · "
                 f"{summary.dataset_rows:,} rows · "
                 f"overall {LIGHTS.get(summary.overall_rating, '')}  \n"
                 f"SHA-256 `{(summary.dataset_sha256 or '')[:16]}…`")
if not comparison.same_dataset:
    st.warning("The two runs audited different data (the dataset fingerprints differ).")

summary_moves = [m for m in comparison.metrics if m.name.startswith("summary.")]
st.markdown("**Summary**")
st.dataframe(pd.DataFrame([{
    "what": m.name.removeprefix("summary."), "A": show(m.a), "rating A": LIGHTS.get(m.rating_a, ""),
    "B": show(m.b), "rating B": LIGHTS.get(m.rating_b, ""), "change": m.delta, "verdict": VERDICT.get(m.verdict, m.verdict)}
    for m in summary_moves]), hide_index=True, width="stretch", key="history_summary")

only_moved = st.toggle("Only numbers that moved", value=True, key="history_only_moved")
rows = [m for m in comparison.metrics if not m.name.startswith("summary.") and (m.moved or not only_moved)]
st.markdown(f"**Numbers** ({len(comparison.moved)} moved of {len(comparison.metrics)})")
if rows:
    st.dataframe(pd.DataFrame([{"number": m.name, "A": show(m.a), "B": show(m.b), "change": m.delta,
                                "verdict": VERDICT.get(m.verdict, m.verdict)} for m in rows]),
                 hide_index=True, width="stretch", key="history_numbers")
else:
    st.caption("No number moved.")

st.markdown(f"**What changed in data, model, seeds, settings and versions** ({len(comparison.changes)})")
if comparison.changes:
    st.dataframe(pd.DataFrame([{"field": c.field, "A": json.dumps(c.a, default=str), "B": json.dumps(c.b, default=str)}
                               for c in comparison.changes]), hide_index=True, width="stretch", key="history_changes")
else:
    st.caption("Same data, model, seeds, settings and package versions.")

d1, d2 = st.columns(2)
for col, summary, tag in ((d1, comparison.a, "a"), (d2, comparison.b, "b")):
    col.download_button(f"Download report {tag.upper()} (JSON)",
                        data=lambda rid=summary.run_id: json.dumps(get_run(rid, url=url).report, indent=2),
                        file_name=f"privacy_report_{summary.run_id[:8]}.json", mime="application/json",
                        key=f"history_download_{tag}", on_click="ignore")

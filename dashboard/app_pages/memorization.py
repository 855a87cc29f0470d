"""Memorization page: plant canaries, train without and with DP-SGD, show exposure and extraction."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analysis.errors import safe_message
from analysis.figures.memorization import exposure_vs_repeats, extraction_by_repeats
from analysis.memorization.defaults import default_secret_column, default_text_column
from analysis.tables import infer_column_type
from analysis.text_safety import markdown_text
from dashboard import cache, state

REPEAT_CHOICES = [1, 2, 4, 8, 16, 32, 64, 128]
SPACE_CHOICES = [10**3, 10**4, 10**5, 10**6, 10**8]

st.title("Memorization")
st.caption("Plant random secrets (canaries) in the training data, some repeated many times, train a model "
           "with and without differential privacy, and measure how far each secret rises in the model's "
           "ranking of all possible secrets (exposure, in bits). Canaries are synthetic; your data stays in "
           "this session.")

table = state.require_table()

mode = st.radio("What to test", ["Text column (character model)", "Table (tabular model)"], horizontal=True,
                key="mem_mode")
text_mode = mode.startswith("Text")
frame = state.training_frame(table.frame)[0]  # consented rows only (Data page switch)

left, right = st.columns(2)
with left:
    if text_mode:
        text_like = [c for c in frame.columns if infer_column_type(frame[c]) == "text"]
        options = text_like or [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
        if not options:
            st.error("This table has no text column to train a character model on.")
            st.stop()
        preferred = default_text_column(frame, options)  # real free text, never a name column
        column = st.selectbox("Text column", options, key="mem_text_column", index=options.index(preferred))
        space_size = st.selectbox("Secret space size |R|", SPACE_CHOICES, index=1, key="mem_space",
                                  format_func=lambda n: f"{n:,} ({len(str(n - 1))}-digit secrets)")
    else:
        labels = [c for c in frame.columns if 2 <= frame[c].nunique() <= 200]
        if not labels:
            st.error("This table has no column with 2 to 200 distinct values to use as the secret.")
            st.stop()
        preferred = default_secret_column(frame, labels, state.label_column())  # 8+ values: 3+ bits
        column = st.selectbox("Sensitive attribute (the model's label)", labels, index=labels.index(preferred),
                              key="mem_label",
                              help="Canary records carry a random value of this column; its values are R. "
                                   "A secret with few values (2 values: 1 bit) cannot show memorization.")
    repeats = st.multiselect("Times each secret is inserted", REPEAT_CHOICES, default=[1, 4, 16, 64],
                             key="mem_repeats")
with right:
    use_dp = st.checkbox("Also train with DP-SGD", value=True, key="mem_dp")
    epsilon = st.number_input("Target epsilon", min_value=0.1, max_value=100.0, value=3.0, step=0.5,
                              key="mem_epsilon", disabled=not use_dp)
    with st.expander("Training settings"):
        epochs = st.number_input("Epochs", min_value=1, max_value=50, value=2 if text_mode else 10,
                                 key="mem_epochs_text" if text_mode else "mem_epochs_tab")
        rows = st.number_input("Rows to train on (a seeded sample)", min_value=20, max_value=table.rows,
                               value=table.rows, step=100, key="mem_max_rows")
        seed = st.number_input("Seed", min_value=0, value=0, step=1, key="mem_seed")

settings = dict(mode="text" if text_mode else "tabular", column=column, repeats=sorted(repeats),
                epsilon=float(epsilon) if use_dp else None, epochs=int(epochs),
                max_rows=int(rows) if rows < table.rows else None, seed=int(seed),
                secret_space_size=int(space_size) if text_mode else None)
key = cache.content_key(table.fingerprint, settings, state.consent_key())


def compute():
    from analysis.memorization import run_tabular_memorization, run_text_memorization

    bar = cache.progress_bar("Training")
    common = dict(repeats=settings["repeats"], epsilon=settings["epsilon"], epochs=settings["epochs"],
                  max_rows=settings["max_rows"], seed=settings["seed"], progress=bar)
    if text_mode:
        return run_text_memorization(frame[column], secret_space_size=settings["secret_space_size"], **common)
    return run_tabular_memorization(frame, column, **common)


if st.button("Run memorization test", type="primary", key="mem_run", disabled=not repeats):
    try:
        state.put(state.MEMORIZATION, cache.memo_job("memorization", key, compute, label="Memorization test"))
    except ValueError as exc:
        st.error(markdown_text(safe_message(exc)))
if not repeats:
    st.warning("Choose at least one insertion count.")

result = state.get(state.MEMORIZATION)
if result is None:
    st.info("Choose the settings and run the test. With the defaults on 5,000 notes it takes a few minutes "
            "on a laptop CPU (two models are trained).")
    st.stop()

described = (f"secret attribute: {result.settings['label']}" if result.kind == "tabular"
             else f"canary format: {result.settings.get('canary_format')}")
st.subheader("Verdict")
st.info(markdown_text(result.verdict))
cols = st.columns(2 + len(result.models))
cols[0].metric("Secret space", f"{result.secret_space_bits:.1f} bits",
               help=f"log2 |R| with |R| = {result.secret_space_size:,}: the largest possible exposure")
cols[1].metric("Rank method", result.method,
               help="exact: every candidate scored; skew-normal: estimated from a sample of candidates")
for col, model in zip(cols[2:], result.models):
    inserted = [s for s in model.by_repeats if s.repeats > 0]
    top = max((s.mean_exposure for s in inserted), default=0.0)
    accounting = "" if model.privacy is None else (
        f"; achieved epsilon {model.privacy['rdp_epsilon']:.2f} (RDP), delta {model.privacy['delta']:.1e}")
    col.metric(model.name, f"{top:.1f} bits",
               help=f"Highest mean exposure over the insertion counts{accounting}")

st.plotly_chart(exposure_vs_repeats(result), width="stretch", key="mem_exposure_chart")
st.plotly_chart(extraction_by_repeats(result), width="stretch", key="mem_extraction_chart")

st.markdown("**Each canary**")
rows_table = pd.DataFrame([
    {"model": m.name, "times inserted": c.repeats, "exposure (bits)": round(c.exposure, 2),
     "rank": round(c.rank, 1), "method": c.method, "greedy extracted": c.greedy_extracted,
     "beam extracted": c.beam_extracted}
    for m in result.models for c in m.canaries])
st.dataframe(rows_table, width="stretch", hide_index=True)
trained_rows = result.settings.get("texts_rows") or result.settings.get("rows")
st.caption(f"{result.kind.capitalize()} test on {trained_rows:,} rows; {markdown_text(described)}; "
           f"seed {result.seed}. "
           f"Privacy unit of DP-SGD: {result.settings.get('privacy_unit')}.")

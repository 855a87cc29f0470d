"""Language model page: train a small causal LM on a text column (with or without DP-SGD) or upload one
(ONNX + tokenizer.json), then audit it: membership inference, canaries, PII extraction and
reconstruction, verbatim memorization."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from analysis.figures.text_lm import exposure_by_repeats, extracted_pii_by_type, roc_log_log
from analysis.models.gate import ModelLoadError
from analysis.tables import infer_column_type
from dashboard import cache, state

REQUEST = "lm_request"
REPEAT_CHOICES = [1, 2, 4, 8, 16, 32]

st.title("Language model")
st.caption("Does a language model trained on personal text repeat its names, e-mail addresses and phone "
           "numbers, reveal which documents it was trained on, or reproduce them verbatim? Train a small model "
           "on a text column here, or upload one exported elsewhere (ONNX + tokenizer.json); the model file "
           "runs only in the limited model worker.")

mode = st.radio("Model", ["Train one here on a text column", "Upload a model (ONNX + tokenizer.json)"],
                horizontal=True, key="lm_mode")
training = mode.startswith("Train")
table = state.table()

if training:
    table = state.require_table()
    frame = state.training_frame(table.frame)[0]
    text_like = [c for c in frame.columns if infer_column_type(frame[c]) == "text"]
    options = text_like or [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if not options:
        st.error("This table has no text column to train a language model on.")
        st.stop()
    with st.form("lm_train_form"):
        left, right = st.columns(2)
        default = next((c for c in ("body", "notes", "text") if c in options), options[0])
        column = left.selectbox("Text column", options, index=options.index(default), key="lm_column")
        repeats = left.multiselect("Canaries: times each is inserted", REPEAT_CHOICES, default=[1, 4, 16],
                                   key="lm_repeats")
        use_dp = right.checkbox("Train with DP-SGD", value=False, key="lm_dp")
        epsilon = right.number_input("Target epsilon", 0.1, 100.0, 8.0, step=0.5, key="lm_epsilon")
        with st.expander("Settings"):
            epochs = st.number_input("Epochs", 1, 50, 8, key="lm_epochs")
            rows = st.number_input("Texts to use (a seeded sample; 0: all)", 0, 1_000_000, 0, step=500, key="lm_rows")
            pii = st.checkbox("PII extraction and reconstruction (loads the PII engine)", value=True, key="lm_pii")
            space = st.selectbox("Canary secret space |R|", [10**3, 10**4, 10**5], index=1, key="lm_space",
                                 format_func=lambda n: f"{n:,} ({len(str(n - 1))}-digit secrets)")
            seed = st.number_input("Seed", 0, 10**6, 0, key="lm_seed")
        if st.form_submit_button("Train and audit", type="primary", key="lm_train"):
            state.put(REQUEST, dict(mode="train", column=column, repeats=sorted(repeats),
                                    epsilon=float(epsilon) if use_dp else None, epochs=int(epochs),
                                    max_rows=int(rows) or None, pii=pii, seed=int(seed), space=int(space)))
else:
    with st.form("lm_upload_form"):
        left, right = st.columns(2)
        model_file = left.file_uploader("Model (.onnx)", type=["onnx"], key="lm_model_file")
        tokenizer_file = left.file_uploader("tokenizer.json", type=["json"], key="lm_tokenizer_file")
        canary_file = left.file_uploader("Canary file (optional, from `privacy-audit text canaries`)",
                                         type=["json"], key="lm_canary_file")
        members_file = right.file_uploader("Training documents (one per line)", type=["txt"], key="lm_members_file")
        non_members_file = right.file_uploader("Held-out documents (one per line)", type=["txt"],
                                               key="lm_non_members_file")
        reference_file = right.file_uploader("Reference model (optional, .onnx)", type=["onnx"],
                                             key="lm_reference_file")
        pii = st.checkbox("PII extraction and reconstruction (loads the PII engine)", value=True, key="lm_upload_pii")
        if st.form_submit_button("Audit", type="primary", key="lm_audit"):
            if not (model_file and tokenizer_file and members_file and non_members_file):
                st.error("Upload the model, its tokenizer.json, and the training and held-out documents.")
                st.stop()
            state.put(REQUEST, dict(mode="upload", pii=pii, files={
                name: (f.name, f.getvalue()) if f is not None else None
                for name, f in (("model", model_file), ("tokenizer", tokenizer_file), ("canaries", canary_file),
                                ("members", members_file), ("non_members", non_members_file),
                                ("reference", reference_file))}))


def _lines(data: bytes, name: str) -> list[str]:
    try:
        return [line.strip() for line in data.decode("utf-8").splitlines() if line.strip()]
    except UnicodeDecodeError:
        raise ModelLoadError(f"'{name}' is not UTF-8 text (one document per line).") from None


def _compute(request: dict, progress):
    from analysis.text_lm.audit import run_text_audit
    from analysis.text_lm.canaries import read_kit

    if request["mode"] == "train":
        from analysis.text_lm.audit import train_and_audit

        return train_and_audit(state.training_frame(table.frame)[0][request["column"]].tolist(),
                               epsilon=request["epsilon"], canary_repeats=request["repeats"],
                               secret_space_size=request["space"], epochs=request["epochs"],
                               max_rows=request["max_rows"], pii=request["pii"], seed=request["seed"],
                               progress=progress)
    files = request["files"]
    kit = read_kit(files["canaries"][1], files["canaries"][0]) if files["canaries"] else None
    return run_text_audit(files["model"][1], files["tokenizer"][1], _lines(*files["members"][::-1]),
                          _lines(*files["non_members"][::-1]), canaries=kit,
                          reference_model=files["reference"][1] if files["reference"] else None,
                          model_name=files["model"][0], tokenizer_name=files["tokenizer"][0], pii=request["pii"],
                          progress=progress)


request = state.get(REQUEST)
if request is not None and request["mode"] == "train" and (table is None or request["column"] not in table.frame):
    state.put(REQUEST, None)  # the table changed under the request
    request = None
if request is not None:
    fingerprint = table.fingerprint if request["mode"] == "train" else None
    uploads = {name: (f[0], hashlib.sha256(f[1]).hexdigest()) if f else None
               for name, f in request.get("files", {}).items()}  # the key holds digests, not the files
    key = cache.content_key(fingerprint, {k: v for k, v in request.items() if k != "files"}, uploads,
                            state.consent_key() if request["mode"] == "train" else None)
    result = cache.run_once("language_model", key, lambda bar: _compute(request, bar),
                            label="Training and auditing" if request["mode"] == "train" else "Auditing the model",
                            request_key=REQUEST, cancel_key="lm_cancel")
    state.put(state.LANGUAGE_MODEL, result)

result = state.get(state.LANGUAGE_MODEL)
if result is None:
    st.info("Choose a text column and press **Train and audit** (about two minutes on the 3,000 bundled "
            "tickets, `sample_data/tickets.csv`), or upload a model.")
    st.stop()

strongest = max(result.attacks, key=lambda a: (a.tpr_at_fpr["0.001"], a.auc))
cols = st.columns(5)
cols[0].metric("Strongest attack: TPR at 0.1% FPR", f"{strongest.tpr_at_fpr['0.001']:.1%}",
               help=f"{strongest.name}; AUC {strongest.auc:.3f}")
cols[1].metric("Blind baseline AUC", f"{result.baseline.auc:.2f}",
               help="A text-only classifier without the model; near 0.5 when members and non-members come from one pool")
if result.canaries is not None:
    top = max(c.repeats for c in result.canaries.canaries)
    cols[2].metric(f"Canary exposure ({top}×)", f"{result.canaries.mean_exposure(top):.1f} bits",
                   help=f"of at most {result.canaries.secret_space_bits:.1f} bits")
if result.reconstruction is not None:
    r = result.reconstruction
    cols[3].metric("PII reconstruction top-1", f"{r.accuracy:.0%}", help=f"chance {r.chance:.0%}; held-out "
                   f"sentences {r.non_member_accuracy if r.non_member_accuracy is not None else float('nan'):.0%}")
if result.verbatim is not None:
    cols[4].metric("Verbatim continuations", f"{result.verbatim.share:.1%}",
                   help=f"held-out documents: {result.verbatim.non_member_share or 0:.1%}")
for note in result.notes:
    st.warning(note)

st.plotly_chart(roc_log_log(result), width="stretch", key="lm_roc")
st.dataframe(pd.DataFrame([{"attack": a.name, "AUC": round(a.auc, 3), "TPR @ 0.1% FPR": a.tpr_at_fpr["0.001"],
                            "TPR @ 1% FPR": a.tpr_at_fpr["0.01"], "what it uses": a.description}
                           for a in [*result.attacks, result.baseline]]), hide_index=True, width="stretch")
if result.canaries is not None:
    st.plotly_chart(exposure_by_repeats(result), width="stretch", key="lm_exposure")
if result.extraction is not None:
    e = result.extraction
    st.plotly_chart(extracted_pii_by_type(result), width="stretch", key="lm_extraction")
    st.caption(f"{e.pii_found} distinct PII values in {e.generated} sampled generations: {e.pii_in_training} occur in "
               f"the training text, {e.pii_in_non_members_only} only in held-out text (what a model makes up "
               "plausibly). Values are counted, never shown.")
st.caption(f"{result.members:,} members and {result.non_members:,} non-members audited in {result.seconds:.0f} s.")

"""Model audit page: load or train a model, run membership-inference attacks, read the leakage."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analysis.attacks.audit import run_audit
from analysis.pii.masking import columns_to_mask
from analysis.errors import safe_message
from analysis.figures import attacks as figures
from analysis.models.loading import ModelLoadError, RefusedTypesError, UntrustedTypesError
from analysis.models.remote import inspect_file, open_model
from analysis.tables import bytes_fingerprint
from analysis.models.recipes import available_recipes, declared_members, get_recipe, train_model
from analysis.text_safety import markdown_text
from dashboard import cache, state
from dashboard.sections.features import choose_features
from dashboard.sections.privacy_axis import exposed_records
from dashboard.sections.withdrawal import render_withdrawal_section

ATTACK_FAMILIES = {"threshold": "Loss / confidence threshold", "lira": "LiRA (offline + online)",
                   "rmia": "RMIA (offline + online)"}

st.title("Model audit")
st.caption("Can an attacker tell who was in the training set? Membership-inference attacks on a model, "
           "reported as TPR at low FPR (the literature's yardstick), not only AUC.")
table = state.table()
label = state.label_column()
if table is None or label is None:
    st.info("Load a dataset and choose its label column on the Data page first.")
    st.stop()
st.caption(f"Dataset **{markdown_text(table.name)}** · label **{markdown_text(label)}**")

source = st.radio("Model", ["Train here", "Load a file"], horizontal=True, key="audit_source")
if source == "Train here":
    recipes = available_recipes()
    features = choose_features(table, label, key="audit_features")  # dashboard/sections/features.py
    with st.form("audit_train"):
        c1, c2, c3 = st.columns(3)
        recipe_name = c1.selectbox("Model", list(recipes), format_func=recipes.get, key="audit_recipe")
        share = c2.slider("Members (training share)", 0.1, 0.9, 0.5, 0.05, key="audit_share",
                          help="The rest of the rows are held out as non-members.")
        max_rows = int(c3.number_input("Use at most N rows (0: all)", 0, 10_000_000, min(table.rows, 4000),
                                       step=1000, key="audit_rows"))
        train_clicked = st.form_submit_button("Train model")
    if train_clicked:
        key = cache.content_key(table.fingerprint, label, recipe_name, share, max_rows, state.consent_key(), features)
        try:
            frame, consent_filter = state.training_frame(table.frame)  # consented rows only (Data page switch)
            frame = frame[[c for c in frame.columns if c in features or c == label]]
            frame = frame.sample(max_rows, random_state=0) if 0 < max_rows < len(frame) else frame
            trained = cache.memo("audit_model", key, lambda: train_model(
                frame.reset_index(drop=True), label, recipe=get_recipe(recipe_name), member_share=share, seed=0,
                progress=cache.progress_bar("Training")))
            if (state.get(state.MODEL) or {}).get("key") != key:
                state.put(state.ATTACKS, None)
            state.put(state.MODEL, {"name": recipes[recipe_name], "kind": "trained here", "key": key,
                                    "model": trained.model, "recipe": get_recipe(recipe_name),
                                    "recipe_settings": trained.recipe_settings, "member_share": share,
                                    "members": trained.members, "non_members": trained.non_members,
                                    "fair_coin": trained.fair_coin, "label": label, "consent": consent_filter})
        except ValueError as exc:
            st.error(markdown_text(safe_message(exc)))
else:
    upload = st.file_uploader("Model file (.skops scikit-learn, .keras, .onnx, XGBoost .json/.ubj, LightGBM .txt)",
                              type=["skops", "keras", "onnx", "json", "ubj", "txt"], key="audit_upload")
    st.caption("Every file is checked before it is loaded (size, archive entries, allowed layers and operators). "
               "Pickle/joblib files are refused (opening them can run code); load one with joblib where you "
               "trust it, then `skops.io.dump(model, 'model.skops')`. A Keras model is fed the table's "
               "numeric feature columns in table order (missing as 0); a pipeline gets the raw columns.")
    load_options = {}
    if upload is not None and upload.name.lower().endswith(".onnx"):
        recipes = available_recipes()
        o1, o2, o3 = st.columns(3)
        load_options["onnx_output"] = o1.selectbox(
            "ONNX output", ["auto", "probabilities", "logits"], key="audit_onnx_output",
            help="auto: probabilities when every row is in [0, 1] and sums to 1, logits (softmax) otherwise")
        load_options["reference_recipe"] = o2.selectbox(
            "Reference models (LiRA / RMIA)", [None] + list(recipes), key="audit_onnx_recipe",
            format_func=lambda r: "suggested from the graph" if r is None else recipes[r],
            help="Attacks are weaker when the reference architecture differs from the target's.")
        onnx_columns = o3.multiselect("Columns for a single tensor input (in order)",
                                      [c for c in table.columns if c != label], key="audit_onnx_columns",
                                      help="Empty: the numeric feature columns in table order.")
        load_options["onnx_columns"] = onnx_columns or None
    member_col = st.selectbox("Column marking training rows (1/true = member)",
                              [None] + [c for c in table.columns if table.frame[c].nunique() == 2 and c != label],
                              format_func=lambda c: "(none: the first share of rows were the training set)"
                              if c is None else c, key="audit_member_col")
    first_share = st.slider("Share of rows, from the top, that trained the model", 0.1, 0.9, 0.5, 0.05,
                            key="audit_first_share", disabled=member_col is not None)
    if upload is not None:
        data = upload.getvalue()
        try:
            # Parsing, loading and scoring run in the model worker (analysis/models/sandbox.py): a file that
            # crashes or hangs its loader ends that process, not the app every session shares.
            info = cache.memo("audit_inspect", bytes_fingerprint(data), lambda: inspect_file(data, upload.name))
            trusted = []
            if info.refused_types:
                raise RefusedTypesError(upload.name, info.refused_types, info.untrusted_types)
            if info.untrusted_types:
                st.warning("This file holds scikit-learn / NumPy / SciPy types that are not trusted "
                           "automatically (the built-in models' types are). Look each one up; trust them only "
                           "if you trust where the file came from. Types from other packages are always refused.")
                st.code("\n".join(info.untrusted_types))
                if st.checkbox("I checked these scikit-learn / NumPy / SciPy types and trust this file",
                               key=f"audit_trust_{info.fingerprint[:12]}"):
                    trusted = info.untrusted_types
                else:
                    st.stop()
            members, non_members = declared_members(table.frame, label, member_column=member_col,
                                                    first_share=first_share)
            key = cache.content_key(info.fingerprint, table.fingerprint, member_col, first_share, load_options,
                                    trusted)
            if (state.get(state.MODEL) or {}).get("key") != key:
                with st.spinner(f"Loading {markdown_text(upload.name)} in the model worker"):
                    loaded = cache.memo("audit_loaded", cache.content_key(info.fingerprint, load_options, trusted),
                                        lambda: open_model(data, upload.name, trusted_types=trusted, **load_options))
                    model = loaded.bind(members, label)
                state.put(state.ATTACKS, None)
                state.put(state.MODEL, {"name": upload.name, "kind": f"{loaded.kind} file", "key": key,
                                        "fingerprint": info.fingerprint, "trusted_types": loaded.trusted_types,
                                        "inputs": loaded.input_description(), "model": model,
                                        "recipe": loaded.recipe(), "members": members,
                                        "non_members": non_members, "label": label})
            bundle = state.get(state.MODEL)
            st.success(markdown_text(f"Loaded {upload.name} ({bundle['kind']}) in the model worker; "
                                     f"inputs: {bundle['inputs']}."))
            if bundle["kind"] in ("onnx file", "xgboost file", "lightgbm file"):
                reference = bundle["recipe"].describe()
                note = reference.get("note", "Same library, parameters read from the file.")
                st.caption(f"Reference models for LiRA / RMIA: **{markdown_text(reference['recipe'])}**. "
                           + markdown_text(note))
        except (ModelLoadError, UntrustedTypesError) as exc:
            st.error(markdown_text(safe_message(exc)))
            st.stop()

bundle = state.get(state.MODEL)
if not bundle or bundle["label"] != label:
    st.info("Train a model or load a model file to audit.")
    st.stop()

st.subheader(f"Audit: {markdown_text(bundle['name'])}")
st.caption(f"{len(bundle['members']):,} members · {len(bundle['non_members']):,} non-members")
with st.form("audit_run"):
    c1, c2, c3 = st.columns([3, 1, 2])
    families = c1.multiselect("Attacks", list(ATTACK_FAMILIES), default=list(ATTACK_FAMILIES),
                              format_func=ATTACK_FAMILIES.get, key="audit_attacks")
    n_ref = int(c2.number_input("Reference models", 2, 64, 4, step=2, key="audit_refs",
                                help="LiRA / RMIA retrain the model this many times on random halves of the data."))
    slice_col = c3.selectbox("Slice by (quasi-identifier)", [None] + [c for c in table.columns if c != label],
                             format_func=lambda c: "(per class only)" if c is None else c, key="audit_slice")
    run_clicked = st.form_submit_button("Run audit", type="primary")

if run_clicked:
    if not families:
        st.error("Choose at least one attack.")
        st.stop()
    # the one masking rule: every column the scan classes as a direct identifier (or free text) is masked
    identifiers = tuple(c for c in columns_to_mask(table.frame, scan=state.get(state.SCAN),
                                                   overrides=state.get(state.KIND_OVERRIDES))
                        if c in bundle["members"].columns and c != label)
    settings = dict(attacks=tuple(families), reference_models=n_ref, slice_column=slice_col, seed=0,
                    identifier_columns=identifiers)
    key = cache.content_key(bundle["key"], table.fingerprint, settings)
    try:
        result = cache.memo("audit", key, lambda: run_audit(
            bundle["model"], bundle["members"], bundle["non_members"], label, recipe=bundle["recipe"],
            fair_coin=bundle.get("fair_coin"), progress=cache.progress_bar("Audit"), **settings))
        state.put(state.ATTACKS, result)
    except ValueError as exc:
        st.error(markdown_text(safe_message(exc)))
        st.stop()

render_withdrawal_section(table, bundle)  # dashboard/sections/withdrawal.py
result = state.get(state.ATTACKS)
if result is None:
    st.info("Choose the attacks and press **Run audit**.")
    st.stop()

strongest = result.attack(result.strongest_attack)
m1, m2, m3, m4 = st.columns(4)
m1.metric("Train accuracy", f"{result.train_accuracy:.3f}")
m2.metric("Test accuracy", f"{result.test_accuracy:.3f}")
m3.metric(f"TPR @ 0.1% FPR ({strongest.name})", f"{strongest.tpr_at_fpr.get('0.001', 0):.2%}",
          help=f"The strongest attack, ranked by TPR at 0.1% FPR (ties by AUC). At 1% FPR it finds "
               f"{strongest.tpr_at_fpr.get('0.01', 0):.1%} of the members.")
epsilon, epsilon_text = result.epsilon_headline()
m4.metric("ε lower bound (one run, 95%)", "–" if epsilon is None else f"{epsilon:.2f}", help=epsilon_text)
st.caption(epsilon_text)
for warning in result.warnings:
    st.warning(markdown_text(warning))

left, right = st.columns([3, 2])
left.plotly_chart(figures.roc_figure(result.attacks), width="stretch")
right.plotly_chart(figures.tpr_at_fpr_figure(result.attacks), width="stretch")

st.markdown("**Attacks**")
st.dataframe(pd.DataFrame(result.summary_rows()), hide_index=True, width="stretch", column_config={
    "auc": st.column_config.NumberColumn("AUC", format="%.3f"),
    "advantage": st.column_config.NumberColumn("advantage", format="%.3f"),
    "tpr@0.1%fpr": st.column_config.NumberColumn("TPR @ 0.1% FPR", format="percent"),
    "tpr@1%fpr": st.column_config.NumberColumn("TPR @ 1% FPR", format="percent"),
    "epsilon_lower_bound": st.column_config.NumberColumn(
        "ε lower bound", format="%.2f", help="Steinke et al. (2023) one-run bound; empty for a declared split")})

st.markdown("**Slices**")
columns = sorted({s.column for s in result.slices})
column = st.selectbox("Slice column", columns, key="audit_slice_view")
st.plotly_chart(figures.slice_figure(result, column=column), width="stretch")

st.markdown(f"**Most exposed members** (by {result.strongest_attack}, the strongest by TPR at 0.1% FPR; "
            "identifiers masked: "
            f"{markdown_text(', '.join(result.masked_columns)) or 'none detected'})")
st.dataframe(pd.DataFrame([{"rank": r.rank, "score": r.score, "loss": r.loss, **r.values}
                           for r in result.most_exposed]), hide_index=True, width="stretch")
exposed_records(getattr(result, "exposure", None))

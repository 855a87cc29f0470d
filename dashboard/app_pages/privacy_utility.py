"""Privacy-utility page: train the same MLP non-privately and with DP-SGD at several budgets, compare."""

from __future__ import annotations

import math

import streamlit as st

from analysis.figures import tradeoff as figures
from analysis.privacy.training import TrainingCancelled
from analysis.tradeoff import DEFAULT_EPSILONS, budget_label, run_tradeoff
from dashboard import cache, state
from dashboard.sections.federated import render_federated_section

REQUEST = "tradeoff_request"  # the settings of the comparison the user asked for (survives reruns)


st.title("Privacy-utility")
st.caption("What does privacy cost here? The same Keras MLP trained without and with DP-SGD "
           "(tensorflow-privacy) at each budget: utility, the accounted epsilon, and measured "
           "membership-inference leakage, side by side.")
table = state.require_table()

columns = table.columns
label_default = state.label_column()
for widget in ("tradeoff_label", "tradeoff_group"):  # a choice from a previously loaded table
    if st.session_state.get(widget) is not None and st.session_state[widget] not in columns:
        del st.session_state[widget]
with st.form("tradeoff_form"):
    c1, c2 = st.columns(2)
    label = c1.selectbox("Label column", columns, index=columns.index(label_default) if label_default in columns else 0,
                         key="tradeoff_label")
    group = c2.selectbox("Accuracy per group of (optional)", [None] + columns, key="tradeoff_group",
                         format_func=lambda c: "(none)" if c is None else c)
    c1, c2 = st.columns([3, 1])
    budgets = c1.multiselect("Privacy budgets (target epsilon)", list(DEFAULT_EPSILONS), default=list(DEFAULT_EPSILONS),
                             format_func=budget_label, key="tradeoff_budgets")
    seeds = int(c2.number_input("Seeds per budget", 1, 10, 3, key="tradeoff_seeds"))
    with st.expander("Model and DP-SGD settings"):
        m1, m2, m3 = st.columns(3)
        hidden = m1.text_input("Hidden layers", "64,32", key="tradeoff_hidden", help="Widths of the Dense ReLU layers.")
        epochs = int(m2.number_input("Epochs", 1, 200, 10, key="tradeoff_epochs"))
        batch = int(m3.number_input("Batch size", 8, 4096, 256, key="tradeoff_batch"))
        m1, m2, m3 = st.columns(3)
        lr = float(m1.number_input("Learning rate (Adam)", 1e-5, 1.0, 1e-3, format="%.4f", key="tradeoff_lr"))
        clip = float(m2.number_input("Clipping norm", 0.01, 100.0, 1.0, key="tradeoff_clip"))
        max_rows = int(m3.number_input("Use at most N rows (0: all)", 0, 10_000_000, 0, step=1000, key="tradeoff_rows"))
        st.caption("delta = min(1/(10 n), 1e-5) for n training rows; half the rows train (members), half are "
                   "held out (non-members) for utility and the attacks.")
    submitted = st.form_submit_button("Run comparison", type="primary")

if submitted:
    try:
        widths = [int(h) for h in hidden.split(",") if h.strip()]
    except ValueError:
        widths = []
    if not widths or not budgets:
        st.error("Give hidden layer widths as integers (e.g. 64,32) and choose at least one budget.")
        st.stop()
    state.put(REQUEST, dict(label=label, group_column=group, epsilons=sorted(budgets), seeds=seeds, hidden=widths,
                            epochs=epochs, batch_size=batch, learning_rate=lr, clip_norm=clip,
                            max_rows=max_rows or None))

request = state.get(REQUEST)
if request is not None:
    n_runs = len(request["epsilons"]) * request["seeds"]
    result = cache.run_once(
        "tradeoff", cache.content_key(table.fingerprint, request, state.consent_key()),
        lambda bar: run_tradeoff(state.training_frame(table.frame)[0], progress=bar, **request),
        label=f"Training {n_runs} models + baseline", request_key=REQUEST, cancel_key="tradeoff_cancel",
        errors=(ValueError, TrainingCancelled))
    state.put(state.TRADEOFF, result)

result = state.get(state.TRADEOFF)
if result is None:
    st.info("Choose the budgets and press **Run comparison**. Each budget x seed trains one model; "
            "the default grid on a table of 30,000 rows takes a few minutes.")
    render_federated_section(table, state.label_column())
    st.stop()

st.success(result.recommendation)
for warning in result.warnings:
    st.warning(warning)
private = [r for r in result.keras_runs() if r.private]
if private:
    first = private[0]
    st.caption(f"δ = {result.delta:.2g} · accountant: RDP (calibration and headline ε), PLD shown beside it · "
               f"{first.microbatching} · sampling: {first.sampling_assumption} · "
               f"q = {first.sampling_rate:.4f}, {first.steps} steps, clipping norm {first.clip_norm:g}.")

federated = state.get(state.FEDERATED)
st.subheader("Trade-off table (means over seeds)")
if federated is not None:
    from analysis.privacy.federated import combined_table

    st.caption("Federated rows (below the DP-SGD ones) carry a client-level epsilon in their own column; "
               "'epsilon (RDP)' is always sample-level.")
st.dataframe(result.table() if federated is None else combined_table(result, federated.runs), hide_index=True,
             width="stretch", column_config={
    c: st.column_config.NumberColumn(format="%.3f") for c in ("epsilon (RDP)", "epsilon (PLD)", "noise multiplier",
                                                             "accuracy", "accuracy sd", "ROC AUC", "F1", "attack AUC",
                                                             "client epsilon")}
    | {c: st.column_config.NumberColumn(format="percent") for c in ("TPR @ 0.1% FPR", "TPR @ 1% FPR")}
    | {"train s": st.column_config.NumberColumn(format="%.1f")})

left, right = st.columns(2)
metric = left.selectbox("Utility metric", ["accuracy", "roc_auc", "f1"], key="tradeoff_metric",
                        format_func=lambda m: {"accuracy": "accuracy", "roc_auc": "ROC AUC", "f1": "F1"}[m])
left.plotly_chart(figures.utility_vs_epsilon(result, metric, federated=federated), width="stretch")
right.plotly_chart(figures.attack_vs_bound(result), width="stretch")
left, right = st.columns(2)
left.plotly_chart(figures.training_curves(result), width="stretch")
if result.config.group_column:
    right.plotly_chart(figures.group_accuracy(result), width="stretch")

with st.expander("Every run"):
    st.dataframe([{"model": r.budget_label, "seed": r.seed, "epsilon (RDP)": r.epsilon if math.isfinite(r.epsilon) else None,
                   "epsilon (PLD)": r.pld_epsilon if math.isfinite(r.pld_epsilon) else None, "delta": r.delta,
                   "noise": r.noise_multiplier, "accuracy": r.accuracy, "ROC AUC": r.roc_auc, "F1": r.f1,
                   "TPR @ 0.1% FPR": r.tpr_at("0.001"), "TPR @ 1% FPR": r.tpr_at("0.01"), "train s": r.train_seconds}
                  for r in result.runs], hide_index=True, width="stretch")
st.download_button("Download JSON", result.to_json(), file_name="tradeoff.json", mime="application/json")
render_federated_section(table, state.label_column())

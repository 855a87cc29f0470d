"""Privacy-utility page: every protection (none, anonymized, DP-SGD, federated, combinations) trained and
attacked the same way; one table, one chart, the recommendation."""

from __future__ import annotations

import math

import streamlit as st

from analysis.figures import tradeoff as figures
from analysis.privacy.training import TrainingCancelled
from analysis.anonymize.defaults import restrict_plan
from analysis.strategies import STRATEGIES, TITLES, run_strategies
from analysis.text_safety import markdown_text
from analysis.tradeoff import DEFAULT_EPSILONS, budget_label
from dashboard import cache, state
from analysis.settings import get_settings
from dashboard.sections.federated import FEDERATED_STRATEGIES, federated_notes, federated_settings
from dashboard.sections.features import choose_features
from dashboard.sections.privacy_axis import privacy_axis

REQUEST = "tradeoff_request"  # the settings of the comparison the user asked for (survives reruns)
REQUEST_FEATURES = "tradeoff_request_features"  # the feature columns chosen with it
BUDGETS = [e for e in DEFAULT_EPSILONS if math.isfinite(e)]
HELP = {"none": "the MLP on the raw rows", "anonymized": "the Anonymize page's plan applied to the training rows",
        "dp": "DP-SGD at each budget", "federated": "FedAvg over simulated clients",
        "dp-federated": "DP-FedAvg, ε per client", "anonymized+dp": "DP-SGD on the anonymized rows",
        "federated+dp": "DP-SGD inside each client"}


st.title("Privacy-utility")
st.caption("Which protection, at what cost? The same Keras MLP trained on the same split with each protection "
           "(anonymization, DP-SGD, federated learning, and their combinations): utility, the formal guarantee "
           "with its unit, and measured membership-inference leakage, side by side.")
table = state.require_table()
plan = state.get(state.PLAN)
if plan is not None and not plan.columns and plan.suppression is None:
    plan = None  # an empty plan anonymizes nothing

columns = table.columns
label_default = state.label_column()
for widget in ("tradeoff_label", "tradeoff_group"):  # a choice from a previously loaded table
    if st.session_state.get(widget) is not None and st.session_state[widget] not in columns:
        del st.session_state[widget]
features = choose_features(table, st.session_state.get("tradeoff_label") or label_default or columns[-1],
                           key="tradeoff_features")  # dashboard/sections/features.py
with st.form("tradeoff_form"):
    c1, c2 = st.columns(2)
    label = c1.selectbox("Label column", columns, index=columns.index(label_default) if label_default in columns else 0,
                         key="tradeoff_label")
    group = c2.selectbox("Accuracy per group of (optional)", [None] + columns, key="tradeoff_group",
                         format_func=lambda c: "(none)" if c is None else c)
    chosen = st.multiselect("Protections", list(STRATEGIES), key="tradeoff_strategies",
                            default=["none", "dp"] + (["anonymized", "anonymized+dp"] if plan is not None else []),
                            format_func=TITLES.get,
                            help="; ".join(f"**{TITLES[s]}**: {HELP[s]}" for s in STRATEGIES))
    if plan is None:
        st.caption("No anonymization plan yet: build one on the Anonymize page to compare the anonymized "
                   "strategies (they are skipped without one).")
    c1, c2 = st.columns([3, 1])
    budgets = c1.multiselect("Privacy budgets per record (DP-SGD, anonymized + DP-SGD, FedAvg + DP-SGD)", BUDGETS,
                             default=[1.0, 8.0], format_func=budget_label, key="tradeoff_budgets")
    seeds = int(c2.number_input("Seeds", 1, 10, 1, key="tradeoff_seeds"))
    with st.expander("Model, DP-SGD and attack settings"):
        m1, m2, m3 = st.columns(3)
        hidden = m1.text_input("Hidden layers", "64,32", key="tradeoff_hidden", help="Widths of the Dense ReLU layers.")
        epochs = int(m2.number_input("Epochs", 1, 200, 10, key="tradeoff_epochs"))
        batch = int(m3.number_input("Batch size", 8, 4096, 256, key="tradeoff_batch"))
        m1, m2, m3, m4 = st.columns(4)
        lr = float(m1.number_input("Learning rate (Adam)", 1e-5, 1.0, 1e-3, format="%.4f", key="tradeoff_lr"))
        clip = float(m2.number_input("Clipping norm", 0.01, 100.0, 1.0, key="tradeoff_clip"))
        max_rows = int(m3.number_input("Use at most N rows (0: all)", 0, 10_000_000, 0, step=1000, key="tradeoff_rows"))
        references = int(m4.number_input("RMIA reference models (0: off)", 0, 64,
                                         get_settings().comparison_reference_models, key="tradeoff_refs",
                                         help="Adds RMIA (offline and online) to every run's attacks. Each "
                                              "centralized protection trains its own reference models the same "
                                              "way (same DP-SGD budget, same plan): about N x its training time."))
        a1, a2 = st.columns(2)
        canaries = int(a1.number_input("Canaries (0: off)", 0, 100_000, get_settings().canaries, step=100,
                                       key="tradeoff_canaries",
                                       help="Coin-flip canaries for each run's one-run ε lower bound (at most 10% "
                                            "of the training rows); they never enter the utility figures."))
        anonymity_attacks = int(a2.number_input("Anonymity attacks per criterion (0: off)", 0, 10_000,
                                                get_settings().anonymity_attacks, step=100, key="tradeoff_anonymity",
                                                help="Singling out, linkability and inference of the raw and the "
                                                     "anonymized training table against held-out rows."))
        st.caption("delta = min(1/(10 n), 1e-5) for n training rows; half the rows train (members), half are "
                   "held out (non-members) for utility and the attacks, the same for every protection.")
    fl = federated_settings(columns)
    submitted = st.form_submit_button("Run comparison", type="primary")

if submitted:
    try:
        widths = [int(h) for h in hidden.split(",") if h.strip()]
    except ValueError:
        widths = []
    if not widths or not chosen:
        st.error("Give hidden layer widths as integers (e.g. 64,32) and choose at least one protection.")
        st.stop()
    if references == 1:
        st.error("RMIA needs at least 2 reference models (or 0 for none).")
        st.stop()
    request = dict(label=label, strategies=chosen, group_column=group, epsilons=sorted(budgets), seeds=seeds,
                   hidden=widths, epochs=epochs, batch_size=batch, learning_rate=lr, clip_norm=clip,
                   max_rows=max_rows or None, reference_models=references, canaries=canaries,
                   anonymity_attacks=anonymity_attacks)
    feature_columns = [c for c in features if c != label]
    if any(s in FEDERATED_STRATEGIES for s in chosen):
        request.update(fl)
    state.put(REQUEST, request)
    state.put(REQUEST_FEATURES, feature_columns)

request = state.get(REQUEST)
if request is not None:
    kept = [*(state.get(REQUEST_FEATURES) or [c for c in columns if c != request["label"]]), request["label"]]
    if request.get("group_column") and request["group_column"] not in kept:
        kept.append(request["group_column"])
    plan = restrict_plan(plan, kept) if plan is not None else None  # the plan's rules on the chosen columns
    plan_dict = plan.to_dict() if plan is not None else None

    def _training_rows():
        rows = state.training_frame(table.frame)[0]  # consented rows, without the consent columns
        return rows[[c for c in rows.columns if c in kept]]

    result = cache.run_once(
        "tradeoff", cache.content_key(table.fingerprint, request, plan_dict, state.consent_key(), kept),
        lambda bar: run_strategies(_training_rows(), plan=plan, progress=bar, **request),
        label=f"Training {len(request['strategies'])} protection(s) x {request['seeds']} seed(s)",
        request_key=REQUEST, cancel_key="tradeoff_cancel", errors=(ValueError, RuntimeError, TrainingCancelled))
    state.put(state.TRADEOFF, result)

result = state.get(state.TRADEOFF)
if result is None or not hasattr(result, "skipped"):
    st.info("Choose the protections and press **Run comparison**. Each protection x budget x seed trains one "
            "model; federated ones start a small simulation and take a minute or more each.")
    st.stop()

st.success(markdown_text(result.recommendation))
for skip in result.skipped:
    st.warning(f"{TITLES.get(skip.strategy, skip.strategy)} skipped: {markdown_text(skip.reason)}")
for warning in result.warnings:
    st.warning(markdown_text(warning))
record_dp = [r for r in result.runs if r.unit == "record" and r.details.get("microbatching")]
if record_dp:
    first = record_dp[0]
    st.caption(f"δ = {result.delta:.2g} per record · accountant: RDP (calibration and headline ε), PLD shown beside "
               f"it · {first.details['microbatching']} · sampling: {first.details['sampling_assumption']} · "
               f"{first.details.get('preprocessing', '')}.")

st.subheader("Every protection (means over seeds)")
st.dataframe(result.table(), hide_index=True, width="stretch", column_config={
    c: st.column_config.NumberColumn(format="%.3f") for c in ("accuracy", "accuracy sd", "ROC AUC", "F1",
                                                             "attack AUC", "ε (PLD)")}
    | {c: st.column_config.NumberColumn(format="percent") for c in ("TPR @ 0.1% FPR", "TPR @ 1% FPR")}
    | {"train s": st.column_config.NumberColumn(format="%.1f")})
metric = st.selectbox("Utility metric", ["accuracy", "roc_auc", "f1"], key="tradeoff_metric",
                      format_func=lambda m: {"accuracy": "accuracy", "roc_auc": "ROC AUC", "f1": "F1"}[m])
st.plotly_chart(figures.strategies_figure(result, metric), width="stretch")
federated_notes(result)

with st.expander("Every run"):
    st.dataframe([{"protection": r.name, "seed": r.seed, "guarantee": r.guarantee, "accuracy": r.accuracy,
                   "ROC AUC": r.roc_auc, "F1": r.f1, "TPR @ 0.1% FPR": r.tpr_at("0.001"),
                   "TPR @ 1% FPR": r.tpr_at("0.01"), "attacks": ", ".join(a.name for a in r.attacks),
                   "trained on rows": r.n_train, "train s": r.train_seconds, "protects": r.protects}
                  for r in result.runs], hide_index=True, width="stretch")
    st.plotly_chart(figures.attack_vs_bound(result), width="stretch")
privacy_axis(result)
st.download_button("Download JSON", result.to_json(), file_name="strategies.json", mime="application/json")

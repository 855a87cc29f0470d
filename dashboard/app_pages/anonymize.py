"""Anonymize page: choose quasi-identifiers, see the risk, build a plan, compare before and after."""

from __future__ import annotations

import hashlib
import io

import pandas as pd
import streamlit as st

from analysis.anonymity import release_anonymity, risk_rows
from analysis.anonymize import (OPERATORS, Plan, Suppression, apply_plan, frequency_hierarchy, generate_secret,
                                parse_params, suggest_plan)
from analysis.anonymize.defaults import reserved_columns
from analysis.csv_export import safe_csv_bytes
from analysis.errors import safe_message
from analysis.figures import risk as figures
from analysis.risk import assess_risk, columns_of_kind, suggest_quasi_identifiers, suggest_sensitive
from analysis.settings import PROJECT_ROOT, get_settings
from analysis.text_safety import markdown_text
from analysis.utility import compare_utility
from dashboard import cache, state

EXAMPLES = PROJECT_ROOT / "examples" / "plans"
SECRET, SECRET_SHOWN = "anonymize_secret", "anonymize_secret_shown"

st.title("Anonymize")
st.caption("Measure how easily records can be singled out, reduce it with a plan, and see what it cost.")
table = state.require_table()
frame, fp = table.frame, table.fingerprint
# Widget keys (dropped by Streamlit when the user visits another page) and their lasting copies.
qi_key, sens_key = f"anon_qis_{fp[:12]}", f"anon_sens_{fp[:12]}"
QI_STORE, SENS_STORE = f"anonymize_qis_{fp[:12]}", f"anonymize_sensitive_{fp[:12]}"
if qi_key not in st.session_state:
    scan, overrides = state.get(state.SCAN), state.get(state.KIND_OVERRIDES)
    if state.get(QI_STORE) is None:
        reserved = reserved_columns(frame, state.get(state.CONSENT_MAPPING))  # consent columns: read, not released
        state.put(QI_STORE, [c for c in suggest_quasi_identifiers(frame, scan, overrides=overrides)
                             if c not in reserved])
        state.put(SENS_STORE, [c for c in suggest_sensitive(frame, scan, overrides=overrides)
                               if c not in state.get(QI_STORE)])
    st.session_state[qi_key], st.session_state[sens_key] = list(state.get(QI_STORE)), list(state.get(SENS_STORE))


def _set_plan(plan: Plan) -> None:
    """Make `plan` current and point the suppression widgets at it (runs before they are drawn)."""
    state.put(state.PLAN, plan)
    st.session_state["anon_suppress"] = plan.suppression is not None
    if plan.suppression is not None:
        st.session_state["anon_method"] = plan.suppression.method
        st.session_state["anon_k"] = plan.suppression.k
    if plan.suppression is not None and all(c in frame.columns for c in plan.suppression.quasi_identifiers):
        st.session_state[qi_key] = list(plan.suppression.quasi_identifiers)
        st.session_state[sens_key] = [c for c in st.session_state[sens_key] if c not in plan.suppression.quasi_identifiers]


PENDING = "anonymize_pending_plan"
if state.get(PENDING) is not None:  # a plan loaded on the previous run: apply before widgets exist
    _set_plan(st.session_state.pop(PENDING))

# ---- 1. quasi-identifiers and risk
source = "the PII scan" if state.get(state.SCAN) is not None else "column names and cardinality"
qis = st.multiselect("Quasi-identifiers", table.columns, key=qi_key, help=f"Suggested from {source}; edit freely.")
sensitive = st.multiselect("Sensitive attributes", [c for c in table.columns if c not in qis], key=sens_key)
state.put(QI_STORE, qis)
state.put(SENS_STORE, sensitive)
plan: Plan = state.get(state.PLAN) or Plan()
c1, c2, c3 = st.columns(3)
st.session_state.setdefault("anon_k", plan.suppression.k if plan.suppression else 5)
k = int(c1.number_input("Target k", min_value=1, max_value=1000, key="anon_k"))
threshold = c2.slider("Risk threshold", 0.01, 1.0, 0.2, 0.01, key="anon_threshold",
                      help="A record whose re-identification probability exceeds this is 'at risk'.")
population = int(c3.number_input("Population size (0: unknown)", min_value=0, value=0, step=1000, key="anon_pop"))
if not qis:
    st.info("Choose at least one quasi-identifier.")
    st.stop()
settings = dict(sensitive=sensitive, k=k, risk_threshold=threshold, population_size=population or None)
risk = cache.run_auto("risk", cache.content_key(fp, qis, settings), lambda bar: assess_risk(
    frame, qis, **settings, progress=bar), label="Risk", cancel_key="anon_risk_cancel")
state.put(state.RISK, risk)
m = st.columns(5)
m[0].metric("k (smallest class)", risk.k)
m[1].metric("Sample uniques", f"{risk.sample_uniques:,}", help=f"{risk.sample_uniques_share:.1%} of records")
m[2].metric(f"Records below k={k}", f"{risk.records_below_k:,}", help=f"{risk.share_below_k:.1%} of records")
m[3].metric("Prosecutor: records at risk", f"{risk.prosecutor.records_at_risk_share:.1%}",
            help=f"highest {risk.prosecutor.highest_risk:.0%}, average {risk.prosecutor.average_risk:.1%}")
m[4].metric("Marketer: average risk", f"{risk.marketer.average_risk:.1%}")
t1, t2, t3, t4 = st.tabs(["Class sizes", "Risk distribution", "Riskiest combinations", "Attackers and diversity"])
t1.plotly_chart(figures.class_size_histogram(risk), width="stretch")
t2.plotly_chart(figures.risk_distribution(risk), width="stretch")
t3.plotly_chart(figures.riskiest_combinations(risk), width="stretch")
rows = [{"model": a.model, "records at risk": a.records_at_risk_share, "highest": a.highest_risk,
         "average": a.average_risk, "population": a.population} for a in (risk.prosecutor, risk.journalist, risk.marketer)]
t4.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
t4.caption("Journalist and marketer assume: " + " ".join(risk.journalist.assumptions))
if sensitive:
    t4.dataframe(pd.DataFrame([{"attribute": a, "distinct l": v.distinct_l, "entropy l": round(v.entropy_l, 2),
                                "t (EMD)": round(risk.t_closeness[a].t, 3)} for a, v in risk.l_diversity.items()]),
                 hide_index=True, width="stretch")
if risk.population_uniqueness:
    pu = risk.population_uniqueness
    t4.caption(f"{pu.estimator}: about {pu.population_uniques_share:.2%} of records are unique in the population "
               f"({pu.sample_unique_is_population_unique:.0%} of sample uniques). Why this model: {pu.decision}. "
               "Assumes: " + " ".join(pu.assumptions))

# ---- 2. the plan
st.subheader("Plan")
p1, p2, p3 = st.columns([2, 2, 3])
max_suppression = p1.number_input("Suppress at most (% of records)", 0.0, 100.0, 2.0, 0.5, key="anon_max_sup")
if p1.button("Suggest a plan", key="anon_suggest", help="Pseudonymize direct identifiers (dates of birth to "
             "their year) and redact free text (from the PII scan), generalize the quasi-identifiers (other dates to "
             "their month), suppress until k holds. Consent columns are left out."):
    scan, overrides = state.get(state.SCAN), state.get(state.KIND_OVERRIDES)
    try:
        state.put(PENDING, suggest_plan(
            frame, qis, k=k, max_suppression=max_suppression / 100,
            direct_identifiers=columns_of_kind(frame, scan, "direct_identifier", overrides=overrides),
            free_text=columns_of_kind(frame, scan, "free_text", overrides=overrides),
            other_quasi_identifiers=columns_of_kind(frame, scan, "quasi_identifier", overrides=overrides),
            reserved=reserved_columns(frame, state.get(state.CONSENT_MAPPING))))
        st.rerun()
    except ValueError as exc:
        st.error(markdown_text(safe_message(exc)))
examples = sorted(p.name for p in EXAMPLES.glob("*.y*ml"))
example = p2.selectbox("Example plan", examples, key="anon_example") if examples else None
if example and p2.button("Load example plan", key="anon_load_example"):
    try:
        state.put(PENDING, Plan.from_file(EXAMPLES / example))
        st.rerun()
    except ValueError as exc:
        st.error(markdown_text(f"{example}: {safe_message(exc)}"))
uploaded = p3.file_uploader("…or upload a plan (YAML/JSON)", type=["yaml", "yml", "json"], key="anon_plan_upload")
if uploaded is not None and state.get("anonymize_plan_upload_id") != uploaded.file_id:
    state.put("anonymize_plan_upload_id", uploaded.file_id)
    try:
        text = uploaded.getvalue().decode("utf-8")
        state.put(PENDING, Plan.from_json(text) if uploaded.name.endswith(".json") else Plan.from_yaml(text))
        st.rerun()
    except (ValueError, UnicodeDecodeError) as exc:
        st.error(markdown_text(f"{uploaded.name}: {safe_message(exc)}"))

with st.expander("Edit one column", expanded=not plan.columns):
    e1, e2 = st.columns(2)
    column = e1.selectbox("Column", table.columns, key="anon_rule_column")
    current = plan.columns.get(column)
    ops = list(OPERATORS)
    op = e2.selectbox("Operator", ops, index=ops.index(current.operator) if current else 0, key=f"anon_op_{column}",
                      format_func=lambda o: f"{o} — {OPERATORS[o].description}")
    params, given = {}, (current.params if current and current.operator == op else {})
    for name, (types, default) in OPERATORS[op].params.items():
        value, wkey = given.get(name, default), f"anon_{column}_{op}_{name}"
        if dict in types:
            start = value if isinstance(value, dict) else frequency_hierarchy(frame[column], min_count=max(k, len(frame) // 100))
            edited = st.data_editor(pd.DataFrame({"value": list(start), "group": list(start.values())}),
                                    key=wkey, hide_index=True, width="stretch", disabled=["value"])
            params[name] = dict(zip(edited["value"].astype(str), edited["group"].astype(str)))
        elif bool in types:
            params[name] = st.checkbox(name, value=bool(value), key=wkey)
        else:
            shown = ", ".join(map(str, value)) if isinstance(value, list) else ("" if value is None else str(value))
            params[name] = st.text_input(name, value=shown, key=wkey)
    b1, b2 = st.columns(2)
    if b1.button("Set rule", key="anon_set_rule"):
        try:
            state.put(state.PLAN, plan.with_rule(column, op, **parse_params(op, params)))
            st.rerun()
        except ValueError as exc:
            st.error(markdown_text(safe_message(exc)))
    if current and b2.button("Remove rule", key="anon_remove_rule"):
        state.put(state.PLAN, Plan({c: r for c, r in plan.columns.items() if c != column}, plan.suppression,
                                   plan.description))
        st.rerun()

s1, s2 = st.columns(2)
st.session_state.setdefault("anon_suppress", plan.suppression is not None)
st.session_state.setdefault("anon_method", plan.suppression.method if plan.suppression else "record")
suppress_on = s1.checkbox(f"Suppress until k={k} holds on the quasi-identifiers", key="anon_suppress")
method = s2.radio("Suppression", ["record", "cell"], horizontal=True, key="anon_method",
                  help="record: drop records in small classes; cell: blank quasi-identifier cells first")
kept_qis = [c for c in qis if not (c in plan.columns and OPERATORS[plan.columns[c].operator].drops_column)]
marker = plan.suppression.marker if plan.suppression else "*"
wanted = Suppression(k=k, quasi_identifiers=kept_qis, method=method, marker=marker) if suppress_on and kept_qis else None
if wanted != plan.suppression:
    plan = plan.with_suppression(wanted)
    state.put(state.PLAN, plan)
if not plan.columns and plan.suppression is None:
    st.info("The plan is empty: suggest one, load an example, or set a rule per column.")
    st.stop()
st.dataframe(pd.DataFrame([{"column": c, "operator": r.operator,
                            "parameters": ", ".join(f"{n}={v}" for n, v in r.params.items() if n != "mapping")
                            + (f" {len(r.params['mapping'])} mapped values" if "mapping" in r.params else "")}
                           for c, r in plan.columns.items()]), hide_index=True, width="stretch")

# ---- 3. apply, compare, download
typed = st.text_input("Secret for pseudonyms and surrogates (optional)", type="password", key="anon_secret_input",
                      help="Same secret, same tokens across files. Leave blank to have one generated for this session.")
secret = typed.encode() if typed else state.get(SECRET)
if typed and len(secret) < 16:
    st.error("The secret must be at least 16 characters.")
    st.stop()
if plan.needs_secret and secret is None:
    secret = generate_secret()
    state.put(SECRET, secret)
if plan.needs_secret and not typed and not state.get(SECRET_SHOWN):
    state.put(SECRET_SHOWN, True)
    st.warning("A secret was generated for this session. Copy it now: it is shown once and written nowhere "
               "(not in the plan, not in the downloads).")
    st.code(secret.hex())
secret_id = hashlib.sha256(secret).hexdigest() if secret else None
label = state.label_column()
try:
    result = cache.memo("anonymized", cache.content_key(fp, plan.to_dict(), secret_id),
                        lambda: apply_plan(frame, plan, secret=secret, progress=cache.progress_bar("Applying plan")))
    out_qis = [c for c in qis if c in result.frame.columns]
    after = cache.memo("risk_after", cache.content_key(fp, plan.to_dict(), secret_id, out_qis, settings),
                       lambda: assess_risk(result.frame, out_qis, **settings)) if out_qis and len(result.frame) else None
    utility = cache.memo("utility", cache.content_key(fp, plan.to_dict(), secret_id, label, state.consent_key()),
                         lambda: compare_utility(*state.training_pair(frame, result.frame),
                                                 label=label if label in result.frame.columns else None))
except ValueError as exc:
    st.error(markdown_text(safe_message(exc)))
    st.stop()
state.put(state.ANONYMIZED, result)
state.put(state.RISK_AFTER, after)
state.put(state.UTILITY, utility)
st.markdown("**Preview** (first 20 rows after the plan)")
st.dataframe(result.frame.head(20), hide_index=True, width="stretch")

st.subheader("Before and after")
left, right = st.columns(2)
with left:
    st.markdown("**Risk**")
    r = st.columns(3)
    r[0].metric("k after", after.k if after else "–", delta=(after.k - risk.k) if after else None)
    r[1].metric("Sample uniques after", f"{after.sample_uniques:,}" if after else "–",
                delta=(after.sample_uniques - risk.sample_uniques) if after else None, delta_color="inverse")
    r[2].metric("Records at risk after", f"{after.prosecutor.records_at_risk_share:.1%}" if after else "–")
    if after:
        st.plotly_chart(figures.risk_before_after(risk, after), width="stretch")
with right:
    st.markdown("**Utility cost**")
    u = st.columns(3)
    u[0].metric("Rows dropped", f"{utility.rows_dropped:,}", help=f"{utility.rows_dropped_share:.2%} of rows")
    u[1].metric("Cells changed", f"{utility.cells_changed_share:.1%}",
                help=f"suppressed: {utility.cells_suppressed_share:.2%}")
    if utility.accuracy_original_score is not None:
        u[2].metric(f"Model accuracy ({markdown_text(label)})", f"{utility.accuracy_anonymized_score:.1%}",
                    delta=f"{-utility.accuracy_drop:+.1%} vs original {utility.accuracy_original_score:.1%}")
    else:
        u[2].metric("Mean column distance", f"{utility.mean_distance:.3f}")
    st.plotly_chart(figures.utility_columns(utility), width="stretch")

st.subheader("Anonymity of the release (GDPR: singling out, linkability, inference)")
st.caption("Anonymeter's method: half the rows play the released people, the other half a control set never "
           "released; each attack's success on the released people is compared with the same attack on the control "
           "set (risk = (attack − control) / (1 − control), 95% interval), for the raw table and for this plan.")
if st.button("Measure anonymity", key="anon_measure_gdpr"):
    state.put("anonymity_request", cache.content_key(fp, plan.to_dict(), secret_id, label))
if state.get("anonymity_request") == cache.content_key(fp, plan.to_dict(), secret_id, label):
    inference_target = label if label in frame.columns else (sensitive[0] if sensitive else None)
    try:
        raw_risks, anon_risks = cache.memo(
            "anonymity", state.get("anonymity_request"),
            lambda: release_anonymity(frame, plan, secret=inference_target, secret_key=secret,
                                      n_attacks=get_settings().anonymity_attacks))
    except ValueError as exc:
        st.error(safe_message(exc))
    else:
        st.dataframe(risk_rows(raw_risks, anon_risks), hide_index=True, width="stretch", key="anonymity_rows")
        st.caption(f"Inference target: {anon_risks.secret}; linkability halves: "
                   f"{', '.join(anon_risks.columns_a)} | {', '.join(anon_risks.columns_b)}.")


def _files() -> tuple[bytes, bytes]:
    buffer = io.BytesIO()
    result.frame.to_parquet(buffer, index=False)
    return safe_csv_bytes(result.frame), buffer.getvalue()


csv_bytes, parquet_bytes = cache.memo("anonymize_files", cache.content_key(fp, plan.to_dict(), secret_id), _files)
d1, d2, d3 = st.columns(3)
d1.download_button("Download CSV", csv_bytes, file_name="anonymized.csv", mime="text/csv", key="anon_dl_csv")
d2.download_button("Download Parquet", parquet_bytes, file_name="anonymized.parquet",
                   mime="application/octet-stream", key="anon_dl_parquet")
d3.download_button("Download plan (YAML)", plan.to_yaml().encode(), file_name="plan.yaml", mime="application/x-yaml",
                   key="anon_dl_plan")

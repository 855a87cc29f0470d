"""Report page: how exposed is this dataset and this model? One summary with traffic lights, the
sections with their charts, what was run, downloads (HTML, JSON) and saving to the history."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analysis.audit import ConfigError, quick_audit_config, run_audit_on_table
from analysis.errors import safe_message
from analysis.history import HistoryError, save_run
from analysis.report import ReportInputs, assemble_report, default_thresholds, describe_model
from analysis.report.export import report_json
from analysis.report.figures import section_figures
from analysis.report.html import render_html
from analysis.report.markdown import render_markdown
from analysis.settings import get_settings
from analysis.text_safety import markdown_text
from dashboard import cache, state
from dashboard.sections.not_computed import render_not_computed

LIGHTS = {"green": "● OK", "amber": "● Watch", "red": "● Act", "grey": "○ Not run"}
COLORS = {"green": "#1a7f37", "amber": "#b26b00", "red": "#c62828", "grey": "#6b7280"}
BADGES = {"green": ":green-badge[OK]", "amber": ":orange-badge[Watch]", "red": ":red-badge[Act]",
          "grey": ":gray-badge[Not run]"}
QUICK = "report_quick_audit"  # (table fingerprint, AuditOutcome) of the page's own quick audit
QUICK_REQUEST = "report_quick_request"  # the quick audit's config while it runs
SAVED = "report_saved_run"
WHERE = {"scan": "PII scan", "risk": "Anonymize", "attack": "Model audit", "memorization": "Memorization",
         "tradeoff": "Privacy-utility"}

st.title("Report")
st.caption("How exposed is this dataset and this model? Everything below comes from the results of this "
           "session; steps not run yet are grey.")
table = state.require_table()

quick = state.get(QUICK)
quick = quick[1] if quick and quick[0] == table.fingerprint else None
with st.expander("Quick audit", expanded=quick is None and state.get(state.SCAN) is None):
    st.write("Runs the PII scan, the re-identification risk on the quasi-identifiers it finds, and the "
             "threshold membership attacks on a logistic regression (when a label is chosen), on a seeded "
             "sample of 2,000 rows. Results from the other pages take precedence.")
    if st.button("Run quick audit", key="report_run_quick", type="primary"):
        st.session_state[QUICK_REQUEST] = quick_audit_config(label=state.label_column(),
                                                             consent=state.consent_config(),
                                                             scan_backend=get_settings().app_scan_backend)
    config = st.session_state.get(QUICK_REQUEST)
    if config is not None:  # behind a Cancel button until it is done

        def _quick(bar):  # partial: a step that cannot run on this table is named below, the rest shown
            try:
                return run_audit_on_table(table, config, progress=bar, partial=True)
            except (ConfigError, ValueError) as exc:
                raise ValueError(f"The quick audit could not run: {safe_message(exc)}") from exc

        quick = cache.run_once("report_quick", cache.content_key(table.fingerprint, config), _quick,
                               label="Quick audit", request_key=QUICK_REQUEST, cancel_key="report_quick_cancel")
        st.session_state[QUICK_REQUEST] = None
        state.put(QUICK, (table.fingerprint, quick))

q = quick.inputs if quick is not None else ReportInputs()
if quick is not None and quick.failures:
    fixed_request = render_not_computed(quick.failures, table)
    if fixed_request is not None:
        st.session_state[QUICK_REQUEST] = fixed_request
        st.rerun()


def pick(key, fallback):
    value = state.get(key)
    return value if value is not None else fallback


def consent_coverage(table, fallback):
    """Consent coverage of the session's mapping (Data page), else the quick audit's."""
    from analysis.consent import consent_report

    mapping = state.get(state.CONSENT_MAPPING)
    if mapping is None:
        return fallback
    return cache.memo("consent_report", cache.content_key(table.fingerprint, mapping.describe()),
                      lambda: consent_report(table.frame, mapping))


bundle = state.get(state.MODEL)
model_info = q.model_info
if state.get(state.ATTACKS) is not None and bundle is not None:  # hashing a model: once per model
    bundle_key = bundle.get("key") if isinstance(bundle, dict) else None
    model_info = cache.memo("report_model_info", str(bundle_key or id(bundle)), lambda: describe_model(bundle))
inputs = ReportInputs(
    table=table, scan=pick(state.SCAN, q.scan), risk=pick(state.RISK, q.risk),
    attacks=pick(state.ATTACKS, q.attacks), memorization=state.get(state.MEMORIZATION),
    language_model=state.get(state.LANGUAGE_MODEL),
    tradeoff=state.get(state.TRADEOFF), federated=state.get(state.FEDERATED),
    model_info=model_info,
    kind_overrides=state.get(state.KIND_OVERRIDES), title=f"Privacy audit of {table.name}",
    consent=consent_coverage(table, q.consent), consent_filter=pick(state.CONSENT_FILTER, q.consent_filter),
    withdrawal=state.get(state.WITHDRAWAL), anonymization=state.get(state.PLAN),
    released_risk=state.get(state.RISK_AFTER) if state.get(state.PLAN) is not None else None,
    settings={k: v for k, v in q.settings.items() if k == "not_computed"},
    identifier_memo=cache.session_store("report_identifier_values"),
    seconds={step: q.seconds[step] for step, key in (("scan", state.SCAN), ("risk", state.RISK),
                                                     ("attack", state.ATTACKS))
             if step in q.seconds and state.get(key) is None})


def keep_threshold(metric: str, level: str, key: str) -> None:
    """Copy an edited threshold out of its input: the inputs exist only while their panel is open."""
    state.get(state.THRESHOLDS).setdefault(metric, {})[level] = st.session_state[key]


def threshold_inputs(chosen: dict) -> None:
    for rule in default_thresholds().rules:
        c1, c2, c3 = st.columns([4, 1, 1])
        better = "lower" if rule.direction == "lower" else "higher"
        c1.markdown(f"**{rule.label}** — {better} is better" + (f" ({rule.unit})" if rule.unit else ""))
        for column, level in ((c2, "green"), (c3, "amber")):
            key = f"report_thr_{rule.metric}_{level}"
            column.number_input(level, value=float(chosen.get(rule.metric, {}).get(level, getattr(rule, level))),
                                key=key, format="%g", on_change=keep_threshold, args=(rule.metric, level, key))


# Drawn only while open (on_change="rerun"): 16 inputs that every rerun of the page would send and every
# browser redraw, the click that starts the quick audit included (about half of a page's work at that click).
panel = st.expander("Traffic-light thresholds (visible in the report, yours to set)", key="report_thresholds_open",
                    on_change="rerun")
chosen = state.get(state.THRESHOLDS, {})
state.put(state.THRESHOLDS, chosen)
if panel.open:
    with panel:
        threshold_inputs(chosen)
try:
    thresholds = default_thresholds().with_overrides(chosen)
except ValueError as exc:
    st.error(f"Traffic-light thresholds: {markdown_text(safe_message(exc))}. Using the default thresholds until "
             "this is fixed.")
    thresholds = default_thresholds()

try:
    report = assemble_report(inputs, thresholds=thresholds)
except (ValueError, TypeError, KeyError, AttributeError) as exc:  # a result of an unexpected shape
    st.error("The report could not be assembled from this session's results: "
             + markdown_text(safe_message(exc)))
    st.stop()
state.put(state.REPORT, report)
figures = section_figures(inputs)  # a figure that fails is left out, never a traceback

st.subheader("Summary")
st.markdown(f"Overall: {BADGES[report.overall_rating]} — the worst rating below.")
summary = pd.DataFrame([{"rating": LIGHTS[i.rating], "what": i.label, "measured": i.display, "thresholds": i.rule}
                        for i in report.summary])
colors = [COLORS[i.rating] for i in report.summary]
styled = summary.style.apply(lambda col: [f"color: white; background-color: {c}; font-weight: 600"
                                          for c in colors], subset=["rating"])
# Rows taller than 4rem let Streamlit wrap long cells instead of cutting them off.
st.dataframe(styled, hide_index=True, width="stretch", key="report_summary", row_height=70,
             height=40 + 70 * len(report.summary), column_config={  # every row shown, no inner scrolling
    # pixel widths that fit the main column of a laptop screen; "stretch" widens them on a larger one
    "rating": st.column_config.TextColumn(width=75), "what": st.column_config.TextColumn(width=160),
    "measured": st.column_config.TextColumn(width=300), "thresholds": st.column_config.TextColumn(width=240)})
missing = [WHERE[k] for k in WHERE if k not in report.provenance.steps]
if missing:
    st.caption(f"Not run in this session yet: {', '.join(missing)} (run them on their pages, or the quick audit).")

if report.statement is not None:
    st.subheader(markdown_text(report.statement.title))
    st.markdown("\n".join(f"- **{markdown_text(line.topic)}**: {markdown_text(line.text)}"
                          for line in report.statement.lines))

c1, c2, c3, c4 = st.columns(4)
c1.download_button("Download HTML report", data=lambda: render_html(report, figures),
                   file_name="privacy_report.html", mime="text/html", key="report_download_html",
                   on_click="ignore", icon=":material/download:")
c2.download_button("Download JSON report", data=report_json(report), file_name="privacy_report.json",
                   mime="application/json", key="report_download_json", on_click="ignore",
                   icon=":material/data_object:")
c4.download_button("Download statement (Markdown)", data=render_markdown(report), file_name="data_use_statement.md",
                   mime="text/markdown", key="report_download_markdown", on_click="ignore",
                   icon=":material/description:")
if c3.button("Save to history", key="report_save", icon=":material/history:"):
    try:
        state.put(SAVED, save_run(report, source="dashboard"))
    except (HistoryError, ValueError, OSError) as exc:
        st.error(f"Could not save to the history: {markdown_text(safe_message(exc))}")
if state.get(SAVED):
    st.success(f"Saved as run {state.get(SAVED)[:8]}; see it on the History page.")

for section in report.sections:
    st.header(markdown_text(section.title), divider="gray")
    st.markdown(markdown_text(section.sentence))
    for i, (title, fig) in enumerate(figures.get(section.key, ())):
        st.plotly_chart(fig, key=f"report_fig_{section.key}_{i}", width="stretch")
    for t_index, t in enumerate(section.tables):
        st.markdown(f"**{markdown_text(t.title)}**")
        st.dataframe(pd.DataFrame(t.rows, columns=t.columns), hide_index=True, width="stretch",
                     key=f"report_table_{section.key}_{t_index}")
    for note in section.notes:
        st.caption(markdown_text(note))

st.header("What was run", divider="gray")
p = report.provenance
if p.dataset:
    st.markdown(f"**Dataset** {markdown_text(p.dataset['name'])} · {p.dataset['rows']:,} rows · "
                f"{p.dataset['columns']} columns · "
                f"SHA-256 `{p.dataset['sha256']}`")
if p.model:
    st.markdown(f"**Model** {markdown_text(p.model.get('name'))} · "
                f"fingerprint `{p.model.get('fingerprint')}`")
st.markdown("**Seeds** " + markdown_text(", ".join(f"{k}: {v}" for k, v in p.seeds.items()) or "—"))
st.markdown("**Time taken** " + ", ".join(f"{k}: {v:.2f} s" for k, v in p.seconds.items()))
with st.expander("Settings and package versions"):
    st.json({"settings": p.settings, "package_versions": p.package_versions}, expanded=False)

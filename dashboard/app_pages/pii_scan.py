"""PII scan page: which columns hold personal data, of which kind, and where free text leaks it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analysis.errors import safe_message
from analysis.figures.pii import entity_counts, entity_heatmap
from analysis.pii import KINDS, apply_kind_overrides, find_text_spans, scan_table
from analysis.pii.locales import enabled_locales, language_method
from analysis.pii.text import highlight_html
from analysis.settings import get_settings
from analysis.text_safety import markdown_text
from dashboard import cache, state

st.title("PII scan")
st.caption("Finds direct identifiers, quasi-identifiers, sensitive attributes and personal data in free text. "
           "Examples are masked; nothing leaves this session.")

table = state.require_table()

settings = get_settings()
with st.expander("Scan settings: sample size, allow and deny lists"):
    c1, c2 = st.columns(2)
    sample_rows = c1.number_input("Rows sampled to classify (0 = all rows)", min_value=0, step=500,
                                  value=int(settings.pii_sample_rows), key="pii_sample_rows")
    allow_text = c1.text_area("Allow list: values never counted as PII (one per line)", key="pii_allow")
    deny_text = c2.text_area("Deny list: terms always flagged as PII (one per line)", key="pii_deny")
    st.caption("Locales (setting PRIVACY_AUDIT_LOCALES): " + ", ".join(enabled_locales()))
allow = [line.strip() for line in allow_text.splitlines() if line.strip()]
deny = [line.strip() for line in deny_text.splitlines() if line.strip()]


def _scan(bar):
    """The scan behind a Cancel button; a failure is shown to the user with its type, never as a traceback."""
    try:
        return scan_table(table.frame, sample_rows=int(sample_rows), allow_list=allow, deny_list=deny,
                          backend=settings.app_scan_backend, progress=bar)
    except Exception as exc:
        raise RuntimeError(f"The scan failed: {safe_message(exc)}") from exc


key = cache.content_key(table.fingerprint, int(sample_rows), allow, deny, settings.pii_score_threshold,
                        settings.spacy_model, settings.locales)
raw = cache.run_auto("pii_scan", key, _scan, label="Scanning columns", cancel_key="pii_cancel", errors=(Exception,))

overrides = {c: k for c, k in (state.get(state.KIND_OVERRIDES) or {}).items()
             if c in {f.name for f in raw.columns} and k in KINDS}
scan = apply_kind_overrides(raw, overrides)
state.put(state.SCAN, scan)

if raw.ner_model is None:
    st.warning("Pattern recognizers only: " + markdown_text(" ".join(raw.notes)))
m = st.columns(5)
m[0].metric("Rows", f"{raw.rows:,}")
m[1].metric("Direct identifiers", len(scan.names_of_kind("direct_identifier")))
m[2].metric("Quasi-identifiers", len(scan.names_of_kind("quasi_identifier")))
m[3].metric("Sensitive", len(scan.names_of_kind("sensitive")))
m[4].metric("Scan time", f"{raw.seconds:.1f} s", help=f"Classified from {raw.sample_rows:,} rows "
            f"(NER model: {raw.ner_model or 'none'})")

found_types = sorted({e.type for c in scan.columns for e in c.entities})
f1, f2 = st.columns([3, 1])
chosen = f1.multiselect("Entity types", found_types, default=found_types, key="pii_entities")
min_score = f2.slider("Minimum score", 0.0, 1.0, float(settings.pii_score_threshold), 0.05, key="pii_min_score")


def _shown(finding):
    return [e for e in finding.entities if e.type in chosen and e.score >= min_score]


st.subheader("Columns")
rows = []
for finding in scan.columns:
    ents = _shown(finding)
    rows.append({"column": finding.name, "kind": finding.kind,
                 "special category": finding.special_category,  # GDPR Art. 9 / Art. 10
                 "entities": ("mixed: " if finding.mixed_types else "")
                 + (" + " if finding.mixed_types else ", ").join(f"{e.type} ({e.prevalence:.0%})" for e in ents),
                 "prevalence": ents[0].prevalence if ents else 0.0, "score": ents[0].score if ents else None,
                 "examples (masked)": " · ".join(finding.examples) if ents else "",
                 "language": finding.language or "",
                 "evidence": "; ".join(finding.evidence)})
st.dataframe(
    pd.DataFrame(rows), hide_index=True, width="stretch", key="pii_columns_table",
    column_config={"prevalence": st.column_config.ProgressColumn("prevalence", format="percent", min_value=0,
                                                                 max_value=1),
                   "score": st.column_config.NumberColumn("score", format="%.2f")})

k1, k2, k3, k4 = st.columns([2, 2, 1, 1], vertical_alignment="bottom")
fix_col = k1.selectbox("Correct the kind of column", [f.name for f in scan.columns], key="pii_fix_column")
fix_kind = k2.selectbox("Kind", KINDS, index=KINDS.index(scan.column(fix_col).kind), key=f"pii_fix_kind_{fix_col}",
                        format_func=lambda k: k.replace("_", " "))
if k3.button("Apply", key="pii_fix_apply", help="Risk and anonymization use the corrected kind."):
    new = dict(overrides)
    new.pop(fix_col, None)
    if fix_kind != raw.column(fix_col).kind:
        new[fix_col] = fix_kind
    state.put(state.KIND_OVERRIDES, new)
    state.put(state.SCAN, apply_kind_overrides(raw, new))
    st.rerun()
if k4.button("Reset corrections", key="pii_fix_reset", disabled=not overrides):
    state.put(state.KIND_OVERRIDES, {})
    state.put(state.SCAN, raw)
    st.rerun()
if overrides:
    st.caption("Corrected by you: "
               + markdown_text(", ".join(f"{c} → {k.replace('_', ' ')}" for c, k in overrides.items())))

st.plotly_chart(entity_heatmap(scan, entities=chosen, min_score=min_score), width="stretch")

text_columns = scan.names_of_kind("free_text")
st.subheader("Free-text findings")
if not text_columns:
    st.caption("No free-text columns.")
else:
    t1, t2 = st.columns([2, 1])
    text_col = t1.selectbox("Text column", text_columns, key="pii_text_column")
    all_rows = t2.toggle("Every row (not only a sample)", value=table.rows <= 5000, key="pii_all_rows")
    span_key = cache.content_key(table.fingerprint, text_col, all_rows, allow, deny, settings.pii_score_threshold,
                                 settings.locales)

    def _spans(bar):
        try:
            return find_text_spans(table.frame[text_col], rows="all" if all_rows else None, allow_list=allow,
                                   deny_list=deny, backend=settings.app_scan_backend, progress=bar)
        except Exception as exc:
            raise RuntimeError(f"Free-text analysis failed: {safe_message(exc)}") from exc

    spans = cache.run_auto("pii_spans", span_key, _spans, label="Reading free text", cancel_key="pii_spans_cancel",
                           errors=(Exception,))
    spans = [s for s in spans if s.entity_type in chosen or s.entity_type == "DENY_LIST"]
    spans = [s for s in spans if s.score >= min_score]
    rows_with = sorted({s.row for s in spans})
    language = scan.column(text_col).language
    st.caption(f"{len(spans):,} spans in {len(rows_with):,} rows of {markdown_text(text_col)}"
               + (f" (language {language}, read with {language_method(language)})." if language else "."))
    if spans:
        st.plotly_chart(entity_counts(spans), width="stretch")
        by_row: dict[int, list] = {}
        for s in spans:
            by_row.setdefault(s.row, []).append(s)
        values = table.frame[text_col]
        st.markdown("\n\n".join(f"**row {r}** · " + highlight_html(str(values.iloc[r]), by_row[r])
                                for r in rows_with[:25]), unsafe_allow_html=True)
        if len(rows_with) > 25:
            st.caption(f"First 25 of {len(rows_with):,} rows with findings.")

st.download_button("Download scan (JSON)", scan.to_json(), file_name=f"{table.name}.pii-scan.json",
                   mime="application/json")

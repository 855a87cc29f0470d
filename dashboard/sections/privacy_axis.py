"""The privacy axis of the Privacy-utility page: the canary ε lower bound against the accounted ε, the
strongest attack per protection, the most exposed records and the GDPR anonymity risks of the released
tables. Widgets and layout only; the numbers are analysis.comparison_privacy's and analysis.attacks.exposed's."""

from __future__ import annotations

import streamlit as st

from analysis.comparison_privacy import anonymity_rows, broken_bounds, canary_rows, strongest_attack
from analysis.figures.privacy_axis import canary_bound_figure


def privacy_axis(result) -> None:
    broken = broken_bounds(result)
    for line in broken:
        st.error(f"**Broken privacy guarantee.** {line}", icon="🚨")
    rows = canary_rows(result)
    st.subheader("Canary audit: measured ε lower bound vs accounted ε")
    if rows:
        st.caption("Each run trained with coin-flip canaries (out-of-distribution synthetic rows with a random "
                   "label, each in training by a fair coin; never in the utility figures). The bound is Steinke, "
                   "Nasr & Jagielski's (2023) one-run ε lower bound at 95% confidence from the strongest attack on "
                   "the canaries. A bound above the line y = x means the DP implementation or its accounting is "
                   "broken." + ("" if broken else " No run's bound exceeds its accounted ε."))
        st.plotly_chart(canary_bound_figure(result), width="stretch", key="canary_bound_chart")
        st.dataframe(rows, hide_index=True, width="stretch", key="canary_table")
    else:
        st.caption("No canary audit in this comparison (set Canaries above 0).")
    st.subheader("Strongest attack per protection")
    strongest_rows = []
    for run in result.runs:
        attack = strongest_attack(run)
        if attack is not None:
            strongest_rows.append({"protection": run.name, "seed": run.seed, "strongest attack": attack.name,
                                   "TPR @ 0.1% FPR": attack.tpr_at_fpr.get("0.001"),
                                   "TPR @ 1% FPR": attack.tpr_at_fpr.get("0.01"), "attack AUC": attack.auc,
                                   "attacks tried": ", ".join(a.name for a in run.attacks)})
    st.dataframe(strongest_rows, hide_index=True, width="stretch", key="strongest_table", column_config={
        c: st.column_config.NumberColumn(format="percent") for c in ("TPR @ 0.1% FPR", "TPR @ 1% FPR")})
    exposed_records(getattr(result, "exposure", None))
    anonymity = anonymity_rows(result)
    if anonymity:
        st.subheader("Anonymity of the training table (GDPR: singling out, linkability, inference)")
        st.caption("Anonymeter's definitions: each attack's success on the released people against the same attack "
                   "on held-out people (the control set); risk = (attack − control) / (1 − control), 95% interval.")
        st.dataframe(anonymity, hide_index=True, width="stretch", key="anonymity_table")


def exposed_records(exposure) -> None:
    """The most exposed members (their quasi-identifier groups, never identifying values) and the share of
    members whose individual p-value is below 1%, per protection."""
    if exposure is None:
        return
    st.subheader("Most exposed records")
    st.caption(f"Top members by the {exposure.attack} p-value on {exposure.reference_run} (seed {exposure.seed}), "
               "described by their quasi-identifier group and what makes them stand out, and their p-value under "
               f"every protection. {exposure.note}")
    st.dataframe(exposure.share_table(), hide_index=True, width="stretch", key="exposure_share_table",
                 column_config={c: st.column_config.NumberColumn(format="percent")
                                for c in ("members with p < 1%", "non-members with p < 1% (chance)")})
    people = [{"rank": p.rank, "group": ", ".join(f"{k}: {v}" for k, v in p.group.items()),
               "members in group": p.group_size, "stands out": "; ".join(p.stands_out) or "–",
               **{f"p ({name})": value for name, value in p.p_values.items()}} for p in exposure.people]
    st.dataframe(people, hide_index=True, width="stretch", key="exposed_table")

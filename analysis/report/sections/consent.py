"""The consent section: coverage per purpose, what the training filter left out, the withdrawal check.

Reads `analysis.consent.ConsentReport`, `ConsentFilter` and `analysis.attacks.withdrawal.WithdrawalCheck`
(or their dicts); any of the three may be missing. Its metrics feed the gate's consent policies
(`rows_without_consent`, `withdrawal.still_in_training`).
"""

from __future__ import annotations

from typing import Any

from analysis.report.model import ReportInputs, ReportTable, Section
from analysis.report.values import as_list, fmt, get, num


def consent_section(inputs: ReportInputs) -> Section:
    coverage, filtered, check = inputs.consent, inputs.consent_filter, inputs.withdrawal
    metrics: dict[str, Any] = {}
    tables, notes, parts = [], [], []
    purposes = as_list(get(coverage, "purposes", default=[])) if coverage is not None else []
    if purposes:
        rows = []
        for p in purposes:
            name = str(get(p, "purpose"))
            counts = {k: get(p, k) for k in ("consented", "not_consented", "unknown", "withdrawn")}
            rows.append([name, get(p, "column"), get(p, "rows"), *counts.values(), get(p, "withdrawn_after")])
            metrics.update({f"{name}.{k}": v for k, v in counts.items()})
            parts.append(f"{fmt(counts['consented'])} of {fmt(get(p, 'rows'))} rows consent to {name}")
        tables.append(ReportTable("Consent per purpose", ["purpose", "column", "rows", "consented", "not consented",
                                                          "unknown", "withdrawn", "withdrawn after the date"], rows))
        for key in ("missing_ids", "duplicated_ids", "unmatched_consent_rows"):
            metrics[key] = get(coverage, key)
        notes += [str(w) for w in as_list(get(coverage, "warnings", default=[]))]
    if filtered is not None:
        enforced = bool(get(filtered, "enforced", default=True))
        metrics.update({"enforced_purpose": get(filtered, "purpose") if enforced else None,
                        "rows_excluded": get(filtered, "rows_left_out"),
                        "rows_without_consent": get(filtered, "kept_without_consent", default=0),
                        "unknown_as_consented": bool(get(filtered, "unknown_as_consented"))})
        if enforced:
            parts.append(f"training used {fmt(get(filtered, 'rows_kept'))} rows with consent and left out "
                         f"{fmt(get(filtered, 'rows_left_out'))}")
        else:
            parts.append(f"consent was not enforced in training: {fmt(get(filtered, 'kept_without_consent'))} "
                         "rows without recorded consent were used")
    if check is not None:
        flagged = bool(get(check, "still_in_training"))
        metrics.update({"withdrawal.rows": get(check, "rows"), "withdrawal.p_value": num(get(check, "p_value")),
                        "withdrawal.still_in_training": int(flagged),
                        "withdrawal.share_above_threshold": num(get(check, "share_above_threshold")),
                        "withdrawal.test_can_tell": bool(get(check, "test_can_tell"))})
        parts.append(f"the withdrawal check on {fmt(get(check, 'rows'))} withdrawn records says: "
                     f"{get(check, 'verdict')} (p = {num(get(check, 'p_value')):.3g})")
        notes.append(str(get(check, "power_note")))
        notes += [f"Withdrawal test ({get(check, 'test', default='group test')}): {a}"
                  for a in as_list(get(check, "assumptions", default=[]))]
    sentence = ("; ".join(parts) + ".") if parts else "Consent was not mapped."
    return Section("consent", "Consent and withdrawal", sentence[0].upper() + sentence[1:], metrics, tables, notes)

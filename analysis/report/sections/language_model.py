"""The language-model section: membership attacks on documents (with the blind baseline), canary
exposure, PII extraction and reconstruction against chance, verbatim memorization. Counts only: the
result holds no PII value."""

from __future__ import annotations

from typing import Any

from analysis.report.model import ReportInputs, ReportTable, Section
from analysis.report.values import fmt


def language_model_section(result: Any, inputs: ReportInputs) -> tuple[Section, dict[str, Any]]:
    attacks = list(result.attacks)
    metrics: dict[str, Any] = {}
    rows = []
    for a in [*attacks, result.baseline]:
        rows.append([a.name, a.auc, a.tpr_at_fpr["0.001"], a.tpr_at_fpr["0.01"]])
        if a is not result.baseline:
            metrics[f"{a.name}.auc"] = a.auc
            metrics[f"{a.name}.tpr_at_0.001_fpr"] = a.tpr_at_fpr["0.001"]
            metrics[f"{a.name}.tpr_at_0.01_fpr"] = a.tpr_at_fpr["0.01"]
    metrics["baseline.auc"] = result.baseline.auc
    top_tpr = max((a.tpr_at_fpr["0.001"] for a in attacks), default=None)
    metrics["max_tpr_at_0.001_fpr"] = top_tpr
    tables = [ReportTable("Membership inference on documents", ["attack", "AUC", "TPR @ 0.1% FPR", "TPR @ 1% FPR"],
                          rows)]
    parts = [f"The strongest attack finds {fmt(top_tpr)} of training documents at 0.1% false positives "
             f"(blind text-only baseline AUC {fmt(result.baseline.auc)})."]
    if result.canaries is not None:
        c = result.canaries
        by = sorted({x.repeats for x in c.canaries})
        tables.append(ReportTable("Canary exposure", ["times inserted", "mean exposure (bits)"],
                                  [[r, c.mean_exposure(r)] for r in by]))
        metrics["canary.max_exposure_share"] = max(x.exposure for x in c.canaries) / c.secret_space_bits
        parts.append(f"A canary seen {by[-1]} times has {fmt(c.mean_exposure(by[-1]))} of "
                     f"{fmt(c.secret_space_bits)} bits of exposure.")
    if result.extraction is not None:
        e = result.extraction
        metrics["pii_extracted"] = e.pii_in_training
        metrics["pii_found"] = e.pii_found
        tables.append(ReportTable("PII in sampled generations (distinct values)",
                                  ["type", "found", "in the training text", "only in held-out text"],
                                  [[t.entity, t.found, t.in_training, t.in_non_members_only] for t in e.by_type]))
        parts.append(f"{e.pii_in_training} PII values from the training text appeared in {e.generated} sampled "
                     f"generations ({e.pii_in_non_members_only} only in held-out text, the chance level).")
    if result.reconstruction is not None:
        r = result.reconstruction
        metrics["reconstruction.accuracy"] = r.accuracy
        metrics["reconstruction.chance"] = r.chance
        parts.append(f"A masked name, e-mail or phone number is recovered {fmt(r.accuracy)} of the time among "
                     f"{r.candidates} candidates (chance {fmt(r.chance)}).")
    if result.verbatim is not None:
        v = result.verbatim
        metrics["verbatim.share"] = v.share
        parts.append(f"{fmt(v.share)} of training documents continue verbatim for {v.suffix_tokens} tokens "
                     f"(held-out: {fmt(v.non_member_share)}).")
    section = Section("language_model", "Language model", " ".join(parts), metrics, tables, list(result.notes))
    return section, {"tpr": top_tpr, "pii_extracted": metrics.get("pii_extracted")}

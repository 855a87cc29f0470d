"""Loss and confidence threshold attacks (Yeom et al. 2018), global and per class.

They need only the target's outputs on the audited records: no recipe, no reference models.

- `loss`: score = -loss = log p(true class). Members tend to have lower loss.
- `confidence`: score = log of the largest class probability (no label needed).
- `loss_per_class` / `confidence_per_class`: the same score standardised within each true class
  (z-score against the class's mean and spread on calibration records: the population when given,
  else all audited records; no membership labels are used). One global threshold on the standardised
  score equals a separate threshold per class, which helps when classes differ in difficulty.
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from analysis.attacks.scores import AttackScores, AuditData, ModelOutputs

THRESHOLD_KINDS = ("loss", "confidence", "loss_per_class", "confidence_per_class")
_DESCRIPTIONS = {
    "loss": "Global threshold on the target's loss",
    "confidence": "Global threshold on the target's top-class confidence",
    "loss_per_class": "Per-class threshold on the target's loss",
    "confidence_per_class": "Per-class threshold on the target's top-class confidence",
}


def _per_class_z(values: np.ndarray, labels: np.ndarray, calib_values: np.ndarray,
                 calib_labels: np.ndarray) -> np.ndarray:
    out = np.zeros_like(values, dtype=float)
    global_mu, global_sd = float(np.mean(calib_values)), float(np.std(calib_values)) or 1.0
    for value in np.unique(labels):
        here = labels == value
        calib = calib_values[calib_labels == value]
        mu = float(np.mean(calib)) if calib.size else global_mu
        sd = float(np.std(calib)) if calib.size > 1 else global_sd
        out[here] = (values[here] - mu) / max(sd, 1e-9)
    return out


def threshold_attacks(target: ModelOutputs, data: AuditData, *, kinds: Sequence[str] = THRESHOLD_KINDS,
                      calibration: Optional[tuple[ModelOutputs, np.ndarray]] = None) -> list[AttackScores]:
    """Per-record scores of each threshold attack in `kinds`.

    `target`: the target's outputs on `data` (shape (n_records,) each). `calibration`: optional
    (outputs, labels) of the target on population records, used by the per-class variants.
    """
    unknown = [k for k in kinds if k not in THRESHOLD_KINDS]
    if unknown:
        raise ValueError(f"unknown threshold attack(s) {unknown}; choose from {THRESHOLD_KINDS}")
    results = []
    for kind in kinds:
        base = "loss" if kind.startswith("loss") else "confidence"
        values = target.log_p if base == "loss" else target.log_p_max
        if kind.endswith("per_class"):
            if calibration is not None:
                cal_out, cal_labels = calibration
                cal_values = cal_out.log_p if base == "loss" else cal_out.log_p_max
            else:
                cal_values, cal_labels = values, data.labels
            scores = _per_class_z(values, data.labels, cal_values, np.asarray(cal_labels))
        else:
            scores = values.astype(float)
        results.append(AttackScores(name=kind, scores=scores, is_member=data.is_member,
                                    description=_DESCRIPTIONS[kind],
                                    settings={"calibration": "population" if calibration else "audited"}))
    return results

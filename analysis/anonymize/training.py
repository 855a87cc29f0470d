"""A comparison's training rows anonymized with a plan, and the model served behind the same plan.

The anonymized strategies (analysis/strategies.py) and their same-strategy reference models
(analysis/attacks/same_strategy.py) both train on rows anonymized here and are queried with raw records
through `PlannedModel`, which applies the plan's column operators first.
"""

from __future__ import annotations

import hashlib

import pandas as pd


def anonymize_training_rows(members: pd.DataFrame, plan, label: str, seed: int):
    """(anonymized training rows, a wrapper serving a model on raw rows, measured k, counts)."""
    from analysis.anonymize import Plan, apply_plan
    from analysis.risk import record_class_sizes

    if label in plan.columns:
        raise ValueError(f"the plan changes the label column {label!r}; keep the label out of the plan")
    # A key for keyed operators (pseudonymize, surrogate) that lives only inside this evaluation; derived
    # from the seed so the same inputs give the same numbers.
    secret = hashlib.sha256(f"privacy-audit strategies {seed}".encode()).digest()
    result = apply_plan(members, plan, secret=secret)
    train_rows = result.frame
    if label not in train_rows.columns:
        raise ValueError(f"the plan drops the label column {label!r}")
    if len(train_rows) < 10 or train_rows[label].astype(str).nunique() < 2:
        raise ValueError(f"the plan leaves {len(train_rows)} training row(s) with fewer than 2 classes")
    k = None
    if plan.suppression is not None:
        sizes = record_class_sizes(train_rows, plan.suppression.quasi_identifiers)
        k = int(sizes.min()) if len(sizes) else 0
    per_query = Plan(dict(plan.columns), None, plan.description)  # suppression has no meaning for one query

    def served(model):
        return PlannedModel(model, per_query, secret)

    counts = {"rows_in": result.rows_in, "rows_out": result.rows_out, "rows_dropped": result.rows_dropped,
              "columns_dropped": list(result.columns_dropped), "cells_suppressed": result.cells_suppressed,
              "k_target": result.k_target, "quasi_identifiers": (list(plan.suppression.quasi_identifiers)
                                                                 if plan.suppression else [])}
    return train_rows, served, k, counts


class PlannedModel:
    """A model trained on anonymized rows, as served: raw query rows -> the plan's column operators -> the MLP.
    It takes raw feature columns (the analysis.models.base contract), so attacks query it with raw records."""

    def __init__(self, model, plan, secret: bytes):
        self.model, self.plan, self.secret = model, plan, secret
        self.classes_ = model.classes_
        self.training = model.training

    @property
    def privacy(self):
        return self.model.privacy

    def predict_proba(self, features: pd.DataFrame):
        from analysis.anonymize import apply_plan

        present = {c: r for c, r in self.plan.columns.items() if c in features.columns}
        plan = type(self.plan)(present, None, self.plan.description)
        return self.model.predict_proba(apply_plan(features, plan, secret=self.secret).frame)

"""Memorization defaults on a COMPAS-shaped table: a real free-text column or at least not a name, a secret
with enough values."""

from __future__ import annotations

from analysis.memorization.defaults import MIN_SECRET_VALUES, default_secret_column, default_text_column
from analysis.pii.evalset import make_eval_set


def test_text_default_is_not_a_name_and_prefers_free_text():
    frame = make_eval_set(300, variant="real", seed=2).frame
    options = [c for c in frame.columns if not frame[c].dtype.kind in "iufb"]
    assert default_text_column(frame, options) not in {"name", "first", "last", "c_case_number"}
    with_notes = frame.assign(notes=["Client asked about the hearing date and the court fees."] * len(frame))
    assert default_text_column(with_notes, options + ["notes"]) == "notes"


def test_secret_default_has_enough_values():
    frame = make_eval_set(300, variant="real", seed=2).frame
    options = [c for c in frame.columns if 2 <= frame[c].nunique() <= 200]
    chosen = default_secret_column(frame, options, "two_year_recid")  # a 2-value label: 1 bit
    assert chosen != "two_year_recid" and frame[chosen].nunique() >= MIN_SECRET_VALUES
    assert default_secret_column(frame, options, "decile_score") == "decile_score"  # 10 values: 3.3 bits

"""One masking rule wherever records are shown: on a COMPAS-shaped table the most exposed members show
none of the name, first name, last name, ID or case numbers in clear, with or without a scan."""

from __future__ import annotations

import numpy as np

from analysis.attacks.audit import _most_exposed, detect_identifier_columns
from analysis.pii.evalset import make_eval_set
from analysis.pii.masking import columns_to_mask

IDENTIFIERS = ["name", "first", "last", "id", "c_case_number", "r_case_number"]


def test_without_a_scan_every_identifier_of_a_real_table_is_masked():
    frame = make_eval_set(300, variant="real", seed=2).frame
    masked = detect_identifier_columns(frame.drop(columns=["two_year_recid"]))
    assert set(IDENTIFIERS) <= set(masked)
    assert not {"sex", "race", "age", "priors_count", "c_charge_degree"} & set(masked)
    scores = np.linspace(1, 0, len(frame))
    shown = _most_exposed(scores, scores, frame, masked, k=5)
    for record in shown:
        raw = frame.iloc[record.member_row]
        for column in IDENTIFIERS:
            assert str(record.values[column]) != str(raw[column]) or raw[column] != raw[column], column
        assert record.values["sex"] == raw["sex"]  # a quasi-identifier is shown as it is


def test_the_scans_direct_identifiers_are_added_to_the_rule():
    class Finding:
        def __init__(self, name, kind):
            self.name, self.kind = name, kind

    class Scan:
        columns = [Finding("badge", "direct_identifier"), Finding("sex", "quasi_identifier")]

    frame = make_eval_set(50, variant="real", seed=2).frame.assign(badge="b-1")
    masked = columns_to_mask(frame, scan=Scan())
    assert "badge" in masked and "first" in masked and "sex" not in masked
    assert "sex" in columns_to_mask(frame, scan=Scan(), overrides={"sex": "direct_identifier"})

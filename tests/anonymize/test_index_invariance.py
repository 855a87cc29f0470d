"""Every operator (and the plan's suppression) gives each row the same output whatever the table's index:
the strategy comparison and the consent filter pass tables whose labels are not 0..n-1."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.anonymize import OPERATORS, Plan, apply_plan

SECRET = b"0123456789abcdef0123456789abcdef"

FRAME = pd.DataFrame({
    "age": [23, 37, 45, 58, 61, 74, 23, 37, None, 45],
    "name": ["Ada Byron", "Bo Li", "Cy Ng", "Di Ma", "Ed Wu", "Fa Xu", "Ada Byron", "Gi Yo", None, "Hu Zi"],
    "dob": ["1959-08-11", "1997-08-17", "2001-01-31", "1980-12-01", "1975-03-03", "1960-06-06",
            "1959-08-11", "1990-02-02", None, "1985-05-05"],
    "pesel": ["44051401359", "02070803628", "44051401359", None, "85010112346", "90090515836",
              "44051401359", "02070803628", "00000000000", "85010112346"],
    "zip": [29757, 2134, 10001, 94110, 60614, 30301, 29757, 2134, 10001, 94110],
    "job": ["nurse", "clerk", "nurse", "pilot", "clerk", "nurse", "nurse", "pilot", None, "clerk"],
    "note": ["mail ada@example.com", "call 555-123-4567", "nothing here", "ssn 123-45-6789", "ok",
             "card 4111 1111 1111 1111", "mail ada@example.com", "fine", None, "ip 10.0.0.1"],
})

# one valid rule per operator (the column each operator is meant for)
RULES = {
    "keep": ("job", {}),
    "drop": ("job", {}),
    "redact": ("name", {}),
    "mask": ("name", {"keep_first": 1, "keep_last": 1}),
    "pseudonymize": ("name", {}),
    "bin": ("age", {"width": 10}),
    "date_truncate": ("dob", {"to": "month"}),
    "zip_truncate": ("zip", {"keep": 3}),
    "hierarchy": ("job", {"mapping": {"nurse": "health", "pilot": "transport"}, "default": "other"}),
    "top_bottom_code": ("age", {"lower_quantile": 0.2, "upper_quantile": 0.8}),
    "surrogate": ("name", {}),
    "text_redact": ("note", {"finder": "patterns"}),
    "id_birth_date": ("pesel", {"to": "year"}),
}

INDICES = {
    "shifted": lambda n: pd.RangeIndex(10, 10 + n),
    "shuffled": lambda n: pd.Index([7, 2, 9, 0, 5, 1, 8, 3, 6, 4][:n]),
    "strings": lambda n: pd.Index([f"row-{i}" for i in range(n)][::-1]),
}


def test_every_operator_is_covered():
    assert set(RULES) == set(OPERATORS)


def _anonymized(frame: pd.DataFrame, column: str, operator: str, params: dict, suppression=None) -> pd.DataFrame:
    plan = Plan.from_dict({"columns": {column: {"operator": operator, **params}},
                           **({"suppression": suppression} if suppression else {})})
    return apply_plan(frame, plan, secret=SECRET).frame


@pytest.mark.parametrize("index_kind", sorted(INDICES))
@pytest.mark.parametrize("operator", sorted(RULES))
def test_each_row_gets_its_own_value_whatever_the_index(operator, index_kind):
    column, params = RULES[operator]
    plain = _anonymized(FRAME, column, operator, params)
    relabelled = FRAME.set_axis(INDICES[index_kind](len(FRAME)))
    out = _anonymized(relabelled, column, operator, params)
    assert list(out.index) == list(relabelled.index)
    pd.testing.assert_frame_equal(out.reset_index(drop=True), plain.reset_index(drop=True))


@pytest.mark.parametrize("operator", sorted(RULES))
def test_a_filtered_table_gets_the_rows_own_values(operator):
    """Rows kept by a filter (as the consent switch does) keep their labels and get their own output."""
    column, params = RULES[operator]
    keep = [1, 3, 4, 6, 9]
    filtered = FRAME.iloc[keep]
    out = _anonymized(filtered, column, operator, params)
    alone = _anonymized(filtered.reset_index(drop=True), column, operator, params)
    assert list(out.index) == keep
    pd.testing.assert_frame_equal(out.reset_index(drop=True), alone)


def test_bin_on_labels_10_to_15_is_the_readme_example():
    frame = pd.DataFrame({"age": [23, 37, 45, 58, 61, 74]}, index=range(10, 16))
    out = _anonymized(frame, "age", "bin", {"width": 10})["age"]
    assert out.tolist() == ["20-29", "30-39", "40-49", "50-59", "60-69", "70-79"]


@pytest.mark.parametrize("index_kind", sorted(INDICES))
def test_suppression_is_index_invariant(index_kind):
    suppression = {"k": 2, "quasi_identifiers": ["age", "job"], "method": "record"}
    plain = _anonymized(FRAME, "age", "bin", {"width": 20}, suppression)
    relabelled = FRAME.set_axis(INDICES[index_kind](len(FRAME)))
    out = _anonymized(relabelled, "age", "bin", {"width": 20}, suppression)
    positions = [FRAME.index.get_loc(i) for i in plain.index]
    assert list(out.index) == [relabelled.index[p] for p in positions]
    pd.testing.assert_frame_equal(out.reset_index(drop=True), plain.reset_index(drop=True))


@pytest.mark.parametrize("index_kind", sorted(INDICES))
def test_cells_changed_is_index_invariant(index_kind):
    """The per-column change count compares each row with itself (integer columns went through Arrow)."""
    plan = Plan.from_dict({"columns": {"zip": {"operator": "hierarchy", "mapping": {"2134": "021xx"}}}})
    relabelled = FRAME.assign(zip=FRAME["zip"].astype("int64")).set_axis(INDICES[index_kind](len(FRAME)))
    changed = apply_plan(relabelled, plan, secret=SECRET).cells_changed
    assert changed == {"zip": 2}                                      # the two 2134s, nothing else

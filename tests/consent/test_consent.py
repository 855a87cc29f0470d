"""Reading consent: flag values, withdrawal timestamps, consent files keyed by an ID, the training filter."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.consent import (ConsentMapping, consent_report, mapping_from_suggestions, parse_flags,
                              suggest_consent_columns, training_mapping, training_rows, withdrawn_rows)


@pytest.fixture
def table() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": [f"C{i}" for i in range(10)],
        "age": [30, 41, 52, 25, 33, 60, 47, 38, 29, 55],
        "consent_training": ["yes", "No", "maybe", None, "opt-in", "withdrawn", "TRUE", "granted", "0", "yes"],
        "consent_training_withdrawn_at": [None, None, None, None, None, "2024-05-01", None, None, None,
                                          "2024-07-15"],
        "gdpr_marketing": ["1", "0", "1", "0", "1", "0", "1", "denied", "opt-out", "1"],
    })


def test_flag_values_follow_the_documented_words():
    values = pd.Series(["true", "YES", "1", "granted", "opt-in", "false", "no", "0", "denied", "withdrawn",
                        "opt-out", "", None, "perhaps"])
    assert parse_flags(values).tolist() == [1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, -1, -1, -1]


def test_suggestions_find_consent_columns_and_their_withdrawal_timestamps(table):
    suggestions = {s.column: s for s in suggest_consent_columns(table)}
    assert set(suggestions) == {"consent_training", "gdpr_marketing"}
    assert suggestions["consent_training"].purpose == "training"
    assert suggestions["consent_training"].withdrawn_column == "consent_training_withdrawn_at"
    assert suggestions["gdpr_marketing"].purpose == "marketing"
    assert suggestions["gdpr_marketing"].withdrawn_column is None


def test_report_counts_each_purpose_and_withdrawals_after_a_date(table):
    mapping = mapping_from_suggestions(suggest_consent_columns(table))
    report = consent_report(table, mapping, withdrawn_after="2024-06-01")
    training = report.purpose("training")
    # row 9 says "yes" but withdrew on 2024-07-15: the withdrawal wins.
    assert (training.consented, training.not_consented, training.unknown) == (4, 4, 2)
    assert training.withdrawn == 2 and training.withdrawn_after == 1
    marketing = report.purpose("marketing")
    assert (marketing.consented, marketing.not_consented, marketing.unknown) == (5, 5, 0)
    assert report.to_dict()["rows"] == 10


def test_unreadable_values_are_listed_only_when_short_and_frequent():
    values = pd.Series(["maybe"] * 6 + ["Jane Doe"] + ["555-0100"] + ["yes"] * 2)
    frame = pd.DataFrame({"consent_training": values})
    coverage = consent_report(frame, ConsentMapping(columns={"training": "consent_training"})).purpose("training")
    assert coverage.unreadable_values == {"maybe": 6}
    assert coverage.unreadable_hidden == 2
    assert "Jane" not in coverage.to_json() and "555" not in coverage.to_json()


def test_training_rows_keep_consented_rows_and_drop_consent_columns(table):
    mapping = training_mapping(table, "consent_training")
    kept, result = training_rows(table, mapping)
    assert kept["customer_id"].tolist() == ["C0", "C4", "C6", "C7"]
    assert not any(c.startswith(("consent", "gdpr")) for c in kept.columns)
    assert (result.rows_in, result.rows_kept, result.left_out_not_consented, result.left_out_unknown) == (10, 4, 4, 2)
    assert result.unknown_as_consented is False
    assert "4 of 10 rows" in result.reason

    kept_unknown, result_unknown = training_rows(table, mapping, unknown_as_consented=True)
    assert len(kept_unknown) == 6 and result_unknown.left_out_unknown == 0 and result_unknown.unknown_as_consented


def test_withdrawn_rows_are_those_withdrawn_after_the_training_date(table):
    mapping = training_mapping(table, "consent_training")
    assert withdrawn_rows(table, mapping, after="2024-06-01")["customer_id"].tolist() == ["C9"]
    assert withdrawn_rows(table, mapping, after="2024-01-01")["customer_id"].tolist() == ["C5", "C9"]


def test_consent_file_keyed_by_id_reports_missing_duplicated_and_unmatched(table):
    consent = pd.DataFrame({"customer_id": ["C0", "C1", "C1", "C2", "X9"],
                            "training": ["yes", "yes", "no", "yes", "yes"]})
    mapping = ConsentMapping(columns={"training": "training"}, id_column="customer_id", consent_file=consent,
                             consent_file_name="consent.csv")
    frame = table[["customer_id", "age"]]
    report = consent_report(frame, mapping)
    assert report.missing_ids == 7            # C3..C9 have no record
    assert report.duplicated_ids == 1         # C1 has two conflicting records: unknown
    assert report.unmatched_consent_rows == 1  # X9 matches no row
    assert report.purpose("training").consented == 2
    kept, result = training_rows(frame, mapping)
    assert kept["customer_id"].tolist() == ["C0", "C2"] and result.left_out_unknown == 8


def test_unmapped_purpose_and_missing_column_are_errors(table):
    with pytest.raises(ValueError, match="purpose"):
        training_rows(table, ConsentMapping(columns={"marketing": "gdpr_marketing"}))
    with pytest.raises(ValueError, match="consent_research"):
        consent_report(table, ConsentMapping(columns={"research": "consent_research"}))

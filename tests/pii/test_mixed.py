"""Columns that mix kinds of PII (a contact of e-mails or phones): flagged by the union of their types,
masked cell by cell by each cell's own type; decoys that mix order numbers, SKUs and amounts stay clean."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.anonymize import Plan, apply_plan
from analysis.pii import mask_value, scan_table, value_type
from analysis.tables import load_table

DATA = Path(__file__).parent / "data"


def _contact_frame(rows: int = 400, seed: int = 3) -> pd.DataFrame:
    """A contact column: 45% e-mails, 45% phones, 10% 'none given' (neither type alone reaches 50%),
    and a decoy column mixing order numbers, SKUs and amounts."""
    rng = np.random.default_rng(seed)
    contact, ref = [], []
    for i in range(rows):
        roll = rng.random()
        if roll < 0.45:
            contact.append(f"customer{i}.{int(rng.integers(1000))}@example.com")
        elif roll < 0.9:
            contact.append(f"({int(rng.integers(201, 990))}) {int(rng.integers(200, 999))}-{int(rng.integers(10000)):04d}")
        else:
            contact.append("none given")
        kind = int(rng.integers(3))
        ref.append([f"A-2023-{int(rng.integers(10**6)):06d}", f"SKU-{int(rng.integers(99)):02d}-{int(rng.integers(9999)):04d}",
                    f"{rng.lognormal(3.5, 0.9):.2f}"][kind])
    return pd.DataFrame({"contact": contact, "order_ref": ref})


@pytest.fixture(scope="module")
def contact_scan(engine):
    frame = _contact_frame()
    return frame, scan_table(frame, sample_rows=0, backend="serial")


def test_contact_column_is_a_direct_identifier_with_both_types_and_shares(contact_scan):
    frame, scan = contact_scan
    finding = scan.column("contact")
    emails = frame["contact"].str.contains("@").mean()
    phones = frame["contact"].str.startswith("(").mean()
    assert emails < 0.5 and phones < 0.5  # neither type would flag the column alone
    assert finding.kind == "direct_identifier"
    assert finding.mixed_types == {"EMAIL_ADDRESS": pytest.approx(emails, abs=1e-4),
                                   "PHONE_NUMBER": pytest.approx(phones, abs=1e-4)}
    assert finding.entity_label == "EMAIL_ADDRESS|PHONE_NUMBER"
    assert {e.type for e in finding.entities} == {"EMAIL_ADDRESS", "PHONE_NUMBER"}
    assert any("mixed direct identifiers" in e for e in finding.evidence)
    # one example per type, each masked by its own type, none a raw value
    assert len(finding.examples) == 2 and not set(finding.examples) & set(frame["contact"])
    assert any("***@e***.com" in x for x in finding.examples)
    assert any(x.startswith("(***) ***-**") for x in finding.examples)
    column = json.loads(scan.to_json())["columns"][0]
    assert {"name", "kind", "entities", "evidence", "examples", "kind_overridden"} <= set(column)  # old keys kept
    assert set(column["mixed_types"]) == {"EMAIL_ADDRESS", "PHONE_NUMBER"}


def test_mixed_decoy_and_single_type_columns_stay_as_they_were(contact_scan):
    _, scan = contact_scan
    decoy = scan.column("order_ref")
    assert decoy.kind == "other" and decoy.entities == [] and decoy.mixed_types == {}
    single = scan_table(pd.DataFrame({"email": [f"u{i}@example.com" for i in range(50)]}), sample_rows=0,
                        backend="serial").column("email")
    assert single.mixed_types == {} and single.entity_label == "EMAIL_ADDRESS"


def test_a_sampled_borderline_mix_is_confirmed_on_all_rows(engine):
    # e-mails and phones cover exactly half the values: the sample's interval straddles the threshold
    values = [f"user{i}@example.com" if i % 4 == 0 else f"(212) 555-{i:04d}" if i % 4 == 1 else f"guest-{i}"
              for i in range(800)]
    scan = scan_table(pd.DataFrame({"reach": values}), sample_rows=60, backend="serial", seed=1)
    assert scan.settings["confirmed_columns"] == ["reach"]
    assert scan.column("reach").mixed_types == {"EMAIL_ADDRESS": 0.25, "PHONE_NUMBER": 0.25}


def test_each_cell_is_masked_by_its_own_type():
    assert value_type("john.smith@example.com") == "EMAIL_ADDRESS"
    assert value_type("(396) 001-3389") == "PHONE_NUMBER"
    assert value_type("none given") is None
    def by_type(cell):
        return mask_value(cell, value_type(cell))

    assert by_type("john.smith@example.com") == mask_value("john.smith@example.com", "EMAIL_ADDRESS") == "j***@e***.com"
    assert by_type("(396) 001-3389") == "(***) ***-**89"
    assert by_type("178.57.203.186") == mask_value("178.57.203.186", "IP_ADDRESS") == "178.**.***.***"


def test_anonymize_mask_by_type_masks_each_cell_by_its_own_type():
    frame = pd.DataFrame({"contact": ["john.smith@example.com", "(396) 001-3389", "none given", None]})
    by_type = Plan.from_dict({"columns": {"contact": {"operator": "mask", "by_type": True}}})
    out = apply_plan(frame, by_type).frame["contact"].tolist()
    assert out[:3] == ["j***@e***.com", "(***) ***-**89", "******iven"]  # no type: keep_last=4
    assert pd.isna(out[3])
    plain = Plan.from_dict({"columns": {"contact": {"operator": "mask"}}})
    assert apply_plan(frame, plain).frame["contact"].iloc[0] == "******************.com"  # unchanged default


@pytest.mark.parametrize("variant", ["known", "unseen"])
def test_eval_tables_mixed_columns_found_and_decoys_clean(engine, variant):
    truth = json.loads((DATA / f"eval_{variant}_truth.json").read_text())
    frame = load_table(DATA / f"eval_{variant}.csv").frame
    scan = scan_table(frame, sample_rows=0, backend="serial")
    mixed = {c: t["entity"] for c, t in truth["columns"].items() if t["entity"] and "|" in t["entity"]}
    assert len(mixed) == 2
    for column, label in mixed.items():
        assert scan.column(column).entity_label == label, scan.column(column).evidence
        assert scan.column(column).kind == "direct_identifier"
    for column, t in truth["columns"].items():
        if t["kind"] == "other":
            finding = scan.column(column)
            assert finding.entities == [] and finding.mixed_types == {}, (column, finding.evidence)

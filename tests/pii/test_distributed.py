"""Partitioned scans give the same result as one pass: any partition count, joblib, and Ray."""

from __future__ import annotations

import pytest

from analysis.pii import scan_table
from analysis.pii.columns import plan_columns
from analysis.pii.distributed import partition_bounds, scan_partitions


def _comparable(scan):
    payload = scan.to_dict()
    payload.pop("seconds")
    payload["settings"].pop("backend")
    return payload


def test_partition_bounds_cover_all_rows():
    assert partition_bounds(10, 3) == [(0, 3), (3, 6), (6, 10)]
    assert partition_bounds(2, 5) == [(0, 1), (1, 2)]


def test_partition_count_does_not_change_the_counts(engine, customers_small):
    frame = customers_small.head(120)
    plans = plan_columns(frame, has_ner=True)
    one = scan_partitions(frame, plans, backend="serial", threshold=0.5, partitions=1)
    four = scan_partitions(frame, plans, backend="serial", threshold=0.5, partitions=4)
    assert {c: s["counts"] for c, s in one.items()} == {c: s["counts"] for c, s in four.items()}
    assert {c: s["n"] for c, s in one.items()} == {c: s["n"] for c, s in four.items()}
    assert {c: s["scores"] for c, s in one.items()} == {c: s["scores"] for c, s in four.items()}
    assert {c: s["examples"] for c, s in one.items()} == {c: s["examples"] for c, s in four.items()}


@pytest.mark.slow
def test_ray_scan_equals_local_scan(engine, customers_small):
    from analysis.compute import local_ray

    frame = customers_small.head(150)
    local = scan_table(frame, sample_rows=100, backend="serial")
    with local_ray(num_cpus=2):
        on_ray = scan_table(frame, sample_rows=100, backend="ray")
    assert _comparable(on_ray) == _comparable(local)

"""A million-row scan keeps its progress bar moving: the column that must be read in full is read in
partitions of distinct values, each reported, so the dashboard's Cancel can stop it between them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.pii import scan_table
from analysis.pii.distributed import PARTITION_VALUES


def test_a_million_row_scan_reports_progress_while_it_reads_every_row(engine):
    rows = 1_000_000
    distinct = 3 * PARTITION_VALUES - 1  # with "guest": three partitions of distinct values
    # e-mails in every other row: the sampled share straddles the 50% threshold
    emails = np.array([f"user{i}@example.com" for i in range(distinct)], dtype=object)
    values = np.full(rows, "guest", dtype=object)
    values[::2] = emails[np.arange(rows // 2) % distinct]
    frame = pd.DataFrame({"contact_field": values})
    calls: list[tuple[float, str]] = []
    scan = scan_table(frame, sample_rows=400, backend="serial", seed=0, progress=lambda f, m: calls.append((f, m)))

    assert scan.settings["confirmed_columns"] == ["contact_field"]  # every row was read
    finding = scan.column("contact_field")
    assert finding.entities[0].prevalence == 0.5 and any("confirmed on all 1,000,000" in e for e in finding.evidence)
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0  # the bar only moves forward
    steps = [m for _, m in calls if m.startswith("confirmation partition")]
    assert steps == [f"confirmation partition {k}/3" for k in (1, 2, 3)]
    reading = [f for f, m in calls if 0.8 <= f < 1.0]
    assert len(set(reading)) >= 6  # several distinct positions while the full column is read

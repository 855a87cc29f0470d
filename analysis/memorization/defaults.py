"""Which column the Memorization page tests by default.

- Text mode: a real free-text column (the one with the most words per value), never a column that
  identifies people (a `name` column is not text a model writes; the masking rule of
  `analysis.pii.masking` finds those) unless nothing else is left.
- Table mode: a secret with enough values to resolve memorization: the label when it has at least
  `MIN_SECRET_VALUES` values, else the column with the most values between that and 200 that does not
  identify anyone. A 2-value secret holds 1 bit: "recoverable" then means a coin flip.
"""

from __future__ import annotations

from typing import Optional, Sequence

import pandas as pd

MIN_SECRET_VALUES = 8   # 3 bits: the smallest secret space whose exposure can be told from a guess
MAX_SECRET_VALUES = 200
SAMPLE_ROWS = 2000      # the choice reads the first rows only (the page calls it on every rerun)


def _mean_words(series: pd.Series) -> float:
    sample = series.dropna().astype("str").head(300)
    return float(sample.str.split().str.len().mean()) if len(sample) else 0.0


def default_text_column(frame: pd.DataFrame, options: Sequence[str]) -> Optional[str]:
    from analysis.pii.masking import columns_to_mask
    from analysis.tables import infer_column_type

    if not options:
        return None
    frame = frame.head(SAMPLE_ROWS)
    text = [c for c in options if infer_column_type(frame[c]) == "text"]
    identifying = set(columns_to_mask(frame[[c for c in options if c not in text]]))
    pool = text or [c for c in options if c not in identifying] or list(options)
    return max(pool, key=lambda c: (_mean_words(frame[c]), -list(options).index(c)))


def default_secret_column(frame: pd.DataFrame, options: Sequence[str], label: Optional[str]) -> Optional[str]:
    from analysis.pii.masking import columns_to_mask

    if not options:
        return None
    values = {c: int(frame[c].nunique()) for c in options}  # the page's options come from every row
    frame = frame.head(SAMPLE_ROWS)
    if label in values and values[label] >= MIN_SECRET_VALUES:
        return label
    identifying = set(columns_to_mask(frame[list(options)]))
    enough = [c for c in options if MIN_SECRET_VALUES <= values[c] <= MAX_SECRET_VALUES and c not in identifying]
    if enough:
        return max(enough, key=lambda c: (values[c], -list(options).index(c)))
    return label if label in values else max(options, key=lambda c: values[c])

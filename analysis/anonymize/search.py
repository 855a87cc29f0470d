"""A greedy generalization search behind `suggest_plan`.

Each quasi-identifier gets a ladder of ever coarser rules (numbers: wider bins; dates: month, year;
zip codes: fewer digits; categories: rare values grouped as Other with rising thresholds; finally
`*`). Starting from no generalization, the step that leaves the fewest records in classes below k
is taken (a step to `*` only when no coarser value helps), one rung on one column at a time,
until at most `max_suppression` of the records would
have to be suppressed (or every column is at `*`). This is a small, fast cousin of ARX's lattice
search: it does not guarantee the optimum, but it avoids over-generalizing columns that do not need
it. Each evaluation is one integer-code combination (see `analysis.risk.classes`).
"""

from __future__ import annotations

import re
from typing import Any, Optional

import numpy as np
import pandas as pd

from analysis.anonymize.operators import OPERATORS, Context
from analysis.risk.classes import ColumnCodes, combine, encode_column

_ZIP_NAME = re.compile(r"(zip|postal|postcode|post_code)", re.IGNORECASE)
_STAR = {"operator": "redact", "replacement": "*"}


def _nice(x: float) -> float:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000):
        if x <= step:
            return step
    return float(10 ** int(np.ceil(np.log10(x))))


def looks_like_dates(series: pd.Series) -> bool:
    """Date or datetime values (ISO layout for text): the columns a date ladder and date rules apply to."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return True
    if pd.api.types.is_numeric_dtype(series):
        return False
    sample = series.dropna().astype("str").head(200)
    return len(sample) > 0 and sample.str.match(r"^\d{4}-\d{1,2}-\d{1,2}").mean() > 0.9


def ladder(frame: pd.DataFrame, column: str, *, k: int) -> list[dict[str, Any]]:
    """The generalization rungs for one column, finest first, ending with `*`."""
    series = frame[column]
    n = max(1, len(series))
    distinct = series.nunique(dropna=True)
    rungs: list[dict[str, Any]] = []
    if looks_like_dates(series):
        rungs = [{"operator": "date_truncate", "to": "month"}, {"operator": "date_truncate", "to": "year"}]
    elif _ZIP_NAME.search(column):
        rungs = [{"operator": "zip_truncate", "keep": keep} for keep in (4, 3, 2, 1)]
    elif pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series) and distinct > 20:
        span = float(series.max() - series.min()) or 1.0
        widths = sorted({_nice(span / parts) for parts in (40, 20, 8, 4, 2)})
        rungs = [{"operator": "bin", "width": w} for w in widths]
    elif _small_counts(series, distinct):
        rungs = _top_codes(series, k=k)
    elif distinct > 2:
        counts = series.astype("str").value_counts()
        seen = set()
        for threshold in sorted({max(2, k), max(2, int(0.01 * n)), max(2, int(0.05 * n))}):
            mapping = {str(v): (str(v) if c >= threshold else "Other") for v, c in counts.items()}
            key = tuple(sorted(v for v, g in mapping.items() if g == "Other"))
            if key and key not in seen and len(key) < len(mapping):
                seen.add(key)
                rungs.append({"operator": "hierarchy", "mapping": mapping, "default": "Other"})
    return rungs + [dict(_STAR)]


def _small_counts(series: pd.Series, distinct: int) -> bool:
    """Whole numbers with few values (counts of priors, children, visits): ordered, so a tail is grouped."""
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series) or not 2 < distinct <= 20:
        return False
    values = series.dropna()
    return bool((values % 1 == 0).all())


def _top_codes(series: pd.Series, *, k: int) -> list[dict[str, Any]]:
    """Rungs that group the upper tail ('3+'), each wider than the last, down to 'min' vs 'above min'."""
    values = series.dropna()
    n = max(1, len(values))
    distinct = sorted(values.unique().tolist())
    tail = {t: int((values >= t).sum()) for t in distinct[1:]}
    cuts: list = []
    for need in (max(2, k), 0.01 * n, 0.05 * n, 0.2 * n):
        fitting = [t for t in distinct[1:] if tail[t] >= need]
        if fitting and fitting[-1] not in cuts:
            cuts.append(fitting[-1])
    if distinct[1] not in cuts:
        cuts.append(distinct[1])
    rungs = []
    for t in sorted(set(cuts), reverse=True):
        label = f"{_num(t)}+"
        mapping = {_num(v): (_num(v) if v < t else label) for v in distinct}
        rungs.append({"operator": "hierarchy", "mapping": mapping, "default": label})
    return rungs


def _num(value: Any) -> str:
    """The string a whole number prints as in the table's text form ('3', not '3.0')."""
    return str(int(value))


def _apply_rule(series: pd.Series, rule: Optional[dict]) -> pd.Series:
    if rule is None:
        return series
    spec = OPERATORS[rule["operator"]]
    params = {name: rule.get(name, default) for name, (_, default) in spec.params.items()}
    return spec.fn(series, params, Context())


def greedy_generalization(frame: pd.DataFrame, quasi_identifiers: list[str], *, k: int,
                          max_suppression: float) -> dict[str, dict]:
    """Rules (column -> rule dict) for the quasi-identifiers that need generalizing."""
    ladders = {c: ladder(frame, c, k=k) for c in quasi_identifiers}
    level = {c: 0 for c in quasi_identifiers}   # 0 = unchanged, i = ladders[c][i - 1]
    cache: dict[tuple[str, int], ColumnCodes] = {}

    def codes(column: str, lvl: int) -> ColumnCodes:
        if (column, lvl) not in cache:
            rule = None if lvl == 0 else ladders[column][lvl - 1]
            cache[(column, lvl)] = encode_column(_apply_rule(frame[column], rule))
        return cache[(column, lvl)]

    def below(levels: dict[str, int]) -> float:
        ids, sizes = combine([codes(c, levels[c]) for c in quasi_identifiers])
        return float((sizes[ids] < k).mean())

    def loss(column: str, lvl: int) -> float:
        """Share of the column's entropy lost at this rung (0 unchanged, 1 at `*`)."""
        h0 = _entropy(codes(column, 0))
        return 0.0 if h0 == 0 else max(0.0, 1.0 - _entropy(codes(column, lvl)) / h0)

    current = below(level)
    while current > max_suppression:
        options = []
        for c in quasi_identifiers:
            if level[c] < len(ladders[c]):
                gain = current - below(dict(level, **{c: level[c] + 1}))
                cost = loss(c, level[c] + 1) - loss(c, level[c])
                options.append((gain, cost, c))
        if not options:
            break
        # a coarser value before a blank: steps to `*` only once no column has a coarser value left
        finer = [o for o in options if ladders[o[2]][level[o[2]]] != _STAR]
        options = finer or options
        useful = [o for o in options if o[0] > 0]
        if useful:  # the best reduction of records below k per unit of information lost
            gain, _, chosen = max(useful, key=lambda o: (o[0] / (o[1] + 0.05), o[0]))
        else:       # no single step helps yet: take the cheapest one
            gain, _, chosen = min(options, key=lambda o: (o[1], o[2]))
        level[chosen] += 1
        current -= gain
    # steps taken on the way that the end result does not need are undone (finest first)
    changed = True
    while changed:
        changed = False
        for c in sorted(quasi_identifiers, key=lambda c: -loss(c, level[c])):
            while level[c] > 0 and below(dict(level, **{c: level[c] - 1})) <= max(max_suppression, current):
                level[c] -= 1
                changed = True
    return {c: ladders[c][level[c] - 1] for c in quasi_identifiers if level[c] > 0}


def _entropy(codes: ColumnCodes) -> float:
    counts = np.bincount(codes.codes, minlength=codes.cardinality).astype(float)
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())

"""What a suggested plan does to columns beyond the chosen quasi-identifiers, so that its output is anonymous:

- every direct identifier is transformed: a date (a date of birth) is generalized to its year, any other
  value pseudonymized (keyed HMAC, so the same person keeps the same token across files);
- quasi-identifier dates that were not chosen for the k search (screening, arrest, custody dates) are
  generalized to their month: an exact day next to a name-free row still singles people out;
- columns the tool itself reads are never in a plan: consent flags and their withdrawal timestamps (the
  training filter reads them and drops them before a plan is applied) and the ID column that joins a
  consent file. A plan naming them would fail on the rows it is applied to.
"""

from __future__ import annotations

from typing import Any, Iterable, Optional

import pandas as pd

from analysis.anonymize.search import looks_like_dates

DIRECT_DATE_RULE = {"operator": "date_truncate", "to": "year"}
QUASI_DATE_RULE = {"operator": "date_truncate", "to": "month"}
PSEUDONYM_RULE = {"operator": "pseudonymize"}


def direct_identifier_rule(series: pd.Series) -> dict[str, Any]:
    return dict(DIRECT_DATE_RULE) if looks_like_dates(series) else dict(PSEUDONYM_RULE)


def reserved_columns(frame: pd.DataFrame, consent_mapping: Any = None) -> list[str]:
    """Columns a plan must leave alone: the consent columns of `consent_mapping` (or, without one, the
    consent columns the Data page would suggest) and the ID column that joins a consent file."""
    from analysis.consent import mapping_from_suggestions, suggest_consent_columns

    mapping = consent_mapping if consent_mapping is not None else \
        mapping_from_suggestions(suggest_consent_columns(frame))
    if mapping is None:
        return []
    names = list(mapping.metadata_columns())
    if getattr(mapping, "consent_file", None) is not None and mapping.id_column:
        names.append(mapping.id_column)
    return [str(c) for c in frame.columns if str(c) in set(names)]


def other_quasi_dates(frame: pd.DataFrame, columns: Optional[Iterable[str]], chosen: Iterable[str]) -> list[str]:
    """The quasi-identifier columns outside the k search that hold dates."""
    taken = set(chosen)
    return [c for c in (columns or []) if c in frame.columns and c not in taken and looks_like_dates(frame[c])]


def restrict_plan(plan: Any, columns: Iterable[str]) -> Any:
    """`plan` with only the rules (and suppression quasi-identifiers) on `columns`: the plan as it applies to
    a table of those columns (the features a user chose); None when nothing is left."""
    from analysis.anonymize.plan import Plan, Suppression

    keep = set(columns)
    rules = {c: r for c, r in plan.columns.items() if c in keep}
    suppression = plan.suppression
    if suppression is not None:
        qis = [q for q in suppression.quasi_identifiers if q in keep]
        suppression = Suppression(k=suppression.k, quasi_identifiers=qis, method=suppression.method,
                                  marker=suppression.marker) if qis else None
    if not rules and suppression is None:
        return None
    return Plan(columns=rules, suppression=suppression, description=plan.description)

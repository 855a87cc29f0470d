"""Consent in the data: which rows people agreed to have used, for which purpose, and which withdrew.

Consent comes either from columns of the table (one flag column per purpose, e.g. `consent_training`,
`consent_marketing`, optionally a withdrawal timestamp column) or from a separate consent file (CSV /
JSON, loaded by `analysis.tables.load_table`) keyed by an ID column that both share.

Flags are read case-insensitively: "true", "yes", "1", "granted", "opt-in" mean consented; "false",
"no", "0", "denied", "withdrawn", "opt-out" mean not consented; a blank or any other value is unknown.
A withdrawal timestamp in effect (no later grant) makes a row not consented whatever its flag says.

`consent_report` counts coverage per purpose; `training_rows` is the one filter every training path
uses (Data page, CLI `train`/`compare`/`federated`/`audit`): it keeps consented rows, drops the consent
metadata columns (they are not features) and returns a `ConsentFilter` that says how many rows were left
out and why. Unknown counts as not consented unless `unknown_as_consented=True`, and the result records
that choice. Messages name columns, never cell values; an unreadable flag value is shown only when it is
a short word seen in several rows (a token such as "maybe", not a person's data).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np
import pandas as pd

from analysis.results import Result

CONSENTED = 1
NOT_CONSENTED = 0
UNKNOWN = -1
TRAINING = "training"

_YES = {"true", "yes", "y", "1", "1.0", "granted", "opt-in", "opt_in", "optin", "opted-in", "opted in", "consented"}
_NO = {"false", "no", "n", "0", "0.0", "denied", "withdrawn", "opt-out", "opt_out", "optout", "opted-out",
       "opted out", "refused", "revoked"}
# An unreadable flag value is shown by value only if it is a short word seen in at least this many rows.
_SHOWN_TOKEN = re.compile(r"^[A-Za-z][A-Za-z \-_]{0,15}$")
MIN_SHOWN_COUNT = 5
_CONSENT_NAME = re.compile(r"(consent|opt[_\- ]?in|gdpr|permission|agreed|agreement)", re.IGNORECASE)
_OPT_OUT_NAME = re.compile(r"opt[_\- ]?out", re.IGNORECASE)
_WITHDRAWN_NAME = re.compile(r"(withdr[ae]w|revok|opt[_\- ]?out)\w*?(_?(at|on|date|time|ts))?", re.IGNORECASE)
_GRANTED_NAME = re.compile(r"(grant|given|opt[_\- ]?in)\w*?(_?(at|on|date|time|ts))", re.IGNORECASE)
_PREFIX = re.compile(r"^(consent|gdpr|opt[_\- ]?in|permission|agreed)[_\- ]*", re.IGNORECASE)
_SUFFIX = re.compile(r"[_\- ]*(consent|opt[_\- ]?in|permission|flag)$", re.IGNORECASE)
MIN_READABLE_SHARE = 0.8


# --------------------------------------------------------------------------------------------
# The mapping and the value rules


@dataclass(frozen=True)
class ConsentMapping:
    """Where consent is: purpose -> flag column, optional withdrawal / grant timestamp columns.

    Without `consent_file` the columns are the table's. With it, they are the file's, and `id_column`
    names the key column present in both (rows are matched on its values as text).
    """

    columns: dict[str, str]
    withdrawn_columns: dict[str, str] = field(default_factory=dict)
    granted_columns: dict[str, str] = field(default_factory=dict)
    id_column: Optional[str] = None
    consent_file: Optional[pd.DataFrame] = field(default=None, repr=False, compare=False)
    consent_file_name: Optional[str] = None

    def purposes(self) -> list[str]:
        return list(self.columns)

    def metadata_columns(self) -> list[str]:
        """The table's columns that hold consent (not features); none when consent is in a file."""
        if self.consent_file is not None:
            return []
        names = [*self.columns.values(), *self.withdrawn_columns.values(), *self.granted_columns.values()]
        return list(dict.fromkeys(names))

    def describe(self) -> dict[str, Any]:
        return {"columns": dict(self.columns), "withdrawn_columns": dict(self.withdrawn_columns),
                "granted_columns": dict(self.granted_columns), "id_column": self.id_column,
                "consent_file": self.consent_file_name}


def purpose_of(column: str) -> str:
    """A purpose name from a consent column name: consent_training -> training, gdpr_marketing -> marketing."""
    name = _SUFFIX.sub("", _PREFIX.sub("", str(column))).strip("_- ").lower()
    return name or TRAINING


def parse_flags(values: pd.Series) -> np.ndarray:
    """CONSENTED / NOT_CONSENTED / UNKNOWN per cell (int8)."""
    text = values.astype("str").str.strip().str.lower()
    out = np.full(len(values), UNKNOWN, dtype=np.int8)
    out[text.isin(_YES).to_numpy()] = CONSENTED
    out[text.isin(_NO).to_numpy()] = NOT_CONSENTED
    out[values.isna().to_numpy()] = UNKNOWN
    return out


def unreadable_values(values: pd.Series) -> tuple[dict[str, int], int]:
    """Flag values that are neither consent nor refusal: (shown tokens -> count, count of hidden cells).

    Blank cells are unknown but not unreadable. A value is shown only when it is a short word seen in at
    least MIN_SHOWN_COUNT rows; anything else (digits, long text, rare values) is only counted.
    """
    flags = parse_flags(values)
    bad = values[(flags == UNKNOWN) & values.notna().to_numpy()].astype("str").str.strip()
    bad = bad[bad != ""]
    shown, hidden = {}, 0
    for value, count in Counter(bad.tolist()).most_common():
        if _SHOWN_TOKEN.match(value) and count >= MIN_SHOWN_COUNT:
            shown[value] = int(count)
        else:
            hidden += int(count)
    return shown, hidden


def parse_timestamps(values: pd.Series) -> pd.Series:
    """Timestamps (UTC) from a column; blanks and unreadable cells become NaT."""
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = pd.to_datetime(values, utc=True)
    else:
        text = values.astype("str").where(values.notna())
        parsed = pd.to_datetime(text, errors="coerce", utc=True, format="mixed")
    return parsed.reset_index(drop=True)


def parse_date(text: str) -> pd.Timestamp:
    """One date given by the user (e.g. --withdrawn-after 2024-06-01), as UTC; ValueError if unreadable."""
    stamp = pd.to_datetime(str(text), errors="coerce", utc=True)
    if pd.isna(stamp):
        raise ValueError(f"{text!r} is not a date (use e.g. 2024-06-01)")
    return stamp


# --------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class PurposeCoverage(Result):
    """Consent for one purpose across the table's rows."""

    purpose: str
    column: str
    rows: int
    consented: int
    not_consented: int
    unknown: int
    withdrawn: int
    withdrawn_after: Optional[int]
    unreadable_values: dict[str, int]
    unreadable_hidden: int
    unreadable_timestamps: int
    withdrawn_column: Optional[str] = None

    @property
    def consented_share(self) -> float:
        return self.consented / self.rows if self.rows else 0.0


@dataclass(frozen=True)
class ConsentReport(Result):
    """Consent coverage per purpose, plus the ID checks when consent comes from a file."""

    rows: int
    source: str
    id_column: Optional[str]
    purposes: list[PurposeCoverage]
    missing_ids: int
    duplicated_ids: int
    duplicated_table_ids: int
    unmatched_consent_rows: int
    withdrawn_after: Optional[str]
    mapping: dict
    warnings: list[str] = field(default_factory=list)

    def purpose(self, name: str) -> PurposeCoverage:
        for coverage in self.purposes:
            if coverage.purpose == name:
                return coverage
        raise KeyError(f"no consent mapped for purpose {name!r} (mapped: {[p.purpose for p in self.purposes]})")


@dataclass(frozen=True)
class ConsentFilter(Result):
    """What the consent filter did to a training table."""

    purpose: str
    column: str
    rows_in: int
    rows_kept: int
    rows_left_out: int
    left_out_not_consented: int
    left_out_unknown: int
    unknown_as_consented: bool
    dropped_columns: list[str]
    enforced: bool = True
    kept_without_consent: int = 0  # rows used without a recorded consent (unknown counted in, or not enforced)

    @property
    def reason(self) -> str:
        if not self.enforced:
            return (f"Consent for {self.purpose} was not enforced: all {self.rows_in} rows were used, "
                    f"{self.kept_without_consent} of them without recorded consent.")
        unknown = (f"kept {self.kept_without_consent} with unknown consent, counted as consent"
                   if self.unknown_as_consented else f"{self.left_out_unknown} with unknown consent")
        return (f"Trained on {self.rows_kept} of {self.rows_in} rows with consent for {self.purpose}; "
                f"left out {self.left_out_not_consented} without consent and {unknown}.")


@dataclass(frozen=True)
class ConsentSuggestion(Result):
    """A column that looks like consent: its purpose, and how much of it reads as a flag."""

    column: str
    purpose: str
    readable_share: float
    withdrawn_column: Optional[str] = None


# --------------------------------------------------------------------------------------------
# Aligning consent with the table's rows


@dataclass(frozen=True)
class _Aligned:
    """Per table row, per purpose: the flag status and the withdrawal time, plus the ID checks."""

    status: dict[str, np.ndarray]
    withdrawn_at: dict[str, pd.Series]
    raw: dict[str, pd.Series]
    unreadable_timestamps: dict[str, int]
    missing_ids: int = 0
    duplicated_ids: int = 0
    duplicated_table_ids: int = 0
    unmatched_consent_rows: int = 0


def _check_columns(frame: pd.DataFrame, columns: list[str], where: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"consent column(s) {', '.join(missing)} not in {where}")


def _source_rows(frame: pd.DataFrame, mapping: ConsentMapping) -> tuple[pd.DataFrame, dict[str, int]]:
    """The consent records aligned with `frame`'s rows (same length, same order) and the ID counts."""
    if mapping.consent_file is None:
        _check_columns(frame, mapping.metadata_columns(), "the table")
        return frame.reset_index(drop=True), {}
    consent = mapping.consent_file
    if not mapping.id_column:
        raise ValueError("a consent file needs an ID column shared with the table")
    id_col = mapping.id_column
    if id_col not in frame.columns:
        raise ValueError(f"ID column {id_col} not in the table")
    names = [*mapping.columns.values(), *mapping.withdrawn_columns.values(), *mapping.granted_columns.values()]
    _check_columns(consent, [id_col, *names], mapping.consent_file_name or "the consent file")
    file_ids = consent[id_col].astype("str").str.strip().where(consent[id_col].notna())
    table_ids = frame[id_col].astype("str").str.strip().where(frame[id_col].notna()).reset_index(drop=True)
    counts = file_ids.value_counts()
    duplicated = set(counts[counts > 1].index)
    # An ID with several consent records is ambiguous: its rows count as unknown.
    unique = consent.assign(_id=file_ids)[file_ids.notna() & ~file_ids.isin(duplicated)].drop_duplicates("_id")
    aligned = pd.DataFrame({"_id": table_ids}).merge(unique, on="_id", how="left", sort=False)
    table_counts = table_ids.value_counts()
    stats = {
        "missing_ids": int((table_ids.isna() | ~table_ids.isin(set(file_ids.dropna()))).sum()),
        "duplicated_ids": len(duplicated),
        "duplicated_table_ids": int((table_counts > 1).sum()),
        "unmatched_consent_rows": int((file_ids.isna() | ~file_ids.isin(set(table_ids.dropna()))).sum()),
    }
    return aligned.drop(columns=["_id"]), stats


def _align(frame: pd.DataFrame, mapping: ConsentMapping) -> _Aligned:
    if not mapping.columns:
        raise ValueError("no consent column is mapped")
    source, stats = _source_rows(frame, mapping)
    status, withdrawn_at, raw, bad_times = {}, {}, {}, {}
    for purpose, column in mapping.columns.items():
        flags = parse_flags(source[column])
        withdrawn = pd.Series(pd.NaT, index=range(len(source)), dtype="datetime64[ns, UTC]")
        bad = 0
        if purpose in mapping.withdrawn_columns:
            cells = source[mapping.withdrawn_columns[purpose]]
            withdrawn = parse_timestamps(cells)
            bad += int((withdrawn.isna() & _filled(cells)).sum())
            in_effect = withdrawn.notna().to_numpy()
            if purpose in mapping.granted_columns:
                granted_cells = source[mapping.granted_columns[purpose]]
                granted = parse_timestamps(granted_cells)
                bad += int((granted.isna() & _filled(granted_cells)).sum())
                # Consent granted again after the withdrawal stands.
                in_effect &= ~(granted.notna() & (granted > withdrawn)).to_numpy()
            flags = np.where(in_effect, NOT_CONSENTED, flags).astype(np.int8)
            withdrawn = withdrawn.where(in_effect)
        status[purpose], withdrawn_at[purpose], raw[purpose], bad_times[purpose] = flags, withdrawn, \
            source[column].reset_index(drop=True), bad
    return _Aligned(status=status, withdrawn_at=withdrawn_at, raw=raw, unreadable_timestamps=bad_times, **stats)


def _filled(cells: pd.Series) -> pd.Series:
    return (cells.notna() & (cells.astype("str").str.strip() != "")).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Public functions


def consent_report(frame: pd.DataFrame, mapping: ConsentMapping, *,
                   withdrawn_after: Optional[str] = None) -> ConsentReport:
    """Consent coverage per purpose for `frame` (and the ID checks for a consent file).

    withdrawn_after: a date (e.g. a model's training date); rows withdrawn after it are counted.
    Raises ValueError when a mapped column is missing or the date is unreadable.
    """
    after = parse_date(withdrawn_after) if withdrawn_after else None
    aligned = _align(frame, mapping)
    purposes, warnings = [], []
    for purpose, column in mapping.columns.items():
        flags = aligned.status[purpose]
        withdrawn = aligned.withdrawn_at[purpose]
        shown, hidden = unreadable_values(aligned.raw[purpose])
        if shown or hidden:
            warnings.append(f"{column}: {sum(shown.values()) + hidden} value(s) read as neither consent nor "
                            "refusal; they count as unknown.")
        if aligned.unreadable_timestamps[purpose]:
            warnings.append(f"{mapping.withdrawn_columns.get(purpose)}: {aligned.unreadable_timestamps[purpose]} "
                            "timestamp(s) could not be read.")
        purposes.append(PurposeCoverage(
            purpose=purpose, column=column, rows=len(flags),
            consented=int((flags == CONSENTED).sum()), not_consented=int((flags == NOT_CONSENTED).sum()),
            unknown=int((flags == UNKNOWN).sum()), withdrawn=int(withdrawn.notna().sum()),
            withdrawn_after=None if after is None or purpose not in mapping.withdrawn_columns
            else int((withdrawn > after).sum()),
            unreadable_values=shown, unreadable_hidden=hidden,
            unreadable_timestamps=aligned.unreadable_timestamps[purpose],
            withdrawn_column=mapping.withdrawn_columns.get(purpose)))
    if aligned.missing_ids:
        warnings.append(f"{aligned.missing_ids} row(s) have no consent record under {mapping.id_column}.")
    if aligned.duplicated_ids:
        warnings.append(f"{aligned.duplicated_ids} ID(s) have more than one consent record; their rows count "
                        "as unknown.")
    return ConsentReport(
        rows=int(len(frame)), source=mapping.consent_file_name or "columns", id_column=mapping.id_column,
        purposes=purposes, missing_ids=aligned.missing_ids, duplicated_ids=aligned.duplicated_ids,
        duplicated_table_ids=aligned.duplicated_table_ids, unmatched_consent_rows=aligned.unmatched_consent_rows,
        withdrawn_after=None if after is None else after.isoformat(), mapping=mapping.describe(),
        warnings=warnings)


def training_rows(frame: pd.DataFrame, consent_mapping: ConsentMapping, purpose: str = TRAINING,
                  unknown_as_consented: bool = False, *, enforce: bool = True,
                  keep_index: bool = False) -> tuple[pd.DataFrame, ConsentFilter]:
    """The rows of `frame` with consent for `purpose`, without the consent columns, and what was left out.

    enforce=False keeps every row (the user switched enforcement off) and records how many had no consent.
    keep_index=True keeps the rows' index labels (to line them up with a transformed copy of the table).
    Raises ValueError when the purpose is not mapped, a column is missing, or no row is left.
    """
    if purpose not in consent_mapping.columns:
        raise ValueError(f"no consent column is mapped for purpose {purpose!r}")
    flags = _align(frame, consent_mapping).status[purpose]
    dropped = [c for c in consent_mapping.metadata_columns() if c in frame.columns]
    if not enforce:
        kept = frame.drop(columns=dropped)
        return (kept if keep_index else kept.reset_index(drop=True)), ConsentFilter(
            purpose=purpose, column=consent_mapping.columns[purpose], rows_in=int(len(frame)),
            rows_kept=int(len(frame)), rows_left_out=0, left_out_not_consented=0, left_out_unknown=0,
            unknown_as_consented=bool(unknown_as_consented), dropped_columns=dropped, enforced=False,
            kept_without_consent=int((flags != CONSENTED).sum()))
    keep = (flags == CONSENTED) | (unknown_as_consented & (flags == UNKNOWN))
    if not keep.any():
        raise ValueError(f"no row has consent for {purpose} in {consent_mapping.columns[purpose]}; "
                         "nothing to train on")
    kept = frame[keep].drop(columns=dropped)
    kept = kept if keep_index else kept.reset_index(drop=True)
    unknown_out = 0 if unknown_as_consented else int((flags == UNKNOWN).sum())
    not_out = int((flags == NOT_CONSENTED).sum())
    return kept, ConsentFilter(
        purpose=purpose, column=consent_mapping.columns[purpose], rows_in=int(len(frame)),
        rows_kept=int(keep.sum()), rows_left_out=not_out + unknown_out, left_out_not_consented=not_out,
        left_out_unknown=unknown_out, unknown_as_consented=bool(unknown_as_consented), dropped_columns=dropped,
        kept_without_consent=int((flags == UNKNOWN).sum()) if unknown_as_consented else 0)


def withdrawn_rows(frame: pd.DataFrame, consent_mapping: ConsentMapping, *, after: str,
                   purpose: str = TRAINING) -> pd.DataFrame:
    """Rows whose consent for `purpose` was withdrawn after the date `after` (a model's training date),
    without the consent columns: the records the withdrawal check looks for in a model."""
    if purpose not in consent_mapping.withdrawn_columns:
        raise ValueError(f"no withdrawal timestamp column is mapped for purpose {purpose!r}")
    withdrawn = _align(frame, consent_mapping).withdrawn_at[purpose]
    mask = (withdrawn > parse_date(after)).to_numpy()
    dropped = [c for c in consent_mapping.metadata_columns() if c in frame.columns]
    return frame.reset_index(drop=True)[mask].drop(columns=dropped).reset_index(drop=True)


def drop_consent_columns(frame: pd.DataFrame, consent_mapping: Optional[ConsentMapping]) -> pd.DataFrame:
    """`frame` without the table's consent columns (they describe people's choices, not features)."""
    if consent_mapping is None:
        return frame
    return frame.drop(columns=[c for c in consent_mapping.metadata_columns() if c in frame.columns])


def suggest_consent_columns(frame: pd.DataFrame, *, sample_rows: int = 2000) -> list[ConsentSuggestion]:
    """Columns that look like consent flags, in table order: named like consent (consent_*, opt_in,
    gdpr..., permission) and mostly readable as consent or refusal. Opt-out-named columns are left out
    (their "yes" means refusal). Each suggestion names a withdrawal timestamp column when one exists."""
    head = frame.head(sample_rows)
    timestamp_columns = [str(c) for c in frame.columns if _WITHDRAWN_NAME.search(str(c))
                         and parse_timestamps(head[c]).notna().any()]
    found = []
    for col in frame.columns:
        name = str(col)
        if not _CONSENT_NAME.search(name) or _OPT_OUT_NAME.search(name) or name in timestamp_columns:
            continue
        values = head[col][_filled(head[col]).to_numpy()]
        if values.empty:
            continue
        readable = float((parse_flags(values) != UNKNOWN).mean())
        if readable >= MIN_READABLE_SHARE:
            found.append((name, purpose_of(name), readable))
    purposes = {purpose for _, purpose, _ in found}
    # A timestamp column belongs to the purpose it names; one naming no purpose serves them all.
    shared = [t for t in timestamp_columns if not any(p in t.lower() for p in purposes)]
    out = []
    for name, purpose, readable in found:
        withdrawn = next((t for t in timestamp_columns if purpose in t.lower()),
                         shared[0] if len(shared) == 1 else None)
        out.append(ConsentSuggestion(column=name, purpose=purpose, readable_share=readable,
                                     withdrawn_column=withdrawn))
    return out


def mapping_from_suggestions(suggestions: list[ConsentSuggestion]) -> Optional[ConsentMapping]:
    """A column mapping from suggestions (None when there are none); the first column per purpose wins."""
    columns, withdrawn = {}, {}
    for s in suggestions:
        if s.purpose in columns:
            continue
        columns[s.purpose] = s.column
        if s.withdrawn_column:
            withdrawn[s.purpose] = s.withdrawn_column
    return ConsentMapping(columns=columns, withdrawn_columns=withdrawn) if columns else None


def training_mapping(frame: pd.DataFrame, column: str) -> ConsentMapping:
    """The mapping behind `--consent-column COL`: COL is consent for training; the other consent-like
    columns the suggestions find (other purposes, withdrawal timestamps) are mapped too, so that the
    training filter keeps none of them as features."""
    if column not in frame.columns:
        raise ValueError(f"consent column {column} not in the table")
    columns, withdrawn = {TRAINING: column}, {}
    for s in suggest_consent_columns(frame):
        if s.column == column:
            if s.withdrawn_column:
                withdrawn[TRAINING] = s.withdrawn_column
        elif s.purpose != TRAINING and s.purpose not in columns:
            columns[s.purpose] = s.column
            if s.withdrawn_column:
                withdrawn[s.purpose] = s.withdrawn_column
    return ConsentMapping(columns=columns, withdrawn_columns=withdrawn)

"""`privacy-audit consent DATA`: consent coverage per purpose, from columns of DATA or a consent file.

    privacy-audit consent DATA --consent-column consent_training[,consent_marketing]
        [--consent-file F --id-column ID] [--withdrawn-column COL] [--purpose P]
        [--withdrawn-after DATE] [--json OUT]

JSON top-level keys `rows`, `consented`, `not_consented`, `unknown` (for --purpose, default training or the
first mapped purpose), plus `purposes` with the details of each and the ID checks for a consent file.

Also home of the consent options that `train`, `compare` and `federated` share (`--consent-column`,
`--include-unknown`): `add_consent_options` and `apply_consent` filter rows before training through
`analysis.consent.training_rows`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Optional

import pandas as pd

from analysis.cli.common import CliError, input_error, read_table, split_list, write_json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("consent", help="consent coverage per purpose (columns or a consent file)")
    parser.add_argument("data", metavar="DATA", help="the table")
    parser.add_argument("--consent-column", required=True, metavar="COL[,COL]",
                        help="consent flag column(s), one per purpose (purpose from the name: consent_training "
                             "-> training); with --consent-file, columns of that file")
    parser.add_argument("--consent-file", metavar="F", help="a CSV/JSON file of consent records keyed by --id-column")
    parser.add_argument("--id-column", metavar="ID", help="the ID column shared by DATA and the consent file")
    parser.add_argument("--withdrawn-column", metavar="COL",
                        help="withdrawal timestamps (default: a column named like withdrawn_at, if any)")
    parser.add_argument("--purpose", metavar="P", help="the purpose the top-level counts refer to (default training)")
    parser.add_argument("--withdrawn-after", metavar="DATE", help="count rows withdrawn after this date")
    parser.add_argument("--json", metavar="OUT", help="write the report as JSON ('-' for stdout)")
    parser.set_defaults(func=run)


def build_mapping(frame: pd.DataFrame, columns: list[str], *, consent_file: Optional[str] = None,
                  id_column: Optional[str] = None, withdrawn_column: Optional[str] = None):
    """A ConsentMapping from CLI options; CliError (exit 2) for a missing column or unreadable file."""
    from analysis.consent import ConsentMapping, purpose_of, suggest_consent_columns

    if not columns:
        raise CliError("--consent-column names no column")
    source, source_name, file_frame = frame, "the table", None
    if consent_file:
        if not id_column:
            raise CliError("--consent-file needs --id-column")
        table = read_table(consent_file)
        source, source_name, file_frame = table.frame, table.name, table.frame
        if id_column not in frame.columns:
            raise CliError(f"--id-column {id_column} not in the table")
    missing = [c for c in columns + ([withdrawn_column] if withdrawn_column else []) if c not in source.columns]
    if missing:
        raise CliError(f"consent column(s) {', '.join(missing)} not in {source_name}")
    purposes = {purpose_of(c): c for c in columns}
    if len(purposes) != len(columns):
        raise CliError("--consent-column: two columns name the same purpose")
    withdrawn = {}
    if withdrawn_column:
        withdrawn = {p: withdrawn_column for p in purposes}
    else:
        for suggestion in suggest_consent_columns(source):
            if suggestion.purpose in purposes and suggestion.withdrawn_column:
                withdrawn[suggestion.purpose] = suggestion.withdrawn_column
    return ConsentMapping(columns=purposes, withdrawn_columns=withdrawn,
                          id_column=id_column if consent_file else None, consent_file=file_frame,
                          consent_file_name=Path(consent_file).name if consent_file else None)


def run(args: argparse.Namespace) -> int:
    from analysis.consent import TRAINING, consent_report

    table = read_table(args.data)
    mapping = build_mapping(table.frame, split_list(args.consent_column), consent_file=args.consent_file,
                            id_column=args.id_column, withdrawn_column=args.withdrawn_column)
    purpose = args.purpose or (TRAINING if TRAINING in mapping.columns else mapping.purposes()[0])
    if purpose not in mapping.columns:
        raise CliError(f"--purpose {purpose} is not among the mapped purposes ({', '.join(mapping.purposes())})")
    try:
        report = consent_report(table.frame, mapping, withdrawn_after=args.withdrawn_after)
    except ValueError as exc:
        raise input_error(exc) from exc
    head = report.purpose(purpose)
    top = {"data": table.name, "rows": report.rows, "purpose": purpose, "consented": head.consented,
           "not_consented": head.not_consented, "unknown": head.unknown, "withdrawn": head.withdrawn,
           "withdrawn_after_rows": head.withdrawn_after}
    payload = top | {k: v for k, v in report.to_dict().items() if k not in top}
    if args.json:
        write_json(payload, args.json)
    if args.json != "-":
        for p in report.purposes:
            after = (f", withdrawn after {args.withdrawn_after}: {p.withdrawn_after}"
                     if p.withdrawn_after is not None else "")
            print(f"{p.purpose} ({p.column}): {p.consented} consented, {p.not_consented} not, {p.unknown} unknown "
                  f"of {p.rows} rows{after}")
        for warning in report.warnings:
            print(f"warning: {warning}")
    return 0


# --------------------------------------------------------------------------------------------
# The consent options of the training commands


def add_consent_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("consent", "train only on rows with consent for training")
    group.add_argument("--consent-column", metavar="COL",
                       help="consent flag column for training; rows without consent are left out")
    group.add_argument("--include-unknown", action="store_true",
                       help="count unknown (blank or unreadable) consent as consent")


def apply_consent(frame: pd.DataFrame, args: argparse.Namespace):
    """(training frame, ConsentFilter dict or None): the consented rows when --consent-column is given."""
    column = getattr(args, "consent_column", None)
    if not column:
        return frame, None
    from analysis.consent import training_mapping, training_rows

    if column not in frame.columns:
        raise CliError(f"--consent-column {column} not in the table")
    try:
        kept, result = training_rows(frame, training_mapping(frame, column),
                                     unknown_as_consented=bool(getattr(args, "include_unknown", False)))
    except ValueError as exc:
        raise input_error(exc) from exc
    return kept, result.to_dict() | {"reason": result.reason}

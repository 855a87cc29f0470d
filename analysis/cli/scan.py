"""`privacy-audit scan DATA`: find personal data in every column and print or write the findings."""

from __future__ import annotations

import argparse

from analysis.cli.common import CliError, input_error, read_table, split_list, stderr_progress, write_json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("scan", help="find personal data (PII) in every column and in free text")
    parser.add_argument("data", metavar="DATA", help="table to scan (CSV, TSV, JSON, JSONL, Parquet, XLSX)")
    parser.add_argument("--sample-rows", type=int, default=None, metavar="N",
                        help="rows read to classify each column (default: setting pii_sample_rows; 0 = all)")
    parser.add_argument("--threshold", type=float, default=None, help="minimum entity score (default 0.5)")
    parser.add_argument("--allow", default=None, help="comma-separated values never counted as PII")
    parser.add_argument("--deny", default=None, help="comma-separated terms always flagged as PII")
    parser.add_argument("--json", metavar="OUT", help="write the scan as JSON ('-' for stdout)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from analysis.pii import scan_table

    table = read_table(args.data)
    if args.sample_rows is not None and args.sample_rows < 0:
        raise CliError(f"--sample-rows must be 0 or more, got {args.sample_rows}")
    try:
        scan = scan_table(table.frame, sample_rows=args.sample_rows, score_threshold=args.threshold,
                          allow_list=split_list(args.allow), deny_list=split_list(args.deny),
                          progress=None if args.quiet else stderr_progress)
    except ValueError as exc:
        raise input_error(exc) from exc
    payload = scan.to_dict() | {"data": table.name, "fingerprint": table.fingerprint}
    if args.json:
        write_json(payload, args.json)
        if args.json == "-":
            return 0
    for column in scan.columns:
        joiner = " + " if column.mixed_types else ", "
        entities = joiner.join(f"{e.type} {e.prevalence:.0%}" for e in column.entities)
        entities = ("mixed: " + entities if column.mixed_types else entities) or "-"
        print(f"{column.name:24s} {column.kind:18s} {entities}")
    fallback = "" if scan.ner_model else " (pattern recognizers only: " + "; ".join(scan.notes) + ")"
    print(f"{scan.rows:,} rows, {len(scan.columns)} columns, {scan.seconds:.1f}s{fallback}")
    return 0

"""`privacy-audit plan`: suggest an anonymization plan for a table and write it (YAML or JSON), the same
plan the Anonymize page's "Suggest a plan" button builds: the PII scan's direct identifiers transformed,
free text redacted, the chosen quasi-identifiers generalized until k holds, other quasi-identifier dates
to their month, consent columns left out."""

from __future__ import annotations

import argparse
from pathlib import Path

from analysis.cli.common import CliError, input_error, read_table, require_columns, split_list


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("plan", help="suggest an anonymization plan (direct identifiers, free text, "
                                                "quasi-identifiers generalized until k holds)")
    parser.add_argument("data", metavar="DATA", help="table to plan for (CSV, Parquet, JSON, Excel)")
    parser.add_argument("--quasi-identifiers", "-q", metavar="A,B,C",
                        help="comma-separated quasi-identifiers for the k search (default: the scan's)")
    parser.add_argument("--k", type=int, default=5, help="target k (default 5)")
    parser.add_argument("--max-suppression", type=float, default=2.0, metavar="PCT",
                        help="suppress at most this percentage of records (default 2)")
    parser.add_argument("--method", choices=("record", "cell"), default="record", help="suppression method")
    parser.add_argument("--sample-rows", type=int, metavar="N", help="rows the PII scan reads (default: setting)")
    parser.add_argument("--out", required=True, metavar="PLAN", help="plan file to write (.yaml/.yml or .json)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from analysis.anonymize import suggest_plan
    from analysis.pii import scan_table
    from analysis.risk import columns_of_kind

    suffix = Path(args.out).suffix.lower()
    if suffix not in (".yaml", ".yml", ".json"):
        raise CliError("--out must end in .yaml, .yml or .json")
    if args.k < 1:
        raise CliError("--k must be at least 1")
    if not 0 <= args.max_suppression <= 100:
        raise CliError("--max-suppression must be a percentage between 0 and 100")
    table = read_table(args.data)
    frame = table.frame
    try:
        scan = scan_table(frame, sample_rows=args.sample_rows)
        quasi = split_list(args.quasi_identifiers) if args.quasi_identifiers else \
            columns_of_kind(frame, scan, "quasi_identifier")
        require_columns(table, quasi)
        plan = suggest_plan(frame, quasi, k=args.k, max_suppression=args.max_suppression / 100, method=args.method,
                            direct_identifiers=columns_of_kind(frame, scan, "direct_identifier"),
                            free_text=columns_of_kind(frame, scan, "free_text"),
                            other_quasi_identifiers=columns_of_kind(frame, scan, "quasi_identifier"))
    except ValueError as exc:
        raise input_error(exc) from exc
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(plan.to_json() if suffix == ".json" else plan.to_yaml(), encoding="utf-8")
    print(f"{table.name}: plan with {len(plan.columns)} column rule(s)"
          + (f", suppression until k={plan.suppression.k} on {', '.join(plan.suppression.quasi_identifiers)}"
             if plan.suppression else "") + (f" ({plan.description})" if plan.description else ""))
    print(f"wrote {args.out}")
    return 0

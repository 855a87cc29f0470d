"""`privacy-audit anonymize`: apply a plan (YAML/JSON) to a table and write the anonymized table.

Keyed operators read the secret from an environment variable (hex, or text of 16+ characters);
without it a secret is generated and printed once on stderr. It is never written to OUT.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from analysis.cli.common import CliError, input_error, read_table, stderr_progress, write_json
from analysis.csv_export import to_safe_csv
from analysis.errors import safe_message

DEFAULT_SECRET_ENV = "PRIVACY_AUDIT_SECRET"
OUTPUT_FORMATS = (".csv", ".parquet", ".jsonl")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("anonymize", help="apply an anonymization plan and write the result")
    parser.add_argument("data", metavar="DATA", help="table to anonymize")
    parser.add_argument("--plan", required=True, metavar="PLAN", help="plan file (.yaml/.yml or .json)")
    parser.add_argument("--out", required=True, metavar="OUT", help=f"output table ({', '.join(OUTPUT_FORMATS)})")
    parser.add_argument("--secret-env", default=DEFAULT_SECRET_ENV, metavar="VAR",
                        help=f"environment variable holding the secret (default {DEFAULT_SECRET_ENV})")
    parser.add_argument("--json", metavar="SUMMARY", help="write the counts as JSON ('-' for stdout)")
    parser.add_argument("--progress", action="store_true", help="print progress on stderr")
    parser.set_defaults(func=run)


def parse_secret(raw: str) -> bytes:
    """Hex (32+ hex digits) or plain text of at least 16 characters."""
    raw = raw.strip()
    try:
        if len(raw) >= 32 and len(raw) % 2 == 0:
            return bytes.fromhex(raw)
    except ValueError:
        pass
    if len(raw.encode("utf-8")) < 16:
        raise CliError("the secret must be at least 16 characters (or 32 hex digits)")
    return raw.encode("utf-8")


def write_table(frame, out: str) -> None:
    path = Path(out)
    suffix = path.suffix.lower()
    if suffix not in OUTPUT_FORMATS:
        raise CliError(f"--out must end in one of {', '.join(OUTPUT_FORMATS)}, got '{path.name}'")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        to_safe_csv(frame, path)
    elif suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_json(path, orient="records", lines=True, force_ascii=False)


def run(args: argparse.Namespace) -> int:
    from analysis.anonymize import Plan, apply_plan

    if not Path(args.out).suffix.lower() in OUTPUT_FORMATS:
        raise CliError(f"--out must end in one of {', '.join(OUTPUT_FORMATS)}")
    if not Path(args.plan).is_file():
        raise CliError(f"no plan file at {args.plan}")
    try:
        plan = Plan.from_file(args.plan)
    except ValueError as exc:
        raise CliError(f"{args.plan}: {safe_message(exc)}") from exc
    table = read_table(args.data)
    raw = os.environ.get(args.secret_env)
    secret = parse_secret(raw) if raw else None
    try:
        result = apply_plan(table.frame, plan, secret=secret,
                            progress=stderr_progress if args.progress else None)
    except ValueError as exc:
        raise input_error(exc) from exc
    write_table(result.frame, args.out)
    if result.generated_secret is not None:
        print(f"Generated secret (shown once; set {args.secret_env} to this value to get the same pseudonyms "
              f"again; it is stored nowhere): {result.generated_secret.hex()}", file=sys.stderr)
    if args.json:
        write_json(result.to_dict(), args.json)
        if args.json == "-":
            return 0
    print(f"{table.name}: {result.rows_in:,} rows in, {result.rows_out:,} rows out "
          f"({result.rows_dropped:,} dropped), {result.cells_suppressed:,} cells suppressed")
    if result.k_after is not None:
        print(f"k after suppression: {result.k_after} (target {result.k_target})")
    print(f"wrote {args.out}")
    return 0

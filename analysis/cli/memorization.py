"""`privacy-audit memorization`: plant canaries, train without and with DP-SGD, report their exposure."""

from __future__ import annotations

import argparse
import math

from analysis.cli.common import (CliError, input_error, read_table, require_columns, split_list,
                                stderr_progress, write_json)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "memorization",
        help="measure how much a model memorizes planted secrets (canaries), with and without DP",
        description="Plant random secrets (canaries) in a free-text column, each repeated several times, "
                    "train a small character model without DP and with DP-SGD, and report each secret's "
                    "exposure (log2|R| - log2 rank) and whether decoding extracts it. With --label, plant "
                    "canary records in the table and measure the tabular model.")
    parser.add_argument("data", metavar="DATA", help="the table (CSV, TSV, Parquet, JSON, JSONL, XLSX)")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--text-column", metavar="C", help="free-text column to train the character model on")
    target.add_argument("--label", metavar="L", help="tabular mode: the column whose value is the secret")
    parser.add_argument("--repeats", default="1,4,16,64", metavar="LIST",
                        help="insertion counts, comma-separated (default 1,4,16,64)")
    parser.add_argument("--epsilon", default="3", metavar="E",
                        help="DP-SGD target epsilon (default 3); 'none' trains only the non-private model")
    parser.add_argument("--secret-space", type=int, default=10**4, metavar="N",
                        help="text mode: number of possible secrets |R| (default 10000)")
    parser.add_argument("--epochs", type=int, default=None, metavar="N",
                        help="training epochs (default 2 for text, 10 for tabular)")
    parser.add_argument("--max-rows", type=int, default=None, metavar="N", help="train on a sample of N rows")
    parser.add_argument("--canaries-per-repeat", type=int, default=None, metavar="N",
                        help="canaries per insertion count (default 3 for text, 4 for tabular)")
    parser.add_argument("--method", choices=("auto", "exact", "skew-normal"), default="auto",
                        help="text mode: rank every candidate, or estimate from a sample (default auto)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", metavar="OUT", help="write the result as JSON ('-' for stdout)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    parser.set_defaults(func=run)


def _epsilon(raw: str):
    if raw.strip().lower() in {"none", "off", "no"}:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise CliError(f"--epsilon must be a positive number or 'none', got {raw!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise CliError(f"--epsilon must be a positive number or 'none', got {raw!r}")
    return value


def _repeats(raw: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in split_list(raw))
    except ValueError:
        raise CliError(f"--repeats must be comma-separated positive integers, got {raw!r}") from None


def run(args: argparse.Namespace) -> int:
    from analysis.memorization import run_tabular_memorization, run_text_memorization

    text_mode = args.text_column is not None
    column = (args.text_column if text_mode else args.label).strip()
    if not column:
        raise CliError(f"--{'text-column' if text_mode else 'label'} is empty: name a column of DATA")
    table = read_table(args.data)
    require_columns(table, [column])
    options = dict(repeats=_repeats(args.repeats), epsilon=_epsilon(args.epsilon), seed=args.seed,
                   max_rows=args.max_rows, progress=None if args.quiet else stderr_progress)
    if args.epochs is not None:
        options["epochs"] = args.epochs
    if args.canaries_per_repeat is not None:
        options["canaries_per_repeat"] = args.canaries_per_repeat
    try:
        if text_mode:
            result = run_text_memorization(table.frame[column], secret_space_size=args.secret_space,
                                           method=args.method, **options)
        else:
            result = run_tabular_memorization(table.frame, column, **options)
    except ValueError as exc:
        raise input_error(exc) from exc
    if args.json:
        write_json(result.to_dict(), args.json)
    if not args.json or args.json != "-":
        print(f"secret space: {result.secret_space_size:,} values ({result.secret_space_bits:.1f} bits), "
              f"{result.method} rank")
        for model in result.models:
            print(f"{model.name}:")
            for s in model.by_repeats:
                seen = "never" if s.repeats == 0 else f"{s.repeats}x"
                print(f"  {seen:>6}: mean exposure {s.mean_exposure:5.2f} bits, "
                      f"{s.extracted}/{s.canaries} extracted")
        print(result.verdict)
    return 0

"""`privacy-audit compare DATA --label COL`: train non-private and DP-SGD twins, print the trade-off.

JSON (`--json OUT`): the whole `TradeoffResult` (config, summary, recommendation) with `runs`, each
holding at least epsilon_target, epsilon, delta, noise_multiplier, accountant, accuracy, roc_auc,
attacks and train_seconds. A non-private epsilon is written as null (JSON has no infinity).
"""

from __future__ import annotations

import argparse
import math
import sys

from analysis.cli.common import (CliError, input_error, read_table, require_columns, split_list,
                                stderr_progress, write_json)
from analysis.cli.federated import add_federated_options, federated_kwargs, run_json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "compare", help="train the same MLP non-privately and with DP-SGD at several budgets; compare "
                        "utility, epsilon and measured membership leakage",
        description="Train a Keras MLP on DATA without and with DP-SGD (tensorflow-privacy) for each "
                    "budget x seed, plus a logistic-regression baseline, and report utility, the "
                    "accounted epsilon (RDP and PLD) and membership-inference results.")
    parser.add_argument("data", metavar="DATA", help="the table (CSV, Parquet, JSON, Excel)")
    parser.add_argument("--label", required=True, metavar="COL", help="the target column")
    parser.add_argument("--epsilons", default="0.5,1,2,4,8,inf",
                        help="comma-separated target budgets; 'inf' is the non-private model "
                             "(default: %(default)s)")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per budget (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="first seed (default: %(default)s)")
    parser.add_argument("--epochs", type=int, default=10, help="training epochs (default: %(default)s)")
    parser.add_argument("--batch-size", type=int, default=256, help="batch size (default: %(default)s)")
    parser.add_argument("--learning-rate", type=float, default=1e-3,
                        help="Adam learning rate (default: %(default)s)")
    parser.add_argument("--clip-norm", type=float, default=1.0,
                        help="per-example clipping norm (default: %(default)s)")
    parser.add_argument("--delta", type=float, default=None, help="delta (default: min(1/(10 n), 1e-5))")
    parser.add_argument("--hidden", default="64,32", help="hidden layer widths (default: %(default)s)")
    parser.add_argument("--group", metavar="COL", help="report accuracy per value of this column")
    parser.add_argument("--max-rows", type=int, help="use a seeded sample of this many labelled rows")
    parser.add_argument("--no-baseline", action="store_true", help="skip the logistic-regression baseline")
    parser.add_argument("--json", metavar="OUT", help="write the result as JSON ('-' for stdout)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    fl = parser.add_argument_group(
        "federated", "--federated adds centralized-vs-FedAvg-vs-DP-FedAvg runs (a Flower simulation with the "
                     "same MLP, --seed and --max-rows) to the JSON under 'federated_runs', each with mode, "
                     "clients, rounds and client_epsilon (client-level; DP-SGD's epsilon is sample-level)")
    fl.add_argument("--federated", action="store_true", help="also train federated (FedAvg, DP-FedAvg)")
    add_federated_options(fl, clip_flag="--fl-clip-norm")
    parser.set_defaults(func=run)


def parse_epsilons(text: str) -> list[float]:
    values = []
    for item in split_list(text):
        if item.lower() in ("inf", "infinity", "none", "nonprivate", "non-private"):
            values.append(math.inf)
            continue
        try:
            value = float(item)
        except ValueError:
            raise CliError(f"--epsilons: {item!r} is not a number (use e.g. 0.5,1,2,inf)") from None
        if not value > 0:
            raise CliError(f"--epsilons: {item!r} must be > 0")
        values.append(value)
    if not values:
        raise CliError("--epsilons names no budget")
    return values


def run(args: argparse.Namespace) -> int:
    from analysis.tradeoff import run_tradeoff

    epsilons = parse_epsilons(args.epsilons)
    try:
        hidden = [int(h) for h in split_list(args.hidden)]
    except ValueError:
        raise CliError(f"--hidden: {args.hidden!r} must be comma-separated integers") from None
    table = read_table(args.data)
    require_columns(table, [args.label] + ([args.group] if args.group else []))
    fl_kwargs = None
    if args.federated:  # validate before the long DP-SGD grid runs
        fl_kwargs = federated_kwargs(args)
        require_columns(table, [args.partition] if args.partition != "iid" else [])
    try:
        result = run_tradeoff(
            table.frame, args.label, epsilons=epsilons, seeds=args.seeds, seed=args.seed,
            group_column=args.group, hidden=hidden, epochs=args.epochs, batch_size=args.batch_size,
            learning_rate=args.learning_rate, clip_norm=args.clip_norm, delta=args.delta,
            baseline=not args.no_baseline, max_rows=args.max_rows,
            progress=None if args.quiet else stderr_progress)
    except ValueError as exc:
        raise input_error(exc) from exc
    federated = None
    if fl_kwargs is not None:
        from analysis.privacy.federated import compare_federated

        try:
            federated = compare_federated(
                table.frame, args.label, hidden=hidden, learning_rate=args.learning_rate, seed=args.seed,
                max_rows=args.max_rows, progress=None if args.quiet else stderr_progress, **fl_kwargs)
        except ValueError as exc:
            raise input_error(exc) from exc
    if args.json:
        payload = result.to_dict()
        if federated is not None:
            payload["federated_runs"] = [run_json(r) for r in federated.runs]
        write_json(payload, args.json)
    stream = sys.stderr if args.json == "-" else sys.stdout
    print(format_table(result), file=stream)
    if federated is not None:
        from analysis.cli.federated import format_table as federated_table

        print("\nFederated (client ε is client-level, sample ε is DP-SGD inside the clients):", file=stream)
        print(federated_table(federated.runs), file=stream)
    for warning in result.warnings:
        print(f"warning: {warning}", file=stream)
    print(result.recommendation, file=stream)
    return 0


def format_table(result) -> str:
    """The trade-off table as Markdown (means over seeds), as in docs/dp.md."""
    def num(value: float, fmt: str) -> str:
        missing = value is None or (isinstance(value, float) and not math.isfinite(value))
        return "–" if missing else format(value, fmt)

    lines = ["| model | ε (RDP) | ε (PLD) | noise σ | accuracy (± sd) | ROC AUC | F1 | TPR@0.1% FPR | "
             "TPR@1% FPR | attack AUC | train s |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for s in result.summary:
        lines.append(
            f"| {s.label} | {num(s.epsilon, '.2f')} | {num(s.pld_epsilon, '.2f')} | "
            f"{num(s.noise_multiplier, '.2f') if s.noise_multiplier else '–'} | "
            f"{s.accuracy:.3f} ± {s.accuracy_std:.3f} | {num(s.roc_auc, '.3f')} | {num(s.f1, '.3f')} | "
            f"{num(s.tpr_at_0_1pct * 100, '.2f')}% | {num(s.tpr_at_1pct * 100, '.2f')}% | "
            f"{num(s.attack_auc, '.3f')} | {s.train_seconds:.1f} |")
    return "\n".join(lines)

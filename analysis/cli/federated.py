"""`privacy-audit federated DATA --label COL`: centralized vs FedAvg vs DP-FedAvg in a Flower simulation.

Writes JSON with one entry per run, each with "mode" ("centralized" or "federated"), "strategy",
"clients", "rounds", "client_epsilon" (client-level, DP-FedAvg only) and "sample_epsilon" (DP-SGD
inside the clients only), utility per round and the membership attacks on the final model.
"""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any

from analysis.cli.common import (CliError, input_error, read_table, require_columns, split_list,
                                stderr_progress, write_json)
from analysis.cli.consent import add_consent_options, apply_consent


def add_federated_options(parser: argparse.ArgumentParser, *, clip_flag: str = "--clip-norm",
                          strategies_flag: bool = True) -> None:
    """The federated knobs, shared with `compare` (which passes clip_flag="--fl-clip-norm", its own
    --clip-norm being DP-SGD's, and strategies_flag=False, its --strategies naming every protection)."""
    parser.add_argument("--clients", type=int, default=10, metavar="K", help="simulated clients (default 10)")
    parser.add_argument("--rounds", type=int, default=5, metavar="R", help="federated rounds (default 5)")
    parser.add_argument("--partition", default="iid", metavar="iid|COLUMN",
                        help="split rows IID (default) or by the values of COLUMN (non-IID)")
    parser.add_argument("--clients-per-round", type=int, default=None, metavar="M",
                        help="clients sampled per round (default: all)")
    parser.add_argument("--local-epochs", type=int, default=2, help="epochs per client per round (default 2)")
    parser.add_argument("--fl-batch-size", type=int, default=64, help="client batch size (default 64)")
    parser.add_argument(clip_flag, dest="fl_clip_norm", type=float, default=1.0,
                        help="DP-FedAvg: L2 clip of each client's update (default 1.0)")
    noise = parser.add_mutually_exclusive_group()
    noise.add_argument("--noise-multiplier", type=float, default=None,
                       help="DP-FedAvg: noise multiplier (default 1.0 unless --client-epsilon is given)")
    noise.add_argument("--client-epsilon", type=float, default=None,
                       help="DP-FedAvg: target client-level epsilon (noise calibrated with dp_accounting)")
    parser.add_argument("--client-delta", type=float, default=None,
                        help="client-level delta (default min(1/(10 K), 1e-5))")
    parser.add_argument("--sample-epsilon", type=float, default=None,
                        help="also run DP-SGD inside each client at this sample-level epsilon")
    if strategies_flag:
        parser.add_argument("--strategies", default="fedavg,dp-fedavg",
                            help="comma-separated: fedavg, dp-fedavg (default both)")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "federated", help="train the tabular MLP centralized and federated (FedAvg, DP-FedAvg) and compare")
    parser.add_argument("data", metavar="DATA", help="the table (CSV, Parquet, JSON, Excel)")
    parser.add_argument("--label", required=True, metavar="COL", help="the label column")
    add_federated_options(parser)
    parser.add_argument("--no-centralized", action="store_true", help="skip the centralized baseline")
    parser.add_argument("--max-rows", type=int, default=None, help="seeded subsample of the rows first")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", metavar="OUT", default="-", help="write JSON here ('-' = stdout, default)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    add_consent_options(parser)
    parser.set_defaults(func=run)


def federated_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """run_federated keyword arguments from parsed options (validated: CliError on a bad value)."""
    from analysis.privacy.dp import DPConfig
    from analysis.privacy.federated import STRATEGIES

    strategies = split_list(args.strategies)
    bad = [s for s in strategies if s not in STRATEGIES]
    if bad or not strategies:
        raise CliError(f"--strategies must be among {', '.join(STRATEGIES)}, got {args.strategies!r}")
    for name in ("clients", "rounds", "local_epochs", "fl_batch_size"):
        if getattr(args, name) < 1:
            raise CliError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    client_dp = None
    if args.sample_epsilon is not None:
        if not (args.sample_epsilon > 0 and math.isfinite(args.sample_epsilon)):
            raise CliError(f"--sample-epsilon must be a positive number, got {args.sample_epsilon}")
        client_dp = DPConfig(target_epsilon=args.sample_epsilon)
    return dict(clients=args.clients, rounds=args.rounds, partition=args.partition,
                clients_per_round=args.clients_per_round, local_epochs=args.local_epochs,
                batch_size=args.fl_batch_size, clip_norm=args.fl_clip_norm,
                noise_multiplier=args.noise_multiplier, target_epsilon=args.client_epsilon,
                delta=args.client_delta, client_dp=client_dp, strategies=tuple(strategies))


def run_json(run) -> dict[str, Any]:
    """One run as JSON: the result's dict, with the fields a reader looks for first."""
    data = run.to_dict()
    head = {k: data.pop(k) for k in ("mode", "strategy", "clients", "rounds", "client_epsilon", "sample_epsilon",
                                     "accuracy_score")}
    return head | data


def run(args: argparse.Namespace) -> int:
    from analysis.privacy.federated import compare_federated

    table = read_table(args.data)
    require_columns(table, [args.label] + ([args.partition] if args.partition != "iid" else []))
    kwargs = federated_kwargs(args)
    frame, consent = apply_consent(table.frame, args)
    progress = None if args.quiet else stderr_progress
    try:
        if args.no_centralized:
            from analysis.privacy.federated import run_federated

            strategies = kwargs.pop("strategies")
            runs = [run_federated(frame, args.label, strategy=s, max_rows=args.max_rows, seed=args.seed,
                                  progress=progress, **kwargs) for s in strategies]
        else:
            runs = compare_federated(frame, args.label, max_rows=args.max_rows, seed=args.seed,
                                     progress=progress, **kwargs).runs
    except ValueError as exc:
        raise input_error(exc) from exc
    write_json({"data": table.name, "fingerprint": table.fingerprint, "label": args.label,
                "runs": [run_json(r) for r in runs]} | ({"consent": consent} if consent else {}), args.json)
    print(format_table(runs), file=sys.stderr if args.json in (None, "-") else sys.stdout)
    return 0


def format_table(runs) -> str:
    """The runs as a Markdown table (client- and sample-level epsilon in separate columns)."""
    def num(value, fmt: str) -> str:
        return "–" if value is None or (isinstance(value, float) and not math.isfinite(value)) else format(value, fmt)

    lines = ["| run | mode | clients | rounds | client ε | sample ε | accuracy | ROC AUC | TPR@0.1% FPR | "
             "TPR@1% FPR | attack AUC | seconds |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in runs:
        row = r.summary_row()
        lines.append(
            f"| {row['run']} | {row['mode']} | {row['clients']} | {row['rounds']} | "
            f"{num(row['client_epsilon'], '.2f')} | {num(row['sample_epsilon'], '.2f')} | "
            f"{row['accuracy_score']:.3f} | {num(row['roc_auc_score'], '.3f')} | "
            f"{num(None if row['tpr_at_0.1%_fpr'] is None else row['tpr_at_0.1%_fpr'] * 100, '.2f')}% | "
            f"{num(None if row['tpr_at_1%_fpr'] is None else row['tpr_at_1%_fpr'] * 100, '.2f')}% | "
            f"{num(row['attack_auc'], '.3f')} | {r.seconds:.0f} |")
    return "\n".join(lines)

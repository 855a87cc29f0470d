"""`privacy-audit compare DATA --label COL`: every protection (or the DP-SGD grid) trained and attacked the
same way, side by side.

Without --strategies: the DP-SGD grid of today (the non-private MLP when 'inf' is among --epsilons, DP-SGD
at each finite one, a logistic-regression baseline unless --no-baseline; --federated adds FedAvg and
DP-FedAvg). With --strategies: the named ones of none, anonymized, dp, federated, dp-federated,
anonymized+dp, federated+dp (analysis.strategies). A strategy that cannot run on the data (no --plan for
anonymized, too few rows for --clients, ...) is reported as skipped with its reason; the exit code stays 0.

JSON (`--json OUT`): `analysis.strategies.StrategyComparison`: `runs` (one row per trained model, the same
keys for every strategy: strategy, name, seed, accuracy, roc_auc, f1, epsilon, delta, unit, k, attacks,
train_seconds, protects, epsilon_target, pld_epsilon, noise_multiplier, accountant, ...), `skipped`
(strategy, reason), `summary` (means over seeds) and `recommendation`. JSON has no infinity: a missing
epsilon is null.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from analysis.cli.common import (CliError, input_error, read_table, require_columns, split_list,
                                 stderr_progress, write_json)
from analysis.cli.consent import add_consent_options, apply_consent
from analysis.cli.federated import add_federated_options
from analysis.errors import safe_message
from analysis.settings import get_settings

MAX_PLAN_BYTES = 1_000_000


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "compare", help="train the same MLP with each protection (none, anonymized, DP-SGD, federated, "
                        "combinations); compare utility, the formal guarantee and measured membership leakage",
        description="Train a Keras MLP on DATA with each protection on the same members/non-members split "
                    "and seeds, and report utility, the guarantee (epsilon per record or per client, k) and "
                    "membership-inference results. Without --strategies: the DP-SGD grid (non-private and "
                    "each budget, plus a logistic-regression baseline).")
    parser.add_argument("data", metavar="DATA", help="the table (CSV, Parquet, JSON, Excel)")
    parser.add_argument("--label", required=True, metavar="COL", help="the target column")
    parser.add_argument("--strategies", metavar="LIST",
                        help="comma-separated: none, anonymized, dp, federated, dp-federated, anonymized+dp, "
                             "federated+dp (default: the DP-SGD grid)")
    parser.add_argument("--plan", metavar="PLAN.yaml", help="anonymization plan for the anonymized strategies")
    parser.add_argument("--epsilons", default="0.5,1,2,4,8,inf",
                        help="comma-separated target budgets per record; 'inf' is the non-private model "
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
    parser.add_argument("--reference-models", type=int, default=None, metavar="N",
                        help="RMIA beside the threshold attacks: N reference models trained with each run's own "
                             "strategy (about N x that run's training time; default: %d; 0: off)"
                             % get_settings().comparison_reference_models)
    parser.add_argument("--canaries", type=int, default=None, metavar="M",
                        help="M coin-flip canaries per seed for each run's one-run ε lower bound (Steinke et al. "
                             "2023; default: %d; 0: off)" % get_settings().canaries)
    parser.add_argument("--anonymity-attacks", type=int, default=None, metavar="N",
                        help="GDPR singling out, linkability and inference of the raw and anonymized training "
                             "table, N attacks each (default: %d; 0: off)" % get_settings().anonymity_attacks)
    parser.add_argument("--no-baseline", action="store_true", help="skip the logistic-regression baseline")
    parser.add_argument("--json", metavar="OUT", help="write the result as JSON ('-' for stdout)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    add_consent_options(parser)
    fl = parser.add_argument_group(
        "federated", "settings of the federated strategies (a Flower simulation with the same MLP, split and "
                     "seeds); --federated adds FedAvg and DP-FedAvg to the DP-SGD grid. DP-FedAvg's epsilon is "
                     "per client (--client-epsilon, default 8), DP-SGD's per record")
    fl.add_argument("--federated", action="store_true", help="also train federated (FedAvg, DP-FedAvg)")
    add_federated_options(fl, clip_flag="--fl-clip-norm", strategies_flag=False)
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


def _strategies(args: argparse.Namespace, epsilons: list[float]) -> list[str]:
    from analysis.strategies import parse_strategies

    if args.strategies is not None:
        try:
            return parse_strategies(args.strategies)
        except ValueError as exc:
            raise CliError(f"--strategies: {safe_message(exc)}") from exc
    names = (["none"] if any(math.isinf(e) for e in epsilons) else []) + \
            (["dp"] if any(math.isfinite(e) for e in epsilons) else [])
    return names + (["federated", "dp-federated"] if args.federated else [])


def _plan(path: str | None):
    if path is None:
        return None
    from analysis.anonymize import Plan

    file = Path(path)
    if not file.is_file():
        raise CliError(f"--plan: no plan file at {path}")
    if file.stat().st_size > MAX_PLAN_BYTES:
        raise CliError(f"--plan: {path} is larger than {MAX_PLAN_BYTES:,} bytes")
    try:
        return Plan.from_file(file)
    except ValueError as exc:
        raise CliError(f"--plan: {path}: {safe_message(exc)}") from exc


def _federated_settings(args: argparse.Namespace) -> dict:
    for name in ("clients", "rounds", "local_epochs", "fl_batch_size"):
        if getattr(args, name) < 1:
            raise CliError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    for flag, value in (("--noise-multiplier", args.noise_multiplier), ("--sample-epsilon", args.sample_epsilon),
                        ("--clients-per-round", args.clients_per_round), ("--client-delta", args.client_delta)):
        if value is not None:
            raise CliError(f"{flag} is a `privacy-audit federated` option; compare calibrates DP-FedAvg to "
                           "--client-epsilon and runs DP-SGD in the clients as --strategies federated+dp")
    eps = 8.0 if args.client_epsilon is None else args.client_epsilon
    if not (eps > 0 and math.isfinite(eps)):
        raise CliError(f"--client-epsilon must be a positive number, got {args.client_epsilon}")
    return dict(clients=args.clients, rounds=args.rounds, partition=args.partition, local_epochs=args.local_epochs,
                fl_batch_size=args.fl_batch_size, fl_clip_norm=args.fl_clip_norm, client_epsilons=[eps])


def run(args: argparse.Namespace) -> int:
    from analysis.strategies import run_strategies

    epsilons = parse_epsilons(args.epsilons)
    try:
        hidden = [int(h) for h in split_list(args.hidden)]
    except ValueError:
        raise CliError(f"--hidden: {args.hidden!r} must be comma-separated integers") from None
    strategies = _strategies(args, epsilons)
    if not strategies:
        raise CliError("nothing to train: give --strategies or budgets in --epsilons")
    fl = _federated_settings(args)  # validated before the long runs
    plan = _plan(args.plan)
    table = read_table(args.data)
    require_columns(table, [args.label] + ([args.group] if args.group else [])
                    + ([args.partition] if args.partition != "iid" else []))
    frame, consent = apply_consent(table.frame, args)
    try:
        result = run_strategies(
            frame, args.label, strategies, plan=plan, epsilons=epsilons, seeds=args.seeds, seed=args.seed,
            group_column=args.group, hidden=hidden, epochs=args.epochs, batch_size=args.batch_size,
            learning_rate=args.learning_rate, clip_norm=args.clip_norm, delta=args.delta,
            baseline=args.strategies is None and not args.no_baseline, max_rows=args.max_rows,
            reference_models=_count(args.reference_models, "comparison_reference_models", "--reference-models"),
            canaries=_count(args.canaries, "canaries", "--canaries"),
            anonymity_attacks=_count(args.anonymity_attacks, "anonymity_attacks", "--anonymity-attacks"),
            progress=None if args.quiet else stderr_progress, **fl)
    except ValueError as exc:
        raise input_error(exc) from exc
    if args.json:
        payload = result.to_dict()
        if consent is not None:
            payload["consent"] = consent
        write_json(payload, args.json)
    stream = sys.stderr if args.json == "-" else sys.stdout
    print(format_table(result), file=stream)
    for skip in result.skipped:
        print(f"skipped {skip.strategy}: {skip.reason}", file=stream)
    for warning in result.warnings:
        print(f"warning: {warning}", file=stream)
    print(result.recommendation, file=stream)
    from analysis.comparison_privacy import broken_bounds

    for line in broken_bounds(result):
        print(f"ALERT: {line}", file=stream)
    return 0


def _count(value, setting: str, flag: str) -> int:
    value = getattr(get_settings(), setting) if value is None else value
    if value < 0:
        raise CliError(f"{flag} must be >= 0, got {value}")
    return int(value)


def format_table(result) -> str:
    """The comparison as Markdown (means over seeds), one row per option, as in docs/strategies.md."""
    from analysis.strategies import guarantee_text

    def num(value: float, fmt: str) -> str:
        missing = value is None or (isinstance(value, float) and not math.isfinite(value))
        return "–" if missing else format(value, fmt)

    lines = ["| strategy | guarantee | ε (PLD) | noise σ | accuracy (± sd) | ROC AUC | F1 | TPR@0.1% FPR | "
             "TPR@1% FPR | attack AUC | strongest attack | canary ε ≥ | singling out | train s |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    from analysis.comparison_privacy import privacy_columns

    extra = privacy_columns(result)
    for s in result.summary:
        more = extra.get(s.label, {})
        lines.append(
            f"| {s.label} | {guarantee_text(s.unit, s.epsilon, s.k)} | {num(s.pld_epsilon, '.2f')} | "
            f"{num(s.noise_multiplier, '.2f') if s.noise_multiplier else '–'} | "
            f"{s.accuracy:.3f}{f' ± {s.accuracy_std:.3f}' if s.runs > 1 else ''} | {num(s.roc_auc, '.3f')} | {num(s.f1, '.3f')} | "
            f"{num(s.tpr_at_0_1pct * 100, '.2f')}% | {num(s.tpr_at_1pct * 100, '.2f')}% | "
            f"{num(s.attack_auc, '.3f')} | {more.get('strongest', '–')} | {more.get('canary', '–')} | "
            f"{more.get('singling_out', '–')} | {s.train_seconds:.1f} |")
    return "\n".join(lines)

"""`privacy-audit attack`: membership-inference audit of a model file (or one trained on the spot).

    privacy-audit attack --model FILE --members A --non-members B --label COL [--population C]
        [--attacks threshold,lira,rmia] [--reference-models N] [--seed S] [--json OUT]

`--model` takes a .skops or .keras file (pickles are refused). A .skops file holding types skops does
not trust by default is refused until those types are named with `--trust TYPE,TYPE` (the error lists
them). `--train RECIPE` instead trains that recipe on the members file and audits the result.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analysis.cli.common import CliError, read_table, require_columns, split_list, stderr_progress, write_json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("attack", help="membership-inference attacks on a model (threshold, LiRA, RMIA)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", metavar="FILE", help="model file: .skops (scikit-learn) or .keras")
    source.add_argument("--train", metavar="RECIPE",
                        help="train this recipe on the members instead (logistic_regression, gradient_boosting, "
                             "random_forest, keras_mlp, nearest_neighbor, unpruned_tree)")
    parser.add_argument("--members", required=True, metavar="A", help="table of the model's training rows")
    parser.add_argument("--non-members", required=True, metavar="B", help="table of held-out rows")
    parser.add_argument("--label", required=True, metavar="COL", help="label (target) column")
    parser.add_argument("--population", metavar="C", help="extra rows from the same distribution for reference models")
    parser.add_argument("--attacks", default="threshold,lira,rmia",
                        help="comma-separated: threshold, lira, rmia or single variants (default: all)")
    parser.add_argument("--reference-models", type=int, default=8, metavar="N",
                        help="reference models for LiRA / RMIA (default 8)")
    parser.add_argument("--slice-column", metavar="COL", help="also report per value of this column")
    parser.add_argument("--trust", metavar="TYPES", help="comma-separated skops types you trust in this file")
    parser.add_argument("--seed", type=int, default=0, metavar="S")
    parser.add_argument("--backend", default="auto", choices=("auto", "serial", "joblib", "ray"))
    parser.add_argument("--n-jobs", type=int, metavar="J", help="parallel workers (default: setting n_jobs)")
    parser.add_argument("--json", metavar="OUT", help="write the result as JSON ('-' for stdout)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    parser.set_defaults(func=run)


def load_cli_model(path: str, trust: list[str]):
    """Load a model file for the CLI; errors become exit code 2 with the message."""
    from analysis.models.loading import ModelLoadError, UntrustedTypesError, load_model

    file = Path(path)
    if not file.is_file():
        raise CliError(f"no model file at {path}")
    try:
        return load_model(file.read_bytes(), file.name, trusted_types=trust)
    except UntrustedTypesError as exc:
        raise CliError(f"{exc} To trust them: --trust {','.join(exc.types)}") from None
    except ModelLoadError as exc:
        raise CliError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    from analysis.attacks.audit import expand_attacks, run_audit
    from analysis.models.loading import ModelLoadError

    members = read_table(args.members)
    non_members = read_table(args.non_members)
    require_columns(members, [args.label])
    require_columns(non_members, [args.label])
    if members.columns != non_members.columns:
        raise CliError(f"{members.name} and {non_members.name} must have the same columns in the same order")
    population = None
    if args.population:
        population_table = read_table(args.population)
        if population_table.columns != members.columns:
            raise CliError(f"{population_table.name} must have the same columns as {members.name}")
        population = population_table.frame
    if args.slice_column:
        require_columns(members, [args.slice_column])
    if args.reference_models < 2:
        raise CliError(f"--reference-models must be at least 2, got {args.reference_models}")
    try:
        attacks = expand_attacks(split_list(args.attacks))
    except ValueError as exc:
        raise CliError(str(exc)) from None
    progress = None if args.quiet else stderr_progress
    label = args.label
    members_frame = members.frame[members.frame[label].notna()].reset_index(drop=True)
    non_frame = non_members.frame[non_members.frame[label].notna()].reset_index(drop=True)

    if args.train:
        from analysis.models.recipes import get_recipe

        try:
            recipe = get_recipe(args.train)
            model = recipe.fit(members_frame.drop(columns=[label]), members_frame[label].to_numpy(),
                               seed=args.seed)
        except ValueError as exc:
            raise CliError(str(exc)) from None
        model_info = {"trained_here": True, "recipe": recipe.describe()}
    else:
        loaded = load_cli_model(args.model, split_list(args.trust))
        try:
            model = loaded.bind(members_frame, label)
            loaded.bind(non_frame, label)
        except ModelLoadError as exc:
            raise CliError(str(exc)) from None
        recipe = loaded.recipe()
        model_info = {"file": loaded.name, "kind": loaded.kind, "fingerprint": loaded.fingerprint,
                      "trusted_types": loaded.trusted_types, "inputs": loaded.input_description()}
    try:
        result = run_audit(model, members_frame, non_frame, label, recipe=recipe, population=population,
                           attacks=attacks, reference_models=args.reference_models,
                           slice_column=args.slice_column, seed=args.seed, backend=args.backend,
                           n_jobs=args.n_jobs, progress=progress)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        write_json(result.to_dict() | {"model": model_info}, args.json)
    if not args.json or args.json != "-":
        _print_summary(result)
    return 0


def _print_summary(result) -> None:
    out = sys.stdout
    print(f"train accuracy {result.train_accuracy:.3f}   test accuracy {result.test_accuracy:.3f}", file=out)
    print(f"{'attack':<22}{'AUC':>7}{'adv':>7}{'TPR@0.1%':>10}{'TPR@1%':>9}{'eps_lb':>8}", file=out)
    for a in result.attacks:
        print(f"{a.name:<22}{a.auc:7.3f}{a.advantage:7.3f}{a.tpr_at_fpr.get('0.001', float('nan')):10.4f}"
              f"{a.tpr_at_fpr.get('0.01', float('nan')):9.4f}"
              f"{'–' if a.epsilon_lower_bound is None else f'{a.epsilon_lower_bound:.2f}':>8}", file=out)
    print(result.epsilon_headline()[1], file=out)
    for warning in result.warnings:
        print(f"warning: {warning}", file=out)

"""`privacy-audit attack`: membership-inference audit of a model file (or one trained on the spot).

    privacy-audit attack --model FILE --members A --non-members B --label COL [--population C]
        [--attacks threshold,lira,rmia] [--reference-models N] [--seed S] [--json OUT]

`--model` takes a .skops, .keras, .onnx, XGBoost .json/.ubj or LightGBM .txt file (pickles are refused); every file passes the model-file gate
(analysis/models/gate.py) first. The scikit-learn / NumPy / SciPy types the built-in recipes need are
trusted automatically; other types of those packages are refused until named with `--trust TYPE,TYPE`
(the error lists them); types outside them are refused outright, `--trust` or not.
`--train RECIPE` instead trains that recipe on the members file and audits the result.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analysis.cli.common import (CliError, input_error, read_table, require_columns, split_list,
                                 stderr_progress, write_json)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("attack", help="membership-inference attacks on a model (threshold, LiRA, RMIA)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", metavar="FILE", help="model file: .skops (scikit-learn), .keras, .onnx, "
                                                        ".json/.ubj (XGBoost) or .txt (LightGBM)")
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
    parser.add_argument("--withdrawn", metavar="W", help="rows whose consent was withdrawn: test whether the model "
                        "still holds them (adds 'withdrawn' to the JSON; docs/consent.md)")
    parser.add_argument("--trust", metavar="TYPES",
                        help="comma-separated scikit-learn / NumPy / SciPy types you checked and trust in this "
                             ".skops file (other packages are always refused)")
    parser.add_argument("--onnx-columns", metavar="COLS",
                        help="ONNX with one tensor input: feed these columns in this order (default: the numeric "
                             "feature columns in table order)")
    parser.add_argument("--onnx-output", default="auto", choices=("auto", "probabilities", "logits"),
                        help="read the ONNX output as probabilities or logits (default: decided from the values)")
    parser.add_argument("--reference-recipe", metavar="RECIPE",
                        help="ONNX: recipe of the LiRA/RMIA reference models (default: suggested from the graph)")
    parser.add_argument("--seed", type=int, default=0, metavar="S")
    parser.add_argument("--backend", default="auto", choices=("auto", "serial", "joblib", "ray"))
    parser.add_argument("--n-jobs", type=int, metavar="J", help="parallel workers (default: setting n_jobs)")
    parser.add_argument("--json", metavar="OUT", help="write the result as JSON ('-' for stdout)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    parser.set_defaults(func=run)


def load_cli_model(path: str, trust: list[str], **options):
    """Load a model file for the CLI; errors become exit code 2 with the message."""
    from analysis.models.loading import ModelLoadError, UntrustedTypesError
    from analysis.models.remote import open_model

    file = Path(path)
    if not file.is_file():
        raise CliError(f"no model file at {path}")
    try:
        return open_model(file.read_bytes(), file.name, trusted_types=trust, **options)  # in the model worker
    except UntrustedTypesError as exc:
        raise CliError(f"{exc} Name each one you checked with --trust TYPE[,TYPE].") from None
    except ModelLoadError as exc:
        raise input_error(exc) from exc


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
        raise input_error(exc) from exc
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
            raise input_error(exc) from exc
        model_info = {"trained_here": True, "recipe": recipe.describe()}
    else:
        loaded = load_cli_model(args.model, split_list(args.trust), onnx_columns=split_list(args.onnx_columns) or None,
                                onnx_output=args.onnx_output, reference_recipe=args.reference_recipe)
        try:
            model = loaded.bind(members_frame, label)
            loaded.bind(non_frame, label)
        except ModelLoadError as exc:
            raise input_error(exc) from exc
        recipe = loaded.recipe()
        model_info = {"file": loaded.name, "kind": loaded.kind, "fingerprint": loaded.fingerprint,
                      "trusted_types": loaded.trusted_types, "inputs": loaded.input_description()}
    try:
        result = run_audit(model, members_frame, non_frame, label, recipe=recipe, population=population,
                           attacks=attacks, reference_models=args.reference_models,
                           slice_column=args.slice_column, seed=args.seed, backend=args.backend,
                           n_jobs=args.n_jobs, progress=progress)
    except ValueError as exc:
        raise input_error(exc) from exc
    withdrawn = _withdrawal_check(args, model, recipe, members_frame, non_frame, population, attacks, progress)
    if args.json:
        write_json(result.to_dict() | {"model": model_info} | ({"withdrawn": withdrawn.to_dict()} if withdrawn else {}),
                   args.json)
    if not args.json or args.json != "-":
        _print_summary(result)
    return 0


def _withdrawal_check(args, model, recipe, members_frame, non_frame, population, attacks, progress):
    """The withdrawal check on the --withdrawn rows (None without the option)."""
    if not args.withdrawn:
        return None
    from analysis.attacks.withdrawal import check_withdrawal

    withdrawn = read_table(args.withdrawn)
    if withdrawn.columns != list(members_frame.columns):
        raise CliError(f"{withdrawn.name} must have the same columns as {args.members}, in the same order")
    try:
        check = check_withdrawal(model, members_frame, non_frame, withdrawn.frame, args.label, recipe=recipe,
                                 population=population, attacks=attacks, reference_models=args.reference_models,
                                 seed=args.seed, backend=args.backend, n_jobs=args.n_jobs, progress=progress)
    except ValueError as exc:
        raise input_error(exc) from exc
    if args.json != "-":
        print(f"withdrawn: {check.rows} rows, p = {check.p_value:.3g}: {check.verdict}. {check.power_note}")
    return check


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

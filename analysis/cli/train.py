"""`privacy-audit train`: train a recipe on a table and write a .skops model plus the member split.

    privacy-audit train DATA --label COL --recipe random_forest --out model.skops
        [--member-share 0.5] [--seed S] [--members-out A.csv --non-members-out B.csv]

The written files feed `privacy-audit attack --model model.skops --members A.csv --non-members B.csv`.
Only scikit-learn recipes are written (as skops); the Keras MLP has no single-file form here.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from analysis.cli.common import CliError, input_error, read_table, require_columns, write_json
from analysis.csv_export import to_safe_csv
from analysis.cli.consent import add_consent_options, apply_consent


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("train", help="train a model on DATA and write it as .skops with its member split")
    parser.add_argument("data", metavar="DATA", help="table to train on")
    parser.add_argument("--label", required=True, metavar="COL")
    parser.add_argument("--recipe", default="random_forest",
                        help="logistic_regression, gradient_boosting, random_forest, nearest_neighbor, unpruned_tree")
    parser.add_argument("--out", required=True, metavar="FILE", help="model file to write (.skops)")
    parser.add_argument("--member-share", type=float, default=0.5, help="share of rows used for training")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--members-out", metavar="A", help="write the training rows here (CSV)")
    parser.add_argument("--non-members-out", metavar="B", help="write the held-out rows here (CSV)")
    parser.add_argument("--json", metavar="OUT", help="write the training summary as JSON ('-' for stdout)")
    add_consent_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from analysis.models.loading import dump_skops
    from analysis.models.recipes import KERAS_RECIPE, get_recipe, train_model

    if not args.out.lower().endswith(".skops"):
        raise CliError(f"--out must end in .skops, got {args.out}")
    if args.recipe == KERAS_RECIPE:
        raise CliError("train writes scikit-learn models only; use the dashboard or `attack --train keras_mlp`")
    table = read_table(args.data)
    require_columns(table, [args.label])
    frame, consent = apply_consent(table.frame, args)
    try:
        trained = train_model(frame, args.label, recipe=get_recipe(args.recipe),
                              member_share=args.member_share, seed=args.seed)
    except ValueError as exc:
        raise input_error(exc) from exc
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(dump_skops(trained.model))
    if args.members_out:
        to_safe_csv(trained.members, args.members_out)
    if args.non_members_out:
        to_safe_csv(trained.non_members, args.non_members_out)
    summary = trained.to_dict() | {"model_file": str(out)} | ({"consent": consent} if consent else {})
    if args.json:
        write_json(summary, args.json)
    else:
        print(f"wrote {out} ({args.recipe}): train accuracy {trained.train_accuracy:.3f}, "
              f"test accuracy {trained.test_accuracy:.3f}, {trained.n_members} members, "
              f"{trained.n_non_members} non-members")
    return 0

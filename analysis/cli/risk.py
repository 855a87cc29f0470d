"""`privacy-audit risk`: re-identification risk of a table for chosen quasi-identifiers."""

from __future__ import annotations

import argparse

from analysis.cli.common import (CliError, input_error, read_table, require_columns, split_list,
                                stderr_progress, write_json)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("risk", help="k-anonymity, l-diversity, t-closeness and attacker-model "
                                                "re-identification risk for chosen quasi-identifiers")
    parser.add_argument("data", metavar="DATA", help="table to assess (CSV, Parquet, JSON, Excel)")
    parser.add_argument("--quasi-identifiers", "-q", required=True, metavar="A,B,C",
                        help="comma-separated quasi-identifier columns")
    parser.add_argument("--sensitive", "-s", metavar="S,T", help="comma-separated sensitive attributes")
    parser.add_argument("--k", type=int, default=5, help="target k: records in smaller classes count as "
                                                        "below k (default 5)")
    parser.add_argument("--risk-threshold", type=float, default=0.2,
                        help="re-identification probability above which a record is at risk (default 0.2)")
    parser.add_argument("--population-size", type=int, metavar="N",
                        help="size of the population the table was sampled from: population uniqueness "
                             "(Pitman / Zayatz / SNB by Dankar et al.'s rule) and the journalist / marketer "
                             "risk from each class's estimated population size (a log-linear model of the "
                             "quasi-identifiers; Pitman / SNB with one)")
    parser.add_argument("--population", metavar="TABLE",
                        help="the population table itself: journalist / marketer risk use its class sizes")
    parser.add_argument("--population-without-sample", action="store_true",
                        help="the population table does not contain the table's records (F = its count + the "
                             "sample's); by default it does (F = its count, as ARX assumes)")
    parser.add_argument("--json", metavar="OUT", help="write the full report as JSON ('-' for stdout)")
    parser.add_argument("--progress", action="store_true", help="print progress on stderr")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from analysis.risk import assess_risk

    table = read_table(args.data)
    qis, sensitive = split_list(args.quasi_identifiers), split_list(args.sensitive)
    if not qis:
        raise CliError("--quasi-identifiers is empty")
    require_columns(table, qis + sensitive)
    population = None
    if args.population:
        population_table = read_table(args.population)
        require_columns(population_table, qis)
        population = population_table.frame
    elif args.population_without_sample:
        raise CliError("--population-without-sample needs --population TABLE")
    try:
        result = assess_risk(table.frame, qis, sensitive=sensitive, k=args.k, risk_threshold=args.risk_threshold,
                             population_size=args.population_size, population=population,
                             population_contains_sample=not args.population_without_sample,
                             progress=stderr_progress if args.progress else None)
    except ValueError as exc:
        raise input_error(exc) from exc
    if args.json:
        write_json(result.to_dict(), args.json)
        if args.json == "-":
            return 0
    print(f"{table.name}: {result.rows:,} rows, {result.classes:,} equivalence classes on {', '.join(qis)}")
    print(f"k = {result.k} (target {result.target_k}); records below k: {result.records_below_k:,} "
          f"({result.share_below_k:.1%}); sample uniques: {result.sample_uniques:,} "
          f"({result.sample_uniques_share:.1%})")
    for model in (result.prosecutor, result.journalist):
        print(f"{model.model:<10} records at risk {model.records_at_risk_share:.1%}, highest "
              f"{model.highest_risk:.1%}, average {model.average_risk:.1%}")
    print(f"{'marketer':<10} average {result.marketer.average_risk:.1%}")
    print(f"journalist / marketer population: {result.journalist.population}")
    for assumption in result.journalist.assumptions:
        print(f"  assumes: {assumption}")
    for attr, ld in result.l_diversity.items():
        print(f"{attr}: distinct l = {ld.distinct_l}, entropy l = {ld.entropy_l:.2f}, "
              f"t = {result.t_closeness[attr].t:.3f}")
    if result.population_uniqueness:
        pu = result.population_uniqueness
        print(f"population uniques ({pu.estimator}): {pu.population_uniques_share:.2%} of records; "
              f"{pu.sample_unique_is_population_unique:.1%} of sample uniques are population-unique")
        print(f"  model choice: {pu.decision}")
    if result.riskiest_combinations:
        top = result.riskiest_combinations[0]
        print(f"riskiest subset: {', '.join(top['columns'])} makes {top['unique_records']:,} records unique")
    return 0

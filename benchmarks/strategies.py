"""Benchmark: every protection on Adult, measured the same way (`analysis.strategies.run_strategies`).

Data: the bundled Adult table (label `class`); per seed, half the rows train (members), half are held
out (non-members). Strategies: none, anonymized (examples/plans/adult_k5_numbers.yaml applied to the training
rows; attacks query the model with the raw records), DP-SGD at each --epsilons, FedAvg and DP-FedAvg
(--clients, --rounds; DP-FedAvg at --client-epsilon per client), anonymized + DP-SGD and FedAvg + DP-SGD
at each --epsilons. MLP 64-32, 10 epochs, batch 256 for the centralized runs; clients train 2 local
epochs per round, batch 64. Attacks: the loss-threshold family and RMIA offline / online with
--reference-models N (default 2) reference models trained with each run's own strategy (the strongest
shown), on all members against all non-members. Privacy axis: --canaries M (default 1,000) coin-flip
canaries per seed give each run Steinke et al.'s one-run ε lower bound; the GDPR anonymity risks of the
raw and anonymized training tables (--anonymity-attacks, default 500); the share of members whose
individual RMIA p-value is below 1% (beside the non-members' share: chance).

Prints a Markdown table for README (means over seeds, ± the standard deviation over seeds when there is
more than one), the skipped strategies, the recommendation and the wall time.

Run: python benchmarks/strategies.py [--seeds 3] [--rows 0] [--epsilons 1,8] [--clients 10] [--rounds 5]
     [--client-epsilon 8] [--reference-models 2] [--canaries 1000] [--anonymity-attacks 500]
     [--plan examples/plans/adult_k5_numbers.yaml] [--strategies ...] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis.anonymize import Plan  # noqa: E402
from analysis.strategies import STRATEGIES, guarantee_text, run_strategies  # noqa: E402
from analysis.tables import load_table  # noqa: E402


def _pct(values: list[float]) -> str:
    mean = float(np.mean(values)) * 100
    return f"{mean:.2f}%" + (f" ± {np.std(values, ddof=1) * 100:.2f}" if len(values) > 1 else "")


def _num(values: list[float]) -> str:
    mean = float(np.mean(values))
    return f"{mean:.3f}" + (f" ± {np.std(values, ddof=1):.3f}" if len(values) > 1 else "")


def table(result) -> str:
    from analysis.comparison_privacy import privacy_columns

    extra = privacy_columns(result)
    shares = {r.run: r for r in (result.exposure.runs if result.exposure is not None else [])}
    lines = ["| strategy | guarantee | accuracy | ROC AUC | F1 | TPR@0.1% FPR | TPR@1% FPR | attack AUC | strongest attack "
             "| canary ε ≥ | members p<1% (chance) | singling out [95%] | train s |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for s in result.summary:
        runs = [r for r in result.runs if r.name == s.label]
        more = extra.get(s.label, {})
        share = shares.get(s.label)
        share_text = (f"{share.members_below[share.attack]:.2%} ({share.non_members_below[share.attack]:.2%})"
                      if share is not None else "–")
        lines.append(
            f"| {s.label} | {guarantee_text(s.unit, s.epsilon, s.k)} | {_num([r.accuracy for r in runs])} | "
            f"{np.mean([r.roc_auc for r in runs]):.3f} | {np.mean([r.f1 for r in runs]):.3f} | "
            f"{_pct([r.tpr_at('0.001') for r in runs])} | {_pct([r.tpr_at('0.01') for r in runs])} | "
            f"{np.mean([r.attack_auc for r in runs]):.3f} | {more.get('strongest', '–')} | {more.get('canary', '–')} | "
            f"{share_text} | {more.get('singling_out', '–')} | {np.mean([r.train_seconds for r in runs]):.0f} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--rows", type=int, default=0, help="seeded sample of this many rows (0: all)")
    parser.add_argument("--epsilons", default="1,8")
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--client-epsilon", type=float, default=8.0)
    parser.add_argument("--reference-models", type=int, default=2)
    parser.add_argument("--canaries", type=int, default=1000)
    parser.add_argument("--anonymity-attacks", type=int, default=500)
    parser.add_argument("--plan", default=str(ROOT / "examples" / "plans" / "adult_k5_numbers.yaml"))
    parser.add_argument("--strategies", default=",".join(STRATEGIES))
    parser.add_argument("--json", help="write the whole comparison here")
    args = parser.parse_args()

    frame = load_table(ROOT / "sample_data" / "adult.csv").frame
    plan = Plan.from_file(args.plan)
    epsilons = [float(e) for e in args.epsilons.split(",")]
    rows = args.rows or None
    print(f"# strategies on Adult: {args.rows or len(frame)} rows, {args.seeds} seed(s), epsilons {epsilons} per "
          f"record, {args.clients} clients x {args.rounds} rounds, DP-FedAvg ε = {args.client_epsilon:g} per client, "
          f"RMIA reference models: {args.reference_models or 'off'} (trained like each run), canaries: "
          f"{args.canaries or 'off'}, anonymity attacks: {args.anonymity_attacks or 'off'}, plan {Path(args.plan).name}")
    start = time.perf_counter()
    last = [0.0]

    def progress(fraction: float, message: str) -> None:
        now = time.perf_counter() - start
        if now - last[0] > 30 or message.startswith("run "):
            last[0] = now
            print(f"  [{now:6.0f} s] {fraction:4.0%} {message}", file=sys.stderr, flush=True)

    result = run_strategies(frame, "class", args.strategies.split(","), plan=plan, epsilons=epsilons,
                            client_epsilons=[args.client_epsilon], seeds=args.seeds, clients=args.clients,
                            rounds=args.rounds, reference_models=args.reference_models, max_rows=rows,
                            canaries=args.canaries, anonymity_attacks=args.anonymity_attacks, progress=progress)
    seconds = time.perf_counter() - start
    print(table(result))
    print()
    print(f"seeds: {args.seeds}; delta = {result.delta:.2g} (DP-SGD rows), means over seeds ± standard deviation; "
          f"attack columns: the strongest attack per run (threshold family and RMIA); canary ε ≥: one-run lower "
          f"bound at 95% (mean over seeds); members p<1%: share of members with an individual RMIA p-value below 1% "
          f"(non-members, i.e. chance, in brackets; first seed)")
    from analysis.comparison_privacy import anonymity_rows, broken_bounds

    for row in anonymity_rows(result):
        if row["seed"] == result.config.training.seed:
            print(f"anonymity of the {row['table']} table: {row['criterion']} {row['risk']:.3f} "
                  f"[{row['ci low']:.3f}, {row['ci high']:.3f}]")
    for line in broken_bounds(result):
        print(f"ALERT: {line}")
    ref_seconds = [r.details["reference_models"]["seconds"] for r in result.runs if "reference_models" in r.details]
    if ref_seconds:
        print(f"reference models (RMIA, trained like each run): {sum(ref_seconds):.0f} s in total over "
              f"{len(ref_seconds)} runs, vs {sum(r.train_seconds for r in result.runs):.0f} s training the runs")
    for skip in result.skipped:
        print(f"skipped {skip.strategy}: {skip.reason}")
    print(f"recommendation: {result.recommendation}")
    print(f"wall time: {seconds / 60:.1f} min")
    if args.json:
        Path(args.json).write_text(result.to_json())
    return 0 if not math.isnan(seconds) else 3


if __name__ == "__main__":
    raise SystemExit(main())

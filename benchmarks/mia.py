"""Benchmark: LiRA with 16 reference models on the Adult table (RMIA from the same models shown too).

Prints the wall time of the reference-model stage with one worker (the baseline) and with joblib
workers, the parallel speed-up, and TPR at 0.1% FPR of LiRA beside the global loss-threshold attack
(the baseline attack), measured in the same run. Both runs must give identical scores.

    python benchmarks/mia.py                      # full Adult, 16 reference models, random forest
    python benchmarks/mia.py --rows 4000 --reference-models 4   # quick check
"""

from __future__ import annotations

import argparse
import os
import time

from analysis.attacks.audit import run_audit
from analysis.compute import parallel_map
from analysis.models.recipes import get_recipe, train_model
from analysis.tables import load_sample


def _warm_up(_: int) -> int:
    import sklearn.ensemble  # noqa: F401  (the imports every reference-model task needs)

    import analysis.attacks.reference  # noqa: F401

    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=0, help="use this many Adult rows (0: all 32,561)")
    parser.add_argument("--reference-models", type=int, default=16)
    parser.add_argument("--recipe", default="random_forest")
    parser.add_argument("--n-estimators", type=int, default=50, help="trees for random_forest")
    parser.add_argument("--n-jobs", type=int, default=os.cpu_count() or 2, help="parallel joblib workers")
    parser.add_argument("--skip-serial", action="store_true", help="skip the one-worker baseline run")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    frame = load_sample("adult.csv").frame
    if 0 < args.rows < len(frame):
        frame = frame.sample(args.rows, random_state=args.seed).reset_index(drop=True)
    params = {"n_estimators": args.n_estimators} if args.recipe == "random_forest" else {}
    recipe = get_recipe(args.recipe, **params)
    t0 = time.perf_counter()
    target = train_model(frame, "class", recipe=recipe, seed=args.seed)
    print(f"Adult rows: {len(frame):,} ({target.n_members:,} members, {target.n_non_members:,} non-members); "
          f"recipe {args.recipe} {params}; target trained in {time.perf_counter() - t0:.1f} s")
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start "
          "(other processes share these CPUs; speed-up figures depend on it)")
    print(f"target train accuracy {target.train_accuracy:.3f}, test accuracy {target.test_accuracy:.3f}")

    def audit(backend: str, n_jobs: int):
        start = time.perf_counter()
        result = run_audit(target.model, target.members, target.non_members, "class", recipe=recipe,
                           attacks=("loss", "lira", "rmia"), reference_models=args.reference_models, seed=args.seed,
                           backend=backend, n_jobs=n_jobs, fair_coin=target.fair_coin)
        return result, time.perf_counter() - start

    start = time.perf_counter()
    parallel_map(_warm_up, list(range(args.n_jobs)), n_jobs=args.n_jobs, backend="joblib")
    print(f"joblib worker start-up (imports; excluded below): {time.perf_counter() - start:.1f} s")
    parallel, t_parallel = audit("joblib", args.n_jobs)
    print(f"LiRA, {args.reference_models} reference models, joblib n_jobs={args.n_jobs}: {t_parallel:.1f} s wall")
    if not args.skip_serial:
        serial, t_serial = audit("serial", 1)
        print(f"LiRA, {args.reference_models} reference models, 1 worker (baseline): {t_serial:.1f} s wall")
        print(f"parallel speed-up over 1 worker: {t_serial / t_parallel:.2f}x with {args.n_jobs} workers "
              f"({os.cpu_count()} CPUs visible)")
        same = all(a.auc == b.auc and a.tpr_at_fpr == b.tpr_at_fpr for a, b in zip(serial.attacks, parallel.attacks))
        print(f"identical results serial vs parallel: {same}")
    print(f"{'attack':<14}{'AUC':>8}{'TPR@0.1%FPR':>14}{'95% CI':>20}{'TPR@1%FPR':>12}{'eps (1 run)':>13}")
    for a in parallel.attacks:
        lo, hi = a.tpr_ci["0.001"]
        print(f"{a.name:<14}{a.auc:8.3f}{a.tpr_at_fpr['0.001']:14.4f}{f'[{lo:.4f}, {hi:.4f}]':>20}"
              f"{a.tpr_at_fpr['0.01']:12.4f}{a.epsilon_lower_bound:13.2f}")
    print(parallel.epsilon_headline()[1])
    loss = parallel.attack("loss").tpr_at_fpr["0.001"]
    best = max(parallel.attack("lira_online").tpr_at_fpr["0.001"], parallel.attack("lira_offline").tpr_at_fpr["0.001"])
    ratio = f"{best / loss:.1f}x" if loss > 0 else "inf (threshold attack finds no member at 0.1% FPR)"
    print(f"TPR at 0.1% FPR: best LiRA {best:.4f} vs loss threshold {loss:.4f} -> {ratio}")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    for warning in parallel.warnings:
        print(f"warning: {warning}")


if __name__ == "__main__":
    main()

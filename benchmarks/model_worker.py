"""Benchmark: the model worker's overhead on a model-file audit (target: at most 10% slower).

A random forest trained on Adult is saved as .skops, then audited twice on the same split with the same
attacks and reference models: loaded in this process (`loading.load_model`, reference models on joblib,
the way files were audited before the worker) and loaded in the model worker (`remote.open_model`,
reference models in workers). Both times include loading, binding and the whole audit; both runs must
give identical scores. The order alternates over `--repeats` to spread the machine's load.

    python benchmarks/model_worker.py                              # full Adult, 16 reference models
    python benchmarks/model_worker.py --rows 4000 --reference-models 4   # quick check
"""

from __future__ import annotations

import argparse
import os
import resource
import time

from analysis.attacks.audit import run_audit
from analysis.models.loading import dump_skops, load_model
from analysis.models.recipes import get_recipe, train_model
from analysis.models.remote import open_model
from analysis.tables import load_sample


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=0, help="use this many Adult rows (0: all 32,561)")
    parser.add_argument("--reference-models", type=int, default=16)
    parser.add_argument("--n-estimators", type=int, default=50)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()

    frame = load_sample("adult.csv").frame
    if 0 < args.rows < len(frame):
        frame = frame.sample(args.rows, random_state=0).reset_index(drop=True)
    target = train_model(frame, "class", recipe=get_recipe("random_forest", n_estimators=args.n_estimators), seed=0)
    data = dump_skops(target.model)
    print(f"Adult rows {len(frame):,}; random forest ({args.n_estimators} trees) as .skops, {len(data) / 1e6:.1f} MB; "
          f"{args.reference_models} reference models, n_jobs {args.n_jobs}; load average "
          f"{os.getloadavg()[0]:.1f} (other work on this machine slows both runs alike)")
    settings = dict(attacks=("loss", "lira", "rmia"), reference_models=args.reference_models, seed=0,
                    n_jobs=args.n_jobs, fair_coin=target.fair_coin)

    def in_process():
        loaded = load_model(data, "adult_rf.skops")
        return run_audit(loaded.bind(target.members, "class"), target.members, target.non_members, "class",
                         recipe=loaded.recipe(), backend="joblib", **settings)

    def in_worker():
        loaded = open_model(data, "adult_rf.skops")
        try:
            return run_audit(loaded.bind(target.members, "class"), target.members, target.non_members, "class",
                             recipe=loaded.recipe(), **settings)
        finally:
            loaded.close()

    times = {"in process": [], "model worker": []}
    results = {}
    for repeat in range(args.repeats):
        order = [("in process", in_process), ("model worker", in_worker)]
        for name, run in (order if repeat % 2 == 0 else order[::-1]):
            start = time.perf_counter()
            results[name] = run()
            times[name].append(time.perf_counter() - start)
            print(f"  run {repeat + 1}: {name:<13} {times[name][-1]:7.1f} s")
    base, worker = min(times["in process"]), min(times["model worker"])
    print(f"best of {args.repeats}: in process {base:.1f} s, model worker {worker:.1f} s -> "
          f"ratio {worker / base:.3f} (overhead {100 * (worker / base - 1):+.1f}%, target <= +10%)")
    same = all(a.auc == b.auc and a.tpr_at_fpr == b.tpr_at_fpr
               for a, b in zip(results["in process"].attacks, results["model worker"].attacks))
    print(f"identical attack results: {same}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"largest child process (joblib or model worker) peak RSS: {peak:.0f} MB")


if __name__ == "__main__":
    main()

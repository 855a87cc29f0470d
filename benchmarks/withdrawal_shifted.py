"""Benchmark: the withdrawal check's level on a shifted group that the model never saw, and its power on
rows it was trained on (issue 21.5).

Data: sample_data/customers.csv (label `churned`). Per seed: 400 members and 400 non-members drawn from
the customers outside the top quartile of tenure, 100 withdrawn rows drawn from the top quartile (people
who withdraw are not a random sample). A random forest is trained on the members alone (the withdrawn
rows were never seen) and on members + withdrawn (they are still in training). Each model is checked
with its recipe (the per-record test against models retrained on the members) and without it (the group
Mann-Whitney test, which assumes withdrawn rows look like non-members).

Prints, over the seeds: how often each test flags the never-seen shifted rows (a 1% test should flag
about 1%: at most 2 of 40) and the trained-on rows, and the wall time.

Run: python benchmarks/withdrawal_shifted.py [--seeds 40] [--reference-models 8]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COLUMNS = ["age", "sex", "state", "plan", "tenure_months", "amount", "items", "rating", "churned"]


def shifted_split(frame: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(members, non-members, withdrawn): withdrawn from the top tenure quartile, the rest from below it."""
    top = frame["tenure_months"] > frame["tenure_months"].quantile(0.75)
    rng = np.random.default_rng(seed)
    rest = frame[~top].iloc[rng.permutation(int((~top).sum()))[:800]].reset_index(drop=True)
    withdrawn = frame[top].iloc[rng.permutation(int(top.sum()))[:100]].reset_index(drop=True)
    return rest.iloc[:400].reset_index(drop=True), rest.iloc[400:].reset_index(drop=True), withdrawn


def main() -> None:
    from analysis.attacks.withdrawal import check_withdrawal
    from analysis.models.recipes import get_recipe

    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=40)
    parser.add_argument("--reference-models", type=int, default=8)
    args = parser.parse_args()
    frame = pd.read_csv(ROOT / "sample_data" / "customers.csv")[COLUMNS]
    recipe = get_recipe("random_forest")
    counts = {"per-record, never seen": 0, "per-record, trained on": 0, "group, never seen": 0,
              "group, trained on": 0}
    start = time.time()
    for seed in range(args.seeds):
        members, non_members, withdrawn = shifted_split(frame, seed)
        both = pd.concat([members, withdrawn], ignore_index=True)
        without = recipe.fit(members.drop(columns=["churned"]), members["churned"].to_numpy(), seed=seed)
        with_them = recipe.fit(both.drop(columns=["churned"]), both["churned"].to_numpy(), seed=seed)
        for name, model in (("never seen", without), ("trained on", with_them)):
            per_record = check_withdrawal(model, members, non_members, withdrawn, "churned", recipe=recipe,
                                          reference_models=args.reference_models, seed=seed, n_jobs=1)
            counts[f"per-record, {name}"] += per_record.still_in_training
            counts[f"group, {name}"] += per_record.group_p_value < per_record.alpha
        print(f"seed {seed}: " + ", ".join(f"{k} {v}" for k, v in counts.items()), flush=True)
    print(f"\n{args.seeds} seeds, {args.reference_models} retrained models, random forest, {time.time() - start:.0f} s")
    print("| test | never-seen shifted rows flagged | trained-on rows flagged |")
    print("|---|---|---|")
    for test in ("per-record", "group"):
        print(f"| {test} | {counts[f'{test}, never seen']} / {args.seeds} | {counts[f'{test}, trained on']} / {args.seeds} |")


if __name__ == "__main__":
    main()

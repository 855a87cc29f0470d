"""Write the labelled PII evaluation sets to tests/pii/data/ (seeded; see analysis/pii/evalset.py).

For each variant ("known": column names and formats the rules were written for; "unseen": new column
names, other locales and layouts) it writes:
  eval_<variant>.csv          the table
  eval_<variant>_truth.json   {"columns": {name: {"entity", "kind"}}, "spans": [[row, type, start, end, column]]}

Run: python scripts/make_pii_eval_set.py [--rows 300] [--out tests/pii/data]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis.pii.evalset import make_eval_set  # noqa: E402

SEEDS = {"known": 7, "unseen": 11}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300)
    parser.add_argument("--out", default=str(ROOT / "tests" / "pii" / "data"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for variant, seed in SEEDS.items():
        data = make_eval_set(args.rows, variant=variant, seed=seed)
        data.frame.to_csv(out / f"eval_{variant}.csv", index=False)
        truth = {"variant": variant, "seed": seed, "rows": args.rows,
                 "columns": {c: {"entity": t.entity, "kind": t.kind} for c, t in data.columns.items()},
                 "text_columns": data.text_columns,
                 "spans": [list(s) for s in data.spans]}
        (out / f"eval_{variant}_truth.json").write_text(json.dumps(truth, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {variant}: {len(data.frame)} rows x {data.frame.shape[1]} columns, {len(data.spans)} spans")


if __name__ == "__main__":
    main()

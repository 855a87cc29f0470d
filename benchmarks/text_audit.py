"""Benchmark: the language-model audit on the bundled ticket table, as `privacy-audit text` runs it.

Phases, each in its own process so its peak memory (max RSS of the process and its children, the model
worker included) is its own:
1. train, non-private: tokenizer + windowed token model on a random half of the distinct ticket
   bodies, canaries x1/x4/x16 (default settings of `text train`), ONNX export;
2. train, DP-SGD at epsilon 8 on the same split and canaries;
3. the full audit of the non-private model (default settings of `text audit`: membership attacks, blind
   baseline, exact canary ranks over 10^4 secrets, PII extraction and reconstruction, verbatim);
4. scoring throughput: token statistics (log p, mu, sigma) of the members through onnxruntime, in
   tokens per second.
Target: phases 1 + 2 + 3 <= 15 minutes on 2 cores. The machine is shared: figures are one run.

Run: python benchmarks/text_audit.py [--epsilon 8]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TICKETS = ROOT / "sample_data" / "tickets.csv"
TARGET_SECONDS = 15 * 60


def phase_train(out: Path, epsilon: float | None) -> dict:
    import pandas as pd

    from analysis.text_lm.train import train_text_lm

    start = time.perf_counter()
    trained = train_text_lm(pd.read_csv(TICKETS)["body"].tolist(), epsilon=epsilon)
    out.mkdir(parents=True, exist_ok=True)
    (out / "model.onnx").write_bytes(trained.model_onnx)
    (out / "tokenizer.json").write_text(trained.tokenizer_json)
    (out / "members.txt").write_text("\n".join(trained.members) + "\n")
    (out / "non_members.txt").write_text("\n".join(trained.non_members) + "\n")
    (out / "canaries.json").write_text(trained.canaries.to_json_text())
    return {"seconds": time.perf_counter() - start, "fit_seconds": trained.seconds,
            "epoch_seconds": trained.epoch_seconds, "examples": trained.n_examples,
            "achieved_epsilon": (trained.privacy or {}).get("rdp_epsilon"), "final_loss": trained.final_loss}


def phase_audit(model_dir: Path) -> dict:
    from analysis.text_lm.audit import run_text_audit
    from analysis.text_lm.canaries import read_kit

    start = time.perf_counter()
    marks = []
    result = run_text_audit((model_dir / "model.onnx").read_bytes(), (model_dir / "tokenizer.json").read_bytes(),
                            (model_dir / "members.txt").read_text().splitlines(),
                            (model_dir / "non_members.txt").read_text().splitlines(),
                            canaries=read_kit((model_dir / "canaries.json").read_bytes(), "canaries.json"),
                            progress=lambda f, m: marks.append((round(time.perf_counter() - start, 1), m)))
    steps = [m for m in marks if not m[1].startswith("canary ") or m[1].startswith("canary 1/")]
    summary = result.summary_json()
    return {"seconds": time.perf_counter() - start, "steps": steps,
            "attacks": {a["name"]: round(a["auc"], 3) for a in summary["attacks"]},
            "exposure": {str(c["repeats"]): round(c["exposure"], 2) for c in summary["canaries"]}}


def phase_throughput(model_dir: Path) -> dict:
    from analysis.text_lm.lm import LanguageModel, open_worker

    with open_worker() as worker:
        lm = LanguageModel.open(worker, (model_dir / "model.onnx").read_bytes(),
                                (model_dir / "tokenizer.json").read_bytes())
        rows = lm.encode((model_dir / "members.txt").read_text().splitlines())
        start = time.perf_counter()
        lm.token_statistics(rows)
        seconds = time.perf_counter() - start
    tokens = sum(len(r) for r in rows)
    return {"tokens": tokens, "seconds": seconds, "tokens_per_second": tokens / seconds}


def run_phase(*args: str) -> tuple[dict, float]:
    """Run this script for one phase in a child process; its result and peak RSS in MB."""
    proc = subprocess.Popen([sys.executable, __file__, "--phase", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"phase {args} failed (status {status})")
    return json.loads(out.strip().splitlines()[-1]), usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epsilon", type=float, default=8.0)
    parser.add_argument("--phase", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        name, *rest = args.phase
        if name == "train":
            result = phase_train(Path(rest[0]), None if rest[1] == "none" else float(rest[1]))
        elif name == "audit":
            result = phase_audit(Path(rest[0]))
        else:
            result = phase_throughput(Path(rest[0]))
        print(json.dumps(result))
        return
    with tempfile.TemporaryDirectory() as tmp:
        plain, dp = Path(tmp) / "plain", Path(tmp) / "dp"
        figures = {}
        for label, phase in [("train non-private", ("train", str(plain), "none")),
                             (f"train DP-SGD eps {args.epsilon:g}", ("train", str(dp), str(args.epsilon))),
                             ("full audit (non-private model)", ("audit", str(plain))),
                             ("scoring throughput", ("throughput", str(plain)))]:
            result, rss = run_phase(*phase)
            figures[label] = (result, rss)
            print(f"{label:<34} {result['seconds']:7.1f} s   peak RSS {rss:7.0f} MB", flush=True)
            print(f"    {json.dumps(result)}", flush=True)
    (p, _), (d, _) = figures["train non-private"], figures[f"train DP-SGD eps {args.epsilon:g}"]
    audit = figures["full audit (non-private model)"][0]
    total = p["seconds"] + d["seconds"] + audit["seconds"]
    dp_epoch = min(d["epoch_seconds"][1:] or d["epoch_seconds"])
    plain_epoch = min(p["epoch_seconds"][1:] or p["epoch_seconds"])
    print(f"DP epoch {dp_epoch:.2f} s vs non-private {plain_epoch:.2f} s: {dp_epoch / plain_epoch:.1f}x")
    print(f"scored {figures['scoring throughput'][0]['tokens_per_second']:,.0f} tokens/s through onnxruntime")
    print(f"train + train DP + audit: {total:.0f} s = {total / TARGET_SECONDS:.2f} of the 15-minute target")


if __name__ == "__main__":
    main()

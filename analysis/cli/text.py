"""`privacy-audit text`: train a small language model on a text column, audit a causal language model
(ONNX + tokenizer.json), and write a canary kit for a model fine-tuned elsewhere."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from analysis.cli.common import CliError, input_error, read_table, require_columns, split_list, stderr_progress, write_json

MAX_TEXT_FILE_BYTES = 200 * 1024 * 1024


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "text", help="audit causal language models: train one here, or audit an ONNX export",
        description="Language models trained on personal text: membership inference on documents, canary "
                    "exposure, PII extraction and reconstruction, verbatim memorization.")
    commands = parser.add_subparsers(dest="text_command", metavar="SUBCOMMAND", required=True)

    train = commands.add_parser("train", help="train a small causal LM on a text column and export it to ONNX",
                                description="Split the column's distinct texts at random into members and "
                                            "non-members, add canary lines, train a windowed token model (DP-SGD "
                                            "with --epsilon) and write DIR/model.onnx, tokenizer.json, "
                                            "members.txt, non_members.txt, canaries.json and training.json.")
    train.add_argument("data", metavar="DATA", help="the table (CSV, TSV, Parquet, JSON, JSONL, XLSX)")
    train.add_argument("--text-column", required=True, metavar="C", help="the free-text column to train on")
    train.add_argument("--out", required=True, metavar="DIR", help="output directory")
    train.add_argument("--epsilon", type=float, default=None, metavar="E", help="train with DP-SGD at this epsilon")
    train.add_argument("--canaries", default="1,4,16", metavar="LIST",
                       help="canary insertion counts, comma-separated (default 1,4,16; 'none' for no canaries)")
    train.add_argument("--secret-space", type=int, default=10_000, metavar="N",
                       help="possible secrets per canary (default 10000)")
    train.add_argument("--epochs", type=int, default=None, metavar="N", help="training epochs (default 8)")
    train.add_argument("--max-rows", type=int, default=None, metavar="N", help="use a random sample of N texts")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    train.set_defaults(func=run_train)

    audit = commands.add_parser("audit", help="audit a causal LM (ONNX + tokenizer.json)",
                                description="Membership inference (loss, zlib, Min-K%%, Min-K%%++, reference), a "
                                            "blind text-only baseline, canary exposure, PII extraction and "
                                            "reconstruction, verbatim memorization. The model runs in the model "
                                            "worker; its file passes the ONNX gate first.")
    audit.add_argument("--model", required=True, metavar="M.onnx", help="the causal LM exported to ONNX")
    audit.add_argument("--tokenizer", required=True, metavar="T.json", help="its Hugging Face tokenizer.json")
    audit.add_argument("--members", required=True, metavar="A.txt", help="training documents, one per line")
    audit.add_argument("--non-members", required=True, metavar="B.txt", help="held-out documents, one per line")
    audit.add_argument("--canaries", metavar="C.json", help="the canaries.json of a canary kit")
    audit.add_argument("--reference-model", metavar="R.onnx", help="a reference model (e.g. the base model)")
    audit.add_argument("--reference-tokenizer", metavar="RT.json",
                       help="the reference model's tokenizer.json (default: --tokenizer)")
    audit.add_argument("--max-documents", type=int, default=1000, metavar="N",
                       help="members and non-members each, a random sample (default 1000)")
    audit.add_argument("--extraction-samples", type=int, default=200, metavar="N",
                       help="generations sampled for PII extraction (default 200)")
    audit.add_argument("--no-pii", action="store_true", help="skip PII extraction and reconstruction")
    audit.add_argument("--seed", type=int, default=0)
    audit.add_argument("--json", metavar="OUT", help="write the result as JSON ('-' for stdout)")
    audit.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    audit.set_defaults(func=run_audit)

    kit = commands.add_parser("canaries", help="write a canary kit for a model fine-tuned elsewhere",
                              description="Write DIR/canary_lines.txt (add these lines to the fine-tuning data, "
                                          "each already repeated) and DIR/canaries.json (the secrets: keep it, and "
                                          "give it to `text audit --canaries` after training).")
    kit.add_argument("--out", required=True, metavar="DIR")
    kit.add_argument("--repeats", default="1,4,16", metavar="LIST", help="insertion counts (default 1,4,16)")
    kit.add_argument("--per-repeat", type=int, default=2, metavar="N", help="canaries per count (default 2)")
    kit.add_argument("--secret-space", type=int, default=10_000, metavar="N", help="possible secrets (default 10000)")
    kit.add_argument("--seed", type=int, default=0)
    kit.set_defaults(func=run_canaries)


def _counts(raw: str, option: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in split_list(raw))
    except ValueError:
        raise CliError(f"{option} must be comma-separated positive integers, got {raw!r}") from None


def _read_bytes(path: str, what: str, limit: int = MAX_TEXT_FILE_BYTES) -> bytes:
    file = Path(path)
    if not file.is_file():
        raise CliError(f"no {what} at {path}")
    if file.stat().st_size > limit:
        raise CliError(f"{what} {file.name} is over {limit // 2**20} MB")
    return file.read_bytes()


def _read_lines(path: str, what: str) -> list[str]:
    try:
        text = _read_bytes(path, what).decode("utf-8")
    except UnicodeDecodeError:
        raise CliError(f"{what} {Path(path).name} is not UTF-8 text (one document per line)") from None
    return [line.strip() for line in text.splitlines() if line.strip()]


def _write_lines(path: Path, lines) -> None:
    path.write_text("".join(" ".join(str(line).split()) + "\n" for line in lines), encoding="utf-8")


def run_train(args: argparse.Namespace) -> int:
    from analysis.text_lm.train import TrainSettings, train_text_lm

    column = args.text_column.strip()
    table = read_table(args.data)
    require_columns(table, [column])
    repeats = None if args.canaries.strip().lower() in {"none", "0", ""} else _counts(args.canaries, "--canaries")
    if args.epsilon is not None and not args.epsilon > 0:
        raise CliError(f"--epsilon must be a positive number, got {args.epsilon!r}")
    options = {"max_rows": args.max_rows}
    if args.epochs is not None:
        options["epochs"] = args.epochs
    try:
        trained = train_text_lm(table.frame[column].tolist(), epsilon=args.epsilon, canary_repeats=repeats,
                                secret_space_size=args.secret_space, settings=TrainSettings(**options), seed=args.seed,
                                progress=None if args.quiet else stderr_progress)
    except ValueError as exc:
        raise input_error(exc) from exc
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "model.onnx").write_bytes(trained.model_onnx)
    (out / "tokenizer.json").write_text(trained.tokenizer_json, encoding="utf-8")
    _write_lines(out / "members.txt", trained.members)
    _write_lines(out / "non_members.txt", trained.non_members)
    if trained.canaries is not None:
        (out / "canaries.json").write_text(trained.canaries.to_json_text(), encoding="utf-8")
    write_json(trained.to_dict(), str(out / "training.json"))
    achieved = (trained.privacy or {}).get("rdp_epsilon")
    privacy = f", DP-SGD epsilon {achieved:.2f}" if achieved is not None else ", non-private"
    print(f"trained on {len(trained.members):,} documents ({trained.n_examples:,} token windows) in "
          f"{trained.seconds:.0f} s{privacy}, final loss {trained.final_loss:.3f}; wrote {out}")
    return 0


def run_audit(args: argparse.Namespace) -> int:
    from analysis.text_lm.audit import AuditSettings, run_text_audit
    from analysis.text_lm.canaries import read_kit

    model = _read_bytes(args.model, "model file")
    tokenizer = _read_bytes(args.tokenizer, "tokenizer file")
    members = _read_lines(args.members, "members file")
    non_members = _read_lines(args.non_members, "non-members file")
    reference = _read_bytes(args.reference_model, "reference model file") if args.reference_model else None
    reference_tok = (_read_bytes(args.reference_tokenizer, "reference tokenizer file")
                     if args.reference_tokenizer else None)
    if args.max_documents < 2 or args.extraction_samples < 1:
        raise CliError("--max-documents must be at least 2 and --extraction-samples at least 1")
    try:
        kit = read_kit(_read_bytes(args.canaries, "canary file"), Path(args.canaries).name) if args.canaries else None
        result = run_text_audit(model, tokenizer, members, non_members, canaries=kit, reference_model=reference,
                                reference_tokenizer=reference_tok,
                                settings=AuditSettings(max_documents=args.max_documents, seed=args.seed,
                                                       extraction_samples=args.extraction_samples),
                                model_name=Path(args.model).name, tokenizer_name=Path(args.tokenizer).name,
                                pii=not args.no_pii, progress=None if args.quiet else stderr_progress)
    except ValueError as exc:
        raise input_error(exc) from exc
    if args.json:
        write_json(result.summary_json(), args.json)
    if not args.json or args.json != "-":
        _print_audit(result)
    return 0


def _print_audit(result) -> None:
    print(f"{result.model}: {result.members:,} members, {result.non_members:,} non-members")
    for a in [*result.attacks, result.baseline]:
        print(f"  {a.name:<28} AUC {a.auc:.3f}  TPR@0.1% {a.tpr_at_fpr['0.001']:.3f}  TPR@1% {a.tpr_at_fpr['0.01']:.3f}")
    if result.canaries is not None:
        for r in sorted({c.repeats for c in result.canaries.canaries}):
            print(f"  canaries x{r}: mean exposure {result.canaries.mean_exposure(r):.2f} of "
                  f"{result.canaries.secret_space_bits:.1f} bits")
    if result.extraction is not None:
        e = result.extraction
        print(f"  extraction: {e.pii_found} PII values in {e.generated} generations, {e.pii_in_training} in the "
              f"training text ({e.pii_in_non_members_only} only in held-out text)")
    if result.reconstruction is not None:
        r = result.reconstruction
        held = f", held-out {r.non_member_accuracy:.2f}" if r.non_member_accuracy is not None else ""
        print(f"  reconstruction: top-1 {r.accuracy:.2f} vs chance {r.chance:.2f}{held}")
    if result.verbatim is not None:
        v = result.verbatim
        held = f", held-out {v.non_member_share:.2f}" if v.non_member_share is not None else ""
        print(f"  verbatim: {v.share:.2f} of member prefixes continue the next {v.suffix_tokens} tokens{held}")
    for note in result.notes:
        print(f"note: {note}")


def run_canaries(args: argparse.Namespace) -> int:
    from analysis.text_lm.canaries import make_kit

    try:
        kit = make_kit(_counts(args.repeats, "--repeats"), per_repeat=args.per_repeat,
                       secret_space_size=args.secret_space, seed=args.seed)
    except ValueError as exc:
        raise input_error(exc) from exc
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    _write_lines(out / "canary_lines.txt", kit.lines())
    (out / "canaries.json").write_text(kit.to_json_text(), encoding="utf-8")
    print(f"wrote {len(kit.lines())} lines to add to the training text ({out / 'canary_lines.txt'}) and the "
          f"secrets ({out / 'canaries.json'}): keep canaries.json away from the training data")
    return 0

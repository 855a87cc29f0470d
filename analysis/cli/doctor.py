"""`privacy-audit doctor`: check the environment and say how to fix what is missing."""

from __future__ import annotations

import argparse

from analysis.cli.common import write_json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("doctor", help="check Python, TensorFlow, tensorflow-privacy, "
                                                  "the spaCy model and Presidio")
    parser.add_argument("--quick", action="store_true", help="skip the slow TensorFlow/Flower imports")
    parser.add_argument("--json", metavar="OUT", help="write the checks as JSON ('-' for stdout)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from analysis.doctor import run_checks

    report = run_checks(deep=not args.quick)
    if args.json:
        write_json(report.to_dict() | {"ok": report.ok}, args.json)
    else:
        for check in report.checks:
            mark = "ok  " if check.ok else "FAIL"
            line = f"[{mark}] {check.name}: {check.detail}"
            if not check.ok and check.fix:
                line += f"\n       fix: {check.fix}"
            print(line)
        print("all good" if report.ok else "some checks failed")
    return 0 if report.ok else 1

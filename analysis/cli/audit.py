"""`privacy-audit audit CONFIG.yaml [--html OUT] [--json OUT]`: the CI gate.

Runs the configured steps headless, writes the report, stores the run in the history, and exits
1 when a configured policy fails, 2 on bad input or configuration, 3 on an internal error, 0 otherwise.
"""

from __future__ import annotations

import argparse
import sys

from analysis.cli.common import CliError, stderr_progress
from analysis.errors import safe_message

_MARK = {"green": "OK   ", "amber": "WATCH", "red": "ACT  ", "grey": "-    "}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "audit", help="run a configured audit (scan, risk, attack, memorization, compare) and enforce policies",
        description="Run the steps of CONFIG.yaml headless, write the report, store the run in the history, "
                    "and exit 1 when a policy fails (2 on bad input or configuration, 3 on an internal "
                    "error, 0 otherwise).")
    parser.add_argument("config", metavar="CONFIG.yaml", help="the audit configuration (see configs/audit.sample.yaml)")
    parser.add_argument("--html", metavar="OUT", help="write the self-contained HTML report here")
    parser.add_argument("--json", metavar="OUT", help="write the JSON report here ('-' for stdout)")
    parser.add_argument("--markdown", metavar="OUT", help="write the data-use statement and summary as Markdown")
    parser.add_argument("--history-url", metavar="URL", help="SQLAlchemy URL of the history (default: the "
                                                             "config's history.url, else the setting)")
    parser.add_argument("--no-history", action="store_true", help="do not store the run")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from analysis.audit import ConfigError, load_config, run_audit_config

    try:
        config = load_config(args.config)
        outcome = run_audit_config(config, progress=None if args.quiet else stderr_progress)
    except ConfigError as exc:
        raise CliError(f"{args.config}: {safe_message(exc)}") from exc
    report = outcome.report
    cfg = outcome.config
    out_cfg = cfg.get("report") or {}
    html_out = args.html or out_cfg.get("html")
    json_out = args.json or out_cfg.get("json")
    if html_out:
        from analysis.report.figures import section_figures
        from analysis.report.html import write_html

        path = write_html(report, _out_path(cfg, html_out, args.html), section_figures(outcome.inputs))
        print(f"HTML report: {path}", file=sys.stderr)
    if args.markdown:
        from analysis.report.markdown import write_markdown

        write_markdown(report, args.markdown)
    if json_out:
        from analysis.report.export import report_json, write_json

        if json_out == "-":
            print(report_json(report))
        else:
            path = write_json(report, _out_path(cfg, json_out, args.json))
            print(f"JSON report: {path}", file=sys.stderr)
    history = cfg.get("history") or {}
    if not args.no_history and history.get("enabled", True):
        from analysis.history import HistoryError, save_run

        try:
            run_id = save_run(report, url=args.history_url or history.get("url"), source="cli")
        except HistoryError as exc:
            raise CliError(f"history: {safe_message(exc)}") from exc
        print(f"stored run {run_id}", file=sys.stderr)
    stream = sys.stderr if json_out == "-" else sys.stdout
    _print_summary(report, stream)
    return 0 if outcome.passed else 1


def _out_path(cfg, value, from_cli):
    from pathlib import Path

    path = Path(value).expanduser()
    if not from_cli and not path.is_absolute():  # paths in the config are relative to the config file
        path = Path(cfg.get("_base_dir", ".")) / path
    return path


def _print_summary(report, stream) -> None:
    print(f"{report.title}: overall {report.overall_rating}", file=stream)
    for item in report.summary:
        print(f"  [{_MARK.get(item.rating, item.rating)}] {item.label}: {item.display}", file=stream)
    if report.policies:
        print("policies:", file=stream)
        for p in report.policies:
            print(f"  [{'pass' if p.passed else 'FAIL'}] {p.name} = {p.limit}: {p.message}", file=stream)
        failed = [p.name for p in report.policies if not p.passed]
        print(f"{len(failed)} polic{'y' if len(failed) == 1 else 'ies'} failed: {', '.join(failed)}" if failed
              else "all policies passed", file=stream)

"""The command line's arguments: every command and option (the parser only; cli.py runs them).\n"""
from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from .base import settings
from .base.text import parse_date
from .version import __version__


def _date(text: str) -> dt.date:
    parsed = parse_date(text)
    if parsed is None:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD)")
    return parsed


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="process.py",
        description="Validate departments' self-assessment workbooks, score them against rules.yaml, "
                    "and write Word/Excel reports.")
    _add_global_options(parser, argparse.SUPPRESS)
    parser.add_argument("--version", action="version", version=f"scorecard {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    def rules_opt(p):
        p.add_argument("--rules", type=Path, default=Path("rules.yaml"), help="rules file (default: rules.yaml)")

    def run_opts(p):
        p.add_argument("--input", type=Path, default=Path("input"), help="folder of submitted workbooks (default: input)")
        p.add_argument("--output", type=Path, default=None,
                       help="output folder (default: output; examples/output for the bundled examples/input)")
        rules_opt(p)
        p.add_argument("--round", dest="round_name", help="round name (default: `round` in rules.yaml)")
        p.add_argument("--as-of", type=_date, help="day overdue deadlines are judged on (default: `as_of`, else today)")
        p.add_argument("--templates", type=Path, default=Path("templates"),
                       help="folder of Word templates (default: templates; missing files fall back to the bundled ones)")
        p.add_argument("--workers", type=int, default=None,
                       help="processes for reading workbooks (default: one per core; 1 = no pool)")

    p = sub.add_parser("run", help="process every workbook in the input folder")
    run_opts(p)
    p.add_argument("--force", action="store_true",
                   help="process everything again even if nothing changed since the last run "
                        "(by default an unchanged rerun keeps the last outputs and takes a second)")
    _add_run_wait(p)                                        # ops: unattended operation
    p.add_argument("--settle", type=float, default=DEFAULT_SETTLE,
                   help="an unreadable file changed less than SECONDS ago is still being copied: skipped "
                        f"(file.incomplete) and read next run (default: {DEFAULT_SETTLE:g})")
    mail_opts(p)
    p = sub.add_parser("watch", help="drop-folder mode: run whenever the input folder changes, until stopped")
    run_opts(p)
    mail_opts(p)
    p.add_argument("--interval", type=float, default=5.0, help="seconds between looks at the folder (default: 5)")
    _add_watch_options(p)                                   # ops: unattended operation

    p = sub.add_parser("template", help="write one blank standard workbook per department")
    rules_opt(p)
    p.add_argument("--output", type=Path, default=Path("output"), help="folder to write into (default: output)")

    p = sub.add_parser("check", help="validate workbooks and print their findings")
    rules_opt(p)
    p.add_argument("--json", action="store_true", help="print findings as JSON")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")

    p = sub.add_parser("check-rules", help="check the rules file and print the indicator table")
    rules_opt(p)

    p = sub.add_parser("check-templates", help="list variables the Word templates use that reports do not provide")
    rules_opt(p)
    p.add_argument("--templates", type=Path, default=Path("templates"), help="folder of Word templates")
    p = sub.add_parser("send", help="deliver the e-mails the outbox still holds (queues the last round's first)")
    rules_opt(p)
    p.add_argument("--output", type=Path, default=Path("output"), help="output folder (default: output)")
    p.add_argument("--templates", type=Path, default=Path("templates"),
                   help="folder of templates; mail/*.j2 there override the bundled e-mail wording")
    p.add_argument("--list", action="store_true", help="show the outbox (pending, sent, failed and why); send nothing")
    p.add_argument("--dry-run", action="store_true",
                   help="write each pending message as .eml under <output>/<round>/邮件/ instead of sending")
    p.add_argument("--retry-failed", action="store_true", help="put failed messages back to pending, then send")

    _add_ops_commands(sub)                                  # ops: status, export
    _add_new_round(sub)                                     # issue 17: starting the next round
    _add_remind(sub)                                        # §14 follow-up
    for choice in sub.choices.values():                     # --quiet/--verbose after the command too
        _add_global_options(choice, argparse.SUPPRESS)
    return parser


def mail_opts(p) -> None:
    p.add_argument("--send", action="store_true",
                   help="after the run, e-mail every reader their report (SMTP_* settings; see README)")
    p.add_argument("--dry-run", action="store_true",
                   help="with --send: write each message as .eml under <output>/<round>/邮件/ instead of sending")


DEFAULT_SETTLE = settings.get("settle")    # seconds (base/settings.py): the watch settle time, and an
#                                            unreadable file must be this old before it is damaged, not still copying

def _add_global_options(parser, default) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-q", "--quiet", action="store_true", default=default,
                       help="only errors on the terminal (the log file still gets everything)")
    group.add_argument("-v", "--verbose", action="store_true", default=default,
                       help="more detail on the terminal and in the log file, with tracebacks")


def _add_run_wait(p) -> None:
    p.add_argument("--wait", nargs="?", type=float, const=0.0, default=None, metavar="SECONDS",
                   help="if another run holds the lock, wait for it (at most SECONDS; none or 0: as long as it "
                        "takes) instead of exiting 75")


def _add_watch_options(p) -> None:
    p.add_argument("--settle", type=float, default=DEFAULT_SETTLE,
                   help="seconds the input folder must stay unchanged before a run; an unreadable file changed "
                        f"more recently is skipped as still copying (default: {DEFAULT_SETTLE:g})")
    p.add_argument("--once", action="store_true",
                   help="one pass for schedulers: wait for the folder to settle, run if it changed since the "
                        "watcher's last run, then exit (1 if that run failed, 75 if another run holds the lock)")


def _add_ops_commands(sub) -> None:
    p = sub.add_parser("status", help="last runs, mail still to send, whether a run is in progress")
    p.add_argument("--output", type=Path, default=Path("output"), help="output folder (default: output)")
    p.add_argument("--limit", type=int, default=10, help="how many recent runs to list (default: 10)")
    p = sub.add_parser("export", help="copy the ledger (run history) for the office's archive")
    p.add_argument("--output", type=Path, default=Path("output"), help="output folder (default: output)")
    p.add_argument("--to", type=Path, default=None,
                   help="folder to write into (default: <output>/导出/<date-time>)")
    p.add_argument("--csv", action="store_true", help="also write every ledger table as a CSV file (UTF-8, opens in Excel)")
    p = sub.add_parser("ledger", help="the ledger's way back: `ledger restore` puts the last good copy in place")
    p.add_argument("action", choices=["restore"], help="restore: replace a damaged ledger with the copy kept "
                                                       "after the last successful run (the damaged file is kept aside)")
    p.add_argument("--output", type=Path, default=Path("output"), help="output folder (default: output)")


def _add_remind(sub) -> None:
    p = sub.add_parser("remind", help="queue the follow-up due today (提醒 before submit_by, 催办 after it, 督办 for "
                                      "red gaps and long-overdue workbooks, CONTRACT §14); --send sends it")
    p.add_argument("--rules", type=Path, default=Path("rules.yaml"), help="rules file (default: rules.yaml)")
    p.add_argument("--output", type=Path, default=Path("output"), help="output folder (default: output)")
    p.add_argument("--templates", type=Path, default=Path("templates"),
                   help="folder of templates; mail/*.j2 there override the bundled e-mail wording")
    p.add_argument("--as-of", type=_date, help="the day to remind as of (default: today)")
    p.add_argument("--send", action="store_true", help="send what is queued (else it waits in the outbox)")
    _add_run_wait(p)                                        # a run holding the lock at 09:00


def _add_new_round(sub) -> None:
    p = sub.add_parser("new-round", help="start the next round: name it in rules.yaml, optionally archive "
                                         "last round's input files, check the rules")
    p.add_argument("name", metavar="NAME", help="the new round's name, e.g. 2027年第一季度")
    p.add_argument("--rules", type=Path, default=Path("rules.yaml"), help="rules file (default: rules.yaml)")
    p.add_argument("--as-of", type=_date, help="also set as_of (the day overdue is judged on) in rules.yaml")
    p.add_argument("--input", type=Path, default=Path("input"), help="input folder (default: input)")
    p.add_argument("--archive", type=Path, default=None, metavar="DIR",
                   help="move last round's input files to DIR/<last round>/ (by default nothing is moved)")

"""Command line: arguments → one library call → exit code. No scoring, no file formats here.

Exit codes (CONTRACT.md §6): 0 done, 1 rules or configuration invalid (and `check` with errors),
2 usage error, 75 another run holds the lock.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import sys
from pathlib import Path

from . import console
from .errors import ReportError
from .fsutil import LockHeld, OutputBusy
from .rules import RulesError, load_rules
from .text import parse_date

logger = logging.getLogger(__name__)

EXIT_OK, EXIT_CONFIG, EXIT_USAGE, EXIT_LOCKED = 0, 1, 2, 75


class UsageError(Exception):
    pass


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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    def rules_opt(p):
        p.add_argument("--rules", type=Path, default=Path("rules.yaml"), help="rules file (default: rules.yaml)")

    def run_opts(p):
        p.add_argument("--input", type=Path, default=Path("input"), help="folder of submitted workbooks (default: input)")
        p.add_argument("--output", type=Path, default=Path("output"), help="output folder (default: output)")
        rules_opt(p)
        p.add_argument("--round", dest="round_name", help="round name (default: `round` in rules.yaml)")
        p.add_argument("--as-of", type=_date, help="day overdue deadlines are judged on (default: `as_of`, else today)")
        p.add_argument("--templates", type=Path, default=Path("templates"),
                       help="folder of Word templates (default: templates; missing files fall back to the bundled ones)")
        p.add_argument("--workers", type=int, default=None,
                       help="processes for reading workbooks (default: one per core; 1 = no pool)")

    p = sub.add_parser("run", help="process every workbook in the input folder")
    run_opts(p)
    mail_opts(p)
    p = sub.add_parser("watch", help="drop-folder mode: run whenever the input folder changes, until stopped")
    run_opts(p)
    mail_opts(p)
    p.add_argument("--interval", type=float, default=5.0, help="seconds between looks at the folder (default: 5)")

    p = sub.add_parser("template", help="write one blank standard workbook per department")
    rules_opt(p)
    p.add_argument("--output", type=Path, default=Path("output"), help="folder to write into (default: output)")

    p = sub.add_parser("check", help="validate workbooks and print their findings")
    rules_opt(p)
    p.add_argument("--json", action="store_true", help="print findings as JSON")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")

    p = sub.add_parser("check-rules", help="check the rules file and print the indicator table")
    rules_opt(p)

    p = sub.add_parser("send", help="deliver the e-mails the outbox still holds (queues the last round's first)")
    rules_opt(p)
    p.add_argument("--output", type=Path, default=Path("output"), help="output folder (default: output)")
    p.add_argument("--templates", type=Path, default=Path("templates"),
                   help="folder of templates; mail/*.j2 there override the bundled e-mail wording")
    p.add_argument("--list", action="store_true", help="show the outbox (pending, sent, failed and why); send nothing")
    p.add_argument("--dry-run", action="store_true",
                   help="write each pending message as .eml under <output>/<round>/邮件/ instead of sending")
    p.add_argument("--retry-failed", action="store_true", help="put failed messages back to pending, then send")

    p = sub.add_parser("check-templates", help="list variables the Word templates use that reports do not provide")
    rules_opt(p)
    p.add_argument("--templates", type=Path, default=Path("templates"), help="folder of Word templates")
    return parser


def mail_opts(p) -> None:
    p.add_argument("--send", action="store_true",
                   help="after the run, e-mail every reader their report (SMTP_* settings; see README)")
    p.add_argument("--dry-run", action="store_true",
                   help="with --send: write each message as .eml under <output>/<round>/邮件/ instead of sending")


def main(argv=None) -> int:
    console.setup_streams()
    parser = build_parser()
    args = parser.parse_args(argv)          # exits 2 on a usage error
    try:
        return COMMANDS[args.command](args)
    except RulesError as exc:
        console.rules_problems(exc)
        return EXIT_CONFIG
    except ReportError as exc:
        console.error(f"Word 模板“{exc.template}”无法使用：{exc.message}。请运行 `python process.py check-templates` 检查模板；"
                      "上一次的输出保持不变。")
        return EXIT_CONFIG
    except OutputBusy as exc:
        console.error(f"无法替换输出文件夹 {exc}：其中有文件正被打开（例如 Word 中的报告）。请关闭后重新运行；"
                      "上一次的输出保持不变。")
        return EXIT_CONFIG
    except LockHeld as exc:
        console.error(f"另一个处理任务正在运行（锁文件 {exc}），请稍后再试。")
        return EXIT_LOCKED
    except UsageError as exc:
        console.error(str(exc))
        return EXIT_USAGE
    except BrokenPipeError:
        # Output piped into `head` or a closed pager: not an error of ours.
        sys.stdout = open(os.devnull, "w")
        return EXIT_OK
    except KeyboardInterrupt:
        console.error("已中止。")
        return 130
    except Exception:
        # A defect of ours, not of any input: fail loudly with the traceback, tell no department anything.
        logger.exception("内部错误，处理已中止")
        console.error("程序内部错误，本次处理已中止，上一次的输出保持不变，也没有通知任何部门。"
                      "请把上面的错误信息（或日志文件）发给技术支持。")
        return EXIT_CONFIG


def _run_options(args) -> dict:
    """Rules loaded and the input folder checked: what `run` and `watch` both need."""
    rules = load_rules(args.rules)      # a broken rules file is reported first (exit 1)
    if not args.input.is_dir():
        raise UsageError(f"输入文件夹不存在：{args.input}")
    return {"rules": rules, "input_dir": args.input, "output_dir": args.output,
            "round_name": args.round_name, "as_of": args.as_of, "templates_dir": args.templates,
            "workers": args.workers}


def cmd_run(args) -> int:
    from .pipeline import run

    options = _run_options(args)
    result = run(**options)
    console.run_report(result.summary, result.round_dir)
    if args.send or args.dry_run:
        return _deliver_after_run(options["rules"], args, result)
    return EXIT_OK


def cmd_watch(args) -> int:
    from .watch import watch

    options = _run_options(args)
    rules = options["rules"]
    after = ((lambda result: _deliver_after_run(rules, args, result, honour_backoff=True))
             if args.send or args.dry_run else None)
    watch(options.pop("rules"), options.pop("input_dir"), options.pop("output_dir"), interval=args.interval,
          after_run=after, **options)
    return EXIT_OK


def cmd_template(args) -> int:
    from .forms import write_templates

    rules = load_rules(args.rules)
    for path in write_templates(rules, args.output):
        console.say(f"已生成 {path}")
    return EXIT_OK


def cmd_check(args) -> int:
    from .checking import check_file
    from .datasets import recognise

    rules = load_rules(args.rules)
    subs, data_files = [], []
    for path in args.files:
        if not path.is_file():
            raise UsageError(f"文件不存在：{path}")
        data = recognise(path, rules)           # a data workbook (§12) is checked as data
        if data is not None:
            data_files.append(data)
        else:
            subs.append(check_file(path, rules))
    if args.json:
        console.say(json.dumps([{"file": s.file, "department": s.department, "ok": s.ok,
                                 "findings": [f.as_dict() for f in s.findings]} for s in subs]
                               + [{"file": d.file, "department": None, "ok": d.ok, "data": d.names,
                                   "rows": d.row_count(), "findings": [f.as_dict() for f in d.findings]}
                                  for d in data_files], ensure_ascii=False, indent=2))
    else:
        console.findings_table(subs)
        console.data_table(data_files)
    return EXIT_OK if all(s.ok for s in subs + data_files) else EXIT_CONFIG


def cmd_check_rules(args) -> int:
    rules = load_rules(args.rules)
    console.indicator_table(rules)
    return EXIT_OK


def cmd_check_templates(args) -> int:
    from .templatecheck import template_problems

    load_rules(args.rules)
    problems = template_problems(args.templates)
    for line in problems:
        console.say(line)
    if not problems:
        console.say(f"模板检查通过：{args.templates}")
    return EXIT_CONFIG if problems else EXIT_OK


# ---------------------------------------------------------------- e-mail (scorecard/delivery.py)

class _ConsoleLog(logging.StreamHandler):
    """Library log lines on the console, in whatever sys.stderr is at the moment."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        pass


def _mail_logging() -> None:
    package = logging.getLogger("scorecard")
    if not any(isinstance(h, _ConsoleLog) for h in package.handlers):
        handler = _ConsoleLog()
        handler.setFormatter(logging.Formatter("%(message)s"))
        package.addHandler(handler)
        package.setLevel(logging.INFO)


def _deliver_after_run(rules, args, result, honour_backoff: bool = False) -> int:
    """Mail trouble never fails a run: the reports are written and the messages wait in the outbox."""
    from .delivery import deliver
    from .mail import MailTemplateError

    _mail_logging()
    try:
        deliver(rules, args.output, result.round_dir, send=True, dry_run=args.dry_run,
                templates_dir=args.templates, honour_backoff=honour_backoff)
    except LockHeld:
        console.say("邮件暂未处理：另一个任务正在使用输出文件夹。稍后运行 `python process.py send` 即可发出。")
    except MailTemplateError as exc:
        console.error(f"{exc}。报告已生成，邮件未生成；请修改 templates/mail/ 中的模板后运行 `python process.py send`。")
        return EXIT_CONFIG
    return EXIT_OK


def cmd_send(args) -> int:
    from .delivery import STATE_LABELS, deliver, listing, superseded_count
    from .mail import MailTemplateError

    rules = load_rules(args.rules)
    if not args.output.is_dir():
        raise UsageError(f"输出文件夹不存在：{args.output}（请先运行 `python process.py run`）")
    _mail_logging()
    if args.list:
        rows = listing(args.output)
        if not rows:
            console.say(f"发件箱为空：{args.output}")
            return EXIT_OK
        console.say(console.table(["编号", "轮次", "状态", "类型", "收件对象", "邮箱", "说明"], rows, {6: 60}))
        counts = {label: sum(r[2] == label for r in rows) for label in STATE_LABELS.values()}
        console.say("合计：" + "，".join(f"{k} {v} 封" for k, v in counts.items() if v)
                    + (f"（另有 {superseded_count(args.output)} 封旧版本已被取代，不再发送）"
                       if superseded_count(args.output) else ""))
        return EXIT_OK
    try:
        deliver(rules, args.output, None, send=True, dry_run=args.dry_run, templates_dir=args.templates,
                retry_failed=args.retry_failed)
    except MailTemplateError as exc:
        console.error(f"{exc}。请修改 templates/mail/ 中的模板后重试。")
        return EXIT_CONFIG
    return EXIT_OK


COMMANDS = {"run": cmd_run, "watch": cmd_watch, "template": cmd_template, "check": cmd_check,
            "check-rules": cmd_check_rules, "check-templates": cmd_check_templates, "send": cmd_send}

"""Command line: arguments → one library call → exit code. No scoring, no file formats here.

Exit codes (CONTRACT.md §6): 0 done, 1 rules or configuration invalid (and `check` with errors),
2 usage error (also an output folder that is, is inside or contains the input folder), 3 the
ledger is damaged, 4 the output folder cannot be written (disk full, read-only, permission),
70 an internal error (a defect of ours), 75 another run holds the lock or the ledger stays busy.
Every stop but 70 is a named exception (errors.Stop and the few below) mapped in main(), here only.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sqlite3
import sys
from pathlib import Path

from .base import console, logsetup
from .base.errors import EXIT_INTERNAL, ReportError, Stop, translate
from .base.fsutil import LockHeld, OutputBusy
from .operations import lifecycle
from .rules import RulesError, load_rules
from .cliargs import build_parser

logger = logging.getLogger(__name__)

EXIT_OK, EXIT_CONFIG, EXIT_USAGE, EXIT_LOCKED = 0, 1, 2, 75
EXIT_LEDGER, EXIT_OUTPUT = 3, 4


class UsageError(Exception):
    pass


def main(argv=None) -> int:
    console.setup_streams()
    parser = build_parser()
    args = parser.parse_args(argv)          # exits 2 on a usage error
    try:
        _samples_apart(args)
    except UsageError as exc:
        console.error(str(exc))
        return EXIT_USAGE
    _configure_logging(args)                # ops: logging configured once, here
    try:
        try:
            return COMMANDS[args.command](args)
        except (OSError, sqlite3.Error) as exc:     # about the output folder or the ledger: a named stop
            stop = translate(exc, getattr(args, "output", None), _ledger_wait())
            if stop is None:
                raise
            raise stop from exc
    except Stop as exc:
        logger.debug("stopped", exc_info=True)
        console.error(exc.message)
        return exc.exit_code
    except RulesError as exc:
        console.rules_problems(exc)
        return EXIT_CONFIG
    except ReportError as exc:
        console.error(f"模板“{exc.template}”无法使用：{exc.message}。请运行 `python process.py check-templates` 检查模板；"
                      "上一次的输出保持不变。")
        return EXIT_CONFIG
    except OutputBusy as exc:
        console.error(f"无法替换输出文件夹 {exc}：其中有文件正被打开（例如 Word 中的报告）。请关闭后重新运行；"
                      "上一次的输出保持不变。")
        return EXIT_OUTPUT
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
        where = logsetup.current_log()
        console.error("程序内部错误，本次处理已中止，上一次的输出保持不变，也没有通知任何部门。"
                      + (f"详细信息已写入日志 {where}，" if where else "")
                      + "请把上面的错误信息（或日志文件）发给技术支持。")
        return EXIT_INTERNAL
    finally:
        logsetup.reset()                    # ops


DEFAULT_OUTPUT = Path("output")
SAMPLES_INPUT = Path("examples") / "input"
PROGRAM_DIR = Path(__file__).resolve().parent.parent


def is_samples(input_dir: Path) -> bool:
    """The bundled sample workbooks (examples/input of this program or of the current folder)."""
    try:
        here = input_dir.resolve()
    except OSError:
        return False
    return here in {(Path.cwd() / SAMPLES_INPUT).resolve(), (PROGRAM_DIR / SAMPLES_INPUT).resolve()}


def _samples_apart(args) -> None:
    """The samples never share an output folder or a ledger with the office's real rounds
    (CONTRACT §7): `run --input examples/input` writes examples/output unless told otherwise, and
    is refused outright when told to write into the office's output folder."""
    if not hasattr(args, "input") or not hasattr(args, "output"):
        return
    samples = is_samples(args.input)
    if args.output is None:
        args.output = args.input.parent / "output" if samples else DEFAULT_OUTPUT
    elif samples and args.output.resolve() == (Path.cwd() / DEFAULT_OUTPUT).resolve():
        raise UsageError(f"示例工作簿（{args.input}）不能写入正式的输出文件夹 {args.output}："
                         "示例轮次会混入本单位的台账和轮次对比。请去掉 --output（示例结果写入 "
                         f"{args.input.parent / 'output'}），或指定其他文件夹。")


def _ledger_wait() -> float:
    from .operations.ledger import wait_seconds

    return wait_seconds()


def _run_options(args) -> dict:
    """Rules loaded and the input folder checked: what `run` and `watch` both need."""
    from .operations.pipeline import check_folders

    rules = load_rules(args.rules)      # a broken rules file is reported first (exit 1)
    if not args.input.is_dir():
        raise UsageError(f"输入文件夹不存在：{args.input}")
    check_folders(args.input, args.output)          # exit 2: the run would read its own outputs
    return {"rules": rules, "input_dir": args.input, "output_dir": args.output,
            "round_name": args.round_name, "as_of": args.as_of, "templates_dir": args.templates,
            "workers": args.workers, "settle": args.settle}


def cmd_run(args) -> int:
    from .operations.pipeline import run

    options = {**_run_options(args), "force": args.force}
    result = lifecycle.timed_run(run, options, wait=args.wait, rules_path=args.rules,     # --wait, log lines
                                  progress=_progress_option(args).get("progress"))
    if result.unchanged:
        console.say("输入文件、规则和模板与上次运行相同，上次的输出也未被改动：未重新处理，以下是上次的结果。"
                    "如需全部重新处理，请加 --force。")
    console.run_report(result.summary, result.round_dir)
    if args.send or args.dry_run:
        return _deliver_after_run(options["rules"], args, result)
    return EXIT_OK


def cmd_watch(args) -> int:
    from .operations.watch import watch

    options = _run_options(args)
    options.pop("settle")                   # the watcher's own setting, handed on to each run
    known, failed, busy = dict(options), [], []
    mailing, first_rules = args.send or args.dry_run, options["rules"]

    def on_result(result, seconds):
        lifecycle.after_run(args.output, result, seconds, report=True)
        if mailing:     # addresses as rules.yaml has them now (the watcher re-reads an edited file)
            try:
                rules = load_rules(args.rules)
            except RulesError:
                rules = first_rules
            _deliver_after_run(rules, args, result, honour_backoff=True)

    watch(options.pop("rules"), options.pop("input_dir"), options.pop("output_dir"), interval=args.interval,
          settle=args.settle, once=args.once, rules_path=args.rules, load_rules=load_rules,
          on_result=on_result,
          on_failure=lambda exc, seconds: failed.append((exc, lifecycle.record_failure(args.output, exc, seconds, known, round_name=args.round_name or ""))),
          on_busy=busy.append, **_progress_option(args), **options)
    if args.once and busy:      # one pass that found the lock held (75), the ledger busy (75) or a report open (4)
        last = busy[-1]
        return EXIT_LOCKED if isinstance(last, LockHeld) else last.exit_code if isinstance(last, Stop) else EXIT_OUTPUT
    if args.once and failed:    # the failed pass's own code: a named stop's, 1 for bad rules or templates
        exc = failed[-1][0]
        return exc.exit_code if isinstance(exc, Stop) else (
            EXIT_CONFIG if isinstance(exc, (RulesError, ReportError)) else EXIT_INTERNAL)
    return EXIT_OK


def cmd_template(args) -> int:
    from .forms.template import write_templates

    rules = load_rules(args.rules)
    for path in write_templates(rules, args.output):
        console.say(f"已生成 {path}")
    return EXIT_OK


def cmd_check(args) -> int:
    from .intake.checking import check_file
    from .intake.datasets import recognise
    from .intake.listing import shown

    rules = load_rules(args.rules)
    subs, data_files = [], []
    for path in args.files:
        if not path.is_file():
            raise UsageError(f"文件不存在或不是普通文件：{shown(path)}")
        label = shown(path)                     # a name that is not UTF-8 is shown decoded
        data = recognise(path, rules, label=label)     # a data workbook (§12) is checked as data
        if data is not None:
            data_files.append(data)
        else:
            subs.append(check_file(path, rules, label=label))
    if args.json:
        console.say_utf8(json.dumps([{"file": s.file, "department": s.department, "ok": s.ok,
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
    from .reports.templatecheck import template_problems

    load_rules(args.rules)
    problems = template_problems(args.templates)
    for line in problems:
        console.say(line)
    if not problems:
        console.say(f"模板检查通过：{args.templates}")
    return EXIT_CONFIG if problems else EXIT_OK


# ---------------------------------------------------------------------------------------------
# ops (issue 11): logging, --quiet/--verbose, run --wait, watch --once/--settle, status, export.
# Kept in this block so other edits of cli.py merge cleanly. Nothing here imports pandas or docx.

#                                 unreadable file must be old before it is damaged, not still copying
LOGGED_COMMANDS = {"run", "watch", "send", "export", "ledger", "remind"}   # commands that write <output>/scorecard.log


def _configure_logging(args) -> None:
    quiet, verbose = getattr(args, "quiet", False), getattr(args, "verbose", False)
    mode = logsetup.QUIET if quiet else logsetup.VERBOSE if verbose else logsetup.NORMAL
    console.set_quiet(quiet)
    output = getattr(args, "output", None) if args.command in LOGGED_COMMANDS else None
    logsetup.configure(mode, output)


def _progress_option(args) -> dict:
    """progress= for pipeline.run: a bar on a terminal, plain lines otherwise, nothing with --quiet."""
    return {} if getattr(args, "quiet", False) else {"progress": console.Progress()}


def cmd_status(args) -> int:
    from .operations.status import collect, lines

    for line in lines(collect(args.output, limit=args.limit)):
        console.say(line)
    return EXIT_OK


def cmd_export(args) -> int:
    from .operations import ledger

    target = args.to or args.output / "导出" / dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    try:
        written = ledger.export(args.output, target, csv_files=args.csv)
    except FileNotFoundError as exc:
        console.error(f"台账不存在：{exc}（还没有运行过 run，或 --output 指错了文件夹）。")
        return EXIT_CONFIG
    for path in written:
        console.say(f"已导出 {path}")
    return EXIT_OK


COMMANDS = {"run": cmd_run, "watch": cmd_watch, "template": cmd_template, "check": cmd_check,
            "check-rules": cmd_check_rules, "check-templates": cmd_check_templates}
COMMANDS.update({"status": cmd_status, "export": cmd_export})      # ops


# ---------------------------------------------------------------- e-mail (issue 7: scorecard/mail/delivery.py)

def _deliver_after_run(rules, args, result, honour_backoff: bool = False) -> int:
    """Mail trouble never fails a run: the reports are written and the messages wait in the outbox."""
    from .mail.delivery import counts_line, deliver
    from .mail.messages import MailTemplateError

    try:
        done = deliver(rules, args.output, result.round_dir, send=True, dry_run=args.dry_run,
                       templates_dir=args.templates, honour_backoff=honour_backoff)
        console.say(counts_line(done))
        if not args.dry_run and (rules.schedule.submit_by is not None or result.summary.get("gaps")):
            from .followup.remind import remind       # §14: the follow-up due today goes with the run's mail

            found, followup = remind(rules, args.output, dt.date.today(), send=True, templates_dir=args.templates)
            if found and followup is not None:
                console.say(f"督办：今日到期的提醒、催办和督办 {len(found)} 项。" + counts_line(followup))
    except LockHeld:
        console.say("邮件暂未处理：另一个任务正在使用输出文件夹。稍后运行 `python process.py send` 即可发出。")
    except MailTemplateError as exc:
        console.error(f"{exc}。报告已生成，邮件未生成；请修改 templates/mail/ 中的模板后运行 `python process.py send`。")
        return EXIT_CONFIG
    return EXIT_OK


def cmd_send(args) -> int:
    from .mail.delivery import STATE_LABELS, counts_line, deliver, listing, superseded_count
    from .mail.messages import MailTemplateError

    rules = load_rules(args.rules)
    if not args.output.is_dir():
        raise UsageError(f"输出文件夹不存在：{args.output}（请先运行 `python process.py run`）")
    if args.list:
        rows = listing(args.output)
        if not rows:
            console.say(f"发件箱为空：{args.output}")
            return EXIT_OK
        console.say(console.table(["编号", "轮次", "状态", "类型", "收件对象", "邮箱", "说明"], rows, {6: 60}))
        counts = {label: sum(r[2] == label for r in rows) for label in STATE_LABELS.values()}
        superseded = superseded_count(args.output)
        console.say("合计：" + "，".join(f"{k} {v} 封" for k, v in counts.items() if v)
                    + (f"（另有 {superseded} 封旧版本已被取代，不再发送）" if superseded else ""))
        return EXIT_OK
    try:
        done = deliver(rules, args.output, None, send=True, dry_run=args.dry_run, templates_dir=args.templates,
                       retry_failed=args.retry_failed)
        console.say(counts_line(done))
    except MailTemplateError as exc:
        console.error(f"{exc}。请修改 templates/mail/ 中的模板后重试。")
        return EXIT_CONFIG
    return EXIT_OK


COMMANDS["send"] = cmd_send


def cmd_remind(args) -> int:
    """§14: the follow-up due on --as-of (default today), queued; sent with --send."""
    from .followup.remind import remind
    from .mail.delivery import counts_line
    from .mail.messages import MailTemplateError

    rules = load_rules(args.rules)
    if not args.output.is_dir():
        raise UsageError(f"输出文件夹不存在：{args.output}（请先运行 `python process.py run`）")
    if rules.schedule.submit_by is None:
        console.say("rules.yaml 中没有 schedule:（报送截止日期等），只督办超过完成时限的问题。")
    today = args.as_of or dt.date.today()
    try:
        found, done = lifecycle.waiting(
            lambda: remind(rules, args.output, today, send=args.send, templates_dir=args.templates), args.wait)
    except MailTemplateError as exc:
        console.error(f"{exc}。请修改 templates/mail/ 中的模板后重试。")
        return EXIT_CONFIG
    if done is not None:
        console.say(f"{today.isoformat()}：到期的提醒、催办和督办 {len(found)} 项。" + counts_line(done))
    return EXIT_OK


COMMANDS["remind"] = cmd_remind


def cmd_ledger(args) -> int:
    """`ledger restore`, under the run lock (no run may write the ledger meanwhile)."""
    from .operations import ledger, ledger_backup
    from .base.fsutil import run_lock

    if not args.output.is_dir():
        raise UsageError(f"输出文件夹不存在：{args.output}")
    with run_lock(args.output):
        try:
            source, aside = ledger_backup.restore(args.output)
        except FileNotFoundError as exc:
            console.error(f"没有可用的台账备份（{exc}）：备份在每次成功运行后生成。请从存档中找回台账；"
                          "若确需从头开始，把损坏的台账移走后重新运行会新建台账（历史轮次和发件记录都会丢失）。")
            return EXIT_LEDGER
    console.say(f"已用备份 {source} 恢复台账 {args.output / ledger.FILE_NAME}"
                + (f"；损坏的文件已改名保留为 {aside}" if aside else "")
                + "。请重新运行 `python process.py run`。")
    return EXIT_OK


COMMANDS["ledger"] = cmd_ledger


# ---------------------------------------------------------------- the next round (issue 17)


def cmd_new_round(args) -> int:
    from .operations.newround import NewRoundError, start_round

    try:
        done = start_round(args.rules, args.name, as_of=args.as_of, input_dir=args.input, archive=args.archive)
    except NewRoundError as exc:
        console.error(str(exc))
        return EXIT_USAGE
    console.say(f"已将 {args.rules} 中的轮次由“{done.previous or '（未设置）'}”改为“{done.round}”，规则检查通过。")
    if done.as_of is not None:
        console.say(f"判断逾期的日期（as_of）：{done.as_of.isoformat()}" + ("" if args.as_of else
                    "（沿用 rules.yaml 中的值；如需改为新一轮的日期，请加 --as-of 或编辑 rules.yaml）"))
    if done.moved:
        console.say(f"已将上一轮的 {len(done.moved)} 个输入文件移到 {done.archive}。")
    elif done.left:
        console.say(f"{args.input} 中还有 {len(done.left)} 个文件（未移动）。与以往轮次已计分文件相同的，"
                    "本轮运行时会提示 file.previous_round；如需归档，请手工移走"
                    "（开始新一轮时加 --archive 文件夹，程序会代为移动）。")
    console.say("上一轮的输出和台账保持不变；各部门交回新一轮的工作簿后运行 `python process.py run`。")
    return EXIT_OK


COMMANDS["new-round"] = cmd_new_round

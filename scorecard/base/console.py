"""What the operator reads in the terminal. Chinese text, plain tables, no reliance on UTF-8.

A Chinese Windows console is GBK; characters it cannot show are replaced instead of crashing.
"""
from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Callable

from .text import display_width as width, fmt_number

# What the operator reads is also written to the log file (logsetup): logged with shown=True, which
# the console log handler skips, so nothing appears twice on screen.
logger = logging.getLogger("scorecard.base.console")
_quiet = False


def set_quiet(quiet: bool) -> None:
    """--quiet: only errors reach the terminal (everything still goes to the log file)."""
    global _quiet
    _quiet = quiet


def setup_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="replace")
        except (AttributeError, ValueError):
            pass


def say(text: str = "") -> None:
    if text:
        logger.info(text, extra={"shown": True})
    if not _quiet:
        print(text, flush=True)


def say_utf8(text: str) -> None:
    """For machines (check --json): UTF-8 bytes whatever the console's code page. Redirected under
    Task Scheduler, a Chinese Windows' stdout is GBK, which would write `?` for what GBK lacks."""
    if _quiet:
        return
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:              # a stream without bytes (some IDE consoles): text it is
        print(text, flush=True)
        return
    sys.stdout.flush()
    buffer.write((text + "\n").encode("utf-8"))
    buffer.flush()


def error(text: str) -> None:
    logger.error(text, extra={"shown": True})
    print(f"错误：{text}", file=sys.stderr, flush=True)


def pad(text: str, size: int) -> str:
    return text + " " * max(0, size - width(text))


def table(headers: list[str], rows: list[list[str]], max_widths: dict[int, int] | None = None) -> str:
    max_widths = max_widths or {}
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    for row in cells:
        for i, text in enumerate(row):
            limit = max_widths.get(i)
            if limit and width(text) > limit:
                while width(text) > limit - 1:
                    text = text[:-1]
                row[i] = text + "…"
    sizes = [max(width(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(pad(c, sizes[i]) for i, c in enumerate(row)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * s for s in sizes))
    return "\n".join(lines)


def rules_problems(exc) -> None:
    lines = [f"规则文件有 {len(exc.problems)} 处问题，未执行任何处理："] + [f"  {p}" for p in exc.problems]
    logger.error("\n".join(lines), extra={"shown": True})
    print("\n".join(lines), file=sys.stderr, flush=True)


def indicator_table(rules) -> None:
    say(f"{rules.title}（{rules.organization}）规则文件有效：{rules.path}")
    say(f"{len(rules.items)} 个测评项目，{len(rules.indicators)} 项指标，满分 {fmt_number(rules.total_max)} 分；"
        f"合格线 {fmt_number(rules.pass_score)} 分，加分上限 {fmt_number(rules.bonus_cap)} 分；"
        f"{len(rules.departments)} 个部门，{len(rules.vetoes)} 项否决事项；指纹 {rules.fingerprint}")
    say(f"报告和邮件中的联系方式：{rules.contact.text}" if rules.contact else
        "报告和邮件中没有联系方式（可在 rules.yaml 中填写 contact: 的 name 和 phone）")
    _schedule_line(rules)
    rows = []
    for item in rules.items:
        for ind in item.indicators:
            rows.append([ind.code, f"{item.code} {item.name}", ind.name, fmt_number(ind.max), ind.method,
                         ind.combine, "、".join(ind.departments) if len(ind.departments) < len(rules.departments)
                         else "全部部门"])
    if getattr(rules, "units_mode", False):
        units_table(rules, rows)
        return
    say(table(["编号", "测评项目", "测评指标", "分值", "测评方法", "合成", "责任部门"], rows,
              {1: 24, 2: 30, 6: 40}))
    _evidence_lines(rules)
    say()
    say(table(["部门", "指标数", "分值合计", "邮箱"],
              [[d.name, str(len(rules.indicators_of(d.name))),
                fmt_number(sum(i.max for i in rules.indicators_of(d.name))), ", ".join(d.email)]
               for d in rules.departments]))


def _evidence_lines(rules) -> None:
    """§13: the top-level evidence: block and each indicator's rule (check-rules shows them)."""
    ev = rules.evidence
    say(f"佐证材料：文件{'必须提交' if ev.files == 'required' else '可选（无文件时须填写佐证材料说明）'}；"
        f"拍摄日期{'不早于 ' + ev.period_start.isoformat() if ev.period_start else '不检查'}；"
        f"单个文件不超过 {fmt_number(ev.max_file_mb)} MB，每部门合计不超过 {fmt_number(ev.max_total_mb)} MB")
    say(table(["编号", "佐证要求"], [[i.code, i.evidence.text] for i in rules.indicators], {1: 60}))


def units_table(rules, rows) -> None:
    """check-rules in units mode (§17): the mode, the indicator table, the units per group."""
    groups = rules.groups()
    say(f"测评模式：units（多单位测评），{len(rules.departments)} 个参评单位，{len(groups)} 个分组；"
        "每项指标适用于每个参评单位")
    say(table(["编号", "测评项目", "测评指标", "分值", "测评方法"], [r[:5] for r in rows], {1: 24, 2: 30}))
    _evidence_lines(rules)
    say()
    say(table(["分组", "单位数", "参评单位"],
              [[g or "（未分组）", str(len(names)), "、".join(names)] for g, names in groups.items()], {2: 60}))


SEVERITY = {"error": "错误", "warning": "提醒"}


def findings_table(subs) -> None:
    for sub in subs:
        errors = sum(f.severity == "error" for f in sub.findings)
        warnings = len(sub.findings) - errors
        verdict = "通过" if sub.ok else "不通过"
        say(f"{sub.file}（{sub.department or '部门未识别'}）：{verdict}，{errors} 个错误，{warnings} 个提醒")
        if sub.findings:
            # One line per finding, in the contract's order: rule id, sheet!cell, message.
            rows = [[f.rule, f"{f.sheet}!{f.cell}" if f.cell else (f.sheet or "-"),
                     f"[{SEVERITY[f.severity]}] {f.message}"] for f in sub.findings]
            say(table(["规则", "位置", "说明"], rows))
        say()


def rows_text(read: int, counted: int) -> str:
    """137 行，135 行计入，2 行有误: the rows read, then how many count and how many do not."""
    text = f"{read:,} 行，{counted:,} 行计入"
    return text + (f"，{read - counted:,} 行有误" if read > counted else "")


def data_table(files) -> None:
    """`check` on data workbooks (§12): what each holds, then one line per finding."""
    for f in files:
        errors = sum(x.severity == "error" for x in f.findings)
        holds = "、".join(f"“{name}” {rows_text(f.seen_count(name), f.row_count(name))}" for name in f.names)
        say(f"{f.file}（数据表：{holds}）：{errors} 个错误，{len(f.findings) - errors} 个提醒")
        if f.findings:
            say(table(["规则", "位置", "说明"], [[x.rule, f"{x.sheet}!{x.cell}" if x.cell else (x.sheet or "-"),
                                               f"[{SEVERITY[x.severity]}] {x.message}"] for x in f.findings]))
        say()


def data_report(summary: dict) -> None:
    """The run's data workbooks and the data.* findings for the office (§12)."""
    for s in summary["submissions"]:
        if s["status"] == "data":
            replaced = f"，已被 {s['replaced_by']} 替代" if s.get("replaced_by") else ""
            counted = s.get("rows", 0)
            read = s.get("read_rows")
            if read is None:        # an older summary: the rows in error from their findings
                read = counted + len({(f["sheet"], f["cell"].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
                                      for f in s["findings"] if f["severity"] == "error" and f.get("cell")})
            say(f"数据表：{s['file']}（{'、'.join(s.get('data') or [])}，{rows_text(read, counted)}{replaced}）")
    for f in summary.get("office_findings", []):
        if f["rule"].startswith("data."):
            where = f"{f['sheet']}!{f['cell']} " if f["cell"] else ""
            say(f"  [{SEVERITY[f['severity']]}] {f['rule']} {where}{f['message']}")


def evidence_report(summary: dict) -> None:
    """§13: the evidence files in one line, and where the office reads the rest."""
    files = summary.get("evidence")
    if files is None:
        return
    counted = sum(bool(e.get("counted")) for e in files)
    doubtful = sum(1 for e in files if e.get("counted") and any(
        f["rule"] in ("evidence.duplicate", "evidence.similar", "evidence.dated_before") for f in e.get("findings") or []))
    short = sum(1 for t in summary.get("evidence_summary") or [] if t.get("required") and not t.get("ok"))
    say(f"佐证材料：{len({e['department'] for e in files})} 个部门报送 {len(files)} 个文件，计入 {counted} 个"
        f"（存疑 {doubtful} 个），未计入 {len(files) - counted} 个；{short} 项指标缺失或不足。"
        "详见 佐证材料目录.xlsx / .docx，归档在 佐证材料/ 文件夹")


def _schedule_line(rules) -> None:
    """§14: the follow-up dates, or how to set them."""
    s = rules.schedule
    if s.submit_by is None:
        say(f"督办：未设置 schedule（不发提醒、催办；整改问题距完成时限 {s.warn_within} 天内亮黄灯）")
        return
    steps = [f"截止前 {'、'.join(map(str, s.remind_before))} 天提醒" if s.remind_before else "",
             f"逾期 {'、'.join(map(str, s.chase_after))} 天催办" if s.chase_after else "",
             f"逾期满 {s.escalate_after} 天督办并抄送负责人和分管领导" if s.escalate_after else ""]
    say(f"督办：报送截止 {s.submit_by.isoformat()}；" + "，".join(x for x in steps if x)
        + f"；整改问题距完成时限 {s.warn_within} 天内亮黄灯")
    copied = [d for d in rules.departments if d.leader or d.head_email]
    if copied:
        say("督办抄送：" + "；".join(f"{d.name} → " + "、".join(x for x in (d.leader, *d.head_email) if x)
                                 for d in copied))


def run_report(summary: dict, round_dir: Path) -> None:
    subs = summary["submissions"]
    files = summary["counts"]["files"]
    count = {s: files.get(s, 0) for s in ("accepted", "rejected", "superseded", "ignored")}
    say(f"本轮：{summary['round']}（截至 {summary['as_of']}）")
    say(f"文件：采用 {count['accepted']} 份，退回 {count['rejected']} 份，被新版本替代 {count['superseded']} 份，"
        f"忽略 {count['ignored']} 份")
    for s in subs:
        if s["status"] == "rejected":
            first = next((f for f in s["findings"] if f["severity"] == "error"), None)
            where = f"{first['sheet']}!{first['cell']} " if first and first["cell"] else ""
            say(f"  退回 {s['file']}：{where}{first['message'] if first else ''}")
    _input_notes(subs)
    if summary.get("units"):          # §17: a verdict per unit, not one combined total
        units = summary["units"]
        say(f"参评单位：{len(units)} 个，参加测评 {sum(u['submission'] == 'accepted' for u in units)} 个，"
            f"合格 {sum(u['passed'] for u in units)} 个（合格线 {fmt_number(summary['pass_score'])} 分）；"
            + "；".join(f"{g['name'] or '未分组'} {g['passed']}/{g['units']}" for g in summary.get("groups", [])))
    else:
        unit = summary["unit"]
        verdict = "一票否决" if unit["veto"] else ("达到合格线" if unit["passed"] else "未达合格线")
        say(f"总分：{fmt_number(unit['total'])} 分（基础 {fmt_number(unit['score'])} + 加分 {fmt_number(unit['bonus'])}），"
            f"合格线 {fmt_number(summary['pass_score'])} 分：{verdict}")
    gaps, severe = summary["counts"]["gaps"], summary["counts"]["severe_gaps"]
    say(f"问题清单：{gaps} 条（严重 {severe} 条，一般 {gaps - severe} 条）")
    if summary["unsubmitted"]:
        say(f"未报送：{'、'.join(summary['unsubmitted'])}")
    if summary.get("returned"):
        say(f"被退回（须于 {summary['resubmit_by']} 前重新报送）：{'、'.join(summary['returned'])}")
    office_lines(summary)
    data_report(summary)
    evidence_report(summary)
    say(f"输出：{round_dir}")


def _input_notes(subs: list[dict]) -> None:
    """Files still being copied (§3 file.incomplete) and files left from an earlier round
    (file.previous_round): the operator should see both at once, not only in summary.json."""
    def having(rule):
        return [(s, f) for s in subs for f in s.get("findings") or () if f["rule"] == rule]

    for s, f in having("file.incomplete"):
        say(f"  跳过 {s['file']}：{f['message']}")
    earlier = having("file.previous_round")
    if earlier:
        names = "、".join(s["file"] for s, _ in earlier[:5]) + (f" 等 {len(earlier)} 份" if len(earlier) > 5 else "")
        say(f"  [提醒] file.previous_round {names}：{earlier[0][1]['message']}")


def office_lines(summary: dict) -> None:
    """The office's pass (CONTRACT.md §11): verified scores, tracking, and problems in its edits."""
    reviews = summary.get("reviews") or []
    unit = summary.get("unit")         # absent in units mode (§17): each unit's own total counts
    if reviews and not unit:
        say(f"核定：{len(reviews)} 项核定得分，已计入各单位的得分和排名")
    elif reviews:
        say(f"核定：{len(reviews)} 项核定得分，自评 {fmt_number(unit.get('self_score', unit['score']))} 分 → "
            f"核定后 {fmt_number(unit['score'])} 分")
    rect = summary.get("rectification")
    if rect and rect.get("total"):
        say("整改：" + "，".join(f"{k} {rect[k]} 条" for k in ("未整改", "整改中", "待核验", "已销号")))
    for f in summary.get("office_findings") or []:
        if f["rule"].startswith("data."):            # listed by data_report
            continue
        where = f"{f['sheet']}!{f['cell']}" if f.get("cell") else (f.get("sheet") or "")
        say(f"  [{SEVERITY.get(f['severity'], f['severity'])}] {f.get('file', '')} {where}：{f['message']}")


# ---------------------------------------------------------------------------------------------
# Unattended operation (issue 11): progress while a run works, and the run's lines for the log.

STAGE_WORDS = {"discover": "查找文件", "read": "读取并检查文件", "check": "检查文件", "validate": "检查文件",
               "score": "计分", "returned": "生成退回件", "feedback": "生成退回件", "reports": "生成报告",
               "write": "写入输出", "mail": "发送邮件", "send": "发送邮件", "ledger": "记录台账"}
BAR = 24


ProgressFn = Callable[[str, int, int], None]     # how a run reports its progress: (stage, done, total)


class Progress:
    """The `progress(stage, done, total)` callback pipeline.run accepts.

    On an interactive terminal it redraws one bar line on stderr; under a scheduler (no terminal)
    it writes plain lines: one when a stage ends, and every quarter of a long stage. With --quiet
    it shows nothing. Each finished stage is written to the log file either way.
    `check` (if given) is called on every tick: the watcher uses it to stop a run between steps.
    """

    def __init__(self, stream=None, interactive: bool | None = None, check=None):
        self.stream = stream
        self.interactive = interactive
        self.check = check
        self._drawn = False
        self._step = {}

    def _out(self):
        return self.stream if self.stream is not None else sys.stderr

    def _tty(self) -> bool:
        if self.interactive is not None:
            return self.interactive
        isatty = getattr(self._out(), "isatty", None)
        return bool(isatty and isatty())

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.check is not None:
            self.check()
        word = STAGE_WORDS.get(stage, stage)
        finished = total <= 0 or done >= total
        if finished:
            logger.info("%s：%d/%d", word, done, total, extra={"shown": True})
        if _quiet:
            return
        out = self._out()
        if self._tty():
            filled = BAR if total <= 0 else int(BAR * min(done, total) / total)
            line = f"\r{pad(word, 10)} [{'#' * filled}{'.' * (BAR - filled)}] {done}/{total}"
            out.write(line + ("\n" if finished else ""))
            self._drawn = not finished
            out.flush()
            return
        quarter = max(1, total // 4) if total >= 40 else None
        if finished or (quarter and done % quarter == 0 and done and self._step.get(stage) != done):
            self._step[stage] = done
            out.write(f"{word}：{done}/{total}\n")
            out.flush()

    def close(self) -> None:
        """End a bar left half-drawn (a run that failed part-way)."""
        if self._drawn:
            self._out().write("\n")
            self._out().flush()
            self._drawn = False


def run_log_lines(summary: dict, round_dir, seconds: float, mail: dict | None = None,
                  outputs: int | None = None) -> list[str]:
    """The lines every run leaves in the log: files, accepted/returned, outputs, mail, duration."""
    counts = summary["counts"]
    files = counts["files"]
    count = {s: files.get(s, 0) for s in ("accepted", "rejected", "superseded", "ignored")}
    lines = [f"运行完成：轮次 {summary.get('round')}，找到文件 {sum(files.values())} 份（采用 {count['accepted']}，"
             f"退回 {count['rejected']}，被替代 {count['superseded']}，忽略 {count['ignored']}），"
             f"问题 {counts['gaps']} 条，用时 {seconds:.1f} 秒"]
    returned = summary.get("returned") or []
    if returned:
        lines.append(f"退回部门：{'、'.join(returned)}")
    lines.append(f"输出：{round_dir}" + (f"（{outputs} 个文件）" if outputs is not None else ""))
    if mail is not None:
        lines.append(f"邮件：已发送 {mail.get('sent', 0)} 封，待发送 {mail.get('pending', 0)} 封，"
                     f"失败 {mail.get('failed', 0)} 封")
    return lines

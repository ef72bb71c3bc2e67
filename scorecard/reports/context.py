"""The context the Word templates are rendered with, built from the summary dict.

Nothing here computes a score: numbers come from the summary (and summary["analysis"], from
analysis.py); this module formats them and writes the sentences a reader needs. The parts every
document shares are built once per summary (`Shared`), and the rows of each department are
indexed by department once, so a department's context costs the same at 10 or 1,000 departments.
The summary report's part is in summary_report.py, a department's in department_report.py.

Dates: every date a reader sees is written the Chinese way (2027年3月31日), the report's date
(成文日期) is the day overdue is judged on (as_of), and a deadline that has passed is never
phrased as one still to meet.
"""
from __future__ import annotations

import re

from ..scoring import analysis as an
from ..base.formatting import number, percent, quantity, share
from ..base.text import display_width, fmt_number, xml_safe

TOP_GAPS = 15
TOP_DEPARTMENTS = 5
_CN_NUMBERS = "一二三四五六七八九十"
_ISO = re.compile(r"(?<![\d“])(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?!\d)")
STATE_TEXT = {an.ACCEPTED: "已报送", an.RETURNED: "退回", an.MISSING: "未报送"}
DEFAULTS_NOTE = ("标“（默认）”的整改措施、责任人和完成时限，部门未填写，由创建办统一确定："
                 "责任人为部门负责人，完成时限为测评基准日次月月底；部门另有安排的，报创建办调整。")


# ---------------------------------------------------------------- formatting helpers

def clean(value):
    """Every string made safe for XML 1.0: control characters dropped, line ends unified."""
    if isinstance(value, str):
        return xml_safe(value.replace("\r\n", "\n").replace("\r", "\n"))
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    return value


def n(value) -> str:
    """A score or points (formatting.number): 8, 4.5, 4.55."""
    return number(value)


def big(value) -> str:
    """A measured quantity with thousands separators: 7420 -> 7,420 (formatting.quantity)."""
    return quantity(value)


def pct(rate) -> str:
    """A measured rate, one decimal: 0.8125 -> 81.3% (formatting.percent)."""
    return percent(rate)


def quote(text) -> str:
    """Text in Chinese double quotes, the quotes inside it made single (GB/T 15834: “…‘…’…”)."""
    inner = s(text).replace("“", "‘").replace("”", "’")
    return f"“{inner}”"


def bonus_claims_text(claims: list[dict]) -> str:
    """（“项目”2分、“项目”1.5分）: 特色加分 claimed in a returned file, not counted."""
    if not claims:
        return ""
    return "（" + "、".join(f"{quote(b.get('project'))}{n(b.get('points'))}分" for b in claims) + "）"


def title_lines(parts: list[str], per_line: float = 20) -> str:
    """A title broken between its parts (words), never inside one: GB/T 9704 7.3.1 回行时词意完整.
    Lines hold at most per_line full-width characters; the break that gives the fewest lines,
    then the most even ones, is taken. A part longer than a line is left to wrap by itself."""
    parts = [x for x in parts if x]
    widths = [display_width(x) / 2 for x in parts]
    total = sum(widths)
    if total <= per_line or len(parts) < 2:
        return "".join(parts)
    best = None
    for k in range(1, len(parts)):
        first, second = sum(widths[:k]), sum(widths[k:])
        if first <= per_line and second <= per_line:
            score = abs(first - second)
            if best is None or score < best[0]:
                best = (score, k)
    if best is None:
        return "".join(parts)
    return "".join(parts[:best[1]]) + "\n" + "".join(parts[best[1]:])


def s(value) -> str:
    return "" if value is None else str(value)


def file_name(path) -> str:
    """A submitted file by its name only ('input/sub/办公室.xlsx' -> '办公室.xlsx'): the office's
    folders mean nothing to a department."""
    return s(path).replace("\\", "/").rsplit("/", 1)[-1]


def cn_date(text) -> str:
    """'2027-01-04' or '2027-01-04 09:30' -> '2027年1月4日'; other text unchanged."""
    match = re.match(r"^(\d{4})-(\d{1,2})-(\d{1,2})", s(text))
    return f"{match[1]}年{int(match[2])}月{int(match[3])}日" if match else s(text)


# §14: the 预警 cell's shading, as in 问题清单.xlsx (office/gaplist.LIGHT_FILL)
LIGHT_COLORS = {"红": "FF7C80", "黄": "FFE699", "绿": "C6EFCE"}


def prose(text) -> str:
    """Our own sentences (gap notes from scoring): ISO dates and times inside become Chinese dates."""
    return _ISO.sub(lambda m: f"{m[1]}年{int(m[2])}月{int(m[3])}日", s(text))


def cn(k: int) -> str:
    if k <= 10:
        return _CN_NUMBERS[k - 1]
    if k < 20:
        return "十" + _CN_NUMBERS[k - 11]
    return f"{_CN_NUMBERS[k // 10 - 1]}十{_CN_NUMBERS[k % 10 - 1] if k % 10 else ''}" if k < 100 else str(k)


def names_text(names: list[str], limit: int = 10) -> str:
    names = [x for x in names if x]
    if len(names) <= limit:
        return "、".join(names)
    return "、".join(names[:limit]) + f"等{len(names)}个部门"


def verdict_sentence(summary: dict) -> str:
    """The result in one sentence, e.g. 本轮自评总分87.5分（基础分84.5分、特色加分3分），合格线90分，…"""
    unit, pass_score = summary["unit"], summary.get("pass_score")
    head = (f"本轮自评总分{n(unit['total'])}分（基础分{n(unit['score'])}分、特色加分{n(unit['bonus'])}分），"
            f"合格线{n(pass_score)}分，")
    gap = round(float(pass_score) - float(unit["total"]), 2) if pass_score is not None else 0
    if unit.get("veto"):
        names = "、".join(quote(f"{v['code']} {v['name']}") for v in summary.get("vetoes", []) if v.get("occurred"))
        below = f"（总分亦低于合格线{fmt_number(gap)}分）" if gap > 0 else ""
        return f"{head}但发生一票否决事项{names}，本轮测评不能通过{below}。"
    if unit.get("passed"):
        above = f"，高出{fmt_number(-gap)}分" if gap < 0 else ""
        return f"{head}未触发一票否决事项，已达到合格线{above}。"
    return f"{head}未触发一票否决事项，尚未达到合格线，差{fmt_number(max(gap, 0))}分。"


def count_text(gaps: list[dict]) -> str:
    severe = sum(1 for g in gaps if g.get("severity") == "严重")
    if severe and severe < len(gaps):
        return f"{len(gaps)}项（严重{severe}项、一般{len(gaps) - severe}项）"
    return f"{len(gaps)}项（均为{'严重' if severe else '一般'}问题）"


def _passed(deadline_iso: str, as_of: str) -> bool:
    return bool(deadline_iso) and bool(as_of) and deadline_iso[:10] < as_of[:10]


# ---------------------------------------------------------------- shared, built once per summary

class Shared:
    """What every document of one summary shares, plus per-department indexes."""

    def __init__(self, summary: dict):
        summary = summary or {}
        self.summary = summary
        self.as_of = s(summary.get("as_of"))
        self.analysis = summary.get("analysis") or an.analyse(summary)
        self.states = an.department_states(summary)
        indexed = list(enumerate(summary.get("departments", [])))
        indexed.sort(key=lambda p: (p[1].get("rank") is None, p[1].get("rank") or 0, p[0]))
        self.ranking = [d for _, d in indexed]
        self.ranked = [d for d in self.ranking if d.get("rank") is not None
                       and self.states.get(d["name"], an.ACCEPTED) == an.ACCEPTED]
        self.rank_counts: dict = {}
        for d in self.ranked:
            self.rank_counts[d["rank"]] = self.rank_counts.get(d["rank"], 0) + 1
        self.departments = {d["name"]: d for d in summary.get("departments", [])}
        self.rejected_by_dept: dict[str, list[dict]] = {}
        for sub in summary.get("submissions", []):
            if sub.get("status") == "rejected" and sub.get("department"):
                self.rejected_by_dept.setdefault(sub["department"], []).append(sub)
        from ..evidence.judge import evidence_findings      # here: the judge's imports are for runs, not every reader

        self.evidence_by_dept = evidence_findings(summary)     # §13: each accepted submission's evidence findings
        self.gap_rows = [self.gap_row(g, k) for k, g in enumerate(summary.get("gaps", []), 1)]
        # One row per problem (analysis.problem_groups): a low score past its deadline is one row
        # "低分、逾期", counted once. problem_of[k]: the problem of gap k.
        self.problems = [self.problem_row(group, k) for k, group in
                         enumerate(an.problem_groups(summary.get("gaps", [])), 1)]
        self.problem_of = {k: j for j, row in enumerate(self.problems) for k in row["gap_indices"]}
        self.gaps_by_dept: dict[str, list[dict]] = {}
        for row in self.problems:
            self.gaps_by_dept.setdefault(row["department"], []).append(row)
        self.entries_by_dept: dict[str, list[dict]] = {}
        for e in summary.get("entries", []):
            self.entries_by_dept.setdefault(e.get("department"), []).append(e)
        self.reviews_by_dept: dict[str, list[dict]] = {}
        for r in summary.get("reviews") or []:
            self.reviews_by_dept.setdefault(r.get("department"), []).append(r)
        self.computed_by_dept: dict[str, list[dict]] = {}
        for c in summary.get("computed") or []:
            self.computed_by_dept.setdefault(c.get("department"), []).append(c)
        self.indicators = {i.get("code"): i for i in summary.get("indicators", [])}
        self.common = clean(self._common())

    # -- rows

    def gap_row(self, gap: dict, no: int) -> dict:
        code, name, kind = s(gap.get("indicator")), s(gap.get("indicator_name")), gap.get("kind", "")
        indicator_text = "全部承担指标" if kind in ("未报送", "退回") else f"{code} {name}".strip()
        deadline = s(gap.get("deadline"))
        tracking = gap.get("tracking") or {}
        tracked = "tracking" in gap
        defaults = set(gap.get("defaults") or ())

        def shown(field: str, text: str) -> str:
            """A default said as such; on a line of its own in the narrow columns (a name, a date)."""
            if not text or field not in defaults:
                return text
            return f"{text}（默认）" if field == "measure" else f"{text}\n（默认）"

        return {
            "no": no, "key": s(gap.get("key")), "kind": kind, "severity": s(gap.get("severity")),
            "department": s(gap.get("department")), "indicator": code, "indicator_name": name,
            "indicator_text": indicator_text, "problem": s(gap.get("problem")),
            "measure": shown("measure", s(gap.get("measure"))), "owner": shown("owner", s(gap.get("owner"))),
            "deadline": shown("deadline", cn_date(deadline)) + (          # §14: an extension says so
                f"\n（延期，原定{cn_date(gap['deadline_original'])}）" if gap.get("deadline_original") else ""),
            "defaulted": bool(defaults),
            "deadline_passed": _passed(deadline, self.as_of), "status": s(gap.get("status")),
            "light": s(gap.get("light")), "light_color": LIGHT_COLORS.get(s(gap.get("light")), "FFFFFF"),   # §14
            "light_label": f"（{s(gap.get('light'))}灯）" if gap.get("light") else "",
            "score": n(gap.get("score")), "max": n(gap.get("max")), "note": prose(gap.get("note")),
            "description": s(gap.get("problem")) or self._returned_text(gap) or prose(gap.get("note")),
            "state": s(gap.get("state")),
            "tracking": (s(tracking.get("status")) or "未整改") if tracked else "",
            "tracking_note": s(tracking.get("note")), "closed_on": cn_date(tracking.get("closed_on")),
            "verifier": s(tracking.get("verifier")),
        }

    def problem_row(self, group: list[int], no: int) -> dict:
        """The row of one problem: its gaps' kinds joined (低分、逾期), the most serious severity."""
        rows = [self.gap_rows[k] for k in group]
        first = rows[0]
        kinds = list(dict.fromkeys(r["kind"] for r in rows))
        severity = "严重" if any(r["severity"] == "严重" for r in rows) else first["severity"]
        description = first["description"]
        if not first["problem"]:
            description = "；".join(dict.fromkeys(r["description"] for r in rows if r["description"]))
        return dict(first, no=no, kind="、".join(kinds), kinds=kinds, severity=severity, description=description,
                    deadline_passed=any(r["deadline_passed"] for r in rows), gap_indices=list(group),
                    gap_count=len(rows))

    def _returned_text(self, gap: dict) -> str:
        """A 退回 gap in one line: its errors are listed in the department's report and copy."""
        if gap.get("kind") != "退回":
            return ""
        subs = self.rejected_by_dept.get(gap.get("department"), [])
        errors = sum(1 for sub in subs for f in sub.get("findings", []) if f.get("severity") == "error")
        files = "、".join(f"《{file_name(sub.get('file'))}》" for sub in subs)
        return (f"报送的{files or '自评表'}未通过审核，已退回" + (f"（{errors}处错误）" if errors else "")
                + "，错误清单见退回件和部门报告")

    def _common(self) -> dict:
        summary, a = self.summary, self.analysis
        unit = summary.get("unit", {})
        gaps = summary.get("gaps", [])
        with_indicators = [d for d in summary.get("departments", []) if d.get("max")]
        history = bool(summary.get("previous_round"))
        progress = ""
        if history:
            new = sum(1 for g in gaps if g.get("state") == "新增")
            progress = (f"与上轮（{summary['previous_round']}）相比，已整改销号{len(summary.get('closed_gaps') or [])}项，"
                        f"持续存在{len(gaps) - new}项，新增{new}项。")
        resubmit = cn_date(summary.get("resubmit_by"))
        self_total = unit.get("self_score")
        return {
            "title": s(summary.get("title")), "organization": s(summary.get("organization")),
            "round": s(summary.get("round")), "as_of": cn_date(summary.get("as_of")),
            "generated_at": s(summary.get("generated_at")), "previous_round": s(summary.get("previous_round")),
            "report_date": cn_date(summary.get("as_of") or summary.get("generated_at")),
            "resubmit_by": resubmit,
            # GB/T 9704 7.3.6 附注, under the date: who to call about the document.
            "contact_text": s((summary.get("contact") or {}).get("text")),
            "pass_score": n(summary.get("pass_score")), "bonus_cap": n(summary.get("bonus_cap")),
            "gap_ratio": share(summary.get("gap_ratio")), "gap_severe_ratio": share(summary.get("gap_severe_ratio")),
            "unit": {"score": n(unit.get("score")), "max": n(unit.get("max")), "bonus": n(unit.get("bonus")),
                     "total": n(unit.get("total")), "rate": pct(unit.get("rate")), "veto": bool(unit.get("veto")),
                     "passed": bool(unit.get("passed")), "result": "合格" if unit.get("passed") else "不合格",
                     "self_score": n(self_total if self_total is not None else unit.get("score"))},
            "verdict": verdict_sentence(summary) if unit else "",
            "department_count": len(with_indicators), "submitted_count": a["departments"]["accepted"],
            "ranked_count": len(self.ranked), "returned_count": len(a["departments"]["returned"]),
            "missing_count": len(a["departments"]["missing"]),
            "gap_count": len(gaps), "severe_count": a["severe_count"],
            "gaps": self.gap_rows, "problems": self.problems,
            "gaps_text": (f"本轮共查找问题短板{count_text(self.problems)}，涉及{len({g.get('department') for g in gaps})}个部门"
                          + (f"（同一指标兼有低分、逾期等情形的合为一项，问题清单.xlsx按类型分列{len(gaps)}条）"
                             if len(gaps) != len(self.problems) else "") + "。"
                          if gaps else "本轮未发现问题短板。"),
            "defaults_note": DEFAULTS_NOTE if any(r["defaulted"] for r in self.gap_rows) else "",
            "severe_text": self._severe_text(),
            "progress_text": progress,
            "closed_gaps": [self.gap_row(g, k) for k, g in enumerate(summary.get("closed_gaps") or [], 1)],
            "has_state": history, "has_tracking": bool(a["rectification"]["tracked"]),
        }

    def _severe_text(self) -> str:
        summary = self.summary
        return (f"“严重”指：自评得分低于该指标分值的{share(summary.get('gap_severe_ratio'))}，"
                "或部门未报送、报送的自评表被退回，或发生一票否决事项；"
                f"得分低于分值的{share(summary.get('gap_ratio'))}但不属严重的，以及整改逾期、佐证材料缺失，为“一般”。")

    def rank_text(self, dept: dict) -> str:
        rank = dept.get("rank")
        if rank is None or self.states.get(dept["name"], an.ACCEPTED) != an.ACCEPTED:
            return "不参与排名"
        return f"第{rank}名{'（并列）' if self.rank_counts.get(rank, 0) > 1 else ''}"


PENDING_TEXT = "待数据"


def pending_basis(indicator: dict) -> str:
    """A computed indicator whose data has not arrived this round (§12)."""
    data = (indicator.get("computed") or {}).get("data") or "平台"
    return f"{PENDING_TEXT}：本轮尚未收到“{data}”数据表，暂计0分，不作为问题短板；数据到后重新处理即计分。"


def computed_basis(record: dict, indicator: dict) -> str:
    """How one computed score came about, e.g. 42人中38人达到8,000分（占90.5%），得4.5分。"""
    spec = indicator.get("computed") or {}
    method = record.get("method") or spec.get("method") or "share"
    target = record.get("target", spec.get("target"))
    rows, meeting, value = record.get("rows") or 0, record.get("meeting") or 0, record.get("value")
    if not rows:
        return "平台数据中没有本部门人员的记录，按0分计"
    if method == "share":
        text = f"{rows}人中{meeting}人达到{big(target)}分" if target is not None else f"{rows}人中{meeting}人达标"
        if isinstance(value, (int, float)):
            text += f"（占{pct(value)}）"
    elif method == "mean":
        text = f"{rows}人，人均{big(value)}分" + (f"（目标{big(target)}分）" if target is not None else "")
    else:
        text = f"{rows}条记录，合计{big(value)}" + (f"（目标{big(target)}）" if target is not None else "")
    return text + f"，得{n(record.get('score'))}分"


def below(record: dict) -> str:
    """People below target, when the summary lists them (field name not fixed yet: try the likely ones)."""
    people = next((record[k] for k in ("below", "below_target", "people_below", "missing_people") if record.get(k)), [])
    shown = []
    for p in people[:30]:
        if isinstance(p, dict):
            name = s(p.get("name") or p.get("姓名"))
            value = p.get("value")
            shown.append(f"{name}（{big(value)}分）" if isinstance(value, (int, float)) else name)
        else:
            shown.append(s(p))
    more = f"等{len(people)}人" if len(people) > 30 else ""
    return "、".join(shown) + more


# ---------------------------------------------------------------- 问题清单 (Word)

def gap_groups(shared: Shared) -> list[dict]:
    order = {d.get("name"): k for k, d in enumerate(shared.summary.get("departments", []))}
    groups = shared.gaps_by_dept
    result = []
    for k, name in enumerate(sorted(groups, key=lambda x: (order.get(x, len(order)), x)), 1):
        rows = [dict(g, no=j) for j, g in enumerate(groups[name], 1)]      # one row per problem
        result.append({"no": k, "department": name, "count": len(rows), "heading": f"{cn(k)}、{name}（{len(rows)}项）",
                       "summary": f"共{count_text(rows)}。", "gaps": rows})
    return clean(result)

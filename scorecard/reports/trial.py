"""Two small summaries for trying templates (check-templates), made by the real scoring code.

`trial_summaries()` scores a three-department rules file twice: a rich round (every gap kind, a
veto, a bonus, a returned and a missing department, a department without indicators, a previous
round) and a clean passing one; between them they take both sides of the ifs a template may have.
"""
from __future__ import annotations

import datetime as dt

from ..base.findings import finding
from ..rules import parse_rules
from ..scoring.score import Placed, choose_latest, summarise
from ..intake.validation import BonusClaim, Checked, Entry, VetoAnswer

RULES = """\
version: 1
title: 模板试算
organization: 某局
pass_score: 6
bonus_cap: 1
departments:
  - {name: 甲, head: 张三}
  - {name: 乙, head: 李四}
  - {name: 丙}
  - {name: 丁}
items:
  - code: "一"
    name: 项目
    indicators:
      - {code: "1.1", name: 指标甲, max: 2, criteria: 标准, departments: [甲, 乙, 丙]}
      - {code: "1.2", name: 指标乙, max: 2, criteria: 标准, departments: [甲, 乙, 丙], combine: mean}
      - {code: "1.3", name: 指标丙, max: 4, criteria: 标准, departments: [甲]}
vetoes:
  - {code: V1, name: 否决事项}
  - {code: V2, name: 另一否决事项}
"""
AS_OF = dt.date(2026, 12, 31)


def _file(dept: str, scores: dict[str, float], *, veto=False, bonus=False, overdue=False) -> Checked:
    label = f"input/{dept}.xlsx"
    entries, findings = [], []
    for n, (code, score) in enumerate(scores.items(), 2):
        short = score < 2
        evidence = "" if code == "1.2" and bonus else "材料"
        if not evidence:
            findings.append(finding("evidence.missing", sheet="自评表", cell=f"G{n}", code=code, score=score, file=label))
        entries.append(Entry(code, score, "推进中" if short or overdue else "已完成", evidence,
                             "问题" if short else "", "措施" if short else "", "张三" if short else "",
                             dt.date(2026, 11, 30) if short or overdue else None, {"evidence": f"G{n}"}))
    return Checked(file=label, path=None, sha256="0" * 64, mtime=1.0, department=dept,
                   fill_date=dt.date(2026, 12, 1), filler="张三", phone="1", findings=tuple(findings),
                   entries=tuple(entries), vetoes=(VetoAnswer("V1", veto, "说明" if veto else "", "C2"),),
                   bonuses=(BonusClaim("亮点", 1, "说明", "文件", "B2"),) if bonus else ())


def _rejected(dept: str) -> Checked:
    label = f"input/{dept}.xlsx"
    return Checked(file=label, path=None, sha256="1" * 64, mtime=1.0, department=dept,
                   findings=(finding("score.out_of_range", sheet="自评表", cell="E2", value=3, code="1.1", max=2,
                                     file=label),))


def _summary(rules, files, *, previous=None, round_name="第一轮") -> dict:
    placed = [Placed(p.checked, p.status, f"退回/{p.checked.department}_退回.xlsx" if p.status == "rejected" else None)
              for p in choose_latest(files)]
    return summarise(rules, placed, round_name=round_name, as_of=AS_OF, generated_at=dt.datetime(2026, 12, 31, 9),
                     resubmit_by=dt.date(2027, 1, 5), previous=previous).to_dict()


def trial_summaries() -> list[dict]:
    rules = parse_rules(RULES, "trial.yaml")
    earlier = _summary(rules, [_file("甲", {"1.1": 1, "1.2": 2, "1.3": 4}), _file("乙", {"1.1": 2, "1.2": 1})],
                       round_name="上一轮")
    rich = _summary(rules, [_file("甲", {"1.1": 1, "1.2": 2, "1.3": 2}, veto=True, bonus=True, overdue=True),
                            _rejected("乙")], previous=earlier)
    clean = _summary(rules, [_file(d, {"1.1": 2, "1.2": 2, "1.3": 4} if d == "甲" else {"1.1": 2, "1.2": 2})
                             for d in ("甲", "乙", "丙")])
    return [rich, clean]

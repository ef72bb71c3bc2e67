"""A realistic summary for the report tests and the benchmark, built by the real scoring code.

27 indicators in 6 items (100 points), 11 departments: one that sent nothing (UNSUBMITTED), one
whose only file was rejected (RETURNED), one with no indicators (NO_INDICATORS); gaps of every
kind, a veto, bonuses, a previous round, and department texts that try to break the templates
(`{{ x }}`, `{% if %}`, `<b>`, `&`, `=SUM(A1)`, `+1`, `-2`, `@x`, a \\x07 control character).
The rules and the checked submissions are made here (deterministically, without workbooks);
`scoring.summarise` computes every number, exactly as a run does.
"""
from __future__ import annotations

import datetime as dt
import random

from scorecard.base.findings import finding
from scorecard.rules import parse_rules
from scorecard.scoring.score import Placed, choose_latest, summarise
from scorecard.intake.validation import IGNORED, BonusClaim, Checked, Entry, VetoAnswer

HOSTILE = {
    "jinja_var": "{{ x }}",
    "jinja_block": "{% if %}",
    "html": "<b>",
    "amp": "A & B",
    "formula": "=SUM(A1)",
    "plus": "+1",
    "minus": "-2",
    "at": "@x",
}

DEPARTMENTS = [
    "办公室", "机关党委", "人事教育科", "综合规划和法规科", "登记注册科", "信用监管科",
    "价格监督检查和反不正当竞争科", "消费者权益保护科", "执法稽查支队", "机关服务中心", "计量标准化科",
]
UNSUBMITTED = "信用监管科"
RETURNED = "综合规划和法规科"
NO_INDICATORS = "计量标准化科"
HEADS = {"信用监管科": "孙科长", "综合规划和法规科": "钱科长", "办公室": "周主任"}
AS_OF = dt.date(2026, 12, 31)
GENERATED = dt.datetime(2027, 1, 4, 9, 30)
RESUBMIT_BY = dt.date(2027, 1, 7)

# code, name, max, method, combine, departments ("all" = every department with indicators), evidence required
ITEMS = [
    ("一", "领导班子和创建组织建设", [
        ("1.1", "创建领导机构健全", 4, "材料审核", "min", ["办公室"], True),
        ("1.2", "创建实施方案和责任分解", 3, "材料审核", "lead", ["办公室", "综合规划和法规科"], True),
        ("1.3", "领导班子示范带头", 6, "听取汇报", "min", ["机关党委", "人事教育科"], True),
        ("1.4", "基层党支部“五化”建设", 3, "实地考察", "mean", ["机关党委", "执法稽查支队", "信用监管科"], True),
    ]),
    ("二", "思想道德建设", [
        ("2.1", "社会主义核心价值观宣传教育", 3, "问卷调查", "min", ["机关党委"], False),
        ("2.2", "“学习强国”“红星云”平台学习", 5, "网络媒体调查", "mean", "all", True),
        ("2.3", "身边好人和道德模范选树", 2, "材料审核", "min", ["人事教育科", "价格监督检查和反不正当竞争科"], True),
        ("2.4", "“三表率一模范”机关建设", 4, "听取汇报", "min", ["机关党委"], True),
    ]),
    ("三", "创建活动和宣传氛围", [
        ("3.1", "文明科室、文明职工、文明家庭评选", 4, "材料审核", "min", ["人事教育科", "信用监管科"], True),
        ("3.2", "主题演讲、征文、知识竞赛等文化活动", 3, "材料审核", "lead", ["机关党委"], True),
        ("3.3", "网站和微信公众号宣传阵地", 4, "网络媒体调查", "lead", ["办公室", "消费者权益保护科"], True),
        ("3.4", "“讲文明树新风”公益广告和文明行动", 5, "实地考察", "min", ["机关服务中心", "登记注册科", "消费者权益保护科"], True),
        ("3.5", "创建工作知晓率和支持率", 2, "问卷调查", "mean", ["消费者权益保护科", "登记注册科", "执法稽查支队"], False),
    ]),
    ("四", "业务工作和窗口服务", [
        ("4.1", "12315投诉举报平台文明窗口建设", 5, "实地考察", "min", ["消费者权益保护科"], True),
        ("4.2", "登记注册窗口文明岗位建设", 5, "实地考察", "min", ["登记注册科", "信用监管科"], True),
        ("4.3", "重点领域专项执法", 4, "材料审核", "min", ["执法稽查支队", "价格监督检查和反不正当竞争科"], True),
        ("4.4", "食品药品和产品质量安全监管", 3, "听取汇报", "mean", ["办公室"], True),
        ("4.5", "民生价格监管和消费维权", 2, "材料审核", "mean", ["价格监督检查和反不正当竞争科", "消费者权益保护科"], True),
        ("4.6", "依法行政和“放管服”改革", 3, "材料审核", "min", ["综合规划和法规科", "登记注册科", "信用监管科"], True),
    ]),
    ("五", "内部管理和阵地设施", [
        ("5.1", "图书阅览室和文体健身室", 4, "实地考察", "min", ["机关服务中心"], True),
        ("5.2", "党员活动室和干部职工之家", 4, "实地考察", "min", ["机关党委", "机关服务中心"], True),
        ("5.3", "机关文化墙和环境秩序", 5, "实地考察", "min", ["机关服务中心", "办公室"], True),
        ("5.4", "会风会纪", 3, "实地考察", "min", ["办公室", "人事教育科"], True),
    ]),
    ("六", "作风建设和全员参与", [
        ("6.1", "机关作风和服务效能建设", 5, "问卷调查", "min", ["人事教育科", "执法稽查支队", "登记注册科"], False),
        ("6.2", "整体联动和联席议事机制", 2, "听取汇报", "lead", ["办公室", "综合规划和法规科"], True),
        ("6.3", "创建责任追究和督查考核", 3, "材料审核", "min", ["人事教育科", "综合规划和法规科"], True),
        ("6.4", "全员参与和志愿服务", 4, "材料审核", "mean", "all", True),
    ]),
]

VETOES = [
    ("V1", "领导班子成员发生严重违纪违法问题"),
    ("V2", "发生重大安全生产责任事故"),
    ("V3", "发生群体性事件或造成恶劣社会影响的舆情事件"),
]

OWNERS = ["王建国", "李明", "张晓燕", "刘伟", "陈静", "杨帆", "赵磊", "周婷", "吴强"]
PROBLEMS = [
    "活动记录不完整，部分月份缺少照片和签到表",
    "宣传内容更新不及时，部分展板仍为旧标识",
    "学习积分未达到创建办规定分值，存在零积分人员",
    "制度已制定但未上墙公示，台账未按月更新",
    "问卷样本数量不足30人，知晓率统计口径不一致",
]
MEASURES = [
    "指定专人负责，每月底前补齐活动记录并归档",
    "联系印制单位统一更换展板，同步更新电子屏内容",
    "每周通报积分排名，对零积分人员逐一提醒督促",
    "本月内完成制度上墙，建立月度台账并由科长签字",
    "按要求扩大样本重新开展问卷调查并统一统计口径",
]

# Hand-placed scores (fraction of max) and texts that give every kind of gap and the hostile strings.
OVERRIDES = {
    ("办公室", "1.1"): dict(score=2, problem="会议纪要缺少{{ x }}签字页 & 附件未装订", measure="{% if %}补签纪要{% endif %}，<b>加急</b>",
                          owner="<b>张三</b>", deadline="2026-11-30", status="推进中"),
    ("办公室", "5.3"): dict(score=4.5, problem="旧标识尚未全部清除", measure="12月底前完成更换",
                          owner="王建国", deadline="2026-12-20", status="推进中", evidence=""),
    ("机关党委", "2.4"): dict(score=1.5, problem="=SUM(A1)", measure="+1 每月复核一次", owner="@x",
                            deadline="2027-01-31", status="未开始"),
    ("机关党委", "1.3"): dict(score=5, problem="材料\x07未归档，部分党课记录缺失", measure="-2 补齐记录", owner="李明",
                            deadline="2026-10-31", status="未开始"),
    ("执法稽查支队", "4.3"): dict(score=2, problem="专项行动台账缺少阶段总结\n案件数量低于上年", measure="补写阶段总结；加大案件查办力度",
                              owner="赵磊", deadline="2027-03-31", status="推进中"),
    ("机关服务中心", "5.1"): dict(score=4, evidence=""),
}


def _half(value: float) -> float:
    return round(value * 2) / 2


def _yaml_list(values) -> str:
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


def sample_rules():
    active = [d for d in DEPARTMENTS if d != NO_INDICATORS]
    lines = ["version: 1", "title: 创建省级文明单位自评测评", "organization: 某市市场监督管理局", "round: 2026年第四季度",
             "as_of: 2026-12-31", "pass_score: 90", "bonus_cap: 10", "gap: {ratio: 0.9, severe_ratio: 0.6}",
             "departments:"]
    for n, dept in enumerate(DEPARTMENTS):
        lines.append(f"  - name: {dept}")
        lines.append(f"    email: [d{n}@example.gov.cn]")
        if dept in HEADS:
            lines.append(f"    head: {HEADS[dept]}")
    lines += ["leaders:", "  - {name: 局长, email: [leader@example.gov.cn]}", "items:"]
    for item_code, item_name, inds in ITEMS:
        lines += [f'  - code: "{item_code}"', f"    name: {item_name}", "    indicators:"]
        for code, name, mx, method, combine, depts, evidence in inds:
            depts = active if depts == "all" else depts
            lines.append(f'      - {{code: "{code}", name: "{name}", max: {mx}, method: {method}, combine: {combine}, '
                         f'criteria: "{name}的达标标准：有制度、有台账、有佐证。", departments: {_yaml_list(depts)}, '
                         f'evidence: {"required" if evidence else "optional"}}}')
    lines.append("vetoes:")
    lines += [f"  - {{code: {c}, name: {n}}}" for c, n in VETOES]
    return parse_rules("\n".join(lines) + "\n", "sample.yaml")


def _department_file(rules, dept: str, rng: random.Random, *, perfect: bool, veto: bool, overrides: dict) -> Checked:
    entries, findings = [], []
    for row, ind in enumerate(rules.indicators_of(dept), 2):
        fraction = 1 if perfect else rng.choice([1, 1, 1, 1, 1, 0.95, 0.9, 0.85, 0.8, 0.7])
        values = dict(score=_half(ind.max * fraction), status="已完成", evidence=f"{ind.code}佐证材料.pdf",
                      problem="", measure="", owner="", deadline="")
        if values["score"] < ind.max:
            k = rng.randrange(len(PROBLEMS))
            values.update(problem=PROBLEMS[k], measure=MEASURES[k], owner=rng.choice(OWNERS),
                          deadline=rng.choice(["2027-01-31", "2027-02-28", "2027-03-31"]),
                          status=rng.choice(["推进中", "未开始"]))
        values.update(overrides.get((dept, ind.code), {}))
        refs = {"code": f"A{row}", "score": f"E{row}", "evidence": f"G{row}"}
        if ind.evidence_required and not values["evidence"] and values["score"] > 0:
            findings.append(finding("evidence.missing", sheet="自评表", cell=refs["evidence"], code=ind.code,
                                    score=values["score"], file=f"input/{dept}.xlsx"))
        typed = values.pop("deadline")
        deadline = dt.date.fromisoformat(typed) if typed else None
        entries.append(Entry(indicator=ind.code, deadline=deadline, refs=refs, **values))
    vetoes = [VetoAnswer(code, False, "", f"C{n}") for n, (code, _) in enumerate(VETOES, 2)]
    if veto and dept == "机关服务中心":
        vetoes[1] = VetoAnswer("V2", True, "@x 食堂燃气泄漏致1人受伤 & 已上报{{ x }}", "C3")
    bonuses = [BonusClaim(project, points, description, evidence, "B2")
               for d, project, points, description, evidence in BONUSES if d == dept]
    return Checked(file=f"input/{dept}.xlsx", path=None, sha256=f"{DEPARTMENTS.index(dept):064x}", mtime=1.0,
                   department=dept, fill_date=dt.date(2026, 12, 25), filler=rng.choice(OWNERS),
                   phone="0571-8888" + str(DEPARTMENTS.index(dept)).zfill(4), findings=tuple(findings),
                   entries=tuple(entries), vetoes=tuple(vetoes), bonuses=tuple(bonuses))


BONUSES = [
    ("消费者权益保护科", "12315“诉转案”工作获省局通报表扬", 2, "省局通报表扬文件1份", "省市监函〔2026〕18号.pdf"),
    ("机关党委", "“红色市监”党建品牌", 1.5, "{{ x }} & <b>品牌</b> 获市直机关工委推广", "推广通知.pdf"),
]


def _returned_file(rules) -> Checked:
    label = f"input/{RETURNED}.xlsx"
    findings = (
        finding("score.out_of_range", sheet="自评表", cell="E9", value=6, code="4.6", max=3, file=label),
        finding("field.required", sheet="自评表", cell="H4", score=2, max=3, column="存在问题", file=label),
        finding("date.invalid", sheet="自评表", cell="K4", value="下月底", column="完成时限", file=label),
    )
    return Checked(file=label, path=None, sha256="1" * 64, mtime=1.0, department=RETURNED,
                   fill_date=dt.date(2026, 12, 26), filler="钱敏", phone="0571-88880003", findings=findings)


def _placed(rules, *, perfect: bool, veto: bool, overrides: dict, seed: int = 2026) -> list[Placed]:
    rng = random.Random(seed)
    files = [_department_file(rules, d, rng, perfect=perfect, veto=veto, overrides=overrides)
             for d in DEPARTMENTS if rules.indicators_of(d) and (perfect or d not in (UNSUBMITTED, RETURNED))]
    if not perfect:
        files.append(_returned_file(rules))
    placed = choose_latest(files)
    placed = [Placed(p.checked, p.status, f"退回/{RETURNED}_退回.xlsx") if p.status == "rejected" else p
              for p in placed]
    owner_file = Checked(file="input/~$办公室.xlsx", path=None, findings=(
        finding("file.ignored", file="input/~$办公室.xlsx", reason="Excel 打开文件时生成的临时文件（~$ 开头）"),))
    return placed + [Placed(owner_file, IGNORED)]


def _summarise(rules, placed, previous=None) -> dict:
    return summarise(rules, placed, round_name="2026年第四季度", as_of=AS_OF, generated_at=GENERATED,
                     resubmit_by=RESUBMIT_BY, previous=previous).to_dict()


def _previous_round(rules) -> dict:
    """Last round: the same departments, 办公室 also short on 5.4 (closed since)."""
    extra = {**OVERRIDES, ("办公室", "5.4"): dict(score=2.5, problem="会风会纪检查有迟到", measure="每次会议签到",
                                                      owner="周主任", deadline="2026-09-30", status="已完成")}
    placed = _placed(rules, perfect=False, veto=True, overrides=extra, seed=2025)
    summary = summarise(rules, placed, round_name="2026年第三季度", as_of=dt.date(2026, 9, 30),
                        generated_at=dt.datetime(2026, 10, 8, 9), resubmit_by=dt.date(2026, 10, 13))
    return summary.to_dict()


def sample_summary(*, history: bool = True, veto: bool = True) -> dict:
    """The sample summary. history=False has no previous round; veto=False has no veto."""
    rules = sample_rules()
    previous = _previous_round(rules) if history else None
    return _summarise(rules, _placed(rules, perfect=False, veto=veto, overrides=OVERRIDES), previous)


def passing_summary() -> dict:
    """A variant that passes: everyone submitted, full marks, no gaps, no veto, no history."""
    rules = sample_rules()
    return _summarise(rules, _placed(rules, perfect=True, veto=False, overrides={}))

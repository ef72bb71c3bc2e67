"""A realistic summary dict (docs/summary.md) for the report tests and the benchmark.

27 indicators in 6 items (100 points), 11 departments (one unsubmitted, one with no indicators),
gaps of every kind, a veto, bonuses, a previous round, and department texts that try to break
the templates (`{{ x }}`, `{% if %}`, `<b>`, `&`, `=SUM(A1)`, `+1`, `-2`, `@x`, a \\x07 control
character). The numbers are computed here, like scoring would, so that they are consistent;
the renderer under test never computes them.
"""
from __future__ import annotations

import copy
import random

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
NO_INDICATORS = "计量标准化科"

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


def _note(kind, dept, code, name, score=None, mx=None, deadline="", status=""):
    if kind == "低分":
        return f"{dept}“{code} {name}”自评{score:g}分（满分{mx:g}分），低于短板线。"
    if kind == "逾期":
        return f"{dept}“{code} {name}”完成时限为{deadline}，目前{status}，已逾期。"
    if kind == "佐证缺失":
        return f"{dept}“{code} {name}”未提供佐证材料。"
    if kind == "未报送":
        return f"{dept}本轮未报送自评表，所负责指标均按0分计。"
    return f"{dept}报告发生否决事项“{code} {name}”。"


def sample_summary(*, history: bool = True, veto: bool = True) -> dict:
    """The sample summary. history=False drops previous_round/state/closed_gaps; veto=False has no veto."""
    rng = random.Random(2026)
    as_of = "2026-12-31"
    ratio, severe = 0.9, 0.6
    active = [d for d in DEPARTMENTS if d != NO_INDICATORS]
    items, indicators, entries = [], [], []
    dept_index = {d: i for i, d in enumerate(DEPARTMENTS)}
    order = {}
    for item_code, item_name, inds in ITEMS:
        item_score = item_max = 0
        for code, name, mx, method, combine, depts, evidence_required in inds:
            depts = active if depts == "all" else depts
            order[code] = len(order)
            scores = []
            for dept in depts:
                submitted = dept != UNSUBMITTED
                entry = dict(department=dept, indicator=code, item=item_code, item_name=item_name, name=name,
                             max=mx, score=0, status="", evidence="", problem="", measure="", owner="",
                             deadline="", submitted=submitted)
                if submitted:
                    fraction = rng.choice([1, 1, 1, 1, 1, 0.95, 0.9, 0.85, 0.8, 0.7])
                    score = _half(mx * fraction)
                    entry.update(score=score, status="已完成", evidence=f"{code}佐证材料.pdf")
                    if score < mx:
                        k = rng.randrange(len(PROBLEMS))
                        entry.update(problem=PROBLEMS[k], measure=MEASURES[k], owner=rng.choice(OWNERS),
                                     deadline=rng.choice(["2027-01-31", "2027-02-28", "2027-03-31"]),
                                     status=rng.choice(["推进中", "未开始"]))
                    entry.update(OVERRIDES.get((dept, code), {}))
                    if not evidence_required:
                        entry["evidence"] = entry["evidence"] or ""
                entry["_evidence_required"] = evidence_required
                scores.append(entry["score"])
                entries.append(entry)
            unit = {"min": min(scores), "mean": sum(scores) / len(scores), "lead": scores[0]}[combine]
            indicators.append(dict(code=code, item=item_code, max=mx, score=unit, departments=list(depts), name=name,
                                   item_name=item_name, rate=unit / mx, combine=combine, method=method,
                                   criteria=f"{name}的达标标准：有制度、有台账、有佐证。"))
            item_score += unit
            item_max += mx
        items.append(dict(code=item_code, name=item_name, max=item_max, score=item_score, rate=item_score / item_max))

    gaps = []
    for e in entries:
        dept, code, name, mx, score = e["department"], e["indicator"], e["name"], e["max"], e["score"]
        if not e["submitted"]:
            continue
        base = dict(indicator=code, department=dept, indicator_name=name, item=e["item"], owner=e["owner"],
                    problem=e["problem"], measure=e["measure"], deadline=e["deadline"], status=e["status"],
                    score=score, max=mx)
        if score < ratio * mx:
            sev = "严重" if score < severe * mx else "一般"
            gaps.append(dict(base, kind="低分", severity=sev, note=_note("低分", dept, code, name, score, mx)))
        if e["status"] != "已完成" and e["deadline"] and e["deadline"] < as_of:
            gaps.append(dict(base, kind="逾期", severity="一般",
                             note=_note("逾期", dept, code, name, deadline=e["deadline"], status=e["status"])))
        if e["_evidence_required"] and not e["evidence"] and score > 0:
            gaps.append(dict(base, kind="佐证缺失", severity="一般", note=_note("佐证缺失", dept, code, name)))
    blank = dict(indicator_name="", item="", owner="", problem="", measure="", deadline="", status="", score=None, max=None)
    gaps.append(dict(blank, kind="未报送", severity="严重", indicator=None, department=UNSUBMITTED,
                     note=_note("未报送", UNSUBMITTED, "", "")))
    vetoes = [dict(code=c, name=n, occurred=False, departments=[], notes=[]) for c, n in VETOES]
    if veto:
        vetoes[1].update(occurred=True, departments=["机关服务中心"],
                         notes=["@x 食堂燃气泄漏致1人受伤 & 已上报{{ x }}"])
        gaps.append(dict(blank, kind="一票否决", severity="严重", indicator="V2", department="机关服务中心",
                         indicator_name=VETOES[1][1], problem=vetoes[1]["notes"][0],
                         note=_note("一票否决", "机关服务中心", "V2", VETOES[1][1])))
    gaps.sort(key=lambda g: (g["severity"] != "严重", dept_index[g["department"]],
                             order.get(g["indicator"], -1) if g["indicator"] else -1))

    departments = []
    for dept in DEPARTMENTS:
        mine = [e for e in entries if e["department"] == dept]
        mx = sum(e["max"] for e in mine)
        score = sum(e["score"] for e in mine)
        submitted = dept != UNSUBMITTED and bool(mine)
        departments.append(dict(
            name=dept, submitted=submitted, score=score, max=mx, rate=(score / mx) if mx else 0, rank=None,
            file=f"input/{dept}.xlsx" if submitted else None, fill_date="2026-12-25" if submitted else "",
            filler=rng.choice(OWNERS) if submitted else "", phone="0571-8888" + str(dept_index[dept]).zfill(4) if submitted else "",
            indicator_count=len(mine), gap_count=sum(1 for g in gaps if g["department"] == dept)))
    ranked = sorted((d for d in departments if d["max"]), key=lambda d: -d["rate"])
    for d in ranked:
        d["rank"] = 1 + sum(1 for o in ranked if o["rate"] > d["rate"])

    bonuses = [
        dict(department="消费者权益保护科", project="12315“诉转案”工作获省局通报表扬", points=2,
             description="省局通报表扬文件1份", evidence="省市监函〔2026〕18号.pdf"),
        dict(department="机关党委", project="“红色市监”党建品牌", points=1.5,
             description="{{ x }} & <b>品牌</b> 获市直机关工委推广", evidence="推广通知.pdf"),
    ]
    bonus = min(10, sum(b["points"] for b in bonuses))
    score = sum(i["score"] for i in items)
    total = score + bonus
    any_veto = any(v["occurred"] for v in vetoes)
    for e in entries:
        del e["_evidence_required"]

    submissions = []
    for d in departments:
        if d["submitted"]:
            findings = []
            if any(g["kind"] == "佐证缺失" and g["department"] == d["name"] for g in gaps):
                findings.append(dict(severity="warning", rule="evidence.missing", sheet="自评表", cell="G7",
                                     message="佐证材料未填写。请填写佐证材料名称或存放位置。", value=None))
            submissions.append(dict(file=d["file"], sha256="0" * 64, department=d["name"], status="accepted",
                                    fill_date=d["fill_date"], returned=None, findings=findings))
    submissions.append(dict(file=f"input/{UNSUBMITTED}.xlsx", sha256="1" * 64, department=UNSUBMITTED,
                            status="rejected", fill_date="2026-12-26", returned=f"退回/{UNSUBMITTED}_退回.xlsx",
                            findings=[dict(severity="error", rule="score.out_of_range", sheet="自评表", cell="E9",
                                           message="自评得分6超出该指标分值5分。请填写0至5之间的分数。", value=6)]))
    submissions.append(dict(file="input/~$办公室.xlsx", sha256="2" * 64, department=None, status="ignored",
                            fill_date="", returned=None, findings=[]))

    summary = dict(
        round="2026年第四季度", as_of=as_of, generated_at="2027-01-04 09:30",
        title="创建省级文明单位自评测评", organization="某市市场监督管理局",
        pass_score=90, bonus_cap=10, gap_ratio=ratio, gap_severe_ratio=severe,
        unit=dict(score=score, max=100, bonus=bonus, total=total, veto=any_veto,
                  passed=(not any_veto) and total >= 90, rate=score / 100),
        items=items, indicators=indicators, departments=departments, entries=entries, gaps=gaps,
        vetoes=vetoes, bonuses=bonuses, unsubmitted=[UNSUBMITTED], submissions=submissions,
    )
    if history:
        summary["previous_round"] = "2026年第三季度"
        for n, g in enumerate(gaps):
            g["state"] = "持续" if n % 3 == 0 else "新增"
        summary["closed_gaps"] = [
            dict(blank, kind="低分", severity="一般", indicator="5.4", department="办公室", indicator_name="会风会纪",
                 item="五", note="办公室“5.4 会风会纪”自评2.5分（满分3分），低于短板线。", state="")
        ]
    return summary


def passing_summary() -> dict:
    """A variant that passes: everyone submitted, full marks, no gaps, no veto, no history."""
    s = sample_summary(history=False, veto=False)
    for e in s["entries"]:
        e.update(score=e["max"], submitted=True, status="已完成", problem="", measure="", owner="", deadline="")
    for coll in (s["indicators"], s["items"]):
        for row in coll:
            row.update(score=row["max"], rate=1.0)
    for d in s["departments"]:
        if d["max"]:
            d.update(submitted=True, score=d["max"], rate=1.0, rank=1, gap_count=0)
    s["gaps"], s["unsubmitted"] = [], []
    s["unit"].update(score=100, total=100 + s["unit"]["bonus"], veto=False, passed=True, rate=1.0)
    return copy.deepcopy(s)

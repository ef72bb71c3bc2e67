"""Realistic filled workbooks for the bundled rules: the demo data of `make run`, and test input.

    python -m scorecard.forms.samples [--rules rules.yaml] OUT_DIR

Most departments fill the standard template properly; one makes several mistakes (rejected, with
an annotated copy), one does not submit, one resubmits (the older file is superseded), one types
an alias with spaces, and one sends a workbook it built itself (reordered columns, title rows,
full-width digits, `8分`, dates typed five ways). Everything is seeded, so the set is the same on
every machine. `fill_workbook` is also what tests use to fill a template as a department would.
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
from pathlib import Path

from openpyxl import Workbook

from ..intake import layout as L
from .evidence_samples import write_evidence_samples
from .template import build_template
from ..base.fsutil import atomic_save_workbook
from ..rules import Rules, load_rules
from ..base.text import safe_filename, title_key

PROBLEMS = {
    "一": ("责任分解到人不够细，个别科室未签订目标责任书", "逐科室签订创建目标责任书，明确到人"),
    "二": ("部分干部“学习强国”积分未达标，学习氛围不够浓", "每周通报学习积分，开展学习标兵评选"),
    "三": ("宣传活动形式单一，微信公众号更新不及时", "制定宣传计划，每周至少更新两期创建动态"),
    "四": ("窗口服务标准未全部上墙，个别岗位文明用语不规范", "统一制作服务标准牌，开展文明用语培训"),
    "五": ("干部职工之家尚未建成，文体活动设施陈旧", "年内完成职工之家改造，更新文体器材"),
    "六": ("联席议事机制运行不规律，督查通报不及时", "每月召开一次联席会议，督查情况每月通报"),
}
EVIDENCE = ("会议纪要、工作方案（创建办档案盒{n}号）", "活动照片及签到表（共享盘/创建材料/{code}）",
            "制度文件及台账（办公室存档）", "网站、公众号截图（共享盘/宣传）")
FILLERS = ("张敏", "李强", "王芳", "刘洋", "陈静", "杨帆", "赵磊", "黄丽", "周涛", "吴婷", "徐明", "孙悦", "马超", "朱琳")


def fill_workbook(wb, *, info: dict | None = None, rows: dict | None = None, vetoes: dict | None = None,
                  bonuses: list[dict] | None = None) -> None:
    """Fill a standard workbook in place, finding sheets, labels and columns by their titles.

    info: {"部门名称": ..., "填报人": ..., "填报日期": ...}; rows: {code: {"自评得分": 8, "完成情况": ...}};
    vetoes: {code: "是"/"否" or ("是", "说明")}; bonuses: [{"特色项目": ..., "申报加分": ..., ...}].
    Values are assigned to `cell.value` (ws.cell(value=None) would silently keep the old value).
    """
    if info:
        ws = wb[L.INFO]
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value in info:
                    ws.cell(row=cell.row, column=cell.column + 1).value = info[cell.value]
    if rows:
        ws, header_row, cols = _header(wb[L.SCORES], "指标编号")
        for r in range(header_row + 1, ws.max_row + 1):
            code = ws.cell(row=r, column=cols["指标编号"]).value
            for title, value in (rows.get(code) or {}).items():
                ws.cell(row=r, column=cols[title]).value = value
    if vetoes:
        ws, header_row, cols = _header(wb[L.VETOES], "编号")
        for r in range(header_row + 1, ws.max_row + 1):
            answer = vetoes.get(ws.cell(row=r, column=cols["编号"]).value)
            if answer is not None:
                answer, note = answer if isinstance(answer, tuple) else (answer, None)
                ws.cell(row=r, column=cols["是否发生"]).value = answer
                if note:
                    ws.cell(row=r, column=cols["说明"]).value = note
    if bonuses:
        ws, header_row, cols = _header(wb[L.BONUS], "特色项目")
        for i, bonus in enumerate(bonuses, start=header_row + 1):
            for title, value in bonus.items():
                ws.cell(row=i, column=cols[title]).value = value


def _header(ws, first_title: str):
    for row in ws.iter_rows(max_row=30):
        titles = {title_key(c.value): c.column for c in row if c.value is not None}
        if title_key(first_title) in titles:
            return ws, row[0].row, titles
    raise KeyError(f"{ws.title}: no header row with {first_title}")


def department_rows(rules: Rules, department: str, rng: random.Random, *, deadline: dt.date,
                     weak: float = 0.3) -> dict:
    """Plausible answers for each of a department's indicators: most full marks, some deductions."""
    rows = {}
    for n, ind in enumerate(rules.indicators_of(department), start=1):
        if ind.computed is not None:        # scored from a data workbook: nothing to fill (§12)
            continue
        if rng.random() < weak:
            score = max(0.0, ind.max - rng.choice((0.5, 1, 1, 1.5, 2)))
            problem, measure = PROBLEMS.get(ind.item, ("工作推进不够平衡", "制定整改方案，逐项落实"))
            rows[ind.code] = {"自评得分": score, "完成情况": "推进中", "存在问题": problem, "整改措施": measure,
                              "责任人": rng.choice(FILLERS), "完成时限": deadline,
                              "佐证材料": rng.choice(EVIDENCE).format(n=n, code=ind.code)}
        else:
            rows[ind.code] = {"自评得分": ind.max, "完成情况": "已完成",
                              "佐证材料": rng.choice(EVIDENCE).format(n=n, code=ind.code)}
    return rows


def write_samples(rules: Rules, out_dir: Path, *, seed: int = 2026) -> list[Path]:
    """Write the sample set for the bundled rules (department names are looked up, so other rules work
    too: the special cases go to whichever departments are 3rd, 5th, ... in the rules)."""
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = rules.department_names()
    roles = {"mistakes": names[4 % len(names)], "missing": names[10 % len(names)],
             "resubmit": names[7 % len(names)], "alias": names[0], "handmade": names[12 % len(names)],
             "overdue": names[-1]}
    written = []
    base_date = dt.date(2026, 12, 15)
    for i, dept in enumerate(names):
        if dept == roles["missing"]:
            continue
        rows = department_rows(rules, dept, rng, deadline=dt.date(2027, 3, 31))
        info = {"部门名称": dept, "填报人": FILLERS[i % len(FILLERS)], "联系电话": f"0571-8700{i:04d}",
                "填报日期": base_date + dt.timedelta(days=i % 5)}
        bonuses = None
        if dept == roles["alias"]:
            alias = next(iter(rules.departments[0].aliases), dept)
            info["部门名称"] = " ".join(alias)            # "局 办 公 室": spaces are ignored
            bonuses = [{"特色项目": "“文明服务进企业”品牌活动", "申报加分": 2,
                        "说明": "走访企业120家，获市级媒体报道3次", "佐证材料": "活动方案、媒体报道截图"}]
        if dept == roles["overdue"]:
            first = next(iter(rows))
            problem, measure = PROBLEMS.get(rules.indicator(first).item, ("工作推进不够平衡", "制定整改方案，逐项落实"))
            rows[first].update({"完成情况": "推进中", "完成时限": dt.date(2026, 11, 30),
                                "自评得分": rules.indicator(first).max - 1, "存在问题": problem,
                                "整改措施": measure, "责任人": "孙悦"})
            last = list(rows)[-1]
            rows[last]["佐证材料"] = None
            bonuses = [{"特色项目": "“党建+后勤服务”示范点", "申报加分": 1.5, "说明": "获评市级机关党建示范点"}]
        if dept == roles["mistakes"]:
            codes = list(rows)
            rows[codes[0]].update({"自评得分": "十分"})
            rows[codes[1 % len(codes)]].update({"自评得分": 99})
            rows[codes[2 % len(codes)]].update({"自评得分": 1, "完成情况": "完成了", "存在问题": None,
                                                 "整改措施": None, "责任人": None, "完成时限": "年底前"})
            info["填报日期"] = "12月15号"
        if dept == roles["handmade"]:
            path = out_dir / "第二批" / f"{safe_filename(dept)}（自制表）.xlsx"
            atomic_save_workbook(_handmade(rules, dept, rows, info), path)
            written.append(path)
            continue
        wb = build_template(rules, dept, today=base_date)
        fill_workbook(wb, info=info, rows=rows, bonuses=bonuses)
        path = out_dir / f"{safe_filename(dept)}.xlsx"
        if dept == roles["resubmit"]:
            first = next(iter(rows))
            old = build_template(rules, dept, today=base_date)
            old_rows = {**rows, first: {**rows[first], "自评得分": 0, "完成情况": "未开始",
                                        "存在问题": "尚未启动", "整改措施": "尽快启动", "责任人": "王芳",
                                        "完成时限": dt.date(2027, 1, 31)}}
            fill_workbook(old, info={**info, "填报日期": dt.date(2026, 12, 1)}, rows=old_rows)
            atomic_save_workbook(old, out_dir / f"{safe_filename(dept)}（初稿）.xlsx")
            written.append(out_dir / f"{safe_filename(dept)}（初稿）.xlsx")
            path = out_dir / f"{safe_filename(dept)}（修改稿）.xlsx"
        atomic_save_workbook(wb, path)
        written.append(path)
    written.extend(write_data_samples(rules, out_dir, seed=seed))
    written.extend(write_evidence_samples(rules, out_dir, skip={roles["missing"], roles["mistakes"]}))   # §13
    owner = out_dir / f"~${safe_filename(names[1])}.xlsx"
    owner.write_bytes(b"\x06operator" + b"\x00" * 100)   # what Excel leaves beside an open workbook
    written.append(owner)
    return written


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文辉鹏飞宇浩然婷雪梅琳晨阳欣怡佳颖子轩思远海波俊峰立新春燕慧"


def person_names(rng: random.Random, count: int) -> list[str]:
    """Distinct, realistic Chinese names (a surname and one or two given characters), seeded."""
    names: list[str] = []
    while len(names) < count:
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        if name not in names:
            names.append(name)
    return names


def write_data_samples(rules: Rules, out_dir: Path, *, seed: int = 2026) -> list[Path]:
    """A platform-style export for every `data:` entry a computed indicator uses (§12): a title row and
    an export-time row above the header, a 序号 column, platform columns the rules do not ask for,
    some departments typed by an alias, one branch the rules do not know and one value the platform
    printed as '--'. Written as <data name>导出_2026年12月.xlsx."""
    rng = random.Random(seed + 1)
    written = []
    for source in dict.fromkeys(rules.data_source(i.computed.data) for i in rules.computed_indicators):
        value = next(i.computed for i in rules.computed_indicators if i.computed.data == source.name)
        person = source.person or next(c for c in source.columns if c not in (source.department, value.value))
        wb = Workbook()
        ws = wb.active
        ws.title = "成员积分明细"
        header = ["序号", *source.columns, "本月新增", "最近学习日期"]
        ws.append([f"“{source.name}”成员明细（{rules.organization}）"])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
        ws.append(["导出时间：2026-12-31 18:00:05", None, None, "统计口径：累计"])
        ws.append(header)
        departments = list(rules.departments)
        names = person_names(rng, 9 * len(departments) + 2)
        n = 0
        rows = []
        for d, dept in enumerate(departments):
            for _ in range(rng.randint(5, 12)):
                spelt = dept.name
                if dept.aliases and rng.random() < 0.25:
                    spelt = dept.aliases[0]            # how the platform's branch was named
                meets = rng.random() < 0.92
                points = round(value.target * (rng.uniform(1.0, 1.6) if meets else rng.uniform(0.3, 0.97)))
                rows.append([spelt, points])
        rows.insert(7, ["财务科", round(value.target * 1.1)])             # a branch not in the rules
        rows[15][1] = "--"                                               # the platform's "no data"
        for spelt, points in rows:
            n += 1
            record = {source.department: spelt, value.value: points, person: names[(n - 1) % len(names)]}
            ws.append([n, *[record.get(c, "") for c in source.columns], rng.randint(0, 400),
                       dt.date(2026, 12, rng.randint(1, 31))])
        ws.append([None, "合计", None, None])
        path = out_dir / f"{safe_filename(source.name)}导出_2026年12月.xlsx"
        atomic_save_workbook(wb, path)
        written.append(path)
    return written


def _handmade(rules: Rules, dept: str, rows: dict, info: dict):
    """A workbook the department built itself: own titles, columns reordered, values typed loosely."""
    wb = Workbook()
    ws = wb.active
    ws.title = L.INFO
    ws.append(["部门基本情况"])
    ws.append([])
    ws.append(["部门名称：", f" {dept} "])
    ws.append(["填报人", info["填报人"]])
    ws.append(["联系电话", info["联系电话"]])
    ws.append(["填报日期", "2026年12月16日"])
    scores = wb.create_sheet(" 自评表 ")
    scores.append([f"{rules.title}自评表（{dept}）"])
    scores.merge_cells("A1:H1")
    scores.append(["填报说明：得分低于分值的须填写整改内容"])
    titles = ["指标\n编号", "自评得分（分）", "完成情况", "测评指标", "存在问题", "整改措施", "责任人",
              "完成时限", "佐证材料", "备注"]
    scores.append(titles)
    typed_dates = ("2027-03-31", "2027/3/31", "2027.03.31", "2027年3月31日", dt.datetime(2027, 3, 31))
    for n, (code, row) in enumerate(rows.items()):
        score = row["自评得分"]
        shown = f"{score:g}分" if n % 3 == 0 else (str(score).translate(str.maketrans("0123456789.", "０１２３４５６７８９．"))
                                                  if n % 3 == 1 else score)
        scores.append([code, shown, row["完成情况"], rules.indicator(code).name, row.get("存在问题"),
                       row.get("整改措施"), row.get("责任人"),
                       typed_dates[n % len(typed_dates)] if row.get("完成时限") else None, row["佐证材料"], ""])
        scores.append([])                               # blank rows between entries
    vetoes = wb.create_sheet("否决事项")
    vetoes.append(["编号", "事项", "说明", "是否发生"])
    for veto in rules.vetoes:
        vetoes.append([veto.code, veto.name, "", "否"])
    return wb


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Write the sample filled workbooks.")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--rules", type=Path, default=Path("rules.yaml"))
    args = parser.parse_args(argv)
    for path in write_samples(load_rules(args.rules), args.out_dir):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

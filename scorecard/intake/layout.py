"""The standard workbook's layout (CONTRACT.md §2): sheet names, labels and column titles.

The template writer and the reader both take names from here, so a title is spelt once.
Keys are the English vocabulary of CONTRACT.md §10.
"""
from __future__ import annotations

from dataclasses import dataclass

INFO = "基本信息"
SCORES = "自评表"
VETOES = "否决事项"
BONUS = "特色亮点"
GUIDE = "填报说明"
META = "_meta"          # very hidden: template version and rules fingerprint
TEMPLATE_VERSION = 1


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    required: bool = True
    synonyms: tuple[str, ...] = ()


# Label -> key, in the order they appear on 基本信息.
INFO_LABELS = {"部门名称": "department", "填报人": "filler", "联系电话": "phone", "填报日期": "fill_date"}
# Other labels read the same way: a unit's workbook (§17) may say 单位名称 for 部门名称.
INFO_LABEL_SYNONYMS = {"单位名称": "department"}

SCORE_COLUMNS = (
    Column("code", "指标编号", synonyms=("编号", "指标代码", "序号编号")),
    Column("item", "测评项目", required=False),
    Column("name", "测评指标", required=False, synonyms=("指标名称",)),
    Column("max", "分值", required=False, synonyms=("满分", "标准分")),
    Column("score", "自评得分", synonyms=("自评分", "自评分数", "得分")),
    Column("status", "完成情况", synonyms=("完成状态", "进展情况")),
    Column("evidence", "佐证材料", synonyms=("佐证资料", "佐证")),
    Column("problem", "存在问题", synonyms=("问题", "存在的问题")),
    Column("measure", "整改措施", synonyms=("整改举措",)),
    Column("owner", "责任人", synonyms=("整改责任人",)),
    Column("deadline", "完成时限", synonyms=("整改时限", "完成时间")),
)
# Extra columns the template adds for the department's reference; the reader ignores them.
SCORE_EXTRA = (Column("criteria", "测评标准", required=False), Column("method", "测评方法", required=False))

VETO_COLUMNS = (
    Column("code", "编号", synonyms=("事项编号", "序号")),
    Column("name", "事项", required=False, synonyms=("否决事项",)),
    Column("occurred", "是否发生"),
    Column("note", "说明", required=False, synonyms=("情况说明", "备注")),
)

BONUS_COLUMNS = (
    Column("project", "特色项目", synonyms=("项目名称", "特色亮点")),
    Column("points", "申报加分", synonyms=("加分", "申请加分")),
    Column("description", "说明", required=False, synonyms=("情况说明",)),
    Column("evidence", "佐证材料", required=False, synonyms=("佐证资料",)),
)

TABLES = {SCORES: SCORE_COLUMNS, VETOES: VETO_COLUMNS, BONUS: BONUS_COLUMNS}
REQUIRED_SHEETS = (INFO, SCORES, VETOES)       # 特色亮点 may be absent
YES, NO = "是", "否"

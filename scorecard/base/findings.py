"""Findings: every problem found in a submitted workbook, as data with a place.

One catalogue holds every rule id, its severity and its Chinese message template; code creates
findings only through `finding(rule, ...)`, so no message is written anywhere else. Messages say
what to change, not only what is wrong.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

ERROR = "error"
WARNING = "warning"

# rule id -> (severity, message template). Placeholders are filled from keyword arguments.
# "rule/variant" keys give one rule id several messages (a password and a zip bomb are both
# `file.unreadable`, but the department must do different things).
CATALOGUE: dict[str, tuple[str, str]] = {
    # The file as a whole
    "file.unreadable": (ERROR, "文件无法读取：{reason}。请用 Excel 或 WPS 打开确认无误后，另存为 .xlsx 格式重新报送。"),
    "file.unreadable/unsafe": (ERROR, "文件结构异常，出于安全考虑未予读取：{reason}。请使用下发的标准模板重新填写后报送。"),
    "file.unreadable/encrypted": (ERROR, "文件设置了打开密码，无法读取。请在 Excel/WPS 中取消密码（文件→信息→保护工作簿→用密码进行加密，清空密码）后重新报送。"),
    # Every file.unreadable variant opens with the same words; the rest says which case it is and what to do.
    "file.unreadable/damaged": (ERROR, "文件无法读取：{reason}。请用 Excel 或 WPS 打开该文件（如提示修复，请选择修复），"
                                       "确认内容无误后“另存为”Excel 工作簿（.xlsx）重新报送；如文件无法打开，请重新报送原始文件。"),
    "file.unreadable/strict": (ERROR, "文件无法读取：该文件以“Strict Open XML 电子表格”格式保存，本系统无法读取其内容。"
                                      "请在 Excel 中打开，选择“文件→另存为”，保存类型选“Excel 工作簿(*.xlsx)”"
                                      "（不要选“Strict Open XML 电子表格”）后重新报送。"),
    "file.vanished": (ERROR, "文件在读取过程中被删除、移动、替换或被其他程序占用（{reason}），本次未能读取，不计入本轮结果。"
                             "如文件仍在报送文件夹中，下次处理时会重新读取；否则请重新报送。"),
    "file.unsupported_format": (ERROR, "不支持“{ext}”格式的文件{detail}。请在 Excel 或 WPS 中“另存为”Excel 工作簿（.xlsx）后重新报送。"),
    "file.too_large": (ERROR, "文件超出处理上限：{reason}。请删除多余的工作表、空行和图片后重新报送。"),
    "file.ignored": (WARNING, "{reason}，已跳过。"),
    "file.incomplete": (WARNING, "文件 {seconds} 秒前刚被修改且无法打开，可能仍在复制中：本次未处理（不退回、不通知部门），"
                                 "下次运行时重新读取。文件放好超过 {settle} 秒仍无法打开的，按损坏文件退回。"),
    "file.previous_round": (WARNING, "该文件与{round}已计分的文件内容完全相同，可能是上一轮留在输入文件夹中的旧文件。"
                                     "如确为本轮报送可不处理；否则请将上一轮的文件移出输入文件夹"
                                     "（`python process.py new-round` 可代为归档）。"),
    "file.not_regular": (ERROR, "{reason}，未予读取，也不生成退回件。请放入真正的 Excel 工作簿（.xlsx）文件。"),
    "file.outside_input": (ERROR, "{reason}，未予读取，也不生成退回件。请把工作簿文件本身（而不是链接）放入报送文件夹。"),
    "cell.too_long": (ERROR, "有单元格的文字超过 {count} 个字符{where}，超出 Excel 单元格的上限（32,767 个字符），"
                             "为保护系统未予读取。请检查是否误粘贴了大段内容，删减后重新报送。"),
    "submission.carried_over": (WARNING, "本部门本轮新报送的文件未通过审核，沿用此前已通过审核的报送（{shown}，填报日期{date}）计分。"),
    "template.outdated": (WARNING, "该工作簿是按旧版指标体系生成的模板（{detail}），已按现行指标体系读取。建议下次使用最新下发的模板填报。"),
    "cell.formula_no_value": (ERROR, "单元格是公式“{formula}”，但没有保存计算结果。请在 Excel 中打开后保存一次，或直接填写数值。"),
    # Structure
    "sheet.missing": (ERROR, "缺少工作表“{sheet}”。请使用下发的标准模板，不要删除或重命名工作表{hint}。"),
    "header.missing": (ERROR, "工作表“{sheet}”中找不到“{column}”{what}。请恢复该{what}（标题文字须与模板一致）。"),
    "header.duplicate": (WARNING, "工作表“{sheet}”中有多个“{column}”列，已读取第一个（{first}列）。请删除重复的列。"),
    # 基本信息
    "department.missing": (ERROR, "“部门名称”未填写。请在“基本信息”表中填写本部门名称。"),
    "department.unknown": (ERROR, "部门名称“{value}”不在本次测评的部门名单中{hint}。请填写规范的部门全称。"),
    "info.missing": (WARNING, "“{label}”未填写，请补充。"),
    # 自评表
    "indicator.unknown": (ERROR, "指标编号“{value}”不在指标体系中{hint}。请核对编号，不要修改模板中的指标编号。"),
    "indicator.duplicate": (ERROR, "指标编号“{value}”重复出现（第一次在第{first_row}行）。每个指标只填一行，请删除重复行。"),
    "indicator.missing": (ERROR, "本部门负责的指标“{code} {name}”{what}。请填写自评得分（满分{max}分）。"),
    "indicator.code_missing": (ERROR, "第{row}行填写了内容但没有指标编号。请填写指标编号，或删除该行。"),
    "indicator.not_assigned": (WARNING, "指标“{code} {name}”不是本部门负责的指标，本行已忽略。"),
    "indicator.max_mismatch": (WARNING, "表中“分值”为{shown}，与指标体系规定的{max}分不一致，已按{max}分计。请使用最新模板。"),
    "score.not_number": (ERROR, "自评得分“{value}”不是有效数字。请填写 0 到 {max} 之间的数字，例如 {example}。"),
    "score.out_of_range": (ERROR, "自评得分 {value} 超出范围。指标“{code}”满分{max}分，请填写 0 到 {max} 之间的数字。"),
    "field.required": (ERROR, "自评得分（{score}分）低于分值（{max}分），必须填写“{column}”。"),
    "status.invalid": (ERROR, "完成情况“{value}”无效。请从下拉列表中选择：{allowed}。"),
    "status.invalid/empty": (ERROR, "未填写完成情况。请从下拉列表中选择：{allowed}。"),
    "date.invalid": (ERROR, "“{column}”的值“{value}”不是有效日期。请按“2026-12-31”的格式填写。"),
    "evidence.missing": (WARNING, "指标“{code}”得分{score}分，但未填写佐证材料。请写明佐证材料名称或存放位置。"),
    # Evidence files (CONTRACT.md §13): sheet 佐证材料, cell = the file's path in the evidence folder.
    # They go with the department's submission and never reject its workbook.
    "evidence.missing/files": (WARNING, "指标“{code}”得分{score}分，但没有报送佐证材料文件（{need}）。{note}"
                                        "请把材料放入“佐证材料”文件夹，文件名以指标编号开头（如“{code}_会议纪要.pdf”）后重新报送。"),
    "evidence.too_few": (WARNING, "指标“{code}”的佐证材料不足：{need}，现有{have}。{note}请补充后重新报送。"),
    "evidence.wrong_kind": (WARNING, "文件“{name}”是{actual}，指标“{code}”要求的佐证材料是{wanted}，本文件不计入。{note}"),
    "evidence.type_mismatch": (ERROR, "文件“{name}”的内容与文件名不符：{reason}。本文件未计入佐证材料。"),
    "evidence.unreadable": (ERROR, "文件“{name}”无法读取：{reason}。本文件未计入佐证材料，请重新报送完好的文件。"),
    "evidence.too_large": (ERROR, "文件“{name}”{reason}，未计入佐证材料。请压缩（如照片缩小、PDF 降低分辨率）或删减后重新报送。"),
    "evidence.unassigned": (WARNING, "文件“{name}”{reason}，未计入佐证材料。请在文件名或所在文件夹名开头写上本部门负责的指标编号"
                                     "（如“1.1_会议纪要.pdf”“指标1.1/照片1.jpg”）。"),
    "evidence.duplicate": (WARNING, "文件“{name}”与{other}的文件“{other_file}”内容完全相同。同一份材料不能重复使用，请核实并更换为本部门本轮的材料。"),
    "evidence.similar": (WARNING, "图片“{name}”与{other}的图片“{other_file}”高度相似（疑为同一张照片经缩放、压缩或裁剪）。请核实是否为本部门本轮的照片。"),
    "evidence.dated_before": (WARNING, "照片“{name}”的拍摄日期为{taken}，早于本轮材料起始日期{start}。请核实是否为本轮工作的照片，必要时更换。"),
    # 否决事项
    "veto.invalid": (ERROR, "否决事项“{code}”的“是否发生”填写为“{value}”。请从下拉列表中选择“是”或“否”。"),
    "veto.invalid/empty": (ERROR, "否决事项“{code}”的“是否发生”未填写。请从下拉列表中选择“是”或“否”。"),
    "veto.unknown": (ERROR, "否决事项编号“{value}”不在测评细则中{hint}。请不要修改模板中的否决事项编号。"),
    "veto.duplicate": (ERROR, "否决事项编号“{value}”重复出现（第一次在第{first_row}行）。请删除重复行。"),
    "veto.missing": (WARNING, "否决事项“{code} {name}”未列出，视为“否”。请使用最新模板逐项填写。"),
    # 特色亮点
    "bonus.not_number": (ERROR, "申报加分“{value}”不是有效数字。请填写 0 到 {cap} 之间的数字。"),
    "bonus.out_of_range": (ERROR, "申报加分 {value} 超出范围。请填写 0 到 {cap} 之间的数字。"),
    "bonus.name_missing": (ERROR, "第{row}行申报了加分但未填写“特色项目”。请填写特色项目名称，或删除该行。"),
    # The office's own workbooks (CONTRACT.md §11): 核定表 and the tracking columns of 问题清单.
    # A cell with an error is not taken; the value recorded before it still stands.
    "review.not_number": (ERROR, "核定得分“{value}”不是有效数字。请填写 0 到 {max} 之间的数字；本行核定未采用，仍按此前记录。"),
    "review.out_of_range": (ERROR, "核定得分 {value} 超出范围。指标“{code}”满分{max}分，请填写 0 到 {max} 之间的数字；本行核定未采用，仍按此前记录。"),
    "review.reason_missing": (ERROR, "核定得分（{score}分）与自评得分（{self_score}分）不同，必须在“核定说明”中写明核定理由；本行核定未采用，仍按此前记录。"),
    "review.date_invalid": (ERROR, "核定日期“{value}”不是有效日期。请按“2026-12-31”的格式填写；本行核定未采用，仍按此前记录。"),
    "review.duplicate_row": (ERROR, "{department}的指标“{code}”在表中出现了两次（第{first}行和第{again}行），核定得分不一致"
                                    "（{first_score} 与 {again_score}）；两行核定都未采用，仍按此前记录。请删除多余的一行。"),
    "review.unknown_row": (WARNING, "{department}没有指标“{code}”（不是该部门负责的指标），本行已忽略。请不要修改“部门”“指标编号”两列。"),
    "review.unknown_row/department": (WARNING, "部门“{value}”不在本次测评的部门名单中（指标“{code}”），本行已忽略。请不要修改“部门”“指标编号”两列。"),
    "tracking.status_invalid": (ERROR, "整改状态“{value}”无效。请从下拉列表中选择：未整改、整改中、待核验、已销号；该单元格未采用，仍按此前记录。"),
    "tracking.close_incomplete": (ERROR, "问题“{key}”标为“已销号”，但未填写{missing}。销号须同时填写销号日期和核验人；本次销号未采用，仍按此前记录。"),
    "tracking.date_invalid": (ERROR, "销号日期“{value}”不是有效日期。请按“2026-12-31”的格式填写；该单元格未采用，仍按此前记录。"),
    "tracking.extension_invalid": (ERROR, "问题“{key}”的延期未采用：{reason}。延期须在“延期至”填写晚于原完成时限的日期（如“2027-01-31”），并在“延期理由”写明理由；仍按此前的完成时限计算逾期和预警。"),
    "tracking.unknown_gap": (WARNING, "问题编号“{value}”不是本轮或以往轮次的问题，本行已忽略。请不要修改“问题编号”列。"),
    "tracking.closed_but_open": (WARNING, "问题“{key}”已标为“已销号”（销号日期{closed_on}，核验人{verifier}），但本轮数据仍显示该问题存在。请核实整改情况，必要时改回“整改中”。"),
    # Data workbooks and computed indicators (CONTRACT.md §12). Row errors skip the row, never the file.
    "data.not_number": (ERROR, "“{column}”的值“{value}”不是有效数字，本行未计入“{data}”。请核对导出表中该单元格，改为数字后重新放入。"),
    "data.not_number/empty": (ERROR, "“{column}”为空，本行未计入“{data}”。请核对导出表，补上数值（没有则填 0）后重新放入。"),
    "data.unknown_department": (ERROR, "“{column}”的值“{value}”不是本次测评的部门名称或别名{hint}，本行未计入“{data}”。请改为规范的部门名称，或在 rules.yaml 该部门的 aliases 中补充这种写法。"),
    "data.unknown_department/empty": (ERROR, "“{column}”为空，无法确定所属部门，本行未计入“{data}”。请补上部门名称后重新放入。"),
    "data.no_rows": (WARNING, "“{data}”数据中没有“{department}”的记录，指标“{code} {name}”该部门按 0 分计。请核对导出范围，或部门名称的写法是否需要加入 rules.yaml 的 aliases。"),
    "data.no_rows/file": (WARNING, "工作表“{sheet}”有“{data}”的表头，但表头下没有数据行。请核对导出的文件是否完整。"),
    "data.missing": (WARNING, "本轮输入文件夹中没有“{data}”数据表（须含列：{columns}），指标 {codes} 待数据：暂计 0 分，不作为问题短板。请导出该数据放入输入文件夹后重新运行。"),
    "data.replaced": (WARNING, "该数据表已被较新的同名文件“{newer}”替代，本表数据未计入。"),
}


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    message: str
    sheet: str = ""
    cell: str = ""
    value: str = ""
    file: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def finding(rule: str, sheet: str = "", cell: str = "", value=None, file: str = "", **params) -> Finding:
    """Build a finding from the catalogue. `value` is the offending content as the department typed it."""
    severity, template = CATALOGUE[rule]
    rule = rule.split("/")[0]
    shown = "" if value is None else str(value)
    if len(shown) > 60:
        shown = shown[:57] + "…"
    params.setdefault("value", shown)
    params.setdefault("sheet", sheet)
    return Finding(rule=rule, severity=severity, message=template.format(**params), sheet=sheet,
                   cell=cell, value=shown, file=file)


def has_error(findings) -> bool:
    return any(f.severity == ERROR for f in findings)


@dataclass
class FileProblem(Exception):
    """Raised inside the reader when a file cannot be read at all; carries the one finding."""

    finding: Finding
    extra: list = field(default_factory=list)

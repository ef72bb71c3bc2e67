"""Units mode (CONTRACT §17): the facts the unit documents, the mail and the 看板 all say (verdict,
reason, group name, each indicator's mean rate), with no document library imported, so that the
看板 and `status` stay light."""
from __future__ import annotations

WEAKEST = 5


def fmt(x) -> str:
    x = float(x or 0)
    return f"{x:.2f}".rstrip("0").rstrip(".") if x != int(x) else str(int(x))


def group_name(g: str) -> str:
    return g or "未分组"


def reason(u: dict, pass_score) -> str:
    """Why a unit does not pass: not assessed, veto, or points short (empty when it passes)."""
    if u["passed"]:
        return ""
    if u["submission"] == "missing":
        return "未报送自评材料，未参加测评"
    if u["submission"] == "returned":
        return "报送的自评表未通过审核（已退回），未参加测评"
    if u["veto"]:
        return "触发一票否决：" + "、".join(u.get("veto_items") or ["否决事项"])
    return f"总分{fmt(u['total'])}分，低于合格线{fmt(pass_score)}分，差{fmt(u.get('short'))}分"


def verdict(u: dict) -> str:
    return "合格" if u["passed"] else "不合格"


def weakest_indicators(summary: dict, n: int = WEAKEST) -> list[dict]:
    """The indicators with the lowest mean rate over units with an accepted submission."""
    return [r for r in indicator_rates(summary) if r["rate"] < 1][:n]


def indicator_rates(summary: dict) -> list[dict]:
    """Every indicator's mean rate over units with an accepted submission, lowest first."""
    assessed = {u["name"] for u in summary.get("units", []) if u["submission"] == "accepted"}
    by: dict[str, list] = {}
    for e in summary.get("entries", []):
        if e["department"] in assessed and e["max"]:
            by.setdefault(e["indicator"], []).append(e)
    rows = []
    for code, es in by.items():
        rate = sum(float(e["score"]) for e in es) / sum(float(e["max"]) for e in es)
        rows.append({"code": code, "name": es[0]["name"], "rate": rate,
                     "below": sum(float(e["score"]) < float(e["max"]) for e in es), "units": len(es)})
    rows.sort(key=lambda r: (r["rate"], r["code"]))
    return rows

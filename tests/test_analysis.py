"""analysis.analyse: worked examples computed by hand."""
from __future__ import annotations

from scorecard.scoring.analysis import analyse


def summary(**over):
    """Two indicators of 4 points (min over 甲, 乙; mean over 甲, 丙); 乙 returned, 丙 sent nothing."""
    s = {
        "as_of": "2026-12-31", "resubmit_by": "2027-01-06", "pass_score": 7,
        "unit": {"score": 3.0, "max": 8, "bonus": 0.5, "total": 3.5, "veto": False, "passed": False},
        "items": [{"code": "一", "name": "项目", "max": 8, "score": 3.0}],
        "indicators": [
            {"code": "1.1", "name": "甲乙", "item": "一", "max": 4, "score": 0, "combine": "min",
             "departments": ["甲", "乙"]},
            {"code": "1.2", "name": "甲丙", "item": "一", "max": 4, "score": 3.0, "combine": "mean",
             "departments": ["甲", "丙"]},
        ],
        "departments": [
            {"name": "甲", "submission": "accepted", "max": 8, "score": 9, "rank": 1, "head": "张三"},
            {"name": "乙", "submission": "returned", "max": 4, "score": 0, "rank": None, "head": "李四"},
            {"name": "丙", "submission": "missing", "max": 4, "score": 0, "rank": None, "head": "王五"},
        ],
        "entries": [
            {"department": "甲", "indicator": "1.1", "score": 3}, {"department": "乙", "indicator": "1.1", "score": 0},
            {"department": "甲", "indicator": "1.2", "score": 6 - 0}, {"department": "丙", "indicator": "1.2", "score": 0},
        ],
        "gaps": [
            {"kind": "退回", "severity": "严重", "department": "乙", "deadline": "2027-01-06", "owner": "李四"},
            {"kind": "未报送", "severity": "严重", "department": "丙", "deadline": "2027-01-06", "owner": "王五"},
            {"kind": "低分", "severity": "严重", "department": "甲", "indicator": "1.1", "score": 1, "max": 4,
             "deadline": "2026-11-30", "owner": "赵六", "tracking": {"status": "整改中"}},
        ],
        "vetoes": [], "submissions": [],
    }
    s.update(over)
    return s


def test_loss_is_split_between_absent_departments_and_low_scores():
    a = analyse(summary())
    # 1.1: min(3, 0) = 0, without 乙 it would be 3: 3 points from the returned department, 1 from low scores.
    # 1.2: mean(6, 0) = 3 (entry scores as given), without 丙 it would be 4 (capped at the loss, 1 point).
    assert a["lost"] == 5.0
    assert a["lost_returned"] == 3.0 and a["lost_missing"] == 1.0 and a["lost_low"] == 1.0
    assert a["shortfall"] == 3.5 and a["total_if_submitted"] == 7.5 and a["passes_if_submitted"] is True
    assert [i["code"] for i in a["indicators"]] == ["1.1", "1.2"]
    assert a["departments"]["returned"] == ["乙"] and a["departments"]["missing"] == ["丙"]


def test_actions_have_owners_and_dates():
    a = analyse(summary())
    by_kind = {x["kind"]: x for x in a["actions"]}
    assert by_kind["resubmit"]["departments"] == ["乙"] and by_kind["resubmit"]["owner"] == "李四"
    assert by_kind["resubmit"]["deadline"] == "2027-01-06"
    assert by_kind["submit"]["owner"] == "王五"
    assert by_kind["rectify"]["owner"] == "赵六" and by_kind["rectify"]["deadline"] == "2026-11-30"
    assert by_kind["overdue"]["count"] == 1           # 1.1 past its deadline; 退回/未报送 rows are not
    assert [x["kind"] for x in a["actions"]][:2] == ["resubmit", "submit"]


def test_rectification_and_review():
    s = summary(reviews=[{"department": "甲", "indicator": "1.1", "self_score": 4, "score": 3, "reason": "佐证不足"}],
                closed_gaps=[{"kind": "低分", "department": "甲", "indicator": "1.2",
                              "tracking": {"status": "已销号", "closed_on": "2026-12-20", "verifier": "钱七"}}])
    s["unit"]["self_score"] = 4.0
    a = analyse(s)
    assert a["rectification"]["by_state"] == {"未整改": 2, "整改中": 1, "待核验": 0, "已销号": 0}
    assert a["rectification"]["closed_since_last"] == 1 and a["rectification"]["closed"][0]["verifier"] == "钱七"
    assert a["review"]["count"] == 1 and a["review"]["lowered_points"] == 1.0
    assert a["review"]["self_total"] == 4.5 and a["review"]["difference"] == 1.0


def test_a_passing_unit_without_absent_departments():
    s = summary()
    for d in s["departments"]:
        d["submission"] = "accepted"
    s["unit"].update(total=7.5, passed=True)
    a = analyse(s)
    assert a["lost_missing"] == a["lost_returned"] == 0 and a["lost_low"] == a["lost"]
    assert a["shortfall"] == 0 and a["surplus"] == 0.5


def test_the_result_is_plain_json_for_summary_json():
    import json
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).parent))
    from sample_summary import passing_summary, sample_summary
    for s in (summary(), sample_summary(), passing_summary()):
        a = analyse(s)
        assert json.loads(json.dumps(a, ensure_ascii=False)) == a


def test_scoring_analyses_the_whole_summary():
    """summarise analyses a light view of the entries: the figures are those of the full summary."""
    from sample_summary import sample_summary

    from scorecard.scoring.analysis import analyse

    for summary in (sample_summary(), sample_summary(history=False, veto=False)):
        assert summary["analysis"] == analyse({k: v for k, v in summary.items() if k != "analysis"})

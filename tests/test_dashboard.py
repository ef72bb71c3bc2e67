"""The dashboard (看板, CONTRACT §15) without a browser: the view model's figures against the
summary, the page's self-containment and escaping, the hooks for §13/§14, the files every run
writes, their trend across rounds, reruns, status and a broken user template.
The real-browser checks (requests, console, scrolling, DOM figures, A4 print) are in
test_dashboard_browser.py."""
from __future__ import annotations

import copy
import datetime as dt
import json
import re
import sys
from urllib.parse import quote

import pytest

from conftest import ROOT, filled, full_marks
from sample_summary import OVERRIDES, sample_summary
from scorecard.operations import dashboard
from scorecard.reports import dashboard_view as view
from scorecard.base.errors import ReportError
from scorecard.operations.pipeline import run
from scorecard.operations.status import collect, lines
from scorecard.base.text import fmt_number

sys.path.insert(0, str(ROOT / "benchmarks"))


def clock():
    return dt.datetime(2026, 12, 31, 18, 0)


@pytest.fixture(scope="module")
def summary():
    return sample_summary()


@pytest.fixture(scope="module")
def page(summary):
    return dashboard.render({"round": view.round_view(summary, [view.point(summary)])})


# ---------------------------------------------------------------- the view model

def test_the_figures_are_the_summarys(summary):
    v = view.round_view(summary)
    assert v["verdict"]["total"] == summary["unit"]["total"] and v["verdict"]["pass_score"] == summary["pass_score"]
    assert v["verdict"]["state"] == "veto" and v["verdict"]["vetoes"][0]["code"] == "V2"
    assert [(i["code"], i["score"], i["max"]) for i in v["items"]["rows"]] == \
        [(i["code"], i["score"], i["max"]) for i in summary["items"]]
    assert [i["code"] for i in v["indicators"]] == [i["code"] for i in summary["indicators"]]
    ranked = [d for d in summary["departments"] if d["max"]]
    assert {d["name"] for d in v["ranking"]} == {d["name"] for d in ranked}
    assert [d["rank"] for d in v["ranking"] if d["rank"] is not None] == \
        sorted(d["rank"] for d in ranked if d["rank"] is not None)
    assert {d["name"]: d["state"] for d in v["ranking"]}["信用监管科"] == "missing"
    assert {d["name"]: d["state"] for d in v["ranking"]}["综合规划和法规科"] == "returned"
    counts = summary["counts"]
    assert v["gaps"]["total"] == counts["gaps"] and v["gaps"]["severe"] == counts["severe_gaps"]
    assert {k["kind"]: k["total"] for k in v["gaps"]["by_kind"]} == counts["gaps_by_kind"]
    assert {r["status"]: r["count"] for r in v["rectification"]["rows"]} == \
        {k: n for k, n in summary["rectification"].items() if k != "total"}
    assert v["facts"]["closed"] == len(summary["closed_gaps"]) and v["gaps"]["new"] is not None


def test_the_heat_map_holds_every_entry_with_its_score_and_band(summary):
    heat = view.round_view(summary)["heatmap"]
    (table,) = heat["tables"]                               # 27 indicators: one table
    codes = [c["code"] for c in table["columns"]]
    assert codes == [i["code"] for i in summary["indicators"]]
    cells = {(row["name"], code): cell for row in table["rows"] for code, cell in zip(codes, row["cells"])}
    for e in summary["entries"]:
        band, value = cells[(e["department"], e["indicator"])]
        assert value == e["score"] and band != "na"
    assert cells[("办公室", "1.1")] == ("b0", 2)             # 2 of 4: below the severe ratio 0.6
    assert cells[("信用监管科", "1.4")][0] == "ab"           # sent nothing: counted 0
    assert sum(b["count"] for b in heat["legend"]) == len(table["rows"]) * len(codes)


def test_many_indicators_split_into_tables_that_fit_a_page(summary):
    wide = copy.deepcopy(summary)
    wide["indicators"] = [dict(i, code=f"{i['code']}.{k}") for k in range(2) for i in summary["indicators"]]
    tables = view.round_view(wide)["heatmap"]["tables"]
    assert [len(t["columns"]) for t in tables] == [view.HEAT_COLUMNS, 2 * 27 - view.HEAT_COLUMNS]
    assert all(len(r["cells"]) == len(t["columns"]) for t in tables for r in t["rows"])


def test_overdue_gaps_with_owner_and_days_late(summary):
    rows = view.round_view(summary)["overdue"]["rows"]
    office = next(r for r in rows if r["department"] == "办公室" and r["indicator"] == "1.1")
    assert office["owner"] == OVERRIDES[("办公室", "1.1")]["owner"] and office["days"] == 31   # 11-30 -> 12-31
    assert all(r["days"] is None or r["days"] > 0 for r in rows)
    assert [r["days"] or 0 for r in rows] == sorted((r["days"] or 0 for r in rows), reverse=True)
    assert not any(r["kind"] in ("退回", "未报送") for r in rows)


def test_the_trend_lists_every_round_newest_first(summary):
    first = view.point(summary) | {"round": "第一轮", "total": 50.0, "gaps": 40, "closed": 0}
    trend = view.trend_view([first, view.point(summary)])
    assert trend["first"] == "第一轮" and [r["round"] for r in trend["rows"]] == [summary["round"], "第一轮"]
    assert trend["rows"][0]["change"] == pytest.approx(summary["unit"]["total"] - 50.0)
    assert len(trend["charts"]["total"]["line"]) == 2 and len(trend["charts"]["gaps"]["pairs"]) == 2
    assert view.trend_view([first])["charts"] is None         # one round: a table, no line to draw


def test_the_evidence_and_lights_hooks_show_nothing_until_their_data_is_there(summary, page):
    assert view.lights_view(summary) is None and view.evidence_view(summary) is None
    assert 'id="lights"' not in page and 'id="evidence"' not in page
    lit = copy.deepcopy(summary)
    for k, g in enumerate(lit["gaps"]):
        g["light"] = "红黄绿"[k % 3]
    lit["evidence_summary"] = [{"department": "办公室", "indicator": "1.1", "files": 1, "required": True,
                                "min_files": 2, "ok": False},
                               {"department": "办公室", "indicator": "1.2", "files": 2, "required": True,
                                "min_files": 1, "ok": True}]
    html = dashboard.render({"round": view.round_view(lit)})
    assert 'id="lights"' in html and 'id="evidence"' in html
    assert view.evidence_view(lit)["rows"] == [{"department": "办公室", "required": 2, "ok": 1, "share": 0.5}]
    assert sum(r["count"] for r in view.lights_view(lit)["rows"]) == len(lit["gaps"])


# ---------------------------------------------------------------- the page

def test_the_page_is_self_contained(page):
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
    lowered = page.lower()
    for needle in ("http://", "https://", "<script", "<link", "@import", "<img", "<iframe", "src=", "@font-face"):
        assert needle not in lowered, needle
    assert set(re.findall(r"url\(([^)]*)\)", page)) <= {"#p-hatch", "#p-dots", "#p-cross", "#p-light"}
    assert page.count("<svg") >= 5 and page.count("<table") >= 8


def test_department_text_is_shown_literally(page):
    assert "&lt;b&gt;张三&lt;/b&gt;" in page and "<b>张三</b>" not in page       # an owner in the overdue list
    assert "会议纪要缺少{{ x }}签字页 &amp; 附件未装订" in page                # a problem, not evaluated as Jinja


def test_every_chart_has_its_figures_beside_it(page):
    for figure in re.findall(r"<figure>(.*?)</figure>", page, re.S):
        assert "<svg" in figure and re.search(r"<figcaption>[^<]*\S", figure), figure[:200]


def test_numbers_are_formatted_as_the_reports_do(summary, page):
    assert f'data-value="{summary["unit"]["total"]}">{fmt_number(summary["unit"]["total"])}<' in page
    for item in summary["items"]:
        assert f'data-item="{item["code"]}" data-score="{item["score"]}"' in page


# ---------------------------------------------------------------- written by every run

ROUND_1, ROUND_2 = "第一轮", "第二轮"


@pytest.fixture
def rounds(small_rules, tmp_path):
    """Two rounds of the small rules: 办公室 short on 1.1 in the first (an overdue deadline in the
    second), 机关党委 and 登记注册科 full marks."""
    inp, out = tmp_path / "input", tmp_path / "output"
    inp.mkdir()
    low = {"自评得分": 2, "完成情况": "推进中", "存在问题": "领导小组未调整", "整改措施": "发文调整",
           "责任人": "王主任", "完成时限": dt.date(2026, 11, 30)}
    filled(small_rules, "办公室", rows=full_marks(small_rules, "办公室", **{"1.1": low})).save(inp / "办公室.xlsx")
    for dept in ("机关党委", "登记注册科"):
        filled(small_rules, dept).save(inp / f"{dept}.xlsx")
    first = run(small_rules, inp, out, round_name=ROUND_1, as_of=dt.date(2026, 9, 30), clock=clock, workers=1)
    second = run(small_rules, inp, out, round_name=ROUND_2, clock=clock, workers=1)
    return {"rules": small_rules, "input": inp, "output": out, "first": first, "second": second}


def test_both_pages_are_written_with_the_trend(rounds):
    out = rounds["output"]
    one, two = (out / ROUND_1 / dashboard.DASHBOARD), (out / ROUND_2 / dashboard.DASHBOARD)
    overview = (out / dashboard.DASHBOARD).read_text(encoding="utf-8")
    assert one.is_file() and two.is_file()
    assert ROUND_2 not in one.read_text(encoding="utf-8")                  # written before the second round
    page = two.read_text(encoding="utf-8")
    assert f"首轮为{ROUND_1}" in page and page.count('data-round="第一轮"') == 1
    assert overview.index(f'data-round="{ROUND_2}"') < overview.index(f'data-round="{ROUND_1}"')   # newest first
    assert f'href="{quote(ROUND_1)}/{quote("看板.html")}"' in overview and f'id="latest" data-round="{ROUND_2}"' in overview
    assert "王主任" in page and "王主任" in overview                        # the overdue owner
    total = rounds["second"].summary["unit"]["total"]
    assert f'id="total" data-value="{total}"' in page and f'id="total" data-value="{total}"' in overview


def test_the_same_data_writes_the_same_page(rounds):
    """No run time on the page: a forced rerun later in the day writes the same bytes, so the
    leaders' message (which attaches it) is not mailed again for nothing."""
    page = rounds["output"] / ROUND_2 / dashboard.DASHBOARD
    before = page.read_bytes()
    later = run(rounds["rules"], rounds["input"], rounds["output"], round_name=ROUND_2, force=True, workers=1,
                clock=lambda: dt.datetime(2027, 1, 4, 8, 15))
    assert not later.unchanged and page.read_bytes() == before


def test_an_unchanged_rerun_keeps_both_pages_and_a_deleted_one_is_written_again(rounds):
    out = rounds["output"]
    overview, page = out / dashboard.DASHBOARD, out / ROUND_2 / dashboard.DASHBOARD
    stamps = (overview.stat().st_mtime_ns, page.stat().st_mtime_ns)
    again = run(rounds["rules"], rounds["input"], out, round_name=ROUND_2, clock=clock, workers=1)
    assert again.unchanged and (overview.stat().st_mtime_ns, page.stat().st_mtime_ns) == stamps
    for gone in (overview, page):
        gone.unlink()
        assert not run(rounds["rules"], rounds["input"], out, round_name=ROUND_2, clock=clock, workers=1).unchanged
        assert gone.is_file()
        assert run(rounds["rules"], rounds["input"], out, round_name=ROUND_2, clock=clock, workers=1).unchanged


def test_status_names_the_page(rounds, tmp_path):
    shown = "\n".join(lines(collect(rounds["output"])))
    assert str(rounds["output"] / dashboard.DASHBOARD) in shown
    assert "看板" in "\n".join(lines(collect(tmp_path / "nothing")))


def test_a_broken_user_template_fails_the_run_and_leaves_the_outputs(rounds, tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / dashboard.TEMPLATE).write_text("{% if %}", encoding="utf-8")
    before = (rounds["output"] / ROUND_2 / "summary.json").read_bytes()
    with pytest.raises(ReportError) as caught:
        run(rounds["rules"], rounds["input"], rounds["output"], round_name=ROUND_2, clock=clock, workers=1,
            templates_dir=templates)
    assert dashboard.TEMPLATE in str(caught.value)
    assert (rounds["output"] / ROUND_2 / "summary.json").read_bytes() == before


def test_a_users_template_is_used(rounds, tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / dashboard.TEMPLATE).write_text("<p>{{ page.round.round if page.round is defined else '全部' }}</p>",
                                                encoding="utf-8")
    run(rounds["rules"], rounds["input"], rounds["output"], round_name=ROUND_2, clock=clock, workers=1,
        templates_dir=templates)
    assert (rounds["output"] / ROUND_2 / dashboard.DASHBOARD).read_text(encoding="utf-8") == f"<p>{ROUND_2}</p>"
    assert (rounds["output"] / dashboard.DASHBOARD).read_text(encoding="utf-8") == "<p>全部</p>"


def test_history_reads_the_ledger(rounds):
    points = dashboard.history(rounds["output"])
    assert [p["round"] for p in points] == [ROUND_1, ROUND_2]
    second = rounds["second"].summary
    assert points[1] == view.point(second)
    assert dashboard.history(rounds["output"] / "nowhere") == []


def test_size_at_a_thousand_departments(tmp_path):
    """1,000 departments x 27 indicators, every department on every indicator: well under 5 MB
    (docs/performance.md has the figures)."""
    import bench_dashboard as bench
    from scorecard.scoring.score import summarise

    rules = bench.rules_for(1000)
    summary = summarise(rules, bench.placed_for(rules, 1000, seed=1), round_name="第1轮", as_of=dt.date(2026, 12, 31),
                        generated_at=dt.datetime(2026, 12, 31, 9), resubmit_by=dt.date(2027, 1, 7)).to_dict()
    path = dashboard.write_round(summary, tmp_path, tmp_path / "output")
    size = path.stat().st_size
    assert size < 2_000_000, size
    assert json.dumps(summary["unit"]["total"]) in path.read_text(encoding="utf-8")


def test_the_trend_points_are_kept_and_a_stale_one_is_read_again(rounds):
    """The page across rounds keeps each round's trend point (parsing every stored summary again
    is slow at thousands of departments); one made from an older last_run is not used."""
    import sqlite3

    out = rounds["output"]
    expected = dashboard.history(out)
    with sqlite3.connect(out / "ledger.sqlite3") as conn:
        kept = dict(conn.execute("SELECT round, point FROM dashboard_points"))
        assert set(kept) == {ROUND_1, ROUND_2}
        conn.execute("UPDATE dashboard_points SET point = json_set(point, '$.total', 1) WHERE round = ?", (ROUND_1,))
    assert dashboard.history(out)[0]["total"] == 1                    # the kept point is what is read
    with sqlite3.connect(out / "ledger.sqlite3") as conn:
        conn.execute("UPDATE rounds SET last_run = 'later' WHERE name = ?", (ROUND_1,))
    assert dashboard.history(out) == expected                         # stale: read from the summary
    with sqlite3.connect(out / "ledger.sqlite3") as conn:
        conn.execute("DROP TABLE dashboard_points")                   # a ledger from before the dashboard
    assert dashboard.history(out) == expected
    dashboard.write_overview(out)
    with sqlite3.connect(out / "ledger.sqlite3") as conn:
        assert conn.execute("SELECT count(*) FROM dashboard_points").fetchone()[0] == 2


def test_the_overview_lists_every_round_and_the_recent_item_scores(summary):
    points = [view.point(summary) | {"round": f"第{k}轮"} for k in range(1, 11)]
    o = view.overview_view(summary | {"round": "第10轮"}, points, {"第3轮": "第3轮/看板.html"})
    assert [r["round"] for r in o["rounds"]] == [f"第{k}轮" for k in range(10, 0, -1)]
    assert {r["round"]: r["link"] for r in o["rounds"]}["第3轮"] == "第3轮/看板.html"
    assert o["item_rounds"] == [f"第{k}轮" for k in range(10, 2, -1)]
    assert all(len(i["scores"]) == view.ITEM_ROUNDS for i in o["items"])
    assert o["latest"]["round"] == "第10轮" and o["latest"]["trend"]["count"] == 10
    html = dashboard.render({"overview": o})
    assert html.count("<th class=\"n\">第2轮</th>") == 0 and "第1轮" in html        # in the trend table


def test_rates_are_written_as_every_document_writes_them():
    """Issue 20's one formatting module: a rate has one decimal, rounded half-up (13/16 is 81.3%,
    not 81.2%; 3/4 is 75.0%), on the page as in the Word reports."""
    pct = dashboard._environment(None).filters["pct"]          # the filter the page's template uses
    assert pct(13 / 16) == "81.3%"
    assert pct(0.75) == "75.0%"
    assert pct(None) == "—"

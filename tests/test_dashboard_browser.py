"""The dashboard (看板, CONTRACT §15) in a real browser: the system Chromium driven by Playwright.

Two rounds of the bundled examples are run; both pages (the second round's and the one across
rounds) are opened from disk with every request that is not the file itself refused, at
1366x768 and at a phone's 390x844. A request, a console error or a page wider than the window
fails the test. Figures are read back from the DOM and compared with summary.json, and each page
is printed to A4 PDF (at most 12 pages for the samples).

Skipped, with the reason, only where Playwright or Chromium is not installed (.ci/run installs
the Debian package `chromium`; playwright comes from requirements-dev.txt).
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from conftest import ROOT
from scorecard.operations.dashboard import DASHBOARD
from scorecard.operations.pipeline import run
from scorecard.base.text import fmt_number

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed "
                                                              "(pip install -r requirements-dev.txt)")


def _chromium() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), shutil.which("chromium"), shutil.which("chromium-browser"),
                      "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


CHROMIUM = _chromium()
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no system Chromium (apt-get install chromium)")
SIZES = [(1366, 768), (390, 844)]
FIRST, SECOND = "2026年第三季度", "2026年第四季度"
MAX_PAGES = 12


@pytest.fixture(scope="module")
def rounds(bundled_rules, tmp_path_factory):
    out = tmp_path_factory.mktemp("dashboard") / "output"
    inp = ROOT / "examples" / "input"
    run(bundled_rules, inp, out, round_name=FIRST, as_of=dt.date(2026, 9, 30),
        clock=lambda: dt.datetime(2026, 10, 8, 9), workers=1)
    second = run(bundled_rules, inp, out, round_name=SECOND, clock=lambda: dt.datetime(2026, 12, 31, 18), workers=1)
    summary = json.loads((second.round_dir / "summary.json").read_text(encoding="utf-8"))
    return {"output": out, "summary": summary, "round": second.round_dir / DASHBOARD, "overview": out / DASHBOARD}


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        # --no-sandbox: CI and these machines run as root, where Chromium's sandbox will not start.
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def _open(browser, path: Path, width: int, height: int):
    """The page opened from disk, every other request refused; returns (page, context, refused, errors)."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    refused, errors = [], []
    own = path.resolve().as_uri()

    def route(r):
        if r.request.url.split("#")[0] == own:
            r.continue_()
        else:
            refused.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: errors.append(f"failed: {r.url}") if r.url.split("#")[0] != own else None)
    page.goto(own)
    page.wait_for_load_state("load")
    return page, context, refused, errors


@pytest.mark.parametrize("which", ["round", "overview"])
@pytest.mark.parametrize("width,height", SIZES)
def test_no_request_no_error_no_sideways_scroll(browser, rounds, which, width, height):
    page, context, refused, errors = _open(browser, rounds[which], width, height)
    try:
        scroll = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        wide = page.evaluate("""() => [...document.querySelectorAll('main *')].filter(e => {
                const r = e.getBoundingClientRect(); return r.right > innerWidth + 1 && !e.closest('.scroll');
            }).map(e => e.tagName + '.' + e.className).slice(0, 5)""")
        assert refused == [] and errors == []
        assert scroll[0] <= scroll[1], (scroll, wide)
        assert wide == []
        assert page.locator("svg.chart").count() >= 4 and page.locator("table").count() >= 6
    finally:
        context.close()


@pytest.mark.parametrize("which", ["round", "overview"])
def test_figures_read_back_equal_summary_json(browser, rounds, which):
    summary = rounds["summary"]
    page, context, _, _ = _open(browser, rounds[which], 1366, 768)
    try:
        total = page.locator("#total")
        assert float(total.get_attribute("data-value")) == summary["unit"]["total"]
        assert total.inner_text() == fmt_number(summary["unit"]["total"])
        assert page.locator("#pass-score").inner_text() == fmt_number(summary["pass_score"])
        assert int(page.locator("#gap-count").inner_text()) == summary["counts"]["gaps"] == len(summary["gaps"])
        items = page.eval_on_selector_all("#items-table tbody tr", "rows => rows.map(r => [r.dataset.item, "
                                          "Number(r.dataset.score), r.cells[2].innerText])")
        assert items == [[i["code"], i["score"], fmt_number(i["score"])] for i in summary["items"]]
        codes = page.eval_on_selector_all("#indicators-table tbody tr", "rows => rows.map(r => r.dataset.indicator)")
        assert codes == [i["code"] for i in summary["indicators"]]
        ranking = page.eval_on_selector_all("#ranking-table tbody tr", "rows => rows.map(r => [r.dataset.department, "
                                            "r.dataset.rank, r.dataset.state, Number(r.dataset.score), r.cells[3].innerText])")
        expected = {d["name"]: (str(d["rank"]) if d["rank"] is not None else "", d["submission"], d["score"],
                                fmt_number(d["score"])) for d in summary["departments"] if d["max"]}
        assert {name: tuple(rest) for name, *rest in ranking} == expected
        # The heat map: each department's row has its score on each of its indicators, as text.
        heat = page.evaluate("""() => {
            const t = document.querySelector('table.heat');
            const codes = [...t.tHead.rows[0].cells].slice(1).map(c => c.innerText);
            return [...t.tBodies[0].rows].map(r => [r.cells[0].innerText, codes, [...r.cells].slice(1).map(c => c.innerText)]);
        }""")
        shown = {(row[0].split(" ")[0], code): text for row in heat for code, text in zip(row[1], row[2])}
        for e in summary["entries"]:
            assert shown[(e["department"], e["indicator"])] == fmt_number(e["score"]), e
        rows = page.eval_on_selector_all("#overdue-table tbody tr", "rows => rows.map(r => [r.dataset.owner, "
                                         "Number(r.dataset.days), r.cells[2].innerText])")
        overdue = {g["owner"] for g in summary["gaps"] if g["kind"] == "逾期"}
        assert overdue and overdue <= {owner for owner, _, _ in rows}
        late = {(g["owner"], (dt.date.fromisoformat(summary["as_of"]) - dt.date.fromisoformat(g["deadline"])).days)
                for g in summary["gaps"] if g["kind"] == "逾期"}
        assert late <= {(owner, days) for owner, days, text in rows if str(days) == text}
        trend = page.eval_on_selector_all("#trend-table tbody tr", "rows => rows.map(r => r.dataset.round)")
        assert trend == [SECOND, FIRST]
    finally:
        context.close()


@pytest.mark.parametrize("which", ["round", "overview"])
def test_prints_on_a4_in_at_most_twelve_pages(browser, rounds, which, tmp_path):
    page, context, _, errors = _open(browser, rounds[which], 1366, 768)
    try:
        pdf = page.pdf(format="A4", prefer_css_page_size=True, print_background=True)
    finally:
        context.close()
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))
    assert 1 < pages <= MAX_PAGES and errors == []
    (tmp_path / f"{which}.pdf").write_bytes(pdf)
    if shutil.which("pdfinfo"):                 # the same count from poppler, where it is installed
        import subprocess

        info = subprocess.run(["pdfinfo", str(tmp_path / f"{which}.pdf")], capture_output=True, text=True).stdout
        assert f"Pages:{' ' * 11}{pages}" in info or re.search(rf"Pages:\s+{pages}\b", info)


def test_the_mailed_copy_opens_alone(browser, rounds, tmp_path):
    """As an attachment the page is a lone file in a mail client's folder: nothing else to load."""
    alone = tmp_path / "附件" / DASHBOARD
    alone.parent.mkdir()
    shutil.copy(rounds["round"], alone)
    page, context, refused, errors = _open(browser, alone, 390, 844)
    try:
        assert refused == [] and errors == []
        assert page.locator("#round-name").get_attribute("data-round") == SECOND
    finally:
        context.close()


@pytest.fixture(scope="module")
def units_dashboard(tmp_path_factory):
    """The units example (CONTRACT §17) run once: its round's 看板 and summary."""
    from scorecard.rules import load_rules

    out = tmp_path_factory.mktemp("units-dashboard") / "output"
    rules = load_rules(ROOT / "examples" / "units" / "rules.yaml")
    done = run(rules, ROOT / "examples" / "units" / "input", out, clock=lambda: dt.datetime(2027, 1, 5, 9), workers=1)
    summary = json.loads((done.round_dir / "summary.json").read_text(encoding="utf-8"))
    return {"summary": summary, "round": done.round_dir / DASHBOARD}


@pytest.mark.parametrize("width,height", SIZES)
def test_units_mode_shows_every_units_verdict_and_no_combined_total(browser, units_dashboard, width, height):
    summary = units_dashboard["summary"]
    page, context, refused, errors = _open(browser, units_dashboard["round"], width, height)
    try:
        assert refused == [] and errors == []
        scroll = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert scroll[0] <= scroll[1]
        assert page.locator("#total").count() == 0 and page.locator("#ranking-table").count() == 0
        rows = page.eval_on_selector_all("#units-table tbody tr", "rows => rows.map(r => [r.dataset.unit, "
                                         "r.dataset.rank, Number(r.dataset.total), r.dataset.passed, r.cells[7].innerText])")
        expected = {u["name"]: ("" if u["rank"] is None else str(u["rank"]), u["total"],
                                "yes" if u["passed"] else "no", fmt_number(u["total"])) for u in summary["units"]}
        assert {name: tuple(rest) for name, *rest in rows} == expected
        ranks = [int(r[1]) for r in rows if r[1]]
        assert ranks == sorted(ranks) and [r[1] for r in rows][-2:] == ["", ""]     # not ranked: last
        groups = page.eval_on_selector_all("#groups-table tbody tr", "rows => rows.map(r => [r.dataset.group, "
                                           "Number(r.dataset.passed)])")
        assert groups == [[g["name"], g["passed"]] for g in summary["groups"]]
        assert int(page.locator("#units-passed").inner_text()) == sum(u["passed"] for u in summary["units"])
        vetoed = next(u for u in summary["units"] if u["veto"])
        assert "一票否决" in page.locator(f'#units-table tr[data-unit="{vetoed["name"]}"]').inner_text()
    finally:
        context.close()

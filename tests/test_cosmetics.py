"""Small things an operator reads (issue 18): a huge number quoted as typed, not as 309 digits; no
font warning on the console for a department name with a line break."""
from __future__ import annotations

import re
import warnings

from conftest import filled, full_marks
from scorecard.checking import check_file
from scorecard.text import fmt_number


def test_a_huge_number_is_quoted_short():
    assert fmt_number(1e308) == "1e+308" and fmt_number(-1e20) == "-1e+20"
    assert fmt_number(8.0) == "8" and fmt_number(123456789) == "123456789"


def test_a_score_of_1e308_is_refused_in_a_short_message(small_rules, save):
    rows = full_marks(small_rules, "办公室", **{"1.1": {"自评得分": 1e308}})
    c = check_file(save(filled(small_rules, "办公室", rows=rows)), small_rules)
    messages = [f.message for f in c.findings if f.rule == "score.out_of_range"]
    assert messages and not re.search(r"\d{20}", messages[0])


def test_a_name_with_a_line_break_draws_without_a_glyph_warning():
    from scorecard.charts import rate_chart

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = rate_chart(["综合\r办公室", "机关\n党委"], [0.5, 0.9], title="各部门\r得分率", ascii_title="rates")
    assert png.startswith(b"\x89PNG")
    assert not [w for w in caught if "Glyph" in str(w.message)], [str(w.message) for w in caught]

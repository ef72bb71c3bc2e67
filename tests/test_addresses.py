"""Addresses in rules.yaml are parsed strictly (issue 18): each entry is exactly one address, or
the server would be told to deliver to whatever a stray comma or quote made of it."""
from __future__ import annotations

import pytest

from conftest import SMALL_RULES
from scorecard.rules import RulesError, one_address, parse_rules

BAD = ['evil,"x"bgs@example.gov.cn', "wxk@example,gov.cn", "a@b.cn, c@d.cn", "a@b.cn;c@d.cn", "办公室 <a@b.cn>",
       "<a@b.cn>", '"a b"@example.gov.cn', "a b@example.gov.cn", "a@example", "a..b@example.gov.cn",
       "a@-x.gov.cn", "@example.gov.cn", "a@", "a@b@example.gov.cn"]


@pytest.mark.parametrize("address", BAD)
def test_anything_but_exactly_one_address_is_refused(address):
    assert not one_address(address)
    text = SMALL_RULES.replace("email: [bgs@example.gov.cn]", f"email: ['{address}']")
    assert text != SMALL_RULES
    with pytest.raises(RulesError) as err:
        parse_rules(text, "rules.yaml")
    assert "departments[0].email[0]" in str(err.value) and "有效的电子邮箱地址" in str(err.value)


@pytest.mark.parametrize("address", ["bgs@example.gov.cn", "a.b+c@mail-1.example.com", "X_Y@Sub.Example.CN"])
def test_plain_addresses_pass(address):
    assert one_address(address)
    parse_rules(SMALL_RULES.replace("email: [bgs@example.gov.cn]", f"email: ['{address}']"), "rules.yaml")

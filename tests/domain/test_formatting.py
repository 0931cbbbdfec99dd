from datetime import date

import pytest

from pipeline.domain.formatting import (
    format_money,
    format_number,
    format_official_date,
    format_percent,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [(2590755750, "2.590.755.750"), (19630, "19.630"), (21.1, "21,1"), (145.15, "145,15"), (100.0, "100"),
     (33.142857, "33,14"), (0.005, "0,01"), (-1234.5, "-1.234,5"), (0, "0"), (None, ""), (float("nan"), "")],
)
def test_numbers(value, text):
    assert format_number(value) == text


def test_fixed_decimals_and_units():
    assert format_number(21.1, decimals=2) == "21,10"
    assert format_percent(22.68) == "22,68%"
    assert format_percent(None) == ""
    assert format_money(218600750) == "218.600.750 đồng"


@pytest.mark.parametrize(
    ("day", "text"),
    [(date(2020, 1, 5), "ngày 05 tháng 01 năm 2020"), (date(2021, 9, 14), "ngày 14 tháng 9 năm 2021"),
     (date(2021, 2, 28), "ngày 28 tháng 02 năm 2021"), (date(2021, 12, 1), "ngày 01 tháng 12 năm 2021")],
)
def test_official_date(day, text):
    assert format_official_date(day) == text


def test_huge_numbers_are_formatted_not_crashed():
    from pipeline.domain.formatting import format_number

    assert format_number(1e28) == "10.000.000.000.000.000.000.000.000.000"
    assert format_number(10**40).count(".") == 13
    assert format_number(-1.5e30, decimals=1).endswith(",0")


@pytest.mark.parametrize(("value", "text"), [
    (0.125, "0,13"), (2.675, "2,68"), (-999.995, "-1.000"),  # half up (babel alone rounds half to even)
    (-0.001, "0"), (-0.0, "0"),  # no "-0"
    (12345678901234567890, "12.345.678.901.234.567.890"),  # above babel's default 28-digit context
])
def test_numbers_round_half_up_through_babel(value, text):
    assert format_number(value) == text

import pytest

from pipeline.numbers import NumberFormatError, find_numbers, parse_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2 590 755 750", 2590755750),
        ("2\u00a0590\u00a0755\u00a0750", 2590755750),
        ("19.630", 19630),
        ("1.234.567", 1234567),
        ("21,1", 21.1),
        ("1.234,5", 1234.5),
        ("01", 1),
        ("145,15%", 145.15),
        ("145,15 %", 145.15),
        ("21.1", 21.1),
        ("0", 0),
        ("-3", -3),
        ("218 600 750 đồng", 218600750),
        (7, 7),
        (21.1, 21.1),
    ],
)
def test_parse_number_forms(text, expected):
    assert parse_number(text) == expected


@pytest.mark.parametrize("blank", ["", "   ", None, float("nan")])
def test_blank_is_missing_not_zero(blank):
    assert parse_number(blank) is None


@pytest.mark.parametrize("text", ["sáu", "1,2,3", "12 34", "1.23.4", "2021-Q3", "5 hồ sơ"])
def test_not_numbers_are_rejected(text):
    with pytest.raises(NumberFormatError):
        parse_number(text)


def test_find_numbers_in_running_text():
    text = "Tổng thu ngân sách trong quý III: 2 590 755 750 đồng, đạt 145,15%. Kỳ trước chuyển qua 01 hồ sơ"
    assert [v for v, _, _ in find_numbers(text)] == [2590755750, 145.15, 1]


@pytest.mark.parametrize("text", ["%", " % ", "đồng", "VNĐ", "()", "( % )", "đ"])
def test_a_unit_without_a_number_is_an_error_not_a_blank(text):
    from pipeline.numbers import UnitOnlyError

    with pytest.raises(UnitOnlyError, match="no number, only a unit"):
        parse_number(text)

import pytest

from pipeline.domain.numbers import NumberFormatError, find_numbers, parse_number


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
    from pipeline.domain.numbers import UnitOnlyError

    with pytest.raises(UnitOnlyError, match="no number, only a unit"):
        parse_number(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2 tỷ 590 triệu 755 nghìn 750 đồng", 2590755750),
        ("147 triệu 700 nghìn đồng", 147700000),
        ("2,59 tỷ đồng", 2590000000),
        ("1.200 triệu đồng", 1200000000),
        ("35 ngàn đồng", 35000),
        ("3 tỉ 5 triệu", 3005000000),
        ("2 590 triệu", 2590000000),
    ],
)
def test_amounts_in_scale_words(text, expected):
    assert parse_number(text) == expected
    assert [v for v, _, _ in find_numbers(f"tổng thu {text}, đạt 145,15%")] == [expected, 145.15]


@pytest.mark.parametrize("text", ["5 nghìn 2 triệu", "2 tỷ 3000 triệu", "1 triệu 1000 nghìn"])
def test_amounts_out_of_order_are_rejected(text):
    with pytest.raises(NumberFormatError):
        parse_number(text)


def test_rounded_amount_is_told():
    from pipeline.domain.numbers import is_rounded_amount

    assert is_rounded_amount("2,59 tỷ") and is_rounded_amount("1,5 triệu")
    assert not is_rounded_amount("2 tỷ 590 triệu 755 nghìn 750") and not is_rounded_amount("145,15")


def test_rate_is_not_a_thousand_million():
    assert [v for v, _, _ in find_numbers("đạt 98 tỷ lệ cao")] == [98]


@pytest.mark.parametrize("sep", ["\u200b", "\u2009", "\u202f", "\u00a0", "\ufeff", " "])
def test_every_space_form_separates_thousands(sep):
    text = f"thu 2{sep}590{sep}755{sep}750 đồng, tiếp nhận 491 hồ sơ"
    assert [v for v, _, _ in find_numbers(text)] == [2590755750, 491]
    assert parse_number(sep.join(["2", "590", "755", "750"])) == 2590755750


def test_zero_width_space_inside_a_number_is_dropped():
    text = "tiếp nhận 4\u200b91 hồ sơ"
    [(value, raw, offset)] = find_numbers(text)
    assert value == 491 and raw == "4\u200b91" and text[offset:offset + len(raw)] == raw


def test_digits_left_unread_are_told():
    from pipeline.domain.numbers import unread_digits

    text = "thu 2 590 755 75 đồng"
    found = find_numbers(text)
    assert [v for v, _, _ in found] == [2590755, 75]  # the last group is short: not one number
    assert all(unread_digits(text, offset, raw) == "2 590 755 75" for _, raw, offset in found)
    assert unread_digits("thu 2 590 755 750 đồng", 4, "2 590 755 750") is None
    assert unread_digits("thu 2 tỷ 590 triệu đồng", 4, "2 tỷ 590 triệu") is None

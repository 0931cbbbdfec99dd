from datetime import date

import pytest

from pipeline.domain.periods import Period, parse_period_phrase, period_range
from pipeline.errors import PeriodError


@pytest.mark.parametrize(
    ("pid", "start", "end", "label"),
    [
        ("2021-Q1", date(2020, 12, 15), date(2021, 3, 14), "quý I năm 2021"),
        ("2021-Q2", date(2021, 3, 15), date(2021, 6, 14), "quý II năm 2021"),
        ("2021-Q3", date(2021, 6, 15), date(2021, 9, 14), "quý III năm 2021"),
        ("2021-Q4", date(2021, 9, 15), date(2021, 12, 14), "quý IV năm 2021"),
        ("2021-6M", date(2020, 12, 15), date(2021, 6, 14), "6 tháng đầu năm 2021"),
        ("2021-9M", date(2020, 12, 15), date(2021, 9, 14), "9 tháng đầu năm 2021"),
        ("2021-Y", date(2020, 12, 15), date(2021, 12, 14), "năm 2021"),
    ],
)
def test_dates_and_labels(pid, start, end, label):
    p = Period.parse(pid)
    assert (p.start, p.end, p.label_vi, p.id) == (start, end, label, pid)


def test_navigation():
    q3 = Period.parse("2021-Q3")
    assert q3.next().id == "2021-Q4"
    assert q3.previous().id == "2021-Q2"
    assert Period.parse("2021-Q1").previous().id == "2020-Q4"
    assert Period.parse("2021-Q4").next().id == "2022-Q1"
    assert q3.same_period_last_year().id == "2020-Q3"
    assert Period.parse("2021-6M").previous().id == "2020-6M"
    assert [p.id for p in Period.parse("2021-9M").quarters()] == ["2021-Q1", "2021-Q2", "2021-Q3"]
    assert [p.id for p in q3.year_to_date()] == ["2021-Q1", "2021-Q2", "2021-Q3"]


def test_quarters_tile_the_year_without_gaps():
    quarters = Period.parse("2021-Y").quarters()
    for a, b in zip(quarters, quarters[1:]):
        assert (b.start - a.end).days == 1
    assert quarters[0].start == Period.parse("2021-Y").start and quarters[-1].end == Period.parse("2021-Y").end


def test_ordering_and_range():
    ids = [p.id for p in period_range("2020-Q3", "2021-Q2")]
    assert ids == ["2020-Q3", "2020-Q4", "2021-Q1", "2021-Q2"]
    assert Period.parse("2021-Q2") < Period.parse("2021-6M") < Period.parse("2021-Q3")


@pytest.mark.parametrize(
    ("phrase", "pid"),
    [
        ("Tình hình thực hiện công tác Cải cách hành chính trong quý III, "
         "phương hướng nhiệm vụ quý IV năm 2021", "2021-Q3"),
        ("BÁO CÁO CCHC QUÝ I NĂM 2020", "2020-Q1"),
        ("Quý 2/2020", "2020-Q2"),
        ("kết quả 6 tháng đầu năm 2022", "2022-6M"),
        ("9 tháng năm 2021", "2021-9M"),
        ("9 tháng đầu năm 2021", "2021-9M"),
        ("Báo cáo công tác CCHC năm 2021", "2021-Y"),
        ("quí IV năm 2020", "2020-Q4"),
    ],
)
def test_parse_period_phrase(phrase, pid):
    assert parse_period_phrase(phrase).id == pid


def test_phrase_without_year_uses_default_or_fails():
    assert parse_period_phrase("THỐNG KÊ SỐ LIỆU QUÝ III XÃ SƠN PHÚ", default_year=2021).id == "2021-Q3"
    with pytest.raises(PeriodError):
        parse_period_phrase("THỐNG KÊ SỐ LIỆU QUÝ III XÃ SƠN PHÚ")


@pytest.mark.parametrize("bad", ["2021-Q5", "2021Q3", "Q3-2021", ""])
def test_bad_ids(bad):
    with pytest.raises(PeriodError):
        Period.parse(bad)


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("Kết quả công tác cải cách hành chính quý I năm 2025", "2025-Q1"),
        ("Kết quả công tác cải cách hành chính Quý I năm 2025", "2025-Q1"),
        ("KẾT QUẢ CÔNG TÁC CẢI CÁCH HÀNH CHÍNH QUÝ I NĂM 2025", "2025-Q1"),
        ("Kết quả công tác cải cách hành chính Quý I n\u01cem 2025", "2025-Q1"),  # ǎ look-alike
        ("Báo cáo CCHC quý 1/2025", "2025-Q1"),
        ("TÌNH HÌNH THỰC HIỆN CÔNG TÁC CCHC QUÝ\n3 NĂM 2021", "2021-Q3"),
        ("Kết quả CCHC 6 tháng đầu năm 2024", "2024-6M"),
        ("Kết quả CCHC 9 tháng năm 2024", "2024-9M"),
        ("Kết quả công tác CCHC năm 2025", "2025-Y"),
    ],
)
def test_period_phrases_of_other_provinces(phrase, expected):
    assert parse_period_phrase(phrase).id == expected


def test_period_phrase_without_year_takes_the_default():
    assert parse_period_phrase("Kết quả 6 tháng đầu năm", default_year=2023).id == "2023-6M"
    assert parse_period_phrase("Kết quả 9 tháng", default_year=2023).id == "2023-9M"


def test_a_month_is_not_a_reporting_period():
    with pytest.raises(PeriodError):
        parse_period_phrase("Bản tin tình hình giải quyết hồ sơ tháng 3 năm 2025")

"""Commune and period clues of Excel and Word headers, written as other provinces write them."""

import pytest

from pipeline.domain.communes import load_registry
from pipeline.ingest.detect import header_clues


@pytest.mark.parametrize(
    ("lines", "period", "commune"),
    [
        (["UBND XÃ MỸ LONG", "THỐNG KÊ KẾT QUẢ CCHC QUÝ I N\u01ceM 2025"], "2025-Q1", "MỸ LONG"),  # ǎ look-alike
        (["UBND X\u00c3 M\u1ef8 L\u041eNG", "Phụ lục quý 1/2025"], "2025-Q1", "MỸ LONG"),  # Cyrillic capital О
        (["UBND XÃ SƠN PHÚ", "Sơn Phú, ngày 14 tháng 3 n\u01cem 2025", "Kết quả CCHC QUÝ I NĂM 2025"],
         "2025-Q1", "SƠN PHÚ"),
    ],
)
def test_header_clues_see_through_look_alikes(lines, period, commune):
    clues = header_clues(lines, load_registry())
    assert [c.period for c in clues if c.period] == [period]  # the date line gives no period
    assert [c.commune_name for c in clues if c.commune_name] == [commune]


def test_a_special_zone_names_its_issuer_like_a_commune():
    """Đặc khu (special zone) is a commune-level unit of the two-level government from 1/7/2025."""
    from pipeline.domain.periods import Period
    from pipeline.ingest.detect import settle

    registry = load_registry()
    clues = header_clues(["ỦY BAN NHÂN DÂN ĐẶC KHU PHÚ QUỐC", "BÁO CÁO CCHC QUÝ IV NĂM 2025"], registry)
    assert [c.commune_name for c in clues if c.commune_name] == ["PHÚ QUỐC"]
    unit, period = settle(clues, registry=registry, display="phu_quoc.docx")
    assert (unit.full_name, unit.code, period) == ("Đặc khu Phú Quốc", "31078", Period.parse("2025-Q4"))

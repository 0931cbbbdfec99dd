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


@pytest.mark.parametrize("name", ["son-linh.md", "18160_2025-Q3.md"])
def test_a_dissolved_commune_s_report_of_the_transition_quarter_is_refused_naming_the_successor(tmp_path, name):
    """Issue 14: a seed-style report of Xã Sơn Lĩnh for quý III năm 2025 (Sơn Lĩnh merged into the new Xã Sơn Hồng,
    code 18160, on 1/7/2025, and 2025-Q3 is the successor's quarter) is refused, by its header alone or with the
    code the successor kept in its file name, and the message says whose report it is."""
    from devtools.sample import generate_district, report_text
    from pipeline.config import DataPaths
    from pipeline.ingest import ingest
    from pipeline.store import Store

    text = report_text(generate_district(communes=["18160"], periods=["2024-Q3"]), commune="18160", period="2024-Q3")
    assert "Xã Sơn Lĩnh" in text and "quý III năm 2024" in text
    data = DataPaths(tmp_path)
    data.raw.mkdir()
    (data.raw / name).write_text(text.replace("2024", "2025"), encoding="utf-8")
    result = ingest(None, data=data)
    assert result.files_rejected == 1
    message = result.issues.loc[result.issues["severity"] == "error", "message"].iloc[0]
    assert "no commune named 'Xã Sơn Lĩnh' valid in 2025-Q3" in message
    assert "Xã Sơn Lĩnh (18160) became part of Xã Sơn Hồng (code 18160) from 01/07/2025" in message
    assert not Store(data).path("values").exists() or Store(data).read("values").empty


def test_a_special_zone_names_its_issuer_like_a_commune():
    """Đặc khu (special zone) is a commune-level unit of the two-level government from 1/7/2025."""
    from pipeline.domain.periods import Period
    from pipeline.ingest.detect import settle

    registry = load_registry()
    clues = header_clues(["ỦY BAN NHÂN DÂN ĐẶC KHU PHÚ QUỐC", "BÁO CÁO CCHC QUÝ IV NĂM 2025"], registry)
    assert [c.commune_name for c in clues if c.commune_name] == ["PHÚ QUỐC"]
    unit, period = settle(clues, registry=registry, display="phu_quoc.docx")
    assert (unit.full_name, unit.code, period) == ("Đặc khu Phú Quốc", "31078", Period.parse("2025-Q4"))

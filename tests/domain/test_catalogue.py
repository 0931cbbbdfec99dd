import pandas as pd
import pytest

from pipeline.domain.catalogue import CATALOGUE_FILE, load_catalogue, parse_legend, read_catalogue
from pipeline.errors import CatalogueError

S_CODES = [
    "S.HS.NHAN_MOI", "S.HS.KY_TRUOC", "S.HS.DA_GIAI_QUYET", "S.HS.DUNG_HEN", "S.HS.TRUOC_HAN", "S.HS.DUNG_HAN",
    "S.HS.QUA_HAN", "S.HS.DANG_GIAI_QUYET", "S.HS.DANG_QUA_HAN", "S.HS.TRA_LAI", "S.HS.DEN_HAN", "S.NS.THU",
    "S.NS.DU_TOAN", "S.NS.THU_TAI_XA", "S.NS.TY_LE_DU_TOAN",
]


def test_catalogue_has_every_appendix_row_and_the_supplementary_codes():
    cat = load_catalogue().for_period("2021-Q3")
    appendix = cat.table.loc[cat.table["section"] != "S"]
    assert len(appendix) == 143
    assert set(appendix["section"]) == {str(i) for i in range(1, 8)}
    assert set(S_CODES) <= set(cat.table["code"])


def test_rows_printed_under_1_2_get_their_own_codes_and_keep_the_alias():
    cat = load_catalogue()
    row = cat.get("1.2.1")
    assert row["parent"] == "1.2" and "1.1.1." in row["printed_codes"].split("|")


def test_kinds_legends_and_aggregations():
    cat = load_catalogue().for_period("2021-Q3")
    assert parse_legend(cat.get("1.4.2")["legend"]) == {0: "Trực tuyến", 1: "Phát phiếu", 2: "Kết hợp"}
    assert cat.get("7.1.5")["kind"] == "score"
    assert cat.get("S.NS.THU")["kind"] == "money"
    assert cat.get("3.4.3")[["aggregation", "numerator", "denominator"]].tolist() == [
        "recompute", "S.HS.DUNG_HEN", "S.HS.DA_GIAI_QUYET"]
    assert cat.get("S.HS.NHAN_MOI")["aggregation"] == "sum"
    assert cat.get("4.2.2")["aggregation"] == "last"


def test_online_service_rows_are_versioned():
    cat = load_catalogue()
    assert "mức độ 3" in cat.for_period("2021-Q3").get("7.1.8.1")["label"]
    assert "toàn trình" in cat.for_period("2023-Q1").get("7.1.8.1")["label"]


def test_match_row_handles_duplicates_and_uncoded_rows():
    cat = load_catalogue().for_period("2021-Q3")
    assert cat.match_row("1.1.1.", "Số phòng, ban, đơn vị trực thuộc đã kiểm tra").code == "1.2.1"
    assert cat.match_row("1.1.1.", "Số nhiệm vụ đề ra trong kế hoạch").code == "1.1.1"
    assert cat.match_row("", "Số TTHC cấp xã:", context="3.1.3").code == "3.1.3.c"
    # the catalogue holds the right label; the seed's printed typo matches it after normalisation
    assert cat.match_row("2.1.", "Số VBQPPL đã ban hành/tham mưu ban hành").how == "exact"
    assert cat.match_row("2.1.", "Số VBQGPL đã ban hành/tham mưu ban hành").how == "normalised"
    assert cat.match_row("", "Một dòng hoàn toàn khác") is None


def test_schema_errors_are_reported(tmp_path):
    table = pd.read_csv(CATALOGUE_FILE, dtype=str, keep_default_na=False)
    broken = table.copy()
    broken.loc[0, "kind"] = "banana"
    broken.loc[5, "parent"] = "42.42"
    path = tmp_path / "bad.csv"
    broken.to_csv(path, index=False)
    with pytest.raises(CatalogueError, match="banana") as info:
        read_catalogue(path)
    assert "42.42" in str(info.value)

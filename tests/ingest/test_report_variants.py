"""Report texts in the forms other communes and provinces write them (tests/fixtures/report_variants/).

Each file is named for its form; each is ingested alone and must give exactly the commune,
period and narrative figures below (nothing more, nothing less), with the issues named.
"""

import shutil

import pytest

from pipeline.ingest import ingest
from pipeline.store import Store
from tests.helpers import FIXTURES, assert_clear_error

VARIANTS = FIXTURES / "report_variants"
REFUSED = VARIANTS / "refused"

# file -> (commune code, period, {code: value} of every S.* figure stored)
EXPECTED = {
    "q1_2025_page_chrome_curly_apostrophe_caron_a.txt": ("18202", "2025-Q1", {
        "S.HS.NHAN_MOI": 214, "S.HS.KY_TRUOC": 3, "S.HS.DA_GIAI_QUYET": 210, "S.HS.DUNG_HEN": 210,
        "S.HS.QUA_HAN": 0, "S.HS.DANG_GIAI_QUYET": 7, "S.NS.THU": 1126400000, "S.NS.TY_LE_DU_TOAN": 31.2}),
    "quy_upper_case_subject.md": ("18178", "2025-Q1", {
        "S.HS.NHAN_MOI": 326, "S.HS.DA_GIAI_QUYET": 320, "S.HS.TRUOC_HAN": 250, "S.HS.DUNG_HAN": 70,
        "S.HS.DANG_GIAI_QUYET": 6}),
    "quy_arabic_with_slash.md": ("18196", "2025-Q1", {
        "S.HS.NHAN_MOI": 158, "S.HS.KY_TRUOC": 2, "S.HS.DA_GIAI_QUYET": 160, "S.HS.QUA_HAN": 0}),
    "quy_split_over_two_lines.md": ("18202", "2021-Q3", {
        "S.HS.NHAN_MOI": 402, "S.HS.DA_GIAI_QUYET": 398, "S.HS.DUNG_HEN": 398, "S.HS.TRA_LAI": 4}),
    "six_months_year_from_the_date.md": ("18175", "2022-6M", {
        "S.HS.NHAN_MOI": 1024, "S.HS.KY_TRUOC": 5, "S.HS.DA_GIAI_QUYET": 1020, "S.HS.DUNG_HEN": 1015,
        "S.HS.QUA_HAN": 5}),
    "nine_months.md": ("18157", "2023-9M", {
        "S.HS.NHAN_MOI": 1387, "S.HS.DA_GIAI_QUYET": 1380, "S.HS.DUNG_HEN": 1380, "S.HS.DANG_GIAI_QUYET": 7}),
    "year_report.md": ("18160", "2024-Y", {
        "S.HS.KY_TRUOC": 14, "S.HS.NHAN_MOI": 2132, "S.HS.DA_GIAI_QUYET": 2139, "S.HS.DEN_HAN": 2139,
        "S.NS.THU": 4215600000, "S.NS.TY_LE_DU_TOAN": 118.4}),
    "ubnd_header_on_one_line.md": ("18142", "2023-Q2", {
        "S.HS.NHAN_MOI": 233, "S.HS.DA_GIAI_QUYET": 231, "S.HS.DUNG_HEN": 231, "S.HS.KY_TRUOC": 1}),
    "dossier_dung_va_truoc_han.md": ("18217", "2022-Q1", {
        "S.HS.NHAN_MOI": 495, "S.HS.DUNG_HEN": 490, "S.HS.TRA_LAI": 5}),
    "dossier_portal_early_and_on_time_apart.md": ("18139", "2024-Q2", {
        "S.HS.DA_GIAI_QUYET": 612, "S.HS.TRUOC_HAN": 395, "S.HS.DUNG_HAN": 210, "S.HS.QUA_HAN": 7}),
    "dossier_in_progress_past_due.md": ("18145", "2023-Q4", {
        "S.HS.NHAN_MOI": 188, "S.HS.DA_GIAI_QUYET": 180, "S.HS.DANG_GIAI_QUYET": 8, "S.HS.DANG_QUA_HAN": 2}),
    "dossier_ton_ky_truoc_chuyen_sang.md": ("18148", "2023-Q1", {
        "S.HS.KY_TRUOC": 4, "S.HS.NHAN_MOI": 136, "S.HS.DA_GIAI_QUYET": 138, "S.HS.DANG_GIAI_QUYET": 2}),
    "dossier_khong_co_tre_han.md": ("18184", "2022-Q3", {
        "S.HS.NHAN_MOI": 97, "S.HS.DA_GIAI_QUYET": 97, "S.HS.QUA_HAN": 0, "S.HS.TRA_LAI": 0}),
    "dossier_channels_in_brackets.md": ("18190", "2022-Q2", {
        "S.HS.NHAN_MOI": 305, "S.HS.DA_GIAI_QUYET": 301, "S.HS.DANG_GIAI_QUYET": 4}),
    "amount_in_scale_words.md": ("18187", "2021-Q3", {
        "S.HS.NHAN_MOI": 211, "S.HS.DA_GIAI_QUYET": 211,
        "S.NS.THU": 2590755750, "S.NS.TY_LE_DU_TOAN": 145.15, "S.NS.THU_TAI_XA": 218600750}),
    "amount_million_thousand.md": ("18178", "2024-Q1", {
        "S.HS.NHAN_MOI": 76, "S.HS.DA_GIAI_QUYET": 76, "S.NS.THU_TAI_XA": 147700000, "S.NS.DU_TOAN": 600000000}),
    "amount_rounded_billion.md": ("18181", "2022-Q4", {
        "S.HS.NHAN_MOI": 140, "S.HS.DA_GIAI_QUYET": 140, "S.NS.THU": 2590000000}),
    "zero_width_thousands_from_a_portal.md": ("18217", "2021-Q3", {
        "S.HS.NHAN_MOI": 491, "S.HS.DA_GIAI_QUYET": 490, "S.HS.DUNG_HEN": 490,
        "S.NS.THU": 2590755750, "S.NS.TY_LE_DU_TOAN": 145.15}),
    "thin_and_no_break_spaces.md": ("18172", "2021-Q2", {
        "S.HS.NHAN_MOI": 1204, "S.HS.DA_GIAI_QUYET": 1198, "S.NS.THU": 3105420000, "S.NS.THU_TAI_XA": 412300000}),
    "dot_thousands_and_plan.md": ("18193", "2021-Q1", {
        "S.HS.NHAN_MOI": 1120, "S.HS.DA_GIAI_QUYET": 1118, "S.NS.DU_TOAN": 1784881674, "S.NS.THU": 602350000,
        "S.NS.TY_LE_DU_TOAN": 33.75}),
    "cyrillic_look_alikes_and_old_tones.md": ("18211", "2024-Q1", {
        "S.HS.NHAN_MOI": 64, "S.HS.DA_GIAI_QUYET": 64, "S.HS.DUNG_HEN": 64}),
    "two_level_header_district_above_commune.md": ("18217", "2021-Q4", {
        "S.HS.NHAN_MOI": 377, "S.HS.DA_GIAI_QUYET": 375, "S.HS.TRUOC_HAN": 301, "S.HS.DUNG_HAN": 74}),
    "header_cells_broken_over_lines.md": ("18199", "2024-Q3", {
        "S.HS.NHAN_MOI": 92, "S.HS.DA_GIAI_QUYET": 90, "S.HS.DANG_GIAI_QUYET": 2}),
    "unread_figure_sentence.md": ("18205", "2023-Q2", {"S.HS.NHAN_MOI": 120, "S.HS.DA_GIAI_QUYET": 118}),
    "digits_left_unread.md": ("18214", "2022-Q3", {"S.HS.NHAN_MOI": 83, "S.HS.DA_GIAI_QUYET": 83}),
}


def _ingest_one(tmp_path, source):
    from pipeline.config import DataPaths

    (tmp_path / "raw").mkdir()
    shutil.copy(source, tmp_path / "raw" / source.name)
    data = DataPaths(tmp_path)
    return ingest(None, data=data), Store(data)


def test_every_variant_has_an_expectation():
    assert sorted(p.name for p in VARIANTS.iterdir() if p.is_file()) == sorted(EXPECTED)
    assert len(EXPECTED) >= 20


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_variant_read_to_the_exact_figures(tmp_path, name):
    commune, period, figures = EXPECTED[name]
    result, store = _ingest_one(tmp_path, VARIANTS / name)
    values = store.read("values")
    assert set(values["commune_code"]) == {commune} and set(values["period"]) == {period}
    got = values.loc[values["indicator_code"].str.startswith("S.")].set_index("indicator_code")["value"].to_dict()
    assert got == pytest.approx(figures) and set(got) == set(figures)
    assert set(values["source_file"]) == {name}
    if name != "digits_left_unread.md":
        assert result.ok, result.issues.loc[result.issues["severity"] == "error", "message"].tolist()


def test_q1_2025_header_read_through_chrome_and_look_alikes(tmp_path):
    _, store = _ingest_one(tmp_path, VARIANTS / "q1_2025_page_chrome_curly_apostrophe_caron_a.txt")
    doc = store.read("documents").iloc[0]
    assert doc["issuer_name"] == "XÃ MỸ LONG" and doc["issuing_body"] == "ỦY BAN NHÂN DÂN"
    assert doc["doc_number"] == "31/BC-UBND" and str(doc["doc_date"])[:10] == "2025-03-14"
    assert doc["subject"] == "Kết quả công tác cải cách hành chính Quý I n\u01cem 2025"  # as written
    assert doc["signer_name"] == "Trần Đình K\u2019Hoa"


def test_two_level_header_names_the_commune_not_the_district(tmp_path):
    _, store = _ingest_one(tmp_path, VARIANTS / "two_level_header_district_above_commune.md")
    doc = store.read("documents").iloc[0]
    assert doc["issuer_name"] == "XÃ SƠN PHÚ" and doc["commune_code"] == "18217"


def test_header_cells_broken_over_lines_are_joined(tmp_path):
    _, store = _ingest_one(tmp_path, VARIANTS / "header_cells_broken_over_lines.md")
    doc = store.read("documents").iloc[0]
    assert doc["doc_number"] == "43/BC-UBND" and str(doc["doc_date"])[:10] == "2024-09-13"
    assert doc["place"] == "Sơn Kim 2"


def test_rounded_amount_is_marked_in_the_note(tmp_path):
    _, store = _ingest_one(tmp_path, VARIANTS / "amount_rounded_billion.md")
    row = store.read("values").set_index("indicator_code").loc["S.NS.THU"]
    assert row["value"] == 2590000000 and "làm tròn" in row["note"] and "2,59 tỷ" in row["raw_text"]


def test_zero_width_spaces_kept_in_the_raw_text(tmp_path):
    _, store = _ingest_one(tmp_path, VARIANTS / "zero_width_thousands_from_a_portal.md")
    values = store.read("values").set_index("indicator_code")
    assert "2\u200b590\u200b755\u200b750" in values.at["S.NS.THU", "raw_text"]
    lines = (VARIANTS / "zero_width_thousands_from_a_portal.md").read_text(encoding="utf-8").split("\n")
    assert "4\u200b91 hồ sơ" in lines[values.at["S.HS.NHAN_MOI", "source_row"] - 1]


def test_unread_figure_sentence_is_a_warning_naming_file_and_line(tmp_path):
    name = "unread_figure_sentence.md"
    result, _ = _ingest_one(tmp_path, VARIANTS / name)
    lines = (VARIANTS / name).read_text(encoding="utf-8").split("\n")
    hit = result.issues.loc[result.issues["message"].str.startswith("câu có số liệu chưa đọc được: ")]
    assert len(hit) == 1 and hit.iloc[0]["file"] == name and hit.iloc[0]["severity"] == "warning"
    assert lines[hit.iloc[0]["row"] - 1] == "Hồ sơ liên thông với cấp huyện 15 hồ sơ."
    assert result.ok


def test_digits_left_unread_are_an_error_and_nothing_is_guessed(tmp_path):
    name = "digits_left_unread.md"
    result, store = _ingest_one(tmp_path, VARIANTS / name)
    lines = (VARIANTS / name).read_text(encoding="utf-8").split("\n")
    assert_clear_error(result.issues, name, ("holds more digits than could be read", None, None, None))
    err = result.issues.loc[result.issues["severity"] == "error"].iloc[0]
    assert "1 245 300 75" in lines[err["row"] - 1]
    assert "S.NS.THU" not in set(store.read("values")["indicator_code"])


def test_commune_not_in_the_registry_is_refused_by_name(tmp_path):
    name = "q1_2025_page_chrome_commune_not_in_registry.txt"
    result, store = _ingest_one(tmp_path, REFUSED / name)
    assert result.files_rejected == 1
    assert_clear_error(result.issues, name,
                       ("commune not recognised in the issuing body", None, None, "XÃ ĐƯNG K\u2019NỚ"))
    err = result.issues.iloc[0]
    assert "XÃ ĐƯNG K\u2019NỚ" in err["message"] and "2025-Q1" in err["message"]
    assert store.read("values").empty


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("news_article.txt", "layout not recognised"),
        ("province_centre_monthly_bulletin.txt", "cannot tell the reporting period"),
    ],
)
def test_a_text_that_is_not_a_commune_report_is_refused(tmp_path, name, message):
    result, store = _ingest_one(tmp_path, REFUSED / name)
    assert result.files_rejected == 1
    assert_clear_error(result.issues, name, (message, None, None, None))
    assert store.read("values").empty and store.read("documents").empty

"""Report content functions (without papermill): ranks, comparisons, escaping of the parts."""

import re
import shutil

import pytest

from pipeline.config import DataPaths
from pipeline.ingest import ingest
from pipeline.report import charts
from pipeline.report import content as report
from tests.helpers import FIXTURES, SEED


def _data(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(SEED, raw / SEED.name)
    shutil.copy(FIXTURES / "metrics" / "two_communes.csv", raw)
    data = DataPaths(tmp_path)
    ingest(None, data=data)
    return data


def test_ranks_and_comparisons(tmp_path):
    data = _data(tmp_path)
    rd = report.load(commune="18133", period="2021-Q3", data=data)
    ranks = {r["label"]: (r["rank"], r["of"]) for r in report.district_ranks(rd)}
    # on time: 18133 100/100, 18136 70/70, 18217 490/490 share rank 1 of 3;
    # online level 3-4: 18133 90/180 = 50 % ahead of 18217 58/175 = 33,14 %
    assert ranks["Tỷ lệ hồ sơ giải quyết trước hạn và đúng hạn"] == (1, 3)
    assert ranks["Tỷ lệ TTHC cung cấp trực tuyến mức độ 3, 4"] == (1, 2)
    sentence = report.comparison_sentence(rd, "S.HS.NHAN_MOI", noun="số hồ sơ tiếp nhận", unit="hồ sơ")
    assert sentence == ("So với quý II năm 2021, số hồ sơ tiếp nhận giảm 40 hồ sơ (26,67%); "
                        "so với cùng kỳ quý III năm 2020, số hồ sơ tiếp nhận tăng 10 hồ sơ (10%).")
    points = report.comparison_sentence(rd, "R.HS.DUNG_HEN", noun="tỷ lệ đúng hạn")
    assert "tăng 5 điểm phần trăm" in points


def test_subject_lines_and_next_periods():
    from pipeline.domain.periods import Period

    assert report.subject_line(Period.parse("2021-Q4")).endswith(
        "quý IV năm 2021, phương hướng nhiệm vụ quý I năm 2022")
    assert report.subject_line(Period.parse("2021-6M")).endswith(
        "6 tháng đầu năm, phương hướng nhiệm vụ 6 tháng cuối năm 2021")
    assert report.next_phrase(Period.parse("2021-Y")) == "năm 2022"


def test_fragments_display_once_in_notebooks(tmp_path):
    rd = report.load(commune="18217", period="2021-Q3", data=_data(tmp_path))
    part = report.header_html(rd)
    assert part._repr_html_().startswith("<header") and repr(part).startswith("<HTML fragment")
    assert "52/BC-UBND" in part


# --------------------------------------------------------------------------- after 1/7/2025
@pytest.fixture(scope="module")
def merger_data(tmp_path_factory):
    from tests.helpers import ingested_rows, merger_rows

    return ingested_rows(tmp_path_factory.mktemp("merger"), merger_rows())


HUONG_SON_LABEL = ("Số liệu trước 1/7/2025 là tổng của thị trấn Phố Châu và các xã Sơn Ninh, Sơn Trung, Sơn Bằng, "
                   "Sơn Phú.")


def test_a_comparison_with_summed_figures_says_whose_they_are(merger_data):
    rd = report.load(commune="18133", period="2025-Q3", data=merger_data)
    sentence = report.comparison_sentence(rd, "S.HS.NHAN_MOI", noun="số hồ sơ tiếp nhận", unit="hồ sơ")
    # 2025-Q2: nothing stored; 2024-Q3: the five predecessors' 260 (300 - 260 = 40, 40/260 = 15,38 %)
    assert sentence == ("So với quý II năm 2025 không có số liệu để so sánh; so với cùng kỳ quý III năm 2024, "
                        "số hồ sơ tiếp nhận tăng 40 hồ sơ (15,38%). " + HUONG_SON_LABEL)
    online = report.charts_html(rd)  # 2024-Q3's online-service rate 251/855 is a sum too: so labelled
    assert str(online).count(HUONG_SON_LABEL) == 2  # dossier and online-service trends, not the budget (none)
    revenue = report.comparison_sentence(rd, "S.NS.THU", noun="thu ngân sách", unit="đồng")
    assert revenue == ("So với quý II năm 2025 không có số liệu để so sánh; so với cùng kỳ quý III năm 2024 không có "
                       "số liệu để so sánh (thiếu số liệu của Xã Sơn Phú (18217)).")  # not a sum of four of five
    later = report.load(commune="18133", period="2026-Q3", data=merger_data)  # compares with its own 2025-Q3
    assert "Số liệu trước" not in report.comparison_sentence(later, "S.HS.NHAN_MOI", noun="số hồ sơ", unit="hồ sơ")


def test_chart_notes_name_each_set_of_units_summed(merger_data):
    rd = report.load(commune="18223", period="2025-Q3", data=merger_data)  # Xã Kim Hoa: 2024-Q3 and 2025-Q1 shown
    note = ("Số liệu trước 1/7/2025 là tổng của các xã Kim Hoa, Hàm Trường; "
            "trước 1/1/2025 là tổng của các xã Kim Hoa, Sơn Hàm, Sơn Trường.")
    assert report.history_note(rd, charts.last_quarters(rd.period, 8)) == note
    html = str(report.charts_html(rd))
    assert html.count(note) == 1  # under the dossier trend only: no online-service or budget figure was summed
    son_linh = report.load(commune="18160", period="2024-Q3", data=merger_data)  # a predecessor's own report
    assert report.history_note(son_linh, ["2024-Q3"]) == "" and son_linh.commune.name == "Sơn Lĩnh"
    assert son_linh.value("S.HS.NHAN_MOI") == 15


def test_after_the_merger_no_district_anywhere(merger_data):
    rd = report.load(commune="18133", period="2025-Q3", data=merger_data)
    header, closing = str(report.header_html(rd)), str(report.closing_html(rd))
    assert "ỦY BAN NHÂN DÂN" in header and "XÃ HƯƠNG SƠN" in header
    recipients = re.findall(r'<p class="recipient">- ([^<]*)</p>', closing)
    assert recipients == ["UBND tỉnh;", "Sở Nội vụ;", "Lưu: VT."]
    assigned = [s for s in report.area_sentences(rd, "1") if "nhiệm vụ" in s]
    assert assigned == ["Số nhiệm vụ được UBND tỉnh, Chủ tịch UBND tỉnh giao: 4 nhiệm vụ, hoàn thành đúng hạn "
                        "3 nhiệm vụ (75%)."]
    assert "Chủ tịch UBND tỉnh giao" in " ".join(rd.findings["message"])  # the finding of the late task
    charts_part = str(report.charts_html(rd))
    everything = " ".join([header, closing, charts_part, *report.area_sentences(rd, "1"), *rd.findings["message"]])
    assert "huyện" not in everything.lower()
    assert "Vị trí của xã trong tỉnh" in charts_part


def test_before_the_merger_the_district_stays(merger_data):
    rd = report.load(commune="18217", period="2024-Q3", data=merger_data)
    closing = str(report.closing_html(rd))
    assert "Phòng Nội vụ huyện;" in closing and "Lưu: VT." in closing
    assert "Vị trí của xã trong huyện" in str(report.charts_html(rd))


def test_ranks_across_the_province_count_only_communes_with_data(merger_data):
    rd = report.load(commune="18133", period="2025-Q3", data=merger_data)
    ranks = {r["label"]: r["text"] for r in report.district_ranks(rd)}
    # on time: Kim Hoa 40/40, Hương Sơn 270/280, Sơn Hồng 63/70; the province's other 66 communes sent nothing
    assert ranks["Tỷ lệ hồ sơ giải quyết trước hạn và đúng hạn"] == "2/3 xã có số liệu"
    assert "2/3 xã có số liệu" in str(report.charts_html(rd))


def test_a_period_partly_before_the_merger_is_labelled(merger_data):
    rd = report.load(commune="18223", period="2025-9M", data=merger_data)  # Q1, Q2 summed; Q3 Xã Kim Hoa's own
    assert rd.metric("S.HS.NHAN_MOI")["value"] == 146
    sentence = report.comparison_sentence(rd, "S.HS.NHAN_MOI", noun="số hồ sơ tiếp nhận", unit="hồ sơ")
    assert sentence.endswith(" Số liệu trước 1/7/2025 là tổng của các xã Kim Hoa, Hàm Trường.")

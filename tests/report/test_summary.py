"""The office's summary report of an area (pipeline/report/summary.py): totals by rule checked by hand on a small
synthetic area, blank left blank, communes below an applicable target with the gap in points, missing and late
communes, the issuer and subject before and after 1/7/2025, the comparison charts."""

import re

import pandas as pd
import pytest

from pipeline.metrics.compute import key_ratios
from pipeline.report import charts, summary
from tests.helpers import ingested_rows

#: Three of Hương Sơn's 25 units report 2021-Q3 (the 22 others send nothing); two of them 2021-Q2.
#: Xã Sơn Hồng (18139) reports dossiers received but no resolved / on-time figure: its on-time rate is blank.
ROWS = [
    ("18133", "2021-Q3", "S.HS.NHAN_MOI", 100), ("18133", "2021-Q3", "S.HS.DA_GIAI_QUYET", 90),
    ("18133", "2021-Q3", "S.HS.DUNG_HEN", 81), ("18133", "2021-Q3", "1.1.1", 4), ("18133", "2021-Q3", "1.1.2", 3),
    ("18136", "2021-Q3", "S.HS.NHAN_MOI", 50), ("18136", "2021-Q3", "S.HS.DA_GIAI_QUYET", 40),
    ("18136", "2021-Q3", "S.HS.DUNG_HEN", 40), ("18136", "2021-Q3", "1.1.1", 5), ("18136", "2021-Q3", "1.1.2", 5),
    ("18139", "2021-Q3", "S.HS.NHAN_MOI", 30),
    ("18133", "2021-Q2", "S.HS.NHAN_MOI", 80), ("18133", "2021-Q2", "S.HS.DA_GIAI_QUYET", 80),
    ("18133", "2021-Q2", "S.HS.DUNG_HEN", 80),
    ("18136", "2021-Q2", "S.HS.NHAN_MOI", 20), ("18136", "2021-Q2", "S.HS.DA_GIAI_QUYET", 20),
    ("18136", "2021-Q2", "S.HS.DUNG_HEN", 10),
]


@pytest.fixture(scope="module")
def sd(tmp_path_factory):
    data = ingested_rows(tmp_path_factory.mktemp("summary") / "data", ROWS)
    return summary.load(area="439", period="2021-Q3", data=data)


def _row(rows, code):
    return next(r for r in rows if r["code"] == code)


def test_area_totals_are_sums_and_the_rate_is_recomputed_from_summed_parts(sd):
    f = summary.area_figures(sd.metrics, sd.area.units, "2021-Q3").set_index("code")
    assert f.at["S.HS.NHAN_MOI", "value"] == 100 + 50 + 30 and f.at["S.HS.NHAN_MOI", "communes"] == 3
    assert f.at["S.HS.DA_GIAI_QUYET", "value"] == 90 + 40 and f.at["S.HS.DA_GIAI_QUYET", "communes"] == 2
    rate = f.loc["R.HS.DUNG_HEN"]
    assert (rate["numerator"], rate["denominator"], rate["communes"]) == (121, 130, 2)
    assert rate["value"] == pytest.approx(100 * 121 / 130)  # 93,08 %, not the mean of 90 % and 100 % (95 %)
    assert f.at["R.KH.HOAN_THANH", "value"] == pytest.approx(100 * 8 / 9)
    totals = summary.totals_rows(sd)
    on_time = _row(totals, "R.HS.DUNG_HEN")
    assert on_time["value"] == "93,08%" and on_time["parts"] == "121/130"
    # the previous period the same way: 90/100 = 90 %; the change in percentage points; no figure a year before
    assert on_time["previous"] == "90,00%" and on_time["previous_change"] == "tăng 3,08 điểm phần trăm"
    assert on_time["year_ago"] == "" and on_time["year_change"] == ""
    received = _row(totals, "S.HS.NHAN_MOI")
    assert (received["value"], received["previous"], received["previous_change"]) == ("180", "100", "tăng 80")
    text = " ".join(summary.totals_sentences(sd))
    assert "121/130" in text and "93,08%" in text and "3/25 xã" in text


def test_a_commune_without_a_figure_is_left_blank_and_not_ranked(sd):
    rows = {r["code"]: r for r in summary.commune_rows(sd)}
    assert len(rows) == 25  # every unit of the district, reported or not
    on_time = [r.code for r in key_ratios()].index("R.HS.DUNG_HEN")
    assert rows["18139"]["received"] == "30"
    assert rows["18139"]["cells"][on_time] == {"value": "", "rank": ""}
    assert rows["18136"]["cells"][on_time] == {"value": "100,00%", "rank": "1/2"}
    assert rows["18133"]["cells"][on_time] == {"value": "90,00%", "rank": "2/2"}
    assert rows["18142"]["received"] == "" and all(c == {"value": "", "rank": ""} for c in rows["18142"]["cells"])


def test_communes_below_an_applicable_target_with_the_gap_in_points(sd):
    groups = {g["metric"]: g for g in summary.below_target(sd)}
    # the plan-completion check (>= 100 %, valid from 2019): Phố Châu 3/4 = 75 %, 25 points short; Tây Sơn 5/5 is not
    plan = groups["R.KH.HOAN_THANH"]
    assert plan["communes"] == [{"name": "Thị trấn Phố Châu", "value": "75,00%", "gap": "thiếu 25 điểm phần trăm"}]
    assert plan["what"] == "mức kiểm tra" and plan["target"] == "100,00%"
    # no target applies to the on-time rate, nor (before 2025) to the online services: not listed
    assert "R.HS.DUNG_HEN" not in groups and "R.DVC.MUC_3_4" not in groups


def test_findings_grouped_by_kind_with_the_communes_named(sd):
    groups = {g["kind"]: g for g in summary.finding_groups(sd)}
    assert groups["plan_incomplete"]["count"] == 1
    assert groups["plan_incomplete"]["names"] == "Thị trấn Phố Châu"
    assert groups["plan_incomplete"]["label"] == "Chưa hoàn thành nhiệm vụ Kế hoạch CCHC"


def test_missing_and_late_communes_are_listed(sd):
    s = summary.submission_lists(sd)
    assert len(s["missing"]) == 22 and "Xã Sơn Tiến" in s["missing"] and "Thị trấn Phố Châu" not in s["missing"]
    # ingested today, years after the deadline of 20/9/2021, with no document date: late
    assert sorted(s["late_names"]) == ["Thị trấn Phố Châu", "Thị trấn Tây Sơn", "Xã Sơn Hồng"]
    assert s["summary"].startswith("Hạn gửi báo cáo: ngày 20/09/2021. Tổng số 25 đơn vị: 3 đã gửi")
    html = str(summary.body_html(sd))
    assert "Xã Sơn Tiến" in s["missing_line"] and s["missing_line"] in html
    assert "Thị trấn Tây Sơn: gửi ngày" in html


def test_the_district_office_issues_it_before_2025(sd):
    head = str(summary.header_html(sd))
    assert "UBND HUYỆN HƯƠNG SƠN" in head and "PHÒNG NỘI VỤ" in head
    assert ("Kết quả thực hiện công tác cải cách hành chính quý III năm 2021 của các xã trên địa bàn huyện Hương Sơn"
            in head)
    closing = str(summary.closing_html(sd))
    assert "UBND huyện;" in closing and "Sở Nội vụ;" in closing and "Lưu: VT." in closing
    assert "TRƯỞNG PHÒNG" in closing


def test_the_province_office_issues_it_after_2025(tmp_path):
    data = ingested_rows(tmp_path / "data", [("18133", "2025-Q3", "S.HS.NHAN_MOI", 12),
                                             ("18133", "2025-Q3", "S.HS.DA_GIAI_QUYET", 10),
                                             ("18133", "2025-Q3", "S.HS.DUNG_HEN", 10)])
    sd = summary.load(area="42", period="2025-Q3", data=data)
    head, closing = str(summary.header_html(sd)), str(summary.closing_html(sd))
    assert "UBND TỈNH HÀ TĨNH" in head and "SỞ NỘI VỤ" in head
    assert "của các xã trên địa bàn tỉnh Hà Tĩnh" in head
    assert "UBND tỉnh;" in closing and "Bộ Nội vụ;" in closing and "GIÁM ĐỐC" in closing
    assert "huyện" not in (head + closing).lower()
    assert _row(summary.totals_rows(sd), "S.HS.NHAN_MOI")["value"] == "12"


def test_text_from_the_data_is_escaped(sd):
    evil = sd.status.assign(name=sd.status["name"].where(sd.status["commune_code"] != "18142", "<b>X</b>"))
    html = str(summary.body_html(summary.SummaryData(sd.area, sd.period, sd.metrics, sd.findings, evil, sd.deadline,
                                                    sd.units)))
    assert "&lt;b&gt;X&lt;/b&gt;" in html and "<b>X</b>" not in html


def test_the_comparison_charts(sd):
    fig = summary.on_time_by_commune(sd)
    ax = fig.axes[0]
    # one bar per commune with the figure, sorted (highest at the top), axis from 0
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Thị trấn Phố Châu", "Thị trấn Tây Sơn"]
    assert ax.get_xlim()[0] == 0
    assert charts.title(fig) == "Tỷ lệ hồ sơ giải quyết trước hạn và đúng hạn, quý III năm 2021"
    trend = summary.trend_frame(sd).set_index("period")
    assert trend.at["2021-Q3", "rate"] == pytest.approx(100 * 121 / 130)
    assert trend.at["2021-Q2", "rate"] == pytest.approx(90.0) and pd.isna(trend.at["2021-Q1", "rate"])
    tfig = charts.area_trend(summary.trend_frame(sd), area="huyện Hương Sơn")
    assert re.search(r"huyện Hương Sơn, 2 quý gần nhất", charts.title(tfig))
    assert tfig.axes[1].get_ylim()[0] == 0


def test_a_target_line_where_a_target_applies():
    frame = pd.DataFrame({"commune_key": ["a", "b"], "period": "2025-Y", "metric": "R.X", "value": [70.0, 90.0]})
    fig = charts.communes_sorted(frame, {"a": "Xã A", "b": "Xã B"}, metric="R.X", label="Tỷ lệ X", period="2025-Y",
                                 target=80.0, target_kind="lo_trinh")
    lines = [ln for ln in fig.axes[0].get_lines() if list(ln.get_xdata()) == [80.0, 80.0]]
    assert len(lines) == 1 and lines[0].get_label() == "Mục tiêu 80%"
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["Xã A", "Xã B"]

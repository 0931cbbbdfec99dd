"""Report content functions (without papermill): ranks, comparisons, escaping of the parts; one voice per area,
no disputed point printed, part II/III in the commune's voice, unit words."""

import dataclasses
import re
import shutil
from html import unescape

import pytest

from pipeline.config import DataPaths
from pipeline.domain.numbers import find_numbers
from pipeline.ingest import ingest
from pipeline.report import content as report
from tests.helpers import FIXTURES, SEED, synthetic_report


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
                        "so với cùng kỳ năm 2020, tăng 10 hồ sơ (10%).")
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


# --------------------------------------------------------------------------- one voice, facts that agree


def _text(fragment) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", str(fragment)))


def _areas(html: str) -> dict[str, str]:
    """The rendered HTML of each area of part I, by number."""
    return dict(re.findall(r'<section class="area" id="area-(\d)">(.*?)</section>', html, re.S))


def test_one_heading_per_area_and_no_number_printed_twice(seed_report):
    html = str(report.results_html(seed_report))
    areas = _areas(html)
    assert list(areas) == [str(n) for n in range(1, 9)]
    numbers = re.findall(r"<h3>(\d+)\. ", html) + re.findall(r'<p class="own-heading"><em>([\d.]+)\. ', html)
    assert len(numbers) == len(set(numbers)), numbers
    # the commune's own area headings are not printed under the area heading
    assert "Công tác Cải cách thể chế" not in html and "Cải cách công vụ." not in html
    # area 1's own two parts are numbered under it
    assert re.findall(r'<p class="own-heading"><em>(1\.\d)\. ', areas["1"]) == ["1.1", "1.2"]
    # every area heading once
    for number, title in report.areas():
        assert html.count(f"<h3>{number}. {title}</h3>") == 1


def test_no_figure_stated_twice(seed_report):
    body = _text(report.results_html(seed_report))
    for value in (2590755750, 218600750, 491, 145.15):
        assert [v for v, _, _ in find_numbers(body)].count(value) == 1, value
    assert "2.590.755.750" not in body  # the budget only in the commune's own words and style
    area3 = _text(_areas(str(report.results_html(seed_report)))["3"])
    assert "tiếp nhận 492 hồ sơ" not in area3  # the commune already states its dossiers


def test_the_seeds_disagreements_are_not_printed(seed_report):
    results = _text(report.results_html(seed_report))
    assessment = _text(report.assessment_html(seed_report))
    assert "theo hình thức lấy phiếu" in results and "hình thức trực tuyến" not in results  # category
    assert "đã đạt 70,2%" in results and "(đạt 100%)" not in results  # rate
    assert "01 (một) văn bản" in results and "không rà soát văn bản" not in results  # count
    assert "mức độ 4 là 56" not in results and "mức độ 3, 4 lên Cổng 58" not in results  # parts
    assert "chưa đạt chỉ tiêu" not in results + assessment  # target
    # inspector-only findings and blanks stay out of the report
    assert "vượt biên chế" not in assessment and "7.1.9" not in assessment


PLAN = [{"metric": "R.KH.HOAN_THANH", "label": "Tỷ lệ nhiệm vụ kế hoạch CCHC đã hoàn thành", "value": 100.0,
         "numerator": 6.0, "denominator": 6.0}]


@pytest.mark.parametrize(("values", "metrics", "area", "text", "printed"), [
    ({"1.4.2": 0}, [], "1", {"3": "Đo lường sự hài lòng của người dân theo hình thức lấy phiếu."},
     "theo hình thức trực tuyến"),
    ({"1.1.1": 6, "1.1.2": 6}, PLAN, "1", {"1": "Theo chỉ tiêu kế hoạch, đến nay đã đạt 70,2%."},
     "đến nay đã hoàn thành 6 nhiệm vụ"),
    ({"2.3": 0}, [], "2", {"2": "Qua rà soát, có 01 (một) văn bản quy phạm pháp luật đã hết hiệu lực."},
     "không rà soát văn bản QPPL nào"),
    ({"3.2.2": 58, "7.1.8.1": 58, "7.1.8.2": 56}, [], "7", {"7": "Triển khai dịch vụ công."}, "mức độ 4 là 56"),
])
def test_a_disputed_point_gets_no_generated_sentence(values, metrics, area, text, printed):
    """Without the commune's sentence the point is printed; with it (a disagreement), it is not."""
    parts = values if area == "7" else {}
    alone = " ".join(report.area_sentences(synthetic_report(values, {} if parts else {}, metrics), area))
    if not parts:
        assert printed in alone
    disputed = " ".join(report.area_sentences(synthetic_report(values, text, metrics), area))
    assert printed not in disputed
    if parts:  # parts disagree with their total on their own: printed nowhere
        assert printed not in alone


def test_a_disputed_target_gets_no_shortcoming():
    metric = [{"metric": "R.DVC.MUC_3_4", "label": "Tỷ lệ TTHC cung cấp trực tuyến mức độ 3, 4", "value": 33.14,
               "target": 80.0, "target_met": False, "target_kind": "chi_tieu"}]
    finding = [{"finding": "target_missed", "metric": "R.DVC.MUC_3_4", "audience": "report",
                "message": "Tỷ lệ TTHC cung cấp trực tuyến mức độ 3, 4 mới đạt 33,14%, chưa đạt chỉ tiêu 80%."}]
    silent = synthetic_report({}, {}, metric, finding)
    assert [f["finding"] for f in report.shortcomings(silent)] == ["target_missed"]
    assert len(report.proposed_tasks(silent)) == 2  # its task, then the standing one (no own tasks)
    said = synthetic_report({}, {"ton_tai": "Thủ tục hành chính ở mức độ 3 đã thực hiện đạt theo chỉ tiêu."},
                            metric, finding)
    assert report.shortcomings(said) == [] and report.proposed_tasks(said) == [
        report.words("tasks.always", year=2021)]


def test_checklist_findings_stay_out_and_own_tasks_are_not_repeated():
    findings = [
        {"finding": "staff_above_quota", "metric": "R.BC.CO_MAT", "audience": "checklist", "message": "vượt"},
        {"finding": "tasks_late", "metric": "R.NV.DUNG_HAN", "audience": "report", "message": "còn chậm"},
        {"finding": "postal_not_used", "metric": "7.1.9", "audience": "report", "message": "bưu chính"},
    ]
    own = {"nhiem_vu": "1. Triển khai tiếp nhận hồ sơ qua dịch vụ bưu chính công ích.\n2. Thực hiện tốt tuyên truyền."}
    rd = synthetic_report({}, own, [], findings)
    assert [f["finding"] for f in report.shortcomings(rd)] == ["tasks_late", "postal_not_used"]
    # the commune plans the postal service itself: only the late tasks get a task, numbered on from its own
    assert report.proposed_tasks(rd) == [report.words("tasks.for_finding.tasks_late")]
    assert report._numbered(rd.narrative("nhiem_vu"), ["x"]) == ["3. x"]
    # a shortcoming the commune wrote itself is not printed again
    rd = synthetic_report({}, {"ton_tai": "Chưa tiếp nhận hồ sơ qua dịch vụ bưu chính công ích."}, [], findings)
    assert [f["finding"] for f in report.shortcomings(rd)] == ["tasks_late"]


def test_zeros_in_one_sentence_and_no_zero_counts():
    rd = synthetic_report({"2.1": 0, "2.2": 0, "2.3": 0, "2.4": 0, "2.5": 0, "4.2.1": 18, "4.2.2": 18, "4.2.3": 0},
                          {})
    area2 = report.area_sentences(rd, "2")
    assert area2 == ["Trong quý III năm 2021, UBND xã không ban hành, tham mưu ban hành văn bản QPPL nào, "
                     "không kiểm tra văn bản QPPL nào theo thẩm quyền, không rà soát văn bản QPPL nào, "
                     "không có văn bản QPPL phải kiến nghị xử lý."]
    area4 = " ".join(report.area_sentences(rd, "4"))
    assert "hợp đồng lao động" not in area4 and "18 người" in area4
    # a zero the commune states itself is not said again
    said = synthetic_report({"2.1": 0}, {"2": "Trong quý III không xây dựng ban hành văn bản quy phạm pháp luật nào."})
    assert report.area_sentences(said, "2") == []


def test_a_thi_tran_report_says_thi_tran(tmp_path):
    """Phố Châu (18133) is a thị trấn: its report says "thị trấn" / "UBND thị trấn", never "UBND xã"."""
    sample = FIXTURES.parent.parent / "data" / "raw" / "sample" / "reports" / "18133_2021-Q2.md"
    (tmp_path / "raw").mkdir()
    shutil.copy(sample, tmp_path / "raw")
    data = DataPaths(tmp_path)
    ingest(None, data=data)
    rd = report.load(commune="18133", period="2021-Q2", data=data)
    assert rd.commune.unit_word == "thị trấn" and rd.commune.committee == "UBND thị trấn"
    no_closing = dataclasses.replace(rd, narratives=rd.narratives.loc[rd.narratives["area"] != "ket_luan"])
    text = " ".join(_text(part) for part in (report.results_html(rd), report.assessment_html(rd),
                                             report.closing_html(rd), report.closing_html(no_closing)))
    assert "UBND xã" not in text and "UBND thị trấn" in text
    assert "UBND thị trấn báo cáo cấp trên" in _text(report.closing_html(no_closing))
    generated = " ".join(s for n, _ in report.areas() for s in report.area_sentences(rd, n))
    assert generated and "xã" not in generated.replace("cấp xã", "")
    budget = synthetic_report({"S.NS.THU_TAI_XA": 5e6}, {}, commune="18133", period="2021-Q2")
    assert report.area_sentences(budget, "8") == ["Trong đó, thu tại thị trấn: 5.000.000 đồng."]


def test_a_comparison_unchanged_both_ways_is_one_clause():
    row = {"metric": "R.HS.DUNG_HEN", "kind": "percent", "value": 100.0, "previous_period": "2021-Q2",
           "yoy_period": "2020-Q3", "previous_value": 100.0, "yoy_value": 100.0, "change": 0.0, "yoy_change": 0.0,
           "change_pct": float("nan"), "yoy_change_pct": float("nan")}
    rd = synthetic_report({}, {}, [row])
    assert report.comparison_sentence(rd, "R.HS.DUNG_HEN", noun="tỷ lệ đúng hạn") == (
        "Tỷ lệ đúng hạn không thay đổi so với quý II năm 2021 và cùng kỳ năm 2020.")
    moved = synthetic_report({}, {}, [{**row, "change": 5.0, "previous_value": 95.0}])
    assert report.comparison_sentence(moved, "R.HS.DUNG_HEN", noun="tỷ lệ đúng hạn") == (
        "So với quý II năm 2021, tỷ lệ đúng hạn tăng 5 điểm phần trăm; so với cùng kỳ năm 2020, không thay đổi.")

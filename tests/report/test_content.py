"""Report content functions (without papermill): ranks, comparisons, escaping of the parts; one voice per area,
no disputed point printed, part II/III in the commune's voice, unit words."""

import dataclasses
import re
import shutil
from html import unescape

import pytest

from pipeline.config import DataPaths
from pipeline.domain.numbers import find_numbers
from pipeline.domain.periods import Period
from pipeline.ingest import ingest
from pipeline.report import charts
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
    stem = "Tình hình thực hiện công tác Cải cách hành chính "
    assert report.subject_line(Period.parse("2021-6M")) == (
        stem + "6 tháng đầu năm 2021, phương hướng nhiệm vụ 6 tháng cuối năm 2021")
    assert report.subject_line(Period.parse("2021-9M")) == (
        stem + "9 tháng đầu năm 2021, phương hướng nhiệm vụ quý IV năm 2021")
    assert report.subject_line(Period.parse("2021-Y")) == stem + "năm 2021, phương hướng nhiệm vụ năm 2022"
    assert report.next_phrase(Period.parse("2021-6M")) == "6 tháng cuối năm 2021"
    assert report.next_phrase(Period.parse("2021-9M")) == "quý IV năm 2021"
    assert report.next_phrase(Period.parse("2021-Y")) == "năm 2022"


def test_fragments_display_once_in_notebooks(tmp_path):
    rd = report.load(commune="18217", period="2021-Q3", data=_data(tmp_path))
    part = report.header_html(rd)
    assert part._repr_html_().startswith("<header") and repr(part).startswith("<HTML fragment")
    assert "52/BC-UBND" in part


# --------------------------------------------------------------------------- 6M, 9M and Y reports
#: A synthetic commune's three quarters of 2021: indicator → (Q1, Q2, Q3), with how a 9-month report combines
#: them, written out here (not read from the catalogue) so that the expectations do not come from the code.
QUARTERS = {
    "1.1.1": ((5, 6, 7), "sum"),  # flows: summed
    "1.1.2": ((4, 6, 5), "sum"),
    "1.3.1": ((4, 3, 2), "sum"),
    "1.3.2": ((3, 2, 2), "sum"),
    "2.3": ((0, 1, 0), "sum"),
    "7.2.5.1": ((100, 120, 80), "sum"),
    "S.HS.NHAN_MOI": ((101, 118, 79), "sum"),
    "S.HS.DA_GIAI_QUYET": ((100, 120, 80), "sum"),
    "S.HS.DUNG_HEN": ((90, 120, 76), "sum"),
    "S.NS.THU": ((1_000_000, 2_500_000, 1_250_000), "sum"),
    "3.1.3.c": ((170, 172, 175), "last"),  # stocks: the last quarter's
    "4.2.1": ((18, 18, 19), "last"),
    "4.2.2": ((17, 18, 18), "last"),
    "3.3.3": ((80, 90, 95), "last"),  # a state at the report's date, in %
    "S.HS.KY_TRUOC": ((3, 5, 2), "first"),  # carried over into the first quarter
    "3.4.3": ((90, 100, 95), "S.HS.DUNG_HEN/S.HS.DA_GIAI_QUYET"),  # rates: recomputed from the summed parts
    "1.4.2": ((1, 1, 2), "blank"),  # a category: not combined
    "7.1.8.3": ((20, 22.5, 25), "blank"),  # a rate the catalogue does not aggregate
}
COMPILED_ONLY = {"7.2.5.3": "7.2.5.1/S.HS.DA_GIAI_QUYET"}  # recomputed though no quarter printed it


def _expected_9m() -> dict[str, float | None]:
    sums = {code: sum(q) for code, (q, _) in QUARTERS.items()}
    out = {}
    for code, (q, rule) in QUARTERS.items():
        if rule == "sum":
            out[code] = sums[code]
        elif rule == "last":
            out[code] = q[-1]
        elif rule == "first":
            out[code] = q[0]
        elif rule == "blank":
            out[code] = None
        else:
            num, den = rule.split("/")
            out[code] = 100 * sums[num] / sums[den]
    for code, rule in COMPILED_ONLY.items():
        num, den = rule.split("/")
        out[code] = 100 * sums[num] / sums[den]
    return out


def _quarters_data(root, *, drop: dict[str, set[str]] | None = None, extra: dict | None = None):
    from tests.helpers import write_long_csv

    drop = drop or {}
    periods = {f"2021-Q{n}": {code: q[n - 1] for code, (q, _) in QUARTERS.items() if code not in drop.get(f"Q{n}", ())}
               for n in (1, 2, 3)}
    write_long_csv(root / "raw" / "pho-chau_2021.csv", "18133", periods | (extra or {}))
    data = DataPaths(root)
    assert ingest(None, data=data).ok
    return data


# --------------------------------------------------------------------------- notice, appendices, terms
def _csv_data(tmp_path, rows):
    """A data directory whose only raw file is a long CSV of ``rows`` (code, period, indicator, value, synthetic)."""
    raw = tmp_path / "raw"
    raw.mkdir()
    lines = ["commune_code,period,indicator_code,value,note,synthetic"]
    lines += [f"{c},{p},{i},{v},,{'true' if s else 'false'}" for c, p, i, v, s in rows]
    (raw / "figures.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    data = DataPaths(tmp_path)
    assert ingest(None, data=data).ok
    return data


def test_a_9_month_report_is_compiled_from_its_quarters_row_by_row(tmp_path):
    from pipeline.domain.formatting import format_number

    rd = report.load(commune="18133", period="2021-9M", data=_quarters_data(tmp_path))
    expected = _expected_9m()
    assert expected["3.4.3"] == pytest.approx(100 * 286 / 300)  # 95,33 %, not the mean of 90, 100, 95
    rows = report.appendix_rows(rd)
    assert len(rows) > 100
    for row in rows:
        want = expected.get(row["full_code"])
        assert row["value"] == format_number(want), row["full_code"]
        assert row["origin"] == ("computed" if want is not None else None), row["full_code"]
        # a blank row a quarter reported says why; the others have no note
        reported = row["full_code"] in QUARTERS
        assert row["note"] == ("Không tổng hợp từ các quý" if reported and want is None else ""), row["full_code"]
    from pipeline.domain.catalogue import load_catalogue

    label = {code: load_catalogue().for_period(rd.period).get(code)["label"] for code in QUARTERS}
    supplementary = {r["label"]: r["value"] for r in report.supplementary_rows(rd)}
    for code in ("S.HS.NHAN_MOI", "S.HS.DA_GIAI_QUYET", "S.HS.DUNG_HEN", "S.NS.THU", "S.HS.KY_TRUOC"):
        assert supplementary[label[code]] == format_number(expected[code])
    note = "Số liệu tổng hợp từ báo cáo các quý I, II, III năm 2021"
    assert report.compiled_note(rd).startswith(note)
    assert note in report.results_html(rd) and note in report.appendix_html(rd)
    # part I speaks about every area with data, in the period's words
    results = str(report.results_html(rd))
    assert "Không có số liệu" not in results.split('id="area-1"')[1].split('id="area-5"')[0]
    area3 = " ".join(report.area_sentences(rd, "3"))
    assert "Trong 9 tháng đầu năm 2021" in area3 and format_number(298) in area3
    assert "9 tháng đầu năm 2021, phương hướng nhiệm vụ quý IV năm 2021" in report.header_html(rd)


def test_a_missing_quarter_leaves_the_sums_blank_and_the_note_says_so(tmp_path):
    from pipeline.domain.formatting import format_number

    every_q2_row = {code for code in QUARTERS}
    rd = report.load(commune="18133", period="2021-9M", data=_quarters_data(tmp_path, drop={"Q2": every_q2_row}))
    values = {r["full_code"]: r["value"] for r in report.appendix_rows(rd)}
    assert values["1.1.1"] == "" and values["7.2.5.1"] == ""  # not the partial sum 5 + 7
    assert values["3.4.3"] == ""  # its parts are sums
    assert values["3.1.3.c"] == format_number(175) and values["4.2.1"] == format_number(19)  # stocks: Q3's
    notes = {r["full_code"]: r["note"] for r in report.appendix_rows(rd)}
    assert notes["1.1.1"] == notes["7.2.5.1"] == "Thiếu số liệu quý II" and notes["3.1.3.c"] == ""
    note = report.compiled_note(rd)
    assert note.startswith("Số liệu tổng hợp từ báo cáo các quý I, III năm 2021")
    assert "Chưa có báo cáo quý II năm 2021" in note


def test_a_row_lacking_in_the_last_quarter_says_which(tmp_path):
    rd = report.load(commune="18133", period="2021-9M", data=_quarters_data(tmp_path, drop={"Q3": {"4.2.1", "1.1.2"}}))
    rows = {r["full_code"]: r for r in report.appendix_rows(rd)}
    assert rows["4.2.1"]["value"] == "" and rows["4.2.1"]["note"] == "Thiếu số liệu quý III"  # a stock: Q3's
    assert rows["1.1.2"]["value"] == "" and rows["1.1.2"]["note"] == "Thiếu số liệu quý III"
    assert rows["4.2.2"]["value"] == "18" and report.compiled_note(rd).startswith(
        "Số liệu tổng hợp từ báo cáo các quý I, II, III năm 2021")


def test_a_submitted_6_month_report_wins_over_the_compiled_one(tmp_path):
    from pipeline.domain.formatting import format_number

    submitted = {"2021-6M": {"1.1.1": 12, "3.1.3.c": 171}}  # the quarters' 1.1.1 add up to 11
    data = _quarters_data(tmp_path, extra=submitted)
    rd = report.load(commune="18133", period="2021-6M", data=data)
    assert rd.compiled is None and report.compiled_note(rd) == ""
    values = {r["full_code"]: r["value"] for r in report.appendix_rows(rd)}
    assert values["1.1.1"] == format_number(12) and values["3.1.3.c"] == format_number(171)
    assert values["4.2.1"] == ""  # the submitted report left it blank: not filled from the quarters
    assert "tổng hợp" not in str(report.appendix_html(rd))
    # the same commune's 9-month report, not submitted, is compiled
    assert report.load(commune="18133", period="2021-9M", data=data).compiled is not None


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
    assert sentence == ("So với quý II năm 2025 không có số liệu để so sánh; so với cùng kỳ năm 2024, "
                        "số hồ sơ tiếp nhận tăng 40 hồ sơ (15,38%). " + HUONG_SON_LABEL)
    online = report.charts_html(rd)  # 2024-Q3's online-service rate 251/855 is a sum too: so labelled
    assert str(online).count(HUONG_SON_LABEL) == 2  # dossier and online-service trends, not the budget (none)
    revenue = report.comparison_sentence(rd, "S.NS.THU", noun="thu ngân sách", unit="đồng")
    assert revenue == ("So với quý II năm 2025 không có số liệu để so sánh; so với cùng kỳ năm 2024 không có "
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
    assert assigned == ["Thực hiện 4 nhiệm vụ được UBND tỉnh, Chủ tịch UBND tỉnh giao, UBND xã đã hoàn thành đúng "
                        "hạn 3 nhiệm vụ."]
    assert "Chủ tịch UBND tỉnh giao" in " ".join(rd.findings["message"])  # the finding of the late task
    charts_part = str(report.charts_html(rd)) + str(report.ranks_html(rd))
    everything = " ".join([header, closing, charts_part, *report.area_sentences(rd, "1"), *rd.findings["message"]])
    assert "huyện" not in everything.lower()
    assert "TRONG TỈNH HÀ TĨNH" in charts_part  # Phụ lục III: the place among the province's communes


def test_before_the_merger_the_district_stays(merger_data):
    rd = report.load(commune="18217", period="2024-Q3", data=merger_data)
    closing = str(report.closing_html(rd))
    assert "Phòng Nội vụ huyện;" in closing and "Lưu: VT." in closing
    assert "TRONG HUYỆN HƯƠNG SƠN" in str(report.ranks_html(rd))


def test_ranks_across_the_province_count_only_communes_with_data(merger_data):
    rd = report.load(commune="18133", period="2025-Q3", data=merger_data)
    ranks = {r["label"]: r["text"] for r in report.district_ranks(rd)}
    # on time: Kim Hoa 40/40, Hương Sơn 270/280, Sơn Hồng 63/70; the province's other 66 communes sent nothing
    assert ranks["Tỷ lệ hồ sơ giải quyết trước hạn và đúng hạn"] == "2/3 xã có số liệu"
    assert "2/3 xã có số liệu" in str(report.ranks_html(rd))


def test_a_period_partly_before_the_merger_is_labelled(merger_data):
    rd = report.load(commune="18223", period="2025-9M", data=merger_data)  # Q1, Q2 summed; Q3 Xã Kim Hoa's own
    assert rd.metric("S.HS.NHAN_MOI")["value"] == 146
    sentence = report.comparison_sentence(rd, "S.HS.NHAN_MOI", noun="số hồ sơ tiếp nhận", unit="hồ sơ")
    assert sentence.endswith(" Số liệu trước 1/7/2025 là tổng của các xã Kim Hoa, Hàm Trường.")


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
    assert report.proposed_tasks(rd) == [report.words("tasks.tasks_late", assigned_by="UBND tỉnh, Chủ tịch UBND huyện")]
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
    assert "UBND thị trấn Phố Châu báo cáo cấp trên" in _text(report.closing_html(no_closing))
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


def test_a_figure_the_commune_states_in_another_area_is_not_repeated():
    said = {"3": "Thực hiện đo lường sự hài lòng của người dân theo hình thức phát phiếu, với 31 phiếu khảo sát."}
    values = {"1.4.1": 31, "1.4.2": 1}
    assert any("31 phiếu" in s for s in report.area_sentences(synthetic_report(values, {}), "1"))
    assert report.area_sentences(synthetic_report(values, said), "1") == []
    # the same number in a sentence about something else does not count
    other = {"3": "Tiếp nhận 31 hồ sơ trong quý."}
    assert any("31 phiếu" in s for s in report.area_sentences(synthetic_report(values, other), "1"))


def _figures(commune, period, *, synthetic):
    return [(commune, period, "S.HS.NHAN_MOI", 120, synthetic), (commune, period, "S.HS.DA_GIAI_QUYET", 110, synthetic),
            (commune, period, "S.HS.DUNG_HEN", 100, synthetic), (commune, period, "3.1.3.c", 170, synthetic),
            (commune, period, "3.2.2", 50, synthetic)]


def test_notice_when_only_comparisons_are_sample_data(tmp_path):
    # Phố Châu's own 2021-Q3 real; its 2021-Q2 and Tây Sơn (thị trấn) sample figures
    data = _csv_data(tmp_path, _figures("18133", "2021-Q3", synthetic=False)
                     + _figures("18133", "2021-Q2", synthetic=True) + _figures("18136", "2021-Q3", synthetic=True))
    rd = report.load(commune="18133", period="2021-Q3", data=data)
    assert rd.sample == report.SampleData(own=False, earlier=True, others=True)
    assert report.notice(rd) == "Số liệu các kỳ trước và của các thị trấn khác dùng để so sánh là số liệu mẫu."
    header = str(report.header_html(rd))
    assert "Số liệu các kỳ trước và của các thị trấn khác dùng để so sánh là số liệu mẫu." in header
    assert "không phải số liệu thật" not in header and "synthetic" not in header


def test_notice_when_only_other_communes_are_sample_data(tmp_path):
    data = _csv_data(tmp_path, _figures("18133", "2021-Q3", synthetic=False)
                     + _figures("18217", "2021-Q3", synthetic=True))
    rd = report.load(commune="18133", period="2021-Q3", data=data)
    assert rd.sample == report.SampleData(others=True)
    assert report.notice(rd) == "Số liệu của các xã khác dùng để so sánh là số liệu mẫu."


def test_no_notice_when_nothing_shown_is_sample_data(tmp_path):
    rd = report.load(commune="18217", period="2021-Q3", data=_data(tmp_path))  # the seed and a real fixture
    assert not rd.sample and report.notice(rd) == ""
    assert "Lưu ý" not in report.header_html(rd) and "sample-notice" not in report.header_html(rd)


def test_notice_when_the_communes_own_figures_are_sample_data(tmp_path):
    data = _csv_data(tmp_path, _figures("18133", "2021-Q3", synthetic=True)
                     + _figures("18136", "2021-Q3", synthetic=False))
    rd = report.load(commune="18133", period="2021-Q3", data=data)
    assert rd.sample.own and not rd.sample.others
    assert report.notice(rd) == "Số liệu của báo cáo này là số liệu mẫu, không phải số liệu thật của đơn vị."


def test_attached_line_without_a_document(tmp_path):
    """No report document (figures from a CSV): the number is left blank to be filled in; the date is the report's
    (the period's last day: 14/9, the statistical cut-off of quý III); the committee is a thị trấn's."""
    data = _csv_data(tmp_path, _figures("18133", "2021-Q3", synthetic=False))
    rd = report.load(commune="18133", period="2021-Q3", data=data)
    blank = "\u00a0" * 6
    assert report.attached_line(rd) == (f"(Kèm theo Báo cáo số {blank}/BC-UBND ngày 14/9/2021 "
                                        "của UBND thị trấn Phố Châu)")
    html = str(report.appendices_html(rd))
    # Phụ lục 2B, then the numbered ones (dossier figures, charts, ranks), each with the same line
    labels = re.findall(r'class="appendix-label[^"]*">([^<]*)<', html)
    assert labels[0] == "Phụ lục 2B" and labels[1:] == ["Phụ lục I", "Phụ lục II", "Phụ lục III"][:len(labels) - 1]
    assert html.count("(Kèm theo Báo cáo số") == html.count("của UBND thị trấn Phố Châu)") == len(labels) >= 3


def test_appendix_rows_trong_do_spans_the_sub_rows(tmp_path):
    rd = report.load(commune="18217", period="2021-Q3", data=_data(tmp_path))
    rows = {r["full_code"]: r for r in report.appendix_rows(rd)}
    assert (rows["3.1.3.a"]["code"], rows["3.1.3.a"]["stt_rows"]) == ("Trong đó", 3)
    assert rows["3.1.3.b"]["stt_rows"] == rows["3.1.3.c"]["stt_rows"] == 0
    assert (rows["3.1.3"]["code"], rows["3.1.3"]["stt_rows"]) == ("3.1.3", 1)
    # a legend in the order the form prints it (1 before 0 here), one item each
    assert rows["5.3.1"]["unit_lines"] == ["Đã thực hiện = 1", "Chưa thực hiện = 0"]
    assert rows["1.4.2"]["unit_lines"] == ["Trực tuyến = 0", "Phát phiếu = 1", "Kết hợp = 2"]
    assert rows["3.1.3"]["unit_lines"] == ["Thủ tục"]


def test_supplementary_rows_have_no_code_or_file(tmp_path):
    rd = report.load(commune="18217", period="2021-Q3", data=_data(tmp_path))
    rows = report.supplementary_rows(rd)
    assert rows[0] == {"number": 1, "label": "Số hồ sơ tiếp nhận mới trong kỳ", "unit": "Hồ sơ", "value": "491"}
    html = str(report.supplementary_html(rd, numeral="I"))
    assert "S.HS" not in html and ".txt" not in html and "Phụ lục I" in html


def test_online_service_terms_follow_the_periods_catalogue_version():
    before, after = Period.parse("2022-Q2"), Period.parse("2022-Q3")  # Nghị định 42/2022: version of 1/8/2022
    assert report.metric_label("R.DVC.MUC_3_4", before, "x") == "x"  # ratios.yaml's own label ("mức độ 3, 4")
    assert report.metric_label("7.1.8.3", before) == "Tỷ lệ hồ sơ xử lý trực tuyến mức độ 3"
    assert report.metric_label("R.DVC.MUC_3_4", after, "x") == (
        "Tỷ lệ TTHC cung cấp dịch vụ công trực tuyến toàn trình, một phần")
    assert report.metric_label("7.1.8.3", after) == "Tỷ lệ hồ sơ xử lý trực tuyến toàn trình"


def test_ranks_and_chart_after_the_switch_use_the_new_terms(tmp_path):
    rows = []
    for commune, count in (("18133", 60), ("18136", 40)):
        rows += [(commune, "2023-Q1", "3.1.3.c", 100, False), (commune, "2023-Q1", "3.2.2", count, False),
                 (commune, "2023-Q1", "7.1.8.3", 30, False)]
    rd = report.load(commune="18133", period="2023-Q1", data=_csv_data(tmp_path, rows))
    labels = [r["label"] for r in report.district_ranks(rd)]
    assert "Tỷ lệ TTHC cung cấp dịch vụ công trực tuyến toàn trình, một phần" in labels
    assert not [label for label in labels if "mức độ" in label]
    legend = [t.get_text() for t in charts.rate_against_target(
        rd.metrics, commune_key=rd.key, period=rd.period, n=1,
        labels={c: report.metric_label(c, rd.period) for c in ("R.DVC.MUC_3_4", "7.1.8.3")}).axes[0].get_legend().texts]
    assert legend[:2] == ["Tỷ lệ TTHC cung cấp dịch vụ công trực tuyến toàn trình, một phần",
                          "Tỷ lệ hồ sơ xử lý trực tuyến toàn trình"]


def test_charts_without_figures_are_named_not_drawn(tmp_path):
    # a commune with only Phụ lục 2B counts: no dossier, online-service or budget figure to chart
    data = _csv_data(tmp_path, [("18133", "2021-Q3", "1.1.1", 5, False), ("18136", "2021-Q3", "1.1.1", 4, False)])
    rd = report.load(commune="18133", period="2021-Q3", data=data)
    assert report.charts_html(rd) is None
    html = str(report.appendices_html(rd))
    assert "<img" not in html.split("Phụ lục 2B")[1].split("VỊ TRÍ")[0]


def test_online_service_sentences_use_the_periods_terms():
    """Nghị định 42/2022: from Phụ lục 2B version 2B-2022 (1/8/2022) online services are "toàn trình" / "một phần";
    before it "mức độ 3" / "mức độ 4" — in the body's sentences as in the appendix."""
    values = {"7.1.8.1": 60, "7.1.8.2": 20, "7.1.8.3": 30.5}
    before = " ".join(report.area_sentences(synthetic_report(values, {}, period="2022-Q2"), "7"))
    after = " ".join(report.area_sentences(synthetic_report(values, {}, period="2023-Q1"), "7"))
    assert "trực tuyến mức độ 3 là 60 thủ tục, mức độ 4 là 20 thủ tục" in before and "toàn trình" not in before
    assert "trực tuyến toàn trình là 60 thủ tục, một phần là 20 thủ tục" in after and "mức độ" not in after
    assert "xử lý trực tuyến toàn trình đạt 30,5%" in after


# --------------------------------------------------------------------------- draft mode
def _generated_paragraphs(html: str) -> list[tuple[str, str]]:
    """(attributes, text) of every generated paragraph of a fragment."""
    return [(attrs, unescape(re.sub(r"<[^>]+>", "", text)))
            for attrs, text in re.findall(r'<p class="generated([^>]*)>(.*?)</p>', html, flags=re.S)]


def test_a_draft_marks_the_header_and_leaves_number_and_day_blank(seed_report):
    """The seed's own number (52/BC-UBND) and day (14/9) are left for the official; the month and year stay."""
    draft = dataclasses.replace(seed_report, draft=True)
    html = str(report.header_html(draft))
    text = unescape(re.sub(r"<[^>]+>", " ", html))
    assert "DỰ THẢO" in text and 'class="draft-legend"' in html and "tô nền vàng" in text
    assert "52/BC-UBND" not in text and "ngày 14" not in text
    assert "Số: " + "\u00a0" * 6 + "/BC-UBND" in text
    assert "Sơn Phú, ngày" + "\u00a0" * 6 + "tháng 9 năm 2021" in text
    assert report.attached_line(draft) == ("(Kèm theo Báo cáo số " + "\u00a0" * 6 + "/BC-UBND ngày "
                                           + "\u00a0" * 4 + "/9/2021 của UBND xã Sơn Phú)")
    # without --draft: the document's own number and date, no mark, no legend
    final = str(report.header_html(seed_report))
    assert "DỰ THẢO" not in final and "draft" not in final
    assert "52/BC-UBND" in final and "ngày 14 tháng 9 năm 2021" in final
    assert "52/BC-UBND ngày 14/9/2021" in report.attached_line(seed_report)


def test_a_draft_marks_every_generated_sentence_with_its_source_rows(seed_report):
    """Each generated sentence of parts I–III is tinted and titled with the labels of the rows it is written from;
    the same sentences are given as data (generated_sentences) for any output format."""
    draft = dataclasses.replace(seed_report, draft=True)
    html = str(report.results_html(draft)) + str(report.assessment_html(draft))
    marked = _generated_paragraphs(html)
    assert marked and all("draft-mark" in attrs and 'title="Nguồn: ' in attrs for attrs, _ in marked)
    data = report.generated_sentences(draft)
    assert [g["text"] for g in data] == [text.removeprefix("- ") for _, text in marked]
    by_text = {g["text"]: g for g in data}
    # the task for the late assigned tasks (1/6 on time) names the ratio by its label, not its code alone
    task = next(g for g in data if g["part"] == "III")
    assert task["codes"] == ("R.NV.DUNG_HAN",) and "nhiệm vụ" in task["sources"].lower()
    dialogue = next(g for t, g in by_text.items() if "đối thoại" in t)
    assert dialogue["sources"] == ("Nguồn: Phụ lục 2B, dòng 1.5: Tổ chức đối thoại của lãnh đạo với người dân, "
                                   "cộng đồng doanh nghiệp")
    title = re.search(r'title="([^"]*)">Trong quý III năm 2021, UBND xã không tổ chức đối thoại', html).group(1)
    assert unescape(title) == dialogue["sources"]
    # without --draft: the same sentences, unmarked, untitled
    final = _generated_paragraphs(str(report.results_html(seed_report)) + str(report.assessment_html(seed_report)))
    assert [t for _, t in final] == [t for _, t in marked]
    assert not any("draft-mark" in a or "title=" in a for a, _ in final)


def test_a_draft_asks_for_the_content_of_an_area_with_neither_text_nor_figures():
    rd = synthetic_report({"3.1.3.c": 170}, {"3": "Công tác cải cách thủ tục hành chính được quan tâm."})
    final = str(report.results_html(rd))
    draft = str(report.results_html(dataclasses.replace(rd, draft=True)))
    assert final.count("Không có số liệu, nội dung báo cáo trong kỳ.") == 7  # every area but 3
    assert "Đề nghị bổ sung" not in final
    assert "Không có số liệu, nội dung" not in draft
    assert draft.count("[Đề nghị bổ sung nội dung về ") == 7
    assert "[Đề nghị bổ sung nội dung về cải cách thể chế]" in draft
    assert "nội dung về cải cách thủ tục hành chính" not in draft  # area 3 has its text


# --------------------------------------------------------------------------- header facts carried forward
def _seed_and_csv(tmp_path, rows):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(SEED, raw / SEED.name)
    lines = ["commune_code,period,indicator_code,value"] + [f"{c},{p},{i},{v}" for c, p, i, v in rows]
    (raw / "figures.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    data = DataPaths(tmp_path)
    assert ingest(None, data=data).ok
    return data


def test_signer_and_recipients_are_carried_forward_into_a_period_without_a_document(tmp_path):
    """Sơn Phú 2021-Q4 from figures alone: the seed's (2021-Q3) signer and Nơi nhận, not the defaults; its number and
    day are not carried (blank number, the period's statistical cut-off, 14/12)."""
    from pipeline.report import checklist

    data = _seed_and_csv(tmp_path, [("18217", "2021-Q4", "3.1.3.c", 175), ("18217", "2021-Q4", "S.HS.NHAN_MOI", 300),
                                    ("18217", "2021-Q2", "3.1.3.c", 175)])
    rd = report.load(commune="18217", period="2021-Q4", data=data)
    assert rd.document == {}
    assert rd.carried == report.CarriedForward(
        period="2021-Q3", source_file=SEED.name,
        fields={"signer_role": "TM. ỦY BAN NHÂN DÂN", "signer_title": "CHỦ TỊCH", "signer_name": "Nguyễn Quang Tỏa",
                "recipients": "Phòng nội vụ huyện\nLưu: VP-UBND"})
    closing = unescape(re.sub(r"<[^>]+>", " ", str(report.closing_html(rd))))
    assert "Nguyễn Quang Tỏa" in closing and "- Phòng nội vụ huyện;" in closing and "- Lưu: VP-UBND." in closing
    header = unescape(str(report.header_html(rd)))
    assert "52/BC-UBND" not in header and "ngày 14 tháng 12 năm 2021" in header  # the cut-off day
    cl = checklist.load(commune="18217", period="2021-Q4", data=data)
    assert cl.carried == ("Kỳ này chưa có văn bản báo cáo của đơn vị được nhập: thẩm quyền ký, chức vụ người ký, "
                          f"họ tên người ký, nơi nhận lấy theo báo cáo quý III năm 2021 (tệp {SEED.name}); "
                          "số văn bản để trống.")
    assert cl.carried in checklist.checklist_html(cl)
    # the period's own document wins; an earlier period is never carried back
    own = report.load(commune="18217", period="2021-Q3", data=data)
    assert own.carried is None and checklist.load(commune="18217", period="2021-Q3", data=data).carried == ""
    assert report.load(commune="18217", period="2021-Q2", data=data).carried is None


def test_the_latest_earlier_document_of_the_same_unit_is_carried():
    """Of a unit's earlier documents the latest is carried (by period end, then date); a predecessor's (another
    unit identity under the same code) is not."""
    import pandas as pd

    from pipeline.domain.communes import load_registry
    from pipeline.report.inputs import COMMUNE_REPORT

    registry = load_registry()
    old, new = registry.resolve("18133", "2021-Q3"), registry.resolve("18133", "2026-Q3")
    assert old.key != new.key
    docs = pd.DataFrame({
        "commune_key": [old.key, old.key, old.key, new.key],
        "period": ["2021-Q2", "2021-Q3", "2021-Q4", "2026-Q1"],
        "doc_date": pd.to_datetime(["2021-06-14", "2021-09-14", "2022-01-05", "2026-03-20"]).date,
        "signer_name": ["A", "B", "C", "D"], "recipients": ["x", "y", "z", "w"], "signer_role": None,
        "signer_title": None, "source_file": ["a", "b", "c", "d"], "submission_id": "s",
    })
    earlier = next(s for s in COMMUNE_REPORT.slices if s.name == "earlier_documents")
    rows = earlier.rows(docs, Period.parse("2021-Q4"))
    assert rows.loc[rows["commune_key"] == old.key, "signer_name"].tolist() == ["B"]
    assert "submission_id" not in rows
    empty = docs.iloc[0:0]
    carried = report.carried_forward(empty, rows.loc[rows["commune_key"] == old.key])
    assert carried.fields == {"signer_name": "B", "recipients": "y"} and carried.period == "2021-Q3"
    # the successor (from 1/7/2025) in 2026-Q3: its own 2026-Q1 document, never its predecessor's
    rows = earlier.rows(docs, Period.parse("2026-Q3"))
    assert rows.loc[rows["commune_key"] == new.key, "signer_name"].tolist() == ["D"]
    rows = earlier.rows(docs.iloc[:3], Period.parse("2026-Q3"))
    assert rows.loc[rows["commune_key"] == new.key].empty
    assert report.carried_forward(docs.iloc[:1], rows) is None  # the period's own document: nothing carried


def test_a_drafts_date_keeps_the_month_as_the_decree_writes_it():
    from datetime import date

    blank = "\u00a0" * 6
    assert report.draft_date(date(2022, 1, 14)) == f"ngày{blank}tháng 01 năm 2022"
    assert report.draft_date(date(2021, 12, 14)) == f"ngày{blank}tháng 12 năm 2021"


def test_a_centrally_run_city_is_named_as_it_is_never_tinh_thanh_pho():
    """Since 1/7/2025 a commune of Hà Nội or Thành phố Hồ Chí Minh is compared with its city: "trong Thành phố Hồ Chí
    Minh", not "trong tỉnh Thành phố Hồ Chí Minh" (the registry names the cities with their word)."""
    from pipeline.domain.communes import load_registry

    assert report.province_place("Hà Tĩnh") == "tỉnh Hà Tĩnh"
    ba_dinh = load_registry().resolve("00004", "2025-Q3")
    assert ba_dinh.province_name == "Thành phố Hà Nội"
    assert report.province_place(ba_dinh.province_name) == "Thành phố Hà Nội"

"""Report content functions (without papermill): ranks, comparisons, escaping of the parts."""

import re
import shutil

from pipeline.config import DataPaths
from pipeline.domain.periods import Period
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

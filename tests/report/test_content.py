"""Report content functions (without papermill): ranks, comparisons, escaping of the parts."""

import shutil

from pipeline.config import DataPaths
from pipeline.ingest import ingest
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

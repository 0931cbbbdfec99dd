"""Facts that agree: each kind of disagreement between the appendix and the commune's text, on small
synthetic reports (one figure, one sentence) and on the seed (Sơn Phú 2021-Q3)."""

from __future__ import annotations

import pytest

from pipeline.report import agreement
from pipeline.report.content import ReportData
from tests.helpers import synthetic_report as synthetic


def kinds(rd: ReportData) -> list[str]:
    return [d.kind for d in agreement.disagreements(rd)]


def test_category_named_otherwise_in_the_text():
    text = {"3": "Thực hiện đo lường sự hài lòng của người dân theo hình thức lấy phiếu."}
    found = agreement.disagreements(synthetic({"1.4.2": 0}, text))
    assert [(d.kind, d.area, d.codes) for d in found] == [("category", "1", ("1.4.2",))]
    assert "Trực tuyến (0)" in found[0].data_says and "lấy phiếu" in found[0].text_says
    # the same category in the text, or a sentence on another topic, is no disagreement
    assert kinds(synthetic({"1.4.2": 1}, text)) == []
    assert kinds(synthetic({"1.4.2": 0}, {"1": "Tuyên truyền dịch vụ công trực tuyến theo hình thức lấy phiếu."})) \
        == []


def test_rate_stated_otherwise_in_the_text():
    metric = [{"metric": "R.KH.HOAN_THANH", "label": "Tỷ lệ nhiệm vụ kế hoạch CCHC đã hoàn thành", "value": 100.0,
               "numerator": 6.0, "denominator": 6.0}]
    said = {"1": "Theo kế hoạch số 03/KH-UBND, căn cứ theo chỉ tiêu xã đã rà soát đến nay đã đạt 70,2%."}
    found = agreement.disagreements(synthetic({"1.1.1": 6, "1.1.2": 6}, said, metric))
    assert [d.kind for d in found] == ["rate"]
    assert set(found[0].codes) == {"R.KH.HOAN_THANH", "1.1.2"} and "(6/6)" in found[0].data_says
    assert "70,2%" in found[0].message
    agreeing = {"1": "Theo kế hoạch, đến nay đã đạt 100%."}
    assert kinds(synthetic({"1.1.1": 6, "1.1.2": 6}, agreeing, metric)) == []


def test_count_stated_otherwise_in_the_text():
    said = {"2": "Qua rà soát, trong quý III năm 2021 có 01 (một) văn bản quy phạm pháp luật đã hết hiệu lực."}
    found = agreement.disagreements(synthetic({"2.3": 0}, said))
    assert [(d.kind, d.codes, d.data_says) for d in found] == [("count", ("2.3",), "mục 2.3: 0")]
    # at_least: reviewing 5 documents and finding 1 expired agrees; the year and the number of a plan are no count
    assert kinds(synthetic({"2.3": 5}, said)) == []
    assert kinds(synthetic({"2.3": 0}, {"2": "Thực hiện Kế hoạch số 06/KH-UBND ngày 04/02/2021 về rà soát."})) == []


def test_parts_that_do_not_make_their_total():
    found = agreement.disagreements(synthetic({"3.2.2": 58, "7.1.8.1": 58, "7.1.8.2": 56}, {}))
    assert [(d.kind, d.area, d.codes) for d in found] == [("parts", "7", ("3.2.2", "7.1.8.1", "7.1.8.2"))]
    assert "114" in found[0].message and "58" in found[0].text_says
    assert kinds(synthetic({"3.2.2": 58, "7.1.8.1": 30, "7.1.8.2": 28}, {})) == []
    assert kinds(synthetic({"3.2.2": 58, "7.1.8.1": 58}, {})) == []  # a blank part: nothing to add up


@pytest.mark.parametrize(("met", "text", "expected"), [
    (False, "Dịch vụ công mức độ 3 đã tập trung thực hiện đạt theo chỉ tiêu.", ["target"]),
    (False, "Dịch vụ công mức độ 3 chưa đạt chỉ tiêu.", []),
    (True, "Dịch vụ công trực tuyến chưa đạt chỉ tiêu đề ra.", ["target"]),
    (True, "Dịch vụ công trực tuyến đạt chỉ tiêu.", []),
])
def test_target_judged_otherwise_in_the_text(met, text, expected):
    metric = [{"metric": "R.DVC.MUC_3_4", "label": "Tỷ lệ TTHC cung cấp trực tuyến mức độ 3, 4",
               "value": 90.0 if met else 33.14, "target": 80.0, "target_met": met}]
    assert kinds(synthetic({}, {"ton_tai": text}, metric)) == expected


def test_disputed_codes_take_the_ratios_built_on_them():
    found = agreement.disagreements(synthetic({"3.2.2": 58, "7.1.8.1": 58, "7.1.8.2": 56}, {}))
    codes = agreement.disputed_codes(found)
    assert {"3.2.2", "7.1.8.1", "7.1.8.2", "R.DVC.MUC_3_4", "R.DVC.MUC_3", "R.DVC.MUC_4"} <= codes
    assert "3.1.3.c" not in codes  # the denominator of other ratios stays speakable


def test_rules_file_is_checked(tmp_path, monkeypatch):
    from pipeline.errors import CatalogueError

    bad = tmp_path / "agreement.yaml"
    bad.write_text("count:\n  - {code: '2.3', area: '2', topic: [rà soát], noun: [văn bản], relation: most}\n",
                   encoding="utf-8")
    monkeypatch.setattr(agreement, "RULES_FILE", bad)
    agreement.load_rules.cache_clear()
    try:
        with pytest.raises(CatalogueError, match="relation"):
            agreement.load_rules()
    finally:
        agreement.load_rules.cache_clear()


def test_the_seed_disagreements(seed_report):
    found = {d.kind: d for d in agreement.disagreements(seed_report)}
    assert {"category", "rate", "count", "parts"} <= set(found)
    assert found["category"].codes == ("1.4.2",) and "lấy phiếu" in found["category"].text_says
    assert "70,2%" in found["rate"].text_says
    assert "01 (một) văn bản" in found["count"].text_says
    assert found["parts"].codes == ("3.2.2", "7.1.8.1", "7.1.8.2")

"""The phrases of catalogue/phrases.yaml: each reads its sentences to the exact value, and no other."""

import pytest

from pipeline.ingest.phrases import load_phrases
from pipeline.ingest.report_text import DIGITS_LEFT, UNREAD, budget_figures, dossier_figures

PHRASES = load_phrases()
RULES = [("dossier", r) for r in PHRASES.dossier] + [("money", r) for r in PHRASES.money] + [
    ("percent", r) for r in PHRASES.percent]


def _read(section: str, sentence: str) -> dict:
    reader = dossier_figures if section == "dossier" else budget_figures
    return {c: v for c, v, _ in reader(sentence)}


@pytest.mark.parametrize(
    ("section", "code", "sentence", "value"),
    [(s, r.code, sentence, value) for s, r in RULES for sentence, value in r.examples],
)
def test_each_phrase_reads_its_examples(section, code, sentence, value):
    got = _read(section, sentence)
    assert got.get(code) == value, got
    assert UNREAD not in got and DIGITS_LEFT not in got


@pytest.mark.parametrize(
    ("section", "code", "sentence"),
    [(s, r.code, sentence) for s, r in RULES for sentence in r.counter],
)
def test_each_phrase_leaves_its_counter_examples(section, code, sentence):
    got = _read(section, sentence)
    assert code not in got, got
    assert UNREAD not in got


def test_every_stored_code_has_an_example():
    for section, rule in RULES:
        assert rule.code is None or rule.examples, (section, rule.pattern.pattern)
        assert rule.counter, f"{section} {rule.code}: a sentence that must not match"


# The variants met in real reports of other provinces (issue 11), each read to the exact value.
@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("UBND xã đã giải quyết đúng và trước hạn 490 hồ sơ.", {"S.HS.DUNG_HEN": 490}),
        ("Trong kỳ không có hồ sơ trễ hạn.", {"S.HS.QUA_HAN": 0}),
        ("Số hồ sơ tồn kỳ trước chuyển sang 3 hồ sơ.", {"S.HS.KY_TRUOC": 3}),
        ("Hồ sơ được giải quyết đúng và sớm hạn 215 hồ sơ.", {"S.HS.DUNG_HEN": 215}),
        ("Hồ sơ giải quyết trước hạn và đúng hạn 1.200 hồ sơ.", {"S.HS.DUNG_HEN": 1200}),
        ("Hồ sơ đã giải quyết 257 141 hồ sơ, trong đó: trước hạn 124 907 hồ sơ, đúng hạn 102 770 hồ sơ, "
         "quá hạn 29 464 hồ sơ.",
         {"S.HS.DA_GIAI_QUYET": 257141, "S.HS.TRUOC_HAN": 124907, "S.HS.DUNG_HAN": 102770, "S.HS.QUA_HAN": 29464}),
        ("Hồ sơ giải quyết đúng hạn 102 770, trước hạn 124 907.", {"S.HS.DUNG_HAN": 102770, "S.HS.TRUOC_HAN": 124907}),
        ("Hồ sơ đang giải quyết 5 hồ sơ, trong đó quá hạn 1 hồ sơ.",
         {"S.HS.DANG_GIAI_QUYET": 5, "S.HS.DANG_QUA_HAN": 1}),
        ("Hồ sơ đang giải quyết 5 hồ sơ (trong hạn 4 hồ sơ, trễ hạn 1 hồ sơ).",
         {"S.HS.DANG_GIAI_QUYET": 5, "S.HS.DANG_QUA_HAN": 1}),
        ("Hồ sơ đã giải quyết 118 hồ sơ, trong đó trễ hạn 2 hồ sơ; đang giải quyết 4 hồ sơ.",
         {"S.HS.DA_GIAI_QUYET": 118, "S.HS.QUA_HAN": 2, "S.HS.DANG_GIAI_QUYET": 4}),
        ("Tổng số hồ sơ tiếp nhận 512 hồ sơ (kỳ trước chuyển qua 12 hồ sơ, tiếp nhận mới 500 hồ sơ).",
         {"S.HS.KY_TRUOC": 12, "S.HS.NHAN_MOI": 500}),
        ("Tiếp nhận 491 hồ sơ (trực tiếp 291 hồ sơ, trực tuyến 200 hồ sơ).", {"S.HS.NHAN_MOI": 491}),
        ("Hồ sơ tiếp nhận 4\u200b91 hồ sơ, giải quyết 490 hồ sơ.", {"S.HS.NHAN_MOI": 491, "S.HS.DA_GIAI_QUYET": 490}),
        ("Số hồ sơ đến hạn 480 hồ sơ, đã giải quyết 480 hồ sơ, không có hồ sơ trả lại.",
         {"S.HS.DEN_HAN": 480, "S.HS.DA_GIAI_QUYET": 480, "S.HS.TRA_LAI": 0}),
        ("Tỷ lệ hồ sơ giải quyết đúng hạn đạt 100%.", {}),
        ("Tỷ lệ giải quyết hồ sơ đúng hạn đạt 99,6%.", {}),  # a decimal comma does not end a clause
        ("Hồ sơ TTHC: tiếp nhận 120; giải quyết 118; đúng hạn 118.",
         {"S.HS.NHAN_MOI": 120, "S.HS.DA_GIAI_QUYET": 118, "S.HS.DUNG_HEN": 118}),
        ("Số hồ sơ đã giải quyết: 1.230 hồ sơ (trước hạn: 1.000 hồ sơ; đúng hạn: 225 hồ sơ; quá hạn: 5 hồ sơ).",
         {"S.HS.DA_GIAI_QUYET": 1230, "S.HS.TRUOC_HAN": 1000, "S.HS.DUNG_HAN": 225, "S.HS.QUA_HAN": 5}),
        ("Số hồ sơ đang giải quyết: 15 hồ sơ (trong hạn: 15 hồ sơ; quá hạn: 0 hồ sơ).",
         {"S.HS.DANG_GIAI_QUYET": 15, "S.HS.DANG_QUA_HAN": 0}),
        ("Năm 2024 tiếp nhận 1.200 hồ sơ.", {"S.HS.NHAN_MOI": 1200}),
    ],
)
def test_dossier_variants(sentence, expected):
    assert {c: v for c, v, _ in dossier_figures(sentence)} == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "Thực hiện Báo cáo Số 52/BC-UBND ngày 14/9/2021 về hồ sơ TTHC.",
        "Cung cấp 58 dịch vụ công trực tuyến mức độ 3 cho hồ sơ của người dân.",
        "Theo Kế hoạch số 05 của UBND xã về giải quyết hồ sơ.",
        "Hồ sơ giải quyết theo Quyết định 1291/QĐ-UBND năm 2021.",
        "Hồ sơ được số hóa theo ISO 9001:2015.",
        "Trong quý 1/2025, tiếp nhận hồ sơ đúng quy trình.",
    ],
)
def test_document_numbers_dates_and_levels_are_not_figures(sentence):
    assert dossier_figures(sentence) == []


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Tổng thu ngân sách 2 tỷ 590 triệu 755 nghìn 750 đồng, đạt 145,15% dự toán.",
         {"S.NS.THU": 2590755750, "S.NS.TY_LE_DU_TOAN": 145.15}),
        ("Trong đó thu tại xã 147 triệu 700 nghìn đồng.", {"S.NS.THU_TAI_XA": 147700000}),
        ("Tổng thu ngân sách ước đạt 2,59 tỷ đồng.", {"S.NS.THU": 2590000000}),
        ("Tổng thu ngân sách 2\u200b590\u200b755\u200b750 đồng.", {"S.NS.THU": 2590755750}),
        ("Tổng thu ngân sách 2\u2009590\u2009755\u2009750 đồng.", {"S.NS.THU": 2590755750}),
        ("Tổng thu ngân sách 2\u202f590\u202f755\u202f750 đồng.", {"S.NS.THU": 2590755750}),
        ("Tổng thu ngân sách 2\u00a0590\u00a0755\u00a0750 đồng.", {"S.NS.THU": 2590755750}),
        ("Tổng thu ngân sách 2\ufeff590\ufeff755\ufeff750 đồng.", {"S.NS.THU": 2590755750}),
        ("Dự toán thu ngân sách năm 2021 được giao: 1 784 881 674 đồng.", {"S.NS.DU_TOAN": 1784881674}),
        ("Tổng chi ngân sách 1 tỷ 200 triệu đồng.", {}),
        ("Tổng chi ngân sách 1.980.000.000 đồng, đạt 48%.", {}),
        ("Tổng thu 2 tỷ đồng, đạt 80%; tổng chi 1 tỷ đồng, đạt 48%.",
         {"S.NS.THU": 2000000000, "S.NS.TY_LE_DU_TOAN": 80}),
        ("Tổng thu ngân sách xã 6 tháng đầu năm 2.156.480.000đ, đạt 65,3% kế hoạch.",
         {"S.NS.THU": 2156480000, "S.NS.TY_LE_DU_TOAN": 65.3}),
        ("Thu ngân sách nhà nước trên địa bàn ước đạt 845 triệu đồng, bằng 42,5% dự toán huyện giao.",
         {"S.NS.THU": 845000000, "S.NS.TY_LE_DU_TOAN": 42.5}),
    ],
)
def test_budget_variants(sentence, expected):
    assert {c: v for c, v, _ in budget_figures(sentence)} == expected


def test_a_dossier_count_no_phrase_reads_is_marked():
    got = dossier_figures("Hồ sơ liên thông với cấp huyện 15 hồ sơ.")
    assert got == [(UNREAD, None, "Hồ sơ liên thông với cấp huyện 15 hồ sơ.")]


def test_an_amount_no_phrase_reads_is_marked():
    assert [c for c, _, _ in budget_figures("Kinh phí hỗ trợ 25 triệu đồng.")] == [UNREAD]


def test_digits_left_unread_are_marked_not_stored():
    assert [c for c, _, _ in budget_figures("Tổng thu ngân sách 2 590 755 75 đồng.")] == [DIGITS_LEFT]
    assert [c for c, _, _ in dossier_figures("Hồ sơ tiếp nhận 1 491 49 hồ sơ.")] == [DIGITS_LEFT]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("code: S.HS.DEN_HAN", "code: S.HS.NO_SUCH"), "S.HS.NO_SUCH is not an indicator of the catalogue"),
        (("match: '(?<!chưa )đến hạn'", "match: '(đến hạn'"), "bad pattern"),
        (("{after: [S.HS.DANG_GIAI_QUYET]", "{after: [S.HS.NOPE]"), "context names unknown codes"),
    ],
)
def test_a_broken_phrase_file_is_refused_on_load(tmp_path, change, message):
    from pipeline.errors import CatalogueError
    from pipeline.ingest.phrases import PHRASES_FILE

    text = PHRASES_FILE.read_text(encoding="utf-8")
    assert change[0] in text
    bad = tmp_path / "phrases.yaml"
    bad.write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    with pytest.raises(CatalogueError, match=message):
        load_phrases(bad)

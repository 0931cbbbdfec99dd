"""The seed report, ingested: every appendix value, the narrative figures, header facts."""

from datetime import date

import pandas as pd
import pytest

from pipeline.ingest import ingest
from pipeline.ingest.report_text import budget_figures, content_heading, dossier_figures
from pipeline.store import Store
from tests.helpers import FIXTURES, SEED, SEED_APPENDIX, SEED_NARRATIVE

# Every non-blank row of the seed's Phụ lục 2B: code -> value (and the row's line in the file).


@pytest.fixture
def stored(seed_data):
    result = ingest(None, data=seed_data)
    store = Store(seed_data)
    return result, store


def test_every_appendix_value(stored):
    _, store = stored
    values = store.read("values")
    assert set(values["commune_code"]) == {"18217"} and set(values["period"]) == {"2021-Q3"}
    got = values.set_index("indicator_code")["value"]
    expected = {**SEED_APPENDIX, **SEED_NARRATIVE}
    assert got.to_dict() == pytest.approx(expected)  # nothing more, nothing less: blanks are not stored
    assert not values["synthetic"].any()


def test_cumulative_in_note_kept_apart(stored):
    values = stored[1].read("values").set_index("indicator_code")
    assert values.at["7.1.8.3", "value"] == 21.1
    assert values.at["7.1.8.3", "cumulative_value"] == 22.68
    assert values.at["7.1.8.3", "note"] == "(Lũy kế 22,68%)"
    assert values["cumulative_value"].notna().sum() == 1


def test_provenance(stored):
    values = stored[1].read("values").set_index("indicator_code")
    row = values.loc["1.3.2"]
    assert row["source_file"] == "000_9c1b2be0e2b3796f.txt"
    assert row["raw_text"] == "1.3.2.\tSố nhiệm vụ đã hoàn thành đúng hạn\tNhiệm vụ\t01\t"
    lines = (stored[1].paths.raw / row["source_file"]).read_text(encoding="utf-8").split("\n")
    assert lines[row["source_row"] - 1] == row["raw_text"]
    assert "491" in values.at["S.HS.NHAN_MOI", "raw_text"]


def test_header_facts(stored):
    doc = stored[1].read("documents").iloc[0]
    assert doc["doc_number"] == "52/BC-UBND"
    assert doc["place"] == "Sơn Phú" and doc["doc_date"] == date(2021, 9, 14)
    assert doc["issuing_body"] == "ỦY BAN NHÂN DÂN" and doc["issuer_name"] == "Xã Sơn Phú"
    assert doc["signer_role"] == "TM. ỦY BAN NHÂN DÂN" and doc["signer_title"] == "CHỦ TỊCH"
    assert doc["signer_name"] == "Nguyễn Quang Tỏa"
    assert doc["recipients"].split("\n") == ["Phòng nội vụ huyện", "Lưu: VP-UBND"]
    assert "quý III, phương hướng nhiệm vụ quý IV năm 2021" in doc["subject"]


def test_narrative_sections(stored):
    narr = stored[1].read("narratives")
    by_area = narr.groupby("area")["text"].apply("\n".join)
    assert set(map(str, range(1, 9))) <= set(by_area.index)
    assert "491 hồ sơ" in by_area["3"]
    assert "2 590 755 750 đồng" in by_area["8"]
    assert "bưu chính công ích" in by_area["ton_tai"]
    assert by_area["nhiem_vu"].startswith("1. Tiếp tục thực hiện")
    assert "**" not in "".join(narr["text"]) and "#" not in "".join(narr["heading"])


def test_staff_above_quota_is_a_warning_not_a_fix(stored):
    result, store = stored
    warnings = result.issues.loc[result.issues["severity"] == "warning"]
    assert warnings["message"].str.contains("staff present \\(19\\) above the quota \\(18\\)").any()
    assert store.read("values").set_index("indicator_code").at["4.2.2", "value"] == 19
    assert result.ok


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Trong quý, tiếp nhận 120 hồ sơ, đã giải quyết 118 hồ sơ, trong đó trước hạn 100 hồ sơ, quá hạn 2 hồ sơ.",
         {"S.HS.NHAN_MOI": 120, "S.HS.DA_GIAI_QUYET": 118, "S.HS.TRUOC_HAN": 100, "S.HS.QUA_HAN": 2}),
        ("Số hồ sơ đang giải quyết 5 hồ sơ, không có hồ sơ trả lại.", {"S.HS.DANG_GIAI_QUYET": 5, "S.HS.TRA_LAI": 0}),
        ("Hồ sơ giải quyết trước hạn và đúng hạn 1.200 hồ sơ", {"S.HS.DUNG_HEN": 1200}),
    ],
)
def test_dossier_sentences(sentence, expected):
    assert {c: v for c, v, _ in dossier_figures(sentence)} == expected


def test_budget_sentence_with_plan():
    text = "Dự toán giao 1.784.881.674 đồng. Tổng thu ngân sách 2.590.755.750 đồng, đạt 145,15% dự toán."
    assert {c: v for c, v, _ in budget_figures(text)} == {
        "S.NS.DU_TOAN": 1784881674, "S.NS.THU": 2590755750, "S.NS.TY_LE_DU_TOAN": 145.15}


def test_quirks_variants_of_the_seed(data_dir, tmp_path):
    """NFD text, old tone placement, CRLF line ends and a BOM give the same values as the seed."""
    import unicodedata

    from tests.helpers import SEED

    text = SEED.read_text(encoding="utf-8").replace("Ủy ban", "Uỷ ban").replace("hòa", "hoà")
    variant = "\ufeff" + unicodedata.normalize("NFD", text).replace("\n", "\r\n")
    (data_dir.raw / "variant.md").write_bytes(variant.encode("utf-8"))
    result = ingest(None, data=data_dir)
    assert result.ok
    got = Store(data_dir).read("values").set_index("indicator_code")["value"].to_dict()
    assert got == pytest.approx({**SEED_APPENDIX, **SEED_NARRATIVE})


def test_dossier_breakdown_early_and_on_time():
    text = ("Trong quý III, hồ sơ giải quyết trước hạn và đúng hạn 490 hồ sơ, "
            "trong đó trước hạn 300 hồ sơ, đúng hạn 190 hồ sơ.")
    assert {c: v for c, v, _ in dossier_figures(text)} == {
        "S.HS.DUNG_HEN": 490, "S.HS.TRUOC_HAN": 300, "S.HS.DUNG_HAN": 190}
    assert {c: v for c, v, _ in dossier_figures("hồ sơ giải quyết đúng hạn (không kể trước hạn) 190 hồ sơ")} == {
        "S.HS.DUNG_HAN": 190}


def test_budget_plan_in_a_longer_sentence():
    text = ("Dự toán thu ngân sách năm 2021 được giao: 1 784 881 674 đồng. "
            "Tổng thu 2 590 755 750 đồng, đạt 145,15% dự toán.")
    assert {c: v for c, v, _ in budget_figures(text)} == {
        "S.NS.DU_TOAN": 1784881674, "S.NS.THU": 2590755750, "S.NS.TY_LE_DU_TOAN": 145.15}


# -- the appendix table in every form a conversion produces (tests/fixtures/report_forms/) -----------------------------
FORMS = FIXTURES / "report_forms"
# What each small report states: the narrative figures and the ten appendix rows (blank rows not stored).
FORM_VALUES = {
    "S.HS.NHAN_MOI": 491, "S.HS.DA_GIAI_QUYET": 490, "S.HS.QUA_HAN": 0,
    "S.NS.THU": 2590755750, "S.NS.TY_LE_DU_TOAN": 145.15,
    "1.1.1": 6, "1.1.2": 6, "3.1.3.c": 175, "4.2.2": 19, "7.1.8.3": 21.1,
}


def _read(path):
    from pipeline.domain.catalogue import load_catalogue
    from pipeline.domain.communes import load_registry
    from pipeline.ingest import _coerce, read_file

    catalogue = load_catalogue()
    extract, _ = read_file(path, display=path.name, catalogue=catalogue, registry=load_registry())
    typed, bad = _coerce(extract.values, catalogue)
    assert bad.empty, bad
    return extract, typed


@pytest.mark.parametrize("name", [
    "report_pipe_table_without_separator.md", "report_grid_table.md", "report_html_table.md",
    "report_pdf_copy_space_aligned.txt", "report_two_row_header_value_before_unit.md",
])
def test_each_table_form_stores_its_values(name):
    extract, typed = _read(FORMS / name)
    assert extract.issues == []
    values = typed.set_index("indicator_code")
    assert values["value"].to_dict() == pytest.approx(FORM_VALUES)  # blank rows (1.1.3, 3.1.3, …) not stored
    assert values.at["7.1.8.3", "cumulative_value"] == 22.68 and values.at["7.1.8.3", "note"] == "(Lũy kế 22,68%)"
    lines = (FORMS / name).read_text(encoding="utf-8").split("\n")
    row = values.loc["4.2.2"]
    assert "19" in row["raw_text"] and lines[row["source_row"] - 1] == row["raw_text"].split("\n")[0]


@pytest.mark.parametrize(("name", "message", "row"), [
    ("report_bad_empty_appendix_table.md", "Phụ lục 2B at line 32: table empty (a header without rows)", 32),
    ("report_bad_unsplittable_appendix.txt", "Phụ lục 2B at line 32: table not readable (no table found after it; "
                                             "9 lines from line 35 have no column separators)", 35),
])
def test_an_appendix_the_reader_cannot_split_is_an_error(data_dir, name, message, row):
    """Never silence: the file is flagged (exit non-zero), the narrative figures are still stored."""
    import shutil

    from tests.helpers import assert_clear_error

    shutil.copy(FORMS / name, data_dir.raw / name)
    result = ingest(None, data=data_dir)
    assert not result.ok
    assert_clear_error(result.issues, name, (message, row, None, None))
    expected = result.issues.loc[result.issues["severity"] == "error", "expected"].iloc[0]
    assert "pipe table" in expected and "grid table" in expected and "<table>" in expected
    stored = Store(data_dir).read("values").set_index("indicator_code")["value"].to_dict()
    assert stored == pytest.approx({k: v for k, v in FORM_VALUES.items() if k.startswith("S.")})


def test_few_rows_matched_is_a_warning_naming_the_count(tmp_path):
    """A table split into the wrong columns (here: each row's cells shifted left by one) is not stored quietly."""
    text = (FORMS / "report_pipe_table_without_separator.md").read_text(encoding="utf-8")
    head, table = text.split("| STT", 1)
    lines = ("| STT" + table).strip().split("\n")
    rows = [line.strip(" |").split(" | ") for line in lines[2:]]
    shifted = [*lines[:2], *("| " + " | ".join([*r[1:], r[0]]) + " |" for r in rows)]
    path = tmp_path / "shifted.md"
    path.write_text(head + "\n".join(shifted) + "\n", encoding="utf-8")
    extract, _ = _read(path)
    warnings = [i for i in extract.issues if i["severity"] == "warning" and "matched the catalogue" in i["message"]]
    assert [w["value"] for w in warnings] == ["0/10"]
    assert warnings[0]["message"].startswith("only 0 of 10 appendix rows matched the catalogue")
    assert sum(i["message"] == "appendix row not recognised" for i in extract.issues) == 10


@pytest.mark.parametrize("name", [
    "seed_pandoc_gfm_pipe_table.md", "seed_pandoc_gfm_html_table.md", "seed_pandoc_markdown_grid_table.md",
    "seed_pandoc_markdown_multiline_table.md",
])
def test_the_seed_converted_by_pandoc_stores_every_seed_value(name):
    """The seed saved as Markdown by pandoc (wrapped paragraphs, escapes, tables in pandoc's forms) = the seed."""
    seed_extract, seed_typed = _read(SEED)
    extract, typed = _read(FORMS / name)
    assert extract.issues == []  # labels wrapped by pandoc ("19/" + "2014/QĐ-TTg") match exactly once joined
    cols = ["indicator_code", "value"]
    got = typed.dropna(subset=["value"])[cols].reset_index(drop=True)
    want = seed_typed.dropna(subset=["value"])[cols].reset_index(drop=True)
    assert len(want) == len(SEED_APPENDIX) + len(SEED_NARRATIVE)
    pd.testing.assert_frame_equal(got, want)
    assert typed.set_index("indicator_code").at["7.1.8.3", "cumulative_value"] == 22.68
    doc = extract.documents.iloc[0]
    assert doc["doc_number"] == "52/BC-UBND" and doc["signer_name"] == "Nguyễn Quang Tỏa"
    areas = extract.narratives.groupby("area")["text"].apply("\n".join)
    assert set(map(str, range(1, 9))) <= set(areas.index) and "491 hồ sơ" in areas["3"]


@pytest.mark.parametrize(("paragraph", "part", "top", "expected"), [
    ("3.3. Về giải quyết thủ tục hành chính.", "I", 3, ("3.3", "Về giải quyết thủ tục hành chính.")),
    ("3/ Cải cách thủ tục hành chính", "I", 2, ("3", "Cải cách thủ tục hành chính")),
    ("III. NHIỆM VỤ QUÝ IV", "II", 0, ("III", "NHIỆM VỤ QUÝ IV")),
    ("a) Kết quả giải quyết hồ sơ", "I", 3, ("a", "Kết quả giải quyết hồ sơ")),
    ("2. Tồn tại, hạn chế", "II", 1, ("2", "Tồn tại, hạn chế")),
    # numbered paragraphs of the body are not headings
    ("1. Tiếp nhận, giải quyết TTHC đúng hạn.", "I", 3, None),  # below the current area
    ("4. Tiếp tục cập nhật kịp thời quy trình nội bộ.", "I", 3, None),  # no area title
    ("3.1. Rà soát TTHC", "I", 4, None),  # not under the current area
    ("1. Tiếp tục thực hiện hoàn thành các nhiệm vụ cải cách hành chính", "III", 0, None),  # tasks
    ("II. một câu bình thường", "I", 0, None),  # neither capitals nor a part title
])
def test_headings_from_numbering_and_titles(paragraph, part, top, expected):
    assert content_heading(paragraph, part=part, top=top) == expected


def test_a_figure_in_a_numbered_line_taken_for_a_heading_is_still_read(tmp_path):
    """"3. Cải cách TTHC: tiếp nhận 120 hồ sơ" opens area 3 and its figures are stored."""
    text = (FORMS / "report_html_table.md").read_text(encoding="utf-8")
    text = text.replace("3. Cải cách thủ tục hành chính\n\nTrong Quý III, số hồ sơ đã tiếp nhận 491 hồ sơ, hồ sơ giải "
                        "quyết 490 hồ sơ, không có hồ sơ quá hạn.",
                        "3. Cải cách thủ tục hành chính: số hồ sơ đã tiếp nhận 491 hồ sơ, hồ sơ giải quyết 490 hồ sơ")
    assert "3. Cải cách thủ tục hành chính: số hồ sơ" in text
    path = tmp_path / "figures_in_heading.md"
    path.write_text(text, encoding="utf-8")
    extract, typed = _read(path)
    got = typed.set_index("indicator_code")["value"].to_dict()
    assert got["S.HS.NHAN_MOI"] == 491 and got["S.HS.DA_GIAI_QUYET"] == 490 and "S.HS.QUA_HAN" not in got
    assert extract.narratives.set_index("number").at["3", "area"] == "3"


def test_figures_stated_outside_their_area_are_read_and_the_section_noted(tmp_path):
    """A report without the area headings (3 and 8): the figures are read in part I, a warning names the section."""
    text = (FORMS / "report_html_table.md").read_text(encoding="utf-8")
    text = text.replace("3. Cải cách thủ tục hành chính\n\n", "").replace("8. Thực hiện thu ngân sách\n\n", "")
    path = tmp_path / "no_area_headings.md"
    path.write_text(text, encoding="utf-8")
    extract, typed = _read(path)
    assert typed.set_index("indicator_code")["value"].to_dict() == pytest.approx(FORM_VALUES)
    notes = sorted((i["message"], i["severity"], i["value"]) for i in extract.issues)
    assert notes == [
        ("budget figures read in section 'I. KẾT QUẢ ĐẠT ĐƯỢC': the report has no section on area 8 (thu ngân sách)",
         "warning", "S.NS.THU, S.NS.TY_LE_DU_TOAN"),
        ("dossier figures read in section 'I. KẾT QUẢ ĐẠT ĐƯỢC': the report has no section on area 3 "
         "(thủ tục hành chính)", "warning", "S.HS.NHAN_MOI, S.HS.DA_GIAI_QUYET, S.HS.QUA_HAN"),
    ]


@pytest.mark.parametrize("style", ["bold", "plain"])
def test_markdown_headings_as_bold_or_plain_paragraphs(tmp_path, style):
    """The seed with its '#' headings typed as bold or as plain paragraphs: the same values and sections."""
    import re

    def unmark(line):
        if not line.startswith("#") or line.lstrip("# ").upper().startswith("BÁO CÁO"):
            return line  # the title "BÁO CÁO" stays a heading
        text = line.lstrip("# ").strip().strip("*")
        return f"**{text}**" if style == "bold" else text

    variant = "\n".join(unmark(line) for line in SEED.read_text(encoding="utf-8").split("\n"))
    assert not re.search(r"^#+ +\**[\dIV]", variant, re.MULTILINE)
    path = tmp_path / "variant.md"
    path.write_text(variant, encoding="utf-8")
    extract, typed = _read(path)
    seed_extract, seed_typed = _read(SEED)
    assert extract.issues == []
    cols = ["indicator_code", "value"]
    pd.testing.assert_frame_equal(typed[cols], seed_typed[cols])
    sections = ["seq", "part", "number", "area", "text"]
    pd.testing.assert_frame_equal(extract.narratives[sections], seed_extract.narratives[sections])


def test_appendix_found_by_its_table_without_a_phu_luc_heading(tmp_path):
    """As in Word: without the 'Phụ lục' heading, the first table with the Phụ lục 2B header is the appendix."""
    text = (FORMS / "report_grid_table.md").read_text(encoding="utf-8")
    text = text.replace(
        "**Phụ lục 2B**  \n**THỐNG KÊ SỐ LIỆU VỀ KẾT QUẢ THỰC HIỆN CÔNG TÁC CCHC QUÝ III XÃ SƠN PHÚ**\n", "")
    assert "Phụ lục" not in text
    path = tmp_path / "no_heading.md"
    path.write_text(text, encoding="utf-8")
    extract, typed = _read(path)
    assert extract.issues == []
    assert typed.set_index("indicator_code")["value"].to_dict() == pytest.approx(FORM_VALUES)


def test_the_seed_copied_from_a_pdf_stores_every_seed_value():
    """pdftotext -layout: columns aligned by spaces, cells wrapped over several lines, rows cut by page
    breaks under a repeated header, headings wrapped onto two lines.  What cannot be split is named."""
    seed_extract, seed_typed = _read(SEED)
    extract, typed = _read(FORMS / "seed_pdf_copy_18217_2021-Q3.txt")
    cols = ["indicator_code", "value"]
    got = typed.dropna(subset=["value"])[cols].reset_index(drop=True)
    want = seed_typed.dropna(subset=["value"])[cols].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want)
    areas = extract.narratives.set_index("number")["area"]
    assert areas["3"] == "3" and areas["3.3"] == "3" and areas["8"] == "8"  # "3. Cải cách thủ tục hành" / "chính"
    errors = [i for i in extract.issues if i["severity"] == "error"]
    # two blank rows (1.4.1, and 7.1.1 whose label has a capital mid-cell: "Chất lượng" / "Công thông tin")
    assert [e["message"] for e in errors] == ["appendix row not recognised"] * 3
    lines = (FORMS / "seed_pdf_copy_18217_2021-Q3.txt").read_text(encoding="utf-8").split("\n")
    assert [lines[e["row"] - 1].split()[0] for e in errors] == ["1.4.1.", "7.1.1", "Công"]


# --------------------------------------------------------------------------- lines broken inside a paragraph
#: The seed's lines the Word→text conversion broke inside a paragraph: (first line, its continuation) by
#: their line numbers in the file.
SEED_BROKEN = {73: 75, 139: 141}


def test_lines_broken_inside_a_paragraph_are_rejoined_with_their_rows(stored):
    store = stored[1]
    lines = SEED.read_text(encoding="utf-8").split("\n")
    narratives = store.read("narratives")
    for first, rest in SEED_BROKEN.items():
        assert not lines[first - 1].rstrip().endswith((".", ";", ":")) and lines[rest - 1][0].islower()
        joined = f"{lines[first - 1].strip()} {lines[rest - 1].strip()}"
        holding = narratives.loc[narratives["text"].str.contains(joined, regex=False)]
        assert len(holding) == 1, joined
        (row,) = holding.itertuples()
        paragraphs, rows = row.text.split("\n"), row.text_rows.split(";")
        assert len(paragraphs) == len(rows)
        assert rows[paragraphs.index(joined)] == f"{first}+{rest}"
    # every other paragraph is one line of the file, its number kept
    for row in narratives.loc[narratives["text"] != ""].itertuples():
        for paragraph, at in zip(row.text.split("\n"), row.text_rows.split(";")):
            if "+" not in at:
                assert lines[int(at) - 1].strip().strip("*").startswith(paragraph[:20]), (at, paragraph)
    assert sum(r.count("+") for r in narratives["text_rows"]) == len(SEED_BROKEN)


def test_paragraphs_that_only_look_broken_stay_apart(tmp_path):
    lines = SEED.read_text(encoding="utf-8").split("\n")
    # the seed's own: a line without a full stop before a capital (23 → 25) or before a heading (89 → 91)
    assert not lines[22].endswith(".") and lines[24][0].isupper() and lines[90].startswith("###")
    extra = [
        "- Thực hiện thống kê báo cáo đúng thời gian quy định",  # list items stay list items
        "- phối hợp thực hiện việc luân chuyển công chức",
        "a) tuyên truyền các văn bản về dịch vụ công",  # a lettered item
        "Công tác kiểm soát thủ tục hành chính được thực hiện.",  # a full stop ends the paragraph
        "tiếp tục rà soát các thủ tục",
        "Công tác kiểm tra được thực hiện theo kế hoạch:",  # a colon too
        "rà soát thành phần hồ sơ",
    ]
    at = lines.index("UBND xã không có phản ánh kiến nghị về quy định hành chính và giải quyết TTHC.")
    variant = lines[:at + 1] + [x for line in extra for x in ("", line)] + lines[at + 1:]
    path = tmp_path / "variant.md"
    path.write_text("\n".join(variant), encoding="utf-8")
    extract, _ = _read(path)
    n = extract.narratives  # "a) …" is read as a heading: its number and title are kept apart
    text = "\n".join(n["number"].where(n["number"] == "", n["number"] + ") ") + n["heading"] + "\n" + n["text"])
    for above, line in zip(extra, extra[1:]):
        assert f"{above} {line}" not in text and line in text, line
    assert lines[22].strip() + "\n" + lines[24].strip() in text
    area3 = extract.narratives.loc[extract.narratives["number"] == "3.3", "text"].iloc[0]
    assert area3.endswith("theo hình thức lấy phiếu")
    assert sum(r.count("+") for r in extract.narratives["text_rows"]) == len(SEED_BROKEN)

"""The report as a Word document: the Nghị định 30 form (page, styles, header table, page numbers, Phụ lục 2B as a
Word table, charts, appendices on new pages), plain text from the data, an office's template, and the round trip:
the ingest reads the generated document back to the values, header facts and narrative of its source."""

from __future__ import annotations

import dataclasses
import re
import shutil

import docx
import pytest
from docx.shared import Mm, Pt

from pipeline.config import DataPaths
from pipeline.ingest import ingest
from pipeline.report import content
from pipeline.report import docx as word
from pipeline.report.words import section
from pipeline.store import Store
from tests.helpers import SEED, SEED_APPENDIX, ingested_rows

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
HEADER_LINES = ["ỦY BAN NHÂN DÂN", "XÃ SƠN PHÚ", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                "Số: 52/BC-UBND", "Sơn Phú, ngày 14 tháng 9 năm 2021", "BÁO CÁO"]
STYLES = section("word.styles")


@pytest.fixture(scope="module")
def seed_docx(seed_report, tmp_path_factory):
    path = tmp_path_factory.mktemp("docx") / "report.docx"
    word.write_docx(seed_report, path, template=None)
    return docx.Document(str(path)), path


def _all_text(doc) -> str:
    cells = [p.text for t in doc.tables for row in t.rows for c in row.cells for p in c.paragraphs]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def _form_table(doc):
    return next(t for t in doc.tables
                if t.rows[0].cells[0].text == "STT" and "Chỉ tiêu thống kê" in t.rows[0].cells[1].text)


# --------------------------------------------------------------------------- the form
def test_page_is_a4_portrait_with_decree_30_margins(seed_docx):
    doc, _ = seed_docx
    tol = Mm(0.05)  # Word stores lengths in twentieths of a point: 15 mm is 850.4 of them, stored 850

    def within(length, low, high):
        return Mm(low) - tol <= length <= Mm(high) + tol

    for sec in doc.sections:
        assert abs(sec.page_width - Mm(210)) < Mm(0.5) and abs(sec.page_height - Mm(297)) < Mm(0.5)
        assert sec.page_height > sec.page_width
        assert within(sec.top_margin, 20, 25) and within(sec.bottom_margin, 20, 25)
        assert within(sec.left_margin, 30, 35) and within(sec.right_margin, 15, 20)


def test_body_style_is_times_new_roman_justified_indented(seed_docx):
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    doc, _ = seed_docx
    normal = doc.styles["Normal"]
    fonts = normal.element.rPr.find(f"{W}rFonts")
    assert {fonts.get(f"{W}{a}") for a in ("ascii", "hAnsi", "cs", "eastAsia")} == {"Times New Roman"}
    assert Pt(13) <= normal.font.size <= Pt(14)
    fmt = normal.paragraph_format
    assert fmt.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY and fmt.first_line_indent > 0 and fmt.space_after == Pt(6)


def test_paragraphs_use_named_styles_not_direct_formatting(seed_docx):
    doc, _ = seed_docx
    used = {p.style.name for p in doc.paragraphs} | {p.style.name for t in doc.tables for row in t.rows
                                                     for c in row.cells for p in c.paragraphs}
    assert {"Normal", "Heading 1", "Heading 2", "Heading 3", STYLES["recipients"], STYLES["recipients_title"],
            STYLES["signature"], STYLES["appendix_label"], STYLES["generated"], STYLES["subject"]} <= used
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert headings == ["I. KẾT QUẢ ĐẠT ĐƯỢC", "II. ĐÁNH GIÁ CHUNG",
                        "III. NHIỆM VỤ CẢI CÁCH HÀNH CHÍNH QUÝ IV NĂM 2021"]
    recipients = [p.text for t in doc.tables for c in t.rows[0].cells for p in c.paragraphs
                  if p.style.name == STYLES["recipients"]]
    assert recipients == ["- Phòng nội vụ huyện;", "- Lưu: VP-UBND."]
    # no run carries its own font, size, bold or italic: the styles hold the formatting
    runs = [r for p in doc.paragraphs for r in p.runs] + [
        r for t in doc.tables for row in t.rows for c in row.cells for p in c.paragraphs for r in p.runs]
    assert runs and not [r.text for r in runs if r._r.rPr is not None]


def test_header_is_a_borderless_two_column_table_with_rules(seed_docx):
    doc, _ = seed_docx
    head = doc.tables[0]
    assert len(head.columns) == 2
    borders = head._tbl.tblPr.find(f"{W}tblBorders")
    assert borders is not None and {b.get(f"{W}val") for b in borders} == {"nil"}
    left, right = head.rows[0].cells
    assert [p.text for p in left.paragraphs if p.text] == ["ỦY BAN NHÂN DÂN", "XÃ SƠN PHÚ"]
    assert [p.text for p in right.paragraphs if p.text] == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                                                           "Độc lập - Tự do - Hạnh phúc"]
    for cell in (left, right):  # a rule under the issuer and under the tiêu ngữ
        last = cell.paragraphs[-1]
        assert last.text == "" and last._p.pPr.find(f"{W}pBdr/{W}bottom") is not None
    text = _all_text(doc)
    for line in HEADER_LINES:
        assert line in text


def test_page_number_is_a_page_field_absent_on_the_first_page(seed_docx):
    doc, _ = seed_docx
    sec = doc.sections[0]
    assert sec.different_first_page_header_footer
    instr = [t.text for t in sec.header._element.iter(f"{W}instrText")]
    assert [i.strip() for i in instr] == ["PAGE"]
    assert sec.header.paragraphs[0].alignment == 1  # centred
    assert not list(sec.first_page_header._element.iter(f"{W}instrText"))


def test_form_2b_is_a_word_table_with_repeating_header_rows_and_unsplit_rows(seed_docx, seed_report):
    doc, _ = seed_docx
    table = _form_table(doc)
    rows = table._tbl.tr_lst
    header = [tr.trPr is not None and tr.trPr.find(f"{W}tblHeader") is not None for tr in rows]
    assert header[:2] == [True, True] and not any(header[2:])
    assert all(tr.trPr is not None and tr.trPr.find(f"{W}cantSplit") is not None for tr in rows)
    # row by row the rows of the appendix: label, unit, value, note
    expected = content.appendix_rows(seed_report)
    assert len(rows) == 2 + len(expected)
    got = [[c.text for c in row.cells] for row in table.rows[2:]]
    assert [(g[1], g[3], g[4]) for g in got] == [(r["label"], r["value"], r["note"]) for r in expected]
    by_label = {g[1]: g for g in got}
    cat = {r["full_code"]: r["label"] for r in expected}
    # the seed's values, checked by hand against its Phụ lục 2B: 172 dossiers received online, 21,1 %
    assert by_label[cat["3.2.1"]][3] == "172" and by_label[cat["7.1.8.3"]][3] == "21,1"
    assert by_label[cat["3.1.3.c"]][3] == "175" and by_label[cat["7.2.5.1"]][3] == "490"
    # the "Trong đó" STT cell spans its sub-rows (one cell merged down: restart, then continue)
    first = next(i for i, r in enumerate(expected) if r["stt_rows"] > 1)
    tcs = [rows[2 + first + k].tc_lst[0] for k in range(expected[first]["stt_rows"])]
    merges = [tc.tcPr.find(f"{W}vMerge") for tc in tcs]
    assert merges[0].get(f"{W}val") == "restart" and all(m is not None and m.get(f"{W}val") in (None, "continue")
                                                          for m in merges[1:])
    assert table.rows[2 + first].cells[0].text == "Trong đó"


def test_every_appendix_starts_on_a_new_page(seed_docx, seed_report):
    doc, _ = seed_docx
    labels = [p for p in doc.paragraphs if re.fullmatch(r"Phụ lục [0-9A-Z]+", p.text)]
    assert [p.text for p in labels] == ["Phụ lục 2B", "Phụ lục I", "Phụ lục II", "Phụ lục III"]
    assert len(labels) == 1 + len(content.numbered_parts(seed_report))
    assert all(p.style.paragraph_format.page_break_before for p in labels)
    breaks = [p.text for p in doc.paragraphs
              if p.style.paragraph_format.page_break_before or p.paragraph_format.page_break_before]
    assert breaks == [p.text for p in labels]  # and no other page break


def test_charts_are_png_images_at_print_resolution(seed_docx, seed_report):
    doc, _ = seed_docx
    figures = [f for kind, parts in content.numbered_parts(seed_report) if kind == "charts" for f in parts["figures"]]
    figures += [parts["figure"] for kind, parts in content.numbered_parts(seed_report)
                if kind == "ranks" and parts["figure"] is not None]
    shapes = doc.inline_shapes
    assert len(shapes) == len(figures) >= 2
    for shape in shapes:
        blob = doc.part.related_parts[shape._inline.graphic.graphicData.pic.blipFill.blip.embed].blob
        assert blob.startswith(b"\x89PNG")
        pixels = int.from_bytes(blob[16:20], "big")
        assert pixels / shape.width.inches >= 295  # 300 dpi at the printed width
        assert shape.width <= Mm(165)  # within the text width


def test_no_internal_codes_in_the_text(seed_docx):
    doc, _ = seed_docx
    text = _all_text(doc)
    assert not re.search(r"\bS\.(HS|NS)\.|\bR\.[A-Z]", text), re.findall(r"\b[SR]\.[A-Z_.]+", text)
    assert "Biểu đồ 1." in text and "Xếp hạng" in text


def test_text_from_the_data_is_plain_text(seed_report, tmp_path):
    hostile = '<w:p><w:r><w:t>x</w:t></w:r></w:p> <script>alert(1)</script> & "'
    narratives = seed_report.narratives.copy()
    first = narratives.index[narratives["area"] == "1"][0]
    narratives.loc[first, "text"] = hostile + "\n" + narratives.loc[first, "text"]
    rd = dataclasses.replace(seed_report, narratives=narratives)
    doc = docx.Document(str(word.write_docx(rd, tmp_path / "r.docx", template=None)))
    assert hostile in [p.text for p in doc.paragraphs]


def test_an_office_template_keeps_its_styles_and_letterhead(seed_report, tmp_path):
    template = docx.Document()
    style = template.styles.add_style(STYLES["recipients"], 1)
    style.font.size = Pt(10)
    template.sections[0].header.paragraphs[0].text = "UBND XÃ SƠN PHÚ - VĂN PHÒNG"
    template.sections[0].left_margin = Mm(35)
    template.add_paragraph("Nội dung mẫu của văn phòng")
    template.save(str(tmp_path / "letterhead.docx"))
    doc = docx.Document(str(word.write_docx(seed_report, tmp_path / "r.docx", template=tmp_path / "letterhead.docx")))
    assert doc.styles[STYLES["recipients"]].font.size == Pt(10)
    assert doc.sections[0].header.paragraphs[0].text == "UBND XÃ SƠN PHÚ - VĂN PHÒNG"
    assert abs(doc.sections[0].left_margin - Mm(35)) < Mm(0.05)
    text = _all_text(doc)
    assert "Nội dung mẫu của văn phòng" not in text and "I. KẾT QUẢ ĐẠT ĐƯỢC" in text
    assert STYLES["generated"] in [s.name for s in doc.styles]  # what the template lacks is added


def test_a_template_without_heading_styles_gets_them(seed_report, tmp_path):
    """Word saves only the styles a document used: the report's headings are made when the template has none."""
    template = docx.Document()
    styles = template.styles.element
    for style in list(styles):
        if style.get(f"{W}styleId", "").startswith("Heading"):
            styles.remove(style)
    template.save(str(tmp_path / "plain.docx"))
    doc = docx.Document(str(word.write_docx(seed_report, tmp_path / "r.docx", template=tmp_path / "plain.docx")))
    assert [p.text for p in doc.paragraphs if p.style.name == "Heading 1"][0] == "I. KẾT QUẢ ĐẠT ĐƯỢC"
    assert doc.styles["Heading 2"].element.pPr.find(f"{W}outlineLvl").get(f"{W}val") == "1"


# --------------------------------------------------------------------------- the round trip
def _read_back(path, root) -> Store:
    (root / "raw").mkdir(parents=True)
    shutil.copy(path, root / "raw" / "report.docx")
    data = DataPaths(root)
    result = ingest(None, data=data)
    assert result.ok, result.issues.loc[result.issues["severity"] == "error", "message"].tolist()
    return Store(data)


def _values(store: Store) -> dict[str, float]:
    v = store.read("values")
    return dict(zip(v["indicator_code"], v["value"]))


def test_round_trip_of_the_seed(seed_docx, seed_report, tmp_path):
    """Sơn Phú 2021-Q3: the generated Word report, ingested into a fresh data directory, gives the seed's values
    (appendix and narrative figures), header facts and narrative sections."""
    _, path = seed_docx
    back = _read_back(path, tmp_path / "back")
    source = Store(DataPaths(tmp_path / "src"))
    (tmp_path / "src" / "raw").mkdir(parents=True)
    shutil.copy(SEED, tmp_path / "src" / "raw" / SEED.name)
    ingest(None, data=DataPaths(tmp_path / "src"))
    assert _values(back) == _values(source)
    assert {k: _values(back)[k] for k in SEED_APPENDIX} == SEED_APPENDIX  # the hand-checked figures
    doc_back, doc_src = back.read("documents").iloc[0], source.read("documents").iloc[0]
    for field in ("doc_number", "place", "doc_date", "subject", "recipients", "signer_role", "signer_title",
                  "signer_name", "issuing_body"):
        assert doc_back[field] == doc_src[field], field
    assert doc_back["issuer_name"].casefold() == doc_src["issuer_name"].casefold()  # printed in capitals
    # every paragraph of every section of the source, in order, in the same area of the document read back
    src, got = source.read("narratives"), back.read("narratives")
    for area, rows in src.groupby("area", sort=False):
        back_paragraphs = [p for t in got.loc[got["area"] == area, "text"] for p in t.split("\n") if p.strip()]
        at = 0
        for p in (p for t in rows["text"] for p in t.split("\n") if p.strip()):
            assert p in back_paragraphs[at:], (area, p)
            at = back_paragraphs.index(p, at) + 1


def test_round_trip_of_a_synthetic_commune(tmp_path):
    """A commune whose figures came from a CSV (no text, no header facts): its document states them (Phụ lục 2B
    and the generated sentences) and the ingest reads the same values back."""
    from pipeline.metrics.compute import run_metrics

    rows = {"1.1.1": 5, "1.1.2": 4, "3.1.3.a": 3, "3.1.3.c": 120, "3.2.1": 80, "3.3.3": 97.5, "7.1.8.3": 33.3,
            "7.2.5.1": 300, "S.HS.NHAN_MOI": 310, "S.HS.DA_GIAI_QUYET": 300, "S.HS.DUNG_HEN": 296,
            "S.HS.QUA_HAN": 4}
    data = ingested_rows(tmp_path / "src", [("18139", "2021-Q3", code, value) for code, value in rows.items()])
    run_metrics(data)
    rd = content.load(commune="18139", period="2021-Q3", data=data)
    path = word.write_docx(rd, tmp_path / "report.docx", template=None)
    back = _read_back(path, tmp_path / "back")
    assert _values(back) == _values(Store(data)) == {k: float(v) for k, v in rows.items()}
    doc = back.read("documents").iloc[0]
    assert doc["issuer_name"].casefold() == rd.commune.full_name.casefold()
    assert doc["recipients"].split("\n") == content.closing_parts(rd)["recipients"]


def test_a_draft_is_marked_in_word_too(seed_report):
    """--draft marks every format: "DỰ THẢO" first, the number and day blank, the data's sentences in their style
    tinted (the style, so one restyle removes it), a legend; the final document has none of it."""
    import dataclasses

    from pipeline.report import content
    from pipeline.report.docx import build

    rd = seed_report
    final, draft = build(rd), build(dataclasses.replace(rd, draft=True))
    texts = [p.text for p in draft.paragraphs]
    assert texts[0] == "DỰ THẢO" and "DỰ THẢO" not in [p.text for p in final.paragraphs]
    assert any(t.startswith("Các câu tô nền vàng") for t in texts)
    generated = draft.styles[content.words("word.styles.generated")].element
    assert generated.xpath("./w:pPr/w:shd/@w:fill") == ["FFF2B3"]
    assert not final.styles[content.words("word.styles.generated")].element.xpath("./w:pPr/w:shd")
    header = " ".join(c.text for row in draft.tables[0].rows for c in row.cells)
    assert "52/BC-UBND" not in header and "ngày 14 tháng 9" not in header


def test_a_category_legend_is_never_broken_inside_an_item(seed_docx):
    """1.4.2's unit "Trực tuyến = 0 / Phát phiếu = 1 / Kết hợp = 2": one item a line, each held together."""
    doc, _ = seed_docx
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    legend = next(c for c in cells if "Phát" in c and "=" in c)
    items = ["Trực tuyến = 0", "Phát phiếu = 1", "Kết hợp = 2"]
    assert legend.split("\n") == [item.replace(" ", "\u00a0") for item in items]

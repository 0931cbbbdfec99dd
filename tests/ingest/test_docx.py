"""Word ingest: the seed as a Word document gives what the text gives, whatever the Word habits."""

import io
import shutil
import zipfile

import docx
import pandas as pd
import pytest

from pipeline.config import DataPaths
from pipeline.domain.catalogue import load_catalogue
from pipeline.domain.communes import load_registry
from pipeline.ingest import ingest, read_file
from pipeline.ingest.report_text import _HEADING_NUMBER
from pipeline.store import Store
from tests.helpers import SEED, SEED_APPENDIX, SEED_NARRATIVE, load_script

ALL = {**SEED_APPENDIX, **SEED_NARRATIVE}


@pytest.fixture(scope="module")
def script():
    return load_script()


@pytest.fixture(scope="module")
def seed(script):
    return script.read_seed(SEED.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def word(script, seed, tmp_path_factory):
    return script.write_docx(seed, tmp_path_factory.mktemp("word") / "bao_cao.docx")


def read(path):
    extract, _ = read_file(path, display=path.name, catalogue=load_catalogue(), registry=load_registry())
    return extract


def values_of(extract):
    from pipeline.ingest import _coerce

    typed, bad = _coerce(extract.values, load_catalogue())
    assert bad.empty, bad
    return typed.set_index("indicator_code")["value"].to_dict()


@pytest.fixture(scope="module")
def text_extract():
    return read(SEED)


def test_the_document_is_realistic(word):
    doc = docx.Document(word)
    styles = {p.style.name for p in doc.paragraphs if p.text.strip()}
    assert {"Heading 1", "Heading 3", "Heading 4"} <= styles
    header, signature, appendix = doc.tables
    assert header.cell(0, 0).text.startswith("ỦY BAN NHÂN DÂN") and "Nơi nhận" in signature.cell(0, 0).text
    xml = appendix._tbl.xml
    assert xml.count("<w:tblHeader/>") == 2  # the two header rows repeat on every page
    assert 'w:gridSpan w:val="2"' in xml and 'w:gridSpan w:val="4"' in xml and "<w:vMerge/>" in xml
    assert xml.count(">STT<") == 1  # not repeated as rows
    texts = [c.text for c in appendix.columns[0].cells]
    assert "Trong đó" in texts


def test_word_gives_what_the_text_gives(word, text_extract):
    extract = read(word)
    assert extract.issues == text_extract.issues == []
    assert values_of(extract) == pytest.approx(ALL)
    cols = ["indicator_code", "raw_value", "cumulative_value", "note"]
    pd.testing.assert_frame_equal(extract.values[cols], text_extract.values[cols])
    narr = ["seq", "part", "number", "area", "heading", "text"]
    pd.testing.assert_frame_equal(extract.narratives[narr], text_extract.narratives[narr])
    # the lines the text form broke are two paragraphs in Word too, rejoined the same way, with their rows
    joined = extract.narratives.loc[extract.narratives["text_rows"].str.contains("+", regex=False)]
    assert joined["number"].tolist() == ["3.1", "1"]
    assert any(p.endswith("một cửa liên thông, triển khai tổ chức thực hiện; Thực hiện việc rà soát thủ tục hành "
                          "chính theo Kế hoạch số 24/KH-UBND ngày 19/5/2021 về rà soát đánh giá thành phần hồ sơ, "
                          "yêu cầu điều kiện thực hiện thủ tục hành chính thuộc phạm vi giải quyết của UBND xã.")
               for p in joined["text"].iloc[0].split("\n"))
    docs = extract.documents.drop(columns="source_file")
    pd.testing.assert_frame_equal(docs, text_extract.documents.drop(columns="source_file"))


def test_provenance_points_into_the_appendix_table(word):
    values = read(word).values.set_index("indicator_code")
    row = values.loc["1.3.2"]
    appendix = docx.Document(word).tables[2]
    cells = appendix.rows[int(row["source_row"]) - 1].cells
    assert cells[1].text == "Số nhiệm vụ đã hoàn thành đúng hạn" and cells[3].text == "01"
    assert row["raw_text"] == "1.3.2.\tSố nhiệm vụ đã hoàn thành đúng hạn\tNhiệm vụ\t01\t"
    assert "491" in values.at["S.HS.NHAN_MOI", "raw_text"]


def test_table_as_pages_split_rows_and_repeated_headers(script, seed, tmp_path):
    """The table as the text has it: header rows repeated as rows, 3.4.5 and 5.3.1 split, "Trong"/"đó"."""
    path = script.write_docx(seed, tmp_path / "pages.docx", pages=True)
    xml = docx.Document(path).tables[2]._tbl.xml
    assert xml.count(">STT<") > 5
    extract = read(path)
    assert values_of(extract) == pytest.approx(ALL)
    assert [i for i in extract.issues if i["severity"] == "error"] == []


def _rewrite(path, target, change):
    doc = docx.Document(path)
    change(doc)
    doc.save(target)
    return target


def test_bold_numbered_paragraphs_count_as_headings(word, tmp_path, text_extract):
    """Many reports use bold paragraphs, not heading styles: the sections and figures are the same."""
    def plain_headings(doc):
        for p in doc.paragraphs:
            if p.style.name.startswith("Heading"):
                p.style = doc.styles["Normal"]
                for run in p.runs:
                    run.bold = True

    extract = read(_rewrite(word, tmp_path / "bold.docx", plain_headings))
    assert values_of(extract) == pytest.approx(ALL)
    got = extract.narratives.groupby("area")["text"].apply("\n".join)
    want = text_extract.narratives.groupby("area")["text"].apply("\n".join)
    assert set(map(str, range(1, 9))) <= set(got.index)
    assert got["3"] == want["3"] and got["8"] == want["8"]


def test_plain_paragraph_headings(word, tmp_path, text_extract):
    """Headings typed as plain paragraphs (no heading style, no bold: the most common way offices type them)
    are told by their numbering and titles: every value of the seed, and the same sections."""
    def plain(doc):
        for p in doc.paragraphs:
            if p.style.name.startswith(("Heading", "Title")):
                p.style = doc.styles["Normal"]
                for run in p.runs:
                    run.bold = False

    path = _rewrite(word, tmp_path / "plain.docx", plain)
    assert not any(p.style.name.startswith("Heading") or any(r.bold for r in p.runs)
                   for p in docx.Document(path).paragraphs if _HEADING_NUMBER.match(p.text))
    extract = read(path)
    assert extract.issues == []
    cols = ["indicator_code", "raw_value"]
    pd.testing.assert_frame_equal(extract.values[cols], text_extract.values[cols])
    assert values_of(extract) == pytest.approx(ALL)  # the 9 narrative figures among them
    got = extract.narratives.set_index("seq")[["part", "number", "area"]]
    want = text_extract.narratives.set_index("seq")[["part", "number", "area"]]
    pd.testing.assert_frame_equal(got, want)


def test_appendix_found_by_its_table_without_a_phu_luc_line(word, tmp_path):
    def drop_title(doc):
        for p in doc.paragraphs:
            if p.text.startswith(("Phụ lục", "THỐNG KÊ")):
                p._p.getparent().remove(p._p)

    extract = read(_rewrite(word, tmp_path / "no_title.docx", drop_title))
    assert values_of(extract) == pytest.approx(ALL)


def test_header_typed_with_tabs_instead_of_a_table(word, tmp_path):
    """'Số: 52/BC-UBND <tab> Sơn Phú, ngày …' on one line: both facts are read."""
    def tabs(doc):
        header = doc.tables[0]
        number, dated = header.cell(1, 0).text, header.cell(1, 1).text
        p = header._tbl.getnext()
        header._tbl.getparent().remove(header._tbl)
        from docx.text.paragraph import Paragraph

        anchor = Paragraph(p, doc._body)
        for text in ("ỦY BAN NHÂN DÂN", "XÃ SƠN PHÚ", "", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", ""):
            anchor.insert_paragraph_before(text)
        line = anchor.insert_paragraph_before(number)
        line.add_run().add_tab()
        line.add_run(dated)

    extract = read(_rewrite(word, tmp_path / "tabs.docx", tabs))
    doc = extract.documents.iloc[0]
    assert doc["doc_number"] == "52/BC-UBND" and doc["place"] == "Sơn Phú" and str(doc["doc_date"]) == "2021-09-14"
    assert doc["issuer_name"] == "XÃ SƠN PHÚ"
    assert values_of(extract) == pytest.approx(ALL)


def test_file_name_disagreeing_with_the_header(word, tmp_path):
    data = DataPaths(tmp_path)
    data.raw.mkdir()
    shutil.copy(word, data.raw / "18133_2021-Q3.docx")
    shutil.copy(word, data.raw / "18217_2021-Q2.docx")
    shutil.copy(word, data.raw / "18217_2021-Q3.docx")
    result = ingest(None, data=data)
    errors = result.issues.loc[result.issues["severity"] == "error"].set_index("file")["message"]
    assert "but the file name says Thị trấn Phố Châu (18133)" in errors["18133_2021-Q3.docx"]
    assert "subject line says 2021-Q3 but the file name says 2021-Q2" in errors["18217_2021-Q2.docx"]
    assert "18217_2021-Q3.docx" not in errors.index
    assert set(Store(data).read("values")["source_file"]) == {"18217_2021-Q3.docx"}


def test_too_many_table_cells(word, tmp_path, monkeypatch):
    import pipeline.ingest.docx as reader

    monkeypatch.setattr(reader, "MAX_INPUT_CELLS", 100)
    data = DataPaths(tmp_path)
    data.raw.mkdir()
    shutil.copy(word, data.raw / word.name)
    result = ingest(None, data=data)
    assert result.files_rejected == 1
    assert result.issues["message"].str.contains("too many table cells").any()


def test_tracked_deletions_and_fallback_text_are_not_read(word, tmp_path):
    """Text deleted with track changes (w:delText) is not part of the report."""
    data = word.read_bytes()
    src = zipfile.ZipFile(io.BytesIO(data))
    xml = src.read("word/document.xml").decode()
    deleted = ('<w:del w:id="99" w:author="x" w:date="2021-09-14T00:00:00Z"><w:r>'
               "<w:delText>, hồ sơ đang giải quyết 7 hồ sơ</w:delText></w:r></w:del>")
    at = xml.index("</w:r>", xml.index("491 hồ sơ")) + len("</w:r>")
    xml = xml[:at] + deleted + xml[at:]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, xml if info.filename == "word/document.xml" else src.read(info.filename))
    path = tmp_path / "tracked.docx"
    path.write_bytes(out.getvalue())
    assert values_of(read(path)) == pytest.approx(ALL)


def test_an_appendix_table_with_only_its_header_is_an_error(word, tmp_path):
    def header_only(doc):
        table = doc.tables[2]
        for row in list(table.rows)[2:]:
            row._tr.getparent().remove(row._tr)

    extract = read(_rewrite(word, tmp_path / "empty.docx", header_only))
    errors = [i for i in extract.issues if i["severity"] == "error"]
    assert [e["message"] for e in errors] == [
        f"Phụ lục 2B at line {errors[0]['row']}: table empty (a header without rows)"]
    assert "Word table" in errors[0]["expected"]
    assert values_of(extract) == pytest.approx(SEED_NARRATIVE)  # the narrative figures are still read

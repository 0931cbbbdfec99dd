"""The rendered commune report: Sơn Phú 2021-Q3 from the seed, as HTML and PDF."""

import re
import shutil
import subprocess

import pytest

from pipeline.config import DataPaths
from pipeline.domain.communes import Commune
from pipeline.domain.formatting import format_number
from pipeline.ingest import ingest
from pipeline.metrics.compute import run_metrics
from pipeline.render.export import RenderError, parse_formats, render_report, report_dir
from tests.helpers import SEED, SEED_APPENDIX

pytestmark = pytest.mark.slow  # executes the report notebook and renders PDFs

HEADER_LINES = ["ỦY BAN NHÂN DÂN", "XÃ SƠN PHÚ", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                "Số: 52/BC-UBND", "Sơn Phú, ngày 14 tháng 9 năm 2021", "BÁO CÁO"]
NARRATIVE_FIGURES = ["491", "490", "2.590.755.750", "145,15", "218.600.750", "21,1", "22,68"]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    root = tmp_path_factory.mktemp("render")
    (root / "raw").mkdir()
    shutil.copy(SEED, root / "raw" / SEED.name)
    data = DataPaths(root)
    ingest(None, data=data)
    run_metrics(data)
    result = render_report("18217", "2021-Q3", data=data, outputs_dir=root / "outputs")
    html = result.files["html"].read_text(encoding="utf-8")
    pdf_text = subprocess.run(["pdftotext", "-layout", str(result.files["pdf"]), "-"], check=True,
                              capture_output=True, text=True).stdout
    return result, html, pdf_text, root


def _plain(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_output_layout(rendered):
    result, _, _, root = rendered
    assert result.directory == (root / "outputs" / "2021-Q3" / "18217-son-phu").resolve()
    assert sorted(p.name for p in result.directory.iterdir()) == ["checklist.html", "report.html", "report.ipynb",
                                                                  "report.pdf"]
    assert result.files["checklist"] == result.directory / "checklist.html"
    assert result.checklist["total"] == sum(v for k, v in result.checklist.items() if k != "total") > 0
    report = (result.directory / "report.html").read_text(encoding="utf-8")
    assert "PHIẾU KIỂM TRA" not in report  # the checklist is beside the report, never in it
    assert not [p for p in result.directory.parent.iterdir() if p.name.startswith(".")]  # no temp left


def test_every_appendix_value_in_the_html(rendered):
    _, html, _, _ = rendered
    rows = dict(re.findall(r'data-code="([^"]+)">.*?<td class="value">([^<]*)</td>', html, flags=re.S))
    assert len(rows) == 143  # every row of Phụ lục 2B, blanks included
    for code, value in SEED_APPENDIX.items():
        assert rows[code] == format_number(value), code
    assert rows["1.3.2"] == "1" and rows["7.1.8.3"] == "21,1" and rows["3.1.3.c"] == "175"
    assert rows["1.1.3"] == "" and rows["3.4.1"] == ""  # blank is not zero
    assert "(Lũy kế 22,68%)" in html


def test_narrative_figures_header_and_period_phrases(rendered):
    _, html, pdf_text, _ = rendered
    text = _plain(html)
    pdf = re.sub(r"\s+", " ", pdf_text)
    for needle in HEADER_LINES + NARRATIVE_FIGURES:
        assert needle in text, needle
        assert needle in pdf, needle
    for phrase in ["trong quý III, phương hướng nhiệm vụ quý IV năm 2021",
                   "NHIỆM VỤ CẢI CÁCH HÀNH CHÍNH QUÝ IV NĂM 2021"]:
        assert phrase in text
    # the commune states its dossiers and its budget itself: said once, in its words (not again generated)
    assert "số hồ sơ đã tiếp nhận 491 hồ sơ" in text and "tiếp nhận mới 491 hồ sơ" not in text
    assert "Tổng thu ngân sách trong quý III: 2 590 755 750 đồng, đạt 145,15%" in text
    assert "Tổng thu ngân sách quý III năm 2021" not in text
    assert "Nguyễn Quang Tỏa" in text and "TM. ỦY BAN NHÂN DÂN" in text
    assert "bưu chính công ích" in text  # the commune's own "Tồn tại hạn chế"
    assert "còn chậm, mới hoàn thành đúng hạn 1/6 nhiệm vụ" in text  # a finding of the data, in its voice
    assert "số liệu mẫu" not in text  # the seed alone is real data: no synthetic notice


def test_pdf_is_a4_with_embedded_vietnamese_fonts(rendered):
    result, _, pdf_text, _ = rendered
    info = subprocess.run(["pdfinfo", str(result.files["pdf"])], check=True, capture_output=True, text=True).stdout
    assert "595.276 x 841.89 pts (A4)" in info
    fonts = subprocess.run(["pdffonts", str(result.files["pdf"])], check=True, capture_output=True, text=True).stdout
    rows = [line.split() for line in fonts.splitlines()[2:] if line.strip()]
    assert rows and all("Liberation" in r[0] for r in rows)
    assert all(r[-5] == "yes" for r in rows)  # embedded
    assert "Độc lập - Tự do - Hạnh phúc" in pdf_text and "\ufffd" not in pdf_text
    pages = pdf_text.split("\f")
    assert not re.search(r"^\s*1\s*$", pages[0].splitlines()[0] if pages[0].splitlines() else "")
    assert pages[1].strip().startswith("2")  # page numbers from page 2, at the top


def test_html_is_self_contained(rendered):
    _, html, _, _ = rendered
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:|//|ftp:)""", html, flags=re.I)
    assert not re.search(r"url\(\s*['\"]?(?!data:|#)", html)  # only data: URLs and references inside the page
    assert "http://purl.org" not in html
    assert "<script" not in html.lower() and "<link" not in html.lower()
    assert html.count('src="data:image/svg+xml;base64,') == 4  # the charts travel inside the page


def test_injected_markup_is_escaped(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    text = SEED.read_text(encoding="utf-8").replace(
        "Trong Quý III phối hợp", "<script>alert('x')</script> <img src=x onerror=alert(1)> Trong Quý III phối hợp")
    assert "<script>" in text
    (raw / "hostile.md").write_text(text, encoding="utf-8")
    data = DataPaths(tmp_path)
    ingest(None, data=data)
    result = render_report("18217", "2021-Q3", data=data, outputs_dir=tmp_path / "out", formats=("html",))
    html = result.files["html"].read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(" in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<script" not in html and "<img src=x" not in html
    assert "pdf" not in result.files


def test_paths_stay_inside_the_outputs_directory(tmp_path):
    from datetime import date

    from pipeline.domain.periods import Period

    hostile = Commune("../../x", "../../etc/passwd", "xã", "439", "", "42", "", date(2020, 1, 1), None)
    target = report_dir(tmp_path, Period.parse("2021-Q3"), hostile)
    assert target.is_relative_to(tmp_path.resolve()) and target.name == "x-etc-passwd"


def test_formats_are_checked():
    assert parse_formats("html") == ("html",) and parse_formats(None) == ("html", "pdf")
    assert parse_formats("html,docx") == ("html", "docx")
    with pytest.raises(RenderError):
        parse_formats("odt")


def test_pdf_uses_the_bundled_font_and_fetches_nothing_else(tmp_path, caplog):
    """The @font-face files load through the local-only fetcher; an outside URL is refused."""
    import logging

    from pipeline.render.export import html_to_pdf

    html = ('<html><body><p style="font-family: \'Liberation Serif\'">Độc lập - Tự do - Hạnh phúc</p>'
            '<img src="https://example.org/x.png"></body></html>')
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        html_to_pdf(html, tmp_path / "t.pdf")
    messages = [r.getMessage() for r in caplog.records]
    assert not [m for m in messages if "LiberationSerif" in m]  # every bundled font file loaded
    assert any("example.org" in m for m in messages)  # the outside image was refused, not fetched
    fonts = subprocess.run(["pdffonts", str(tmp_path / "t.pdf")], check=True, capture_output=True, text=True).stdout
    assert "Liberation-Serif" in fonts


def test_notebook_to_html_keeps_html_outputs_and_escapes_the_title():
    import nbformat

    from pipeline.render.export import notebook_to_html

    cell = nbformat.v4.new_code_cell("x", outputs=[
        nbformat.v4.new_output("display_data",
                               data={"text/html": '<p class="kept">Đoạn <b>một</b></p>', "text/plain": "p"}),
        nbformat.v4.new_output("stream", name="stdout", text="hidden log line"),
        nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "img"}),
    ])
    html = notebook_to_html(nbformat.v4.new_notebook(cells=[cell]), title="Báo cáo <b>x</b> & y")
    assert "<title>Báo cáo &lt;b&gt;x&lt;/b&gt; &amp; y</title>" in html
    assert '<p class="kept">Đoạn <b>một</b></p>' in html  # the report's HTML goes through unchanged
    assert "hidden log line" not in html and ">x<" not in html  # no code, no logs
    assert re.findall(r"<img[^>]*>", html) and all("alt=" in tag for tag in re.findall(r"<img[^>]*>", html))


# --------------------------------------------------------------------------- archival PDF, draft
def _xmp(pdf) -> str:
    return subprocess.run(["pdfinfo", "-meta", str(pdf)], check=True, capture_output=True, text=True).stdout


def _catalog_lang(data: bytes) -> list[bytes]:
    """The ``/Lang`` entries of a PDF's objects, compressed object streams included."""
    import zlib

    found = re.findall(rb"/Lang\s*\(([^)]*)\)", data)
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, flags=re.S):
        try:
            found += re.findall(rb"/Lang\s*\(([^)]*)\)", zlib.decompress(m.group(1)))
        except zlib.error:
            continue
    return found


def test_the_pdf_is_pdf_a_with_the_reports_metadata(rendered):
    """PDF/A-3b identification and the metadata read back from the file: title the trích yếu, author the issuing
    body, subject the page title, language vi, a creation date; every font embedded."""
    result, _, _, _ = rendered
    pdf = result.files["pdf"]
    xmp = _xmp(pdf)
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp
    title = re.search(r"<dc:title>.*?<rdf:li[^>]*>(.*?)</rdf:li>", xmp, flags=re.S).group(1)
    assert title == ("Tình hình thực hiện công tác Cải cách hành chính trong quý III, phương hướng nhiệm vụ "
                     "quý IV năm 2021")  # the seed's own trích yếu
    assert re.search(r"<dc:creator><rdf:Seq><rdf:li>UBND xã Sơn Phú</rdf:li>", xmp)
    assert re.search(r"<dc:description>.*?>Báo cáo CCHC quý III năm 2021 - Xã Sơn Phú<", xmp, flags=re.S)
    assert re.search(r"<xmp:CreateDate>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ</xmp:CreateDate>", xmp)
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    assert re.search(r"^Author:\s+UBND xã Sơn Phú$", info, flags=re.M) and re.search(r"^CreationDate:", info, re.M)
    assert _catalog_lang(pdf.read_bytes()) == [b"vi"]
    fonts = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True).stdout
    assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:] if line.strip())


def test_pdf_metadata_come_from_the_page(tmp_path):
    from datetime import UTC, datetime

    from pipeline.render.export import html_to_pdf

    html = ('<html lang="vi"><head><title>Báo cáo CCHC quý IV năm 2021 - Xã A</title></head><body>'
            '<meta name="author" content="UBND xã A"><meta name="dcterms.title" content="Trích yếu &amp; thử">'
            '<p>Độc lập</p></body></html>')
    data = html_to_pdf(html, None, created=datetime(2021, 12, 20, 8, 30, tzinfo=UTC))
    (tmp_path / "a.pdf").write_bytes(data)
    xmp = _xmp(tmp_path / "a.pdf")
    assert ">Trích yếu &amp; thử<" in xmp and "<rdf:li>UBND xã A</rdf:li>" in xmp
    assert "<xmp:CreateDate>2021-12-20T08:30:00Z</xmp:CreateDate>" in xmp and 'pdfaid:part="3"' in xmp
    assert "dcterms.title" not in data.decode("latin-1")  # used as the title, not left as a custom entry


def _boxes(document, cls: str):
    """The layout boxes of the elements of class ``cls`` on every page, with their page number."""
    out = []
    for number, page in enumerate(document.pages, 1):
        stack = [page._page_box]
        while stack:
            box = stack.pop()
            element = getattr(box, "element", None)
            if element is not None and cls in (element.get("class") or "").split() and getattr(box, "element_tag",
                                                                                                    "") == "div":
                out.append((number, box))
            stack.extend(getattr(box, "children", []))
    return out


def test_the_signers_box_has_one_size_whatever_the_signer(tmp_path):
    """Room for the seal and a digital signature's visible stamp: the signer's box is 58 mm high, its top at the
    same place under the sign-off, whether the title takes one line or three and Nơi nhận two lines or nine."""
    from weasyprint import CSS, HTML

    from pipeline.config import TEMPLATES_DIR
    from pipeline.report import content as report
    from tests.helpers import synthetic_report

    css = CSS(string=(TEMPLATES_DIR / "nbconvert" / "cchc_report" / "report.css").read_text(encoding="utf-8"))
    short = synthetic_report({}, {})
    short.document = {"signer_title": "CHỦ TỊCH", "signer_name": "Nguyễn Văn A", "recipients": "A\nB"}
    long = synthetic_report({}, {})
    long.document = {"signer_role": "KT. CHỦ TỊCH", "signer_title": "PHÓ CHỦ TỊCH ỦY BAN NHÂN DÂN XÃ PHỤ TRÁCH "
                     "CÔNG TÁC CẢI CÁCH HÀNH CHÍNH", "signer_name": "Tôn Nữ Thị Phương Thảo Nguyên",
                     "recipients": "\n".join(f"Nơi nhận số {i}" for i in range(9))}
    found = []
    for rd in (short, long):
        page = f'<html lang="vi"><body>{report.closing_html(rd)}</body></html>'
        document = HTML(string=page).render(stylesheets=[css])
        (box,) = [b for _, b in _boxes(document, "signature-box")]
        found.append((round(box.border_height(), 2), round(box.position_y, 2), round(box.position_x, 2)))
    mm = 96 / 25.4  # CSS px per millimetre
    assert found[0] == found[1] and found[0][0] == round(58 * mm, 2)


def test_a_draft_is_marked_in_html_and_pdf_and_a_final_report_is_not(rendered):
    """--draft: DỰ THẢO on every PDF page, the number and day blank, the legend, every generated sentence tinted
    and titled with its sources; the report without it (the module's) has none of this."""
    result, html, pdf_text, root = rendered
    draft = render_report("18217", "2021-Q3", data=DataPaths(root), outputs_dir=root / "drafts", draft=True)
    d_html = draft.files["html"].read_text(encoding="utf-8")
    d_pdf = subprocess.run(["pdftotext", "-layout", str(draft.files["pdf"]), "-"], check=True, capture_output=True,
                           text=True).stdout
    pages = [p for p in d_pdf.split("\f") if p.strip()]
    assert len(pages) > 3 and all("DỰ THẢO" in p for p in pages)
    text = _plain(d_html)
    assert "52/BC-UBND" not in text and "ngày 14 tháng 9" not in text and "14/9/2021" not in text
    assert "Số: \u00a0\u00a0\u00a0\u00a0\u00a0\u00a0/BC-UBND" in d_html and "tháng 9 năm 2021" in text
    assert 'class="draft-legend"' in d_html and ".draft-mark { background:" in d_html
    generated = re.findall(r'<p class="generated[^"]*"', d_html)
    marked = re.findall(r'<p class="generated[^"]*draft-mark" title="Nguồn: [^"]+"', d_html)
    assert generated and len(marked) == len(generated)
    assert "Nguyễn Quang Tỏa" in text  # the document's signer still signs
    # without --draft
    assert "DỰ THẢO" not in html and "DỰ THẢO" not in pdf_text and "draft-legend\"" not in html
    assert 'draft-mark"' not in html and 'title="Nguồn' not in html and "52/BC-UBND" in html
    assert len(re.findall(r'<p class="generated[^"]*"', html)) == len(generated)


def test_the_summary_report_is_rendered_beside_the_areas_appendix(rendered):
    """``render_summary`` writes ``summary.{ipynb,html,pdf}`` into ``{period}/{area}-{slug}/`` and leaves the folder's
    other files alone; the page is self-contained and the PDF reads as the district office's report."""
    from pipeline.render.export import render_summary

    _, _, _, root = rendered
    folder = root / "outputs" / "2021-Q3" / "439-huong-son"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tong-hop.xlsx").write_bytes(b"kept")
    files = render_summary("439", "2021-Q3", data=DataPaths(root), outputs_dir=root / "outputs")
    assert {k: p.name for k, p in files.items()} == {"ipynb": "summary.ipynb", "html": "summary.html",
                                                     "pdf": "summary.pdf"}
    assert all(p.parent == folder for p in files.values()) and (folder / "tong-hop.xlsx").read_bytes() == b"kept"
    html = files["html"].read_text(encoding="utf-8")
    assert "<title>Báo cáo tổng hợp CCHC quý III năm 2021 - huyện Hương Sơn</title>" in html
    assert not re.search(r"(src|href)=\"(https?:)?//", html) and "<script" not in html
    text = subprocess.run(["pdftotext", "-layout", str(files["pdf"]), "-"], check=True, capture_output=True,
                          text=True).stdout
    assert "UBND HUYỆN HƯƠNG SƠN" in text and "PHÒNG NỘI VỤ" in text and "Xã Sơn Phú" in text
    assert not (folder / ".summary.").exists() and not list(folder.glob(".summary.*"))


def test_the_html_parser_builds_no_pattern_per_run_of_characters_and_parses_as_before(monkeypatch):
    """WeasyPrint's HTML parser (tinyhtml5) keeps its character-class patterns once primed: parsing a page compiles
    none (unprimed, it compiled one for every run of characters), and the page parses to the same tree."""
    import re as re_module
    import xml.etree.ElementTree as ET

    import tinyhtml5
    from tinyhtml5 import inputstream

    from pipeline.render.export import _prime_html_parser

    page = ('<!DOCTYPE html><html lang="vi"><head><style>p { margin: 0 }</style></head><body><!-- ghi chú -->'
            '<p class="a" title=\'b\' data-x=c>Độc lập &amp; Tự do<br>Hạnh phúc</p><table><tr><td>1<td>2</table>'
            '<![CDATA[x]]><img alt="" src="data:image/svg+xml;base64,PHN2Zz4="></body></html>')
    primed_keys = [key for key in inputstream.characters_until_regex if not isinstance(key[0], re_module.Pattern)]
    for key in primed_keys:  # as before priming
        del inputstream.characters_until_regex[key]
    compiled = []
    real_compile = re_module.compile
    monkeypatch.setattr(re_module, "compile", lambda *a, **k: compiled.append(a[0]) or real_compile(*a, **k))
    before = ET.tostring(tinyhtml5.parse(page))
    assert len(compiled) > 10  # a pattern built for (nearly) every run of characters
    _prime_html_parser.cache_clear()
    assert _prime_html_parser()
    compiled.clear()
    after = ET.tostring(tinyhtml5.parse(page))
    assert compiled == [] and after == before

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

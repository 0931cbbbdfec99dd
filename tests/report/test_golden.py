"""The whole text of one report, pinned: any change of wording shows up here as a diff to review.

Sơn Phú (18217) 2021-Q3 is rendered from the real seed report and the sample district (for the
comparisons and the district ranking), through the notebook to HTML, and its visible text (one
line per block; table cells joined by " | "; the text drawn in each chart, from its SVG) is
compared with ``tests/report/golden/son-phu_2021-Q3.txt``.

A deliberate wording change: ``CCHC_UPDATE_GOLDEN=1 pytest tests/report/test_golden.py`` rewrites the
file; review ``git diff tests/report/golden/`` and commit it with the change.
"""

from __future__ import annotations

import base64
import difflib
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pipeline.config import PROJECT_ROOT, DataPaths
from pipeline.ingest import ingest
from pipeline.metrics.compute import run_metrics
from pipeline.render.export import render_report
from tests.helpers import SEED

GOLDEN = Path(__file__).parent / "golden" / "son-phu_2021-Q3.txt"
SAMPLE = PROJECT_ROOT / "data" / "raw" / "sample"
#: Elements that end a line of text.
BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "li", "figcaption", "title", "header", "section",
          "table", "thead", "tbody", "figure", "main", "body", "br"}
CELLS = {"td", "th"}
SKIPPED = {"style", "script"}
_SVG = re.compile(r"^data:image/svg\+xml;base64,(.*)$", re.DOTALL)


class _Text(HTMLParser):
    """Visible text, one line per block; a data table's row is one line, its cells joined by " | ".

    Cells of layout tables (``role="presentation"``: the header, the signature block) are blocks.
    The text drawn in an SVG chart (``<text>`` elements) comes one line each, marked ``[SVG]``.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._line: list[str] = []
        self._cells: list[str] | None = None
        self._layout: list[bool] = []  # one per open table
        self._skip = 0

    def _in_data_table(self) -> bool:
        return bool(self._layout) and not self._layout[-1]

    def _flush(self) -> None:
        text = " ".join("".join(self._line).split())
        self._line = []
        if self._cells is not None:
            self._cells[-1] = " ".join(f"{self._cells[-1]} {text}".split())
        elif text:
            self.lines.append(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in SKIPPED:
            self._skip += 1
        elif tag == "table":
            self._flush()
            self._layout.append(attrs.get("role") == "presentation")
        elif tag in CELLS and self._in_data_table():
            self._flush()
            if self._cells is None:
                self._cells = []
            self._cells.append("")
        elif tag in BLOCKS or tag in CELLS:
            self._flush()
        elif tag == "img":
            match = _SVG.match(attrs.get("src") or "")
            if match:
                self._flush()
                self.lines.extend(f"[SVG] {t}" for t in svg_text(base64.b64decode(match.group(1)).decode("utf-8")))

    def handle_endtag(self, tag):
        if tag in SKIPPED:
            self._skip = max(0, self._skip - 1)
        elif tag == "table":
            self._flush()
            if self._layout:
                self._layout.pop()
        elif tag == "tr" and self._cells is not None:
            self._flush()
            cells, self._cells = self._cells, None
            if any(cells):
                self.lines.append(" | ".join(cells))
        elif tag in BLOCKS or tag in CELLS:
            self._flush()

    def handle_data(self, data):
        if not self._skip:
            self._line.append(data)

    def close(self) -> None:
        super().close()
        self._flush()


def svg_text(svg: str) -> list[str]:
    """The text drawn in a chart (titles, axis labels, legends, tick labels), in drawing order."""
    parser = HTMLParser()
    out: list[str] = []
    depth = {"text": 0}

    def start(tag, attrs):
        if tag == "text":
            depth["text"] += 1
            out.append("")

    def end(tag):
        if tag == "text":
            depth["text"] -= 1

    def data(text):
        if depth["text"]:
            out[-1] += text

    parser.handle_starttag, parser.handle_endtag, parser.handle_data = start, end, data
    parser.feed(svg)
    parser.close()
    return [" ".join(t.split()) for t in out if t.strip()]


def visible_text(html: str) -> str:
    """The report's visible text, one block a line (whitespace normalised), ending in a newline."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    return "\n".join(parser.lines) + "\n"


@pytest.fixture(scope="module")
def son_phu_html(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp("golden")
    (root / "raw").mkdir()
    shutil.copy(SEED, root / "raw" / SEED.name)
    shutil.copytree(SAMPLE, root / "raw" / "sample")
    data = DataPaths(root)
    ingest(None, data=data)
    run_metrics(data)
    result = render_report("18217", "2021-Q3", data=data, outputs_dir=root / "outputs", formats=("html",))
    return result.files["html"].read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def son_phu_text(son_phu_html) -> str:
    return visible_text(son_phu_html)


def test_report_text_matches_the_golden_file(son_phu_text):
    if os.environ.get("CCHC_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(son_phu_text, encoding="utf-8")
    assert GOLDEN.exists(), f"no golden file: run CCHC_UPDATE_GOLDEN=1 pytest {Path(__file__).name}"
    expected = GOLDEN.read_text(encoding="utf-8")
    if son_phu_text != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(keepends=True), son_phu_text.splitlines(keepends=True),
                                            fromfile=str(GOLDEN.relative_to(PROJECT_ROOT)), tofile="rendered", n=1))
        pytest.fail("the report's text changed "
                    "(if on purpose: CCHC_UPDATE_GOLDEN=1 pytest tests/report/test_golden.py, "
                    f"then review git diff tests/report/golden/):\n{diff}", pytrace=False)


def test_golden_text_covers_every_part(son_phu_text):
    """The snapshot is the whole report: parts I–III, closing, Phụ lục 2B and the numbered appendices (figures
    from the text, charts, ranking)."""
    for marker in ("I. KẾT QUẢ ĐẠT ĐƯỢC", "II. ĐÁNH GIÁ CHUNG", "III. NHIỆM VỤ CẢI CÁCH HÀNH CHÍNH", "Nơi nhận:",
                   "BIỂU ĐỒ", "Biểu đồ 3.", "[SVG] ", "Phụ lục 2B", "STT | Chỉ tiêu thống kê", "Phụ lục III"):
        assert marker in son_phu_text, marker


def test_visible_text_one_line_per_block():
    html = ("<html><head><title>T</title><style>p{}</style></head><body><p>a\n  b</p><div>c<em> d</em></div>"
            "<table><tr><th>x</th><td>y <b>z</b></td><td></td></tr></table>"
            "<table role=\"presentation\"><tr><td><p>l1</p><p>l2</p></td></tr></table></body></html>")
    assert visible_text(html) == "T\na b\nc d\nx | y z | \nl1\nl2\n"


# --------------------------------------------------------------------------- layout of the rendered report
#: What must never reach a reader: the pipeline's own indicator codes, a source file's name or hash.
INTERNAL = re.compile(r"\b[SR]\.[A-Z]{2,}[A-Z_.0-9]*|\b\w+\.(?:txt|xlsx|xls|docx|doc|csv|md|pdf)\b|\b[0-9a-f]{16}\b")
ATTACHED = "(Kèm theo Báo cáo số 52/BC-UBND ngày 14/9/2021 của UBND xã Sơn Phú)"


def _sections(html: str) -> list[tuple[str, str]]:
    """The report's top-level sections in order: (class, inner HTML)."""
    return re.findall(r'<section class="([^"]*)">(.*?)</section>', html, flags=re.S)


def test_no_internal_code_or_file_name_in_the_report(son_phu_html, son_phu_text):
    without_images = re.sub(r'src="data:[^"]*"', 'src=""', son_phu_html)
    assert not INTERNAL.findall(without_images)
    assert not INTERNAL.findall(son_phu_text)  # the text drawn in the charts included


def test_nothing_after_the_signature_but_appendices_each_with_its_attached_line(son_phu_html, son_phu_text):
    sections = _sections(son_phu_html)
    kinds = [cls.split()[0] for cls, _ in sections]
    closing = kinds.index("closing")
    assert closing == len(kinds) - 1 - kinds[::-1].index("closing")  # one closing
    after = sections[closing + 1:]
    assert len(after) == 4 and all(cls.split()[0] == "appendix" for cls, _ in after)
    labels = [re.search(r'class="appendix-label[^"]*">([^<]*)<', body).group(1) for _, body in after]
    assert labels == ["Phụ lục 2B", "Phụ lục I", "Phụ lục II", "Phụ lục III"]
    assert all(body.count(ATTACHED) == 1 for _, body in after)
    # and in the text: the signer's name, then straight on to Phụ lục 2B, its title, the attached line
    lines = son_phu_text.splitlines()
    signer = lines.index("Nguyễn Quang Tỏa")
    assert lines[signer + 1:signer + 4] == [
        "Phụ lục 2B", "THỐNG KÊ SỐ LIỆU VỀ KẾT QUẢ THỰC HIỆN CÔNG TÁC CCHC QUÝ III NĂM 2021 XÃ SƠN PHÚ", ATTACHED]
    # the last paragraph, Nơi nhận and the signature are kept together (one unbreakable block)
    sign_off = re.search(r'<div class="sign-off">(.*?)</table>\s*</div>', sections[closing][1], flags=re.S).group(1)
    assert "báo cáo cấp trên được biết" in sign_off and "Nơi nhận:" in sign_off and "Nguyễn Quang Tỏa" in sign_off
    assert ".sign-off { page-break-inside: avoid; break-inside: avoid; }" in son_phu_html


def test_appendix_2b_sub_rows_and_legends(son_phu_text):
    lines = son_phu_text.splitlines()
    # the rows breaking 3.1.3 down: "Trong đó" in the STT column, spanning them (the next rows have no STT cell)
    first = lines.index("Trong đó | Số TTHC cấp tỉnh: | Thủ tục |  | ")
    assert lines[first + 1:first + 3] == ["Số TTHC cấp huyện: | Thủ tục |  | ", "Số TTHC cấp xã: | Thủ tục | 175 | "]
    # a category's legend one item at a time, in the form's order
    assert "1.4.2 | Hình thức khảo sát | Trực tuyến = 0 Phát phiếu = 1 Kết hợp = 2 | 0 | " in lines
    # the seed's printed typos ("VBQGPL", "Công thông tin") shown as the catalogue's label
    assert "2.1 | Số VBQPPL đã ban hành/tham mưu ban hành | Văn bản | 0 | " in lines
    assert any(line.startswith("7.1.1 | Chất lượng Cổng thông tin điện tử |") for line in lines)
    assert "VBQGPL" not in son_phu_text and "Công thông tin" not in son_phu_text


def test_legend_items_are_not_broken(son_phu_html):
    cell = re.search(r'data-code="1.4.2">.*?<td class="unit">(.*?)</td>', son_phu_html, flags=re.S).group(1)
    assert re.findall(r'<span class="unit-item">([^<]*)</span>', cell) == [
        "Trực tuyến = 0", "Phát phiếu = 1", "Kết hợp = 2"]
    assert cell.count("<br>") == 2  # one item a line
    assert ".appendix-table .unit-item { white-space: nowrap; }" in son_phu_html


def test_charts_speak_of_quarters_and_say_what_they_draw(son_phu_text):
    drawn = [line[len("[SVG] "):] for line in son_phu_text.splitlines() if line.startswith("[SVG] ")]
    assert "Quý I/2020" in drawn and "Quý III/2021" in drawn
    assert not [t for t in drawn if re.fullmatch(r"Q[1-4]/\d{4}", t)]
    # each caption is the title drawn in its chart
    for caption in re.findall(r"^Biểu đồ \d+\. (.*)$", son_phu_text, flags=re.M):
        assert caption in drawn
    # Sơn Phú has no figure before quý I/2020: the trend charts draw 7 quarters and say so
    assert "Hồ sơ TTHC và tỷ lệ giải quyết đúng hạn, 7 quý gần nhất" in drawn
    # 2021 is before Nghị định 42/2022: levels 3 and 4, not toàn trình / một phần
    assert "Tỷ lệ hồ sơ xử lý trực tuyến mức độ 3" in drawn and "toàn trình" not in son_phu_text


def test_notice_names_only_the_comparisons_as_sample_data(son_phu_text):
    """Sơn Phú's own 2021-Q3 figures are real (the seed); its earlier quarters and the other communes are the
    sample district."""
    notices = [line for line in son_phu_text.splitlines() if line.startswith("Lưu ý:")]
    assert notices == ["Lưu ý: Số liệu các kỳ trước và của các xã, thị trấn khác dùng để so sánh là số liệu mẫu."]
    assert "synthetic" not in son_phu_text

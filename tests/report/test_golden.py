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
def son_phu_text(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp("golden")
    (root / "raw").mkdir()
    shutil.copy(SEED, root / "raw" / SEED.name)
    shutil.copytree(SAMPLE, root / "raw" / "sample")
    data = DataPaths(root)
    ingest(None, data=data)
    run_metrics(data)
    result = render_report("18217", "2021-Q3", data=data, outputs_dir=root / "outputs", formats=("html",))
    return visible_text(result.files["html"].read_text(encoding="utf-8"))


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
    """The snapshot is the whole report: parts I–III, closing, charts, ranking and Phụ lục 2B."""
    for marker in ("I. KẾT QUẢ ĐẠT ĐƯỢC", "II. ĐÁNH GIÁ CHUNG", "III. NHIỆM VỤ CẢI CÁCH HÀNH CHÍNH", "Nơi nhận:",
                   "BIỂU ĐỒ", "Biểu đồ 4.", "[SVG] ", "Phụ lục 2B", "STT | Chỉ tiêu thống kê"):
        assert marker in son_phu_text, marker


def test_visible_text_one_line_per_block():
    html = ("<html><head><title>T</title><style>p{}</style></head><body><p>a\n  b</p><div>c<em> d</em></div>"
            "<table><tr><th>x</th><td>y <b>z</b></td><td></td></tr></table>"
            "<table role=\"presentation\"><tr><td><p>l1</p><p>l2</p></td></tr></table></body></html>")
    assert visible_text(html) == "T\na b\nc d\nx | y z | \nl1\nl2\n"

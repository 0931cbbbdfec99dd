"""Word reports (``.docx``): the seed's kind of report in its original form.

The document is turned into the model the text reader works on (a list of
lines, and the appendix as table rows) and handed to
:func:`~pipeline.ingest.report_text.parse_report`, so that a report gives the
same values whether it arrives as Word or as text:

- paragraphs in reading order; a paragraph is a heading when its style is a
  heading style ("Heading 1", "Title", an outline level) or when it is a
  bold numbered line ("2. Công tác Cải cách thể chế"); a plain numbered
  paragraph (no style, no bold) is told to be a heading or not by the section
  reader, from its numbering and title
  (:func:`~pipeline.ingest.report_text.content_heading`); line breaks and tabs
  inside a paragraph start new lines;
- tables before the appendix (the header block "ỦY BAN NHÂN DÂN / XÃ SƠN PHÚ"
  beside "CỘNG HÒA …", the "Nơi nhận" / signature block) are read cell by
  cell, a blank line after each cell;
- the appendix is every table after the "Phụ lục" paragraph (or the first
  table whose header is that of Phụ lục 2B): its columns are found by their
  header, horizontally merged cells count once, the continuation of a
  vertically merged cell is blank (a "Trong đó" cell spanning several rows
  belongs to the first), header rows repeated in the table are dropped, and
  a row split over two rows is joined as in the text form; a later
  "Phụ lục" paragraph after the appendix's table(s) starts another appendix
  (the project's own Word report numbers its appendices I, II, … after Phụ lục
  2B): its tables are not Phụ lục 2B and are left out.

Row numbers: for narrative figures and header facts, the line's number in
reading order (paragraph lines and the lines of table cells before the
appendix); for appendix values, the row's number in the appendix table(s),
header rows included, counted across tables.
"""

from __future__ import annotations

import io
import re
import zipfile

from ..config import MAX_INPUT_BYTES, MAX_INPUT_CELLS
from ..domain.catalogue import Catalogue
from ..domain.communes import Registry
from ..domain.text import clean, match_key
from ..errors import InputError
from .base import Extract
from .detect import ColumnMap, locate_columns, read_member
from .registry import Source, reader
from .report_text import _HEADING_NUMBER, ReportLine, TableRow, parse_report
from .validate import issue

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"


def _q(tag: str) -> str:
    prefix, _, local = tag.partition(":")
    return "{" + {"w": _W, "mc": _MC}[prefix] + "}" + local


_P, _TBL, _TR, _TC, _SDT, _SDT_CONTENT, _CUSTOM_XML = (
    _q("w:p"), _q("w:tbl"), _q("w:tr"), _q("w:tc"), _q("w:sdt"), _q("w:sdtContent"), _q("w:customXml"))
_RULE = re.compile(r"^[\s_\-–—=.*·•]+$")
_POSITIONAL = ColumnMap(0, 0, {"stt": 0, "label": 1, "unit": 2, "value": 3, "note": 4})


def parse_docx(data: bytes, zf: zipfile.ZipFile, *, display: str, catalogue: Catalogue, registry: Registry,
               commune_hint: str | None = None, period_hint: str | None = None,
               hint_source: str = "file name") -> Extract:
    """Parse a Word report; file-level problems raise :class:`InputError`."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    xml = read_member(zf, "word/document.xml", display=display)
    if len(xml) > MAX_INPUT_BYTES:
        raise InputError(f"document too large once unpacked ({len(xml):,} bytes of text and layout)", file=display,
                         expected=f"at most {MAX_INPUT_BYTES:,} bytes (CCHC_MAX_INPUT_BYTES)")
    cells = xml.count(b"<w:tc>") + xml.count(b"<w:tc ")
    if cells > MAX_INPUT_CELLS:
        raise InputError(f"too many table cells ({cells:,})", file=display,
                         expected=f"at most {MAX_INPUT_CELLS:,} cells (CCHC_MAX_INPUT_CELLS)")
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile, SyntaxError) as exc:
        raise InputError(f"corrupt Word document: {exc}", file=display,
                         expected="an undamaged .docx (re-save it in Word or LibreOffice)") from None
    model = _Model(document)
    model.walk(document.element.body)
    extract = parse_report(
        model.lines, appendix_at=model.appendix_at, appendix_title=model.title(), table=model.table,
        display=display, catalogue=catalogue, registry=registry, commune_hint=commune_hint,
        period_hint=period_hint, hint_source=hint_source,
    )
    extract.issues += [issue("cells outside the table's columns ignored", file=display, row=row, severity="warning",
                             value=value, expected="5 columns: STT, label, unit, value, note")
                       for row, value in model.extra]
    return extract


class _Model:
    """The document as lines and appendix rows."""

    def __init__(self, document) -> None:
        self.styles = {s.style_id: s for s in document.styles}
        self.default_bold = False
        self.lines: list[ReportLine] = []
        self.appendix_at: int | None = None
        self.appendix_tables = 0
        self.table: list[TableRow] = []
        self.extra: list[tuple[int, str]] = []
        self.cmap: ColumnMap | None = None
        self.title_lines: list[str] = []
        self.appendix_done = False  # another appendix ("Phụ lục I") began after Phụ lục 2B's tables

    # -- walking --------------------------------------------------------------
    def walk(self, parent) -> None:
        for child in parent.iterchildren():
            if child.tag == _P:
                self._paragraph(child)
            elif child.tag == _TBL:
                self._table(child)
            elif child.tag in (_SDT, _CUSTOM_XML):
                content = child.find(_SDT_CONTENT) if child.tag == _SDT else child
                if content is not None:
                    self.walk(content)

    def _paragraph(self, p) -> None:
        heading = self._is_heading(p)
        for text in _lines_of(p):
            self.lines.append(ReportLine(text, heading and bool(text), len(self.lines) + 1))
            if self.appendix_at is None and match_key(text).startswith("phụ lục"):
                self.appendix_at = len(self.lines) - 1
            elif self.appendix_tables and match_key(text).startswith("phụ lục"):
                self.appendix_done = True
            elif self.appendix_at is not None and not self.appendix_tables and text:
                self.title_lines.append(text)

    def _table(self, tbl) -> None:
        if self.appendix_done:
            return
        grid = _grid(tbl)
        if self.appendix_at is None:
            cmap = locate_columns(grid, search=6)
            if cmap is None:
                for cells in _cell_lines(tbl):
                    for text in cells:
                        self.lines.append(ReportLine(text, False, len(self.lines) + 1, cell=True))
                    self.lines.append(ReportLine("", False, len(self.lines) + 1, cell=True))
                return
            self.appendix_at = len(self.lines)
        self._appendix(grid)

    def _appendix(self, grid: list[list[str]]) -> None:
        self.appendix_tables += 1
        cmap = locate_columns(grid, search=6)
        if cmap is not None:
            self.cmap = cmap
            self.title_lines += [" ".join(c for c in dict.fromkeys(row) if c) for row in grid[: cmap.header_row]]
            start = cmap.header_row
        else:
            start = 0
        cmap = self.cmap or _POSITIONAL
        for n, cells in enumerate(grid):
            number = len(self.table) + 1
            if n < start:
                continue
            picked = cmap.pick(cells)
            extra = cmap.extra(cells)
            if extra:
                self.extra.append((number, "; ".join(clean(cells[i]) for i in extra)))
            self.table.append(TableRow(picked, number, "\t".join(picked)))

    def title(self) -> str | None:
        if self.appendix_at is None:
            return None
        first = self.lines[self.appendix_at].text if self.appendix_at < len(self.lines) else ""
        return " ".join([first, *self.title_lines[:2]]).strip()

    # -- headings -------------------------------------------------------------
    def _is_heading(self, p) -> bool:
        ppr = p.find(_q("w:pPr"))
        style_id = None
        if ppr is not None:
            if ppr.find(_q("w:outlineLvl")) is not None and ppr.find(_q("w:outlineLvl")).get(_q("w:val")) != "9":
                return True
            ps = ppr.find(_q("w:pStyle"))
            style_id = ps.get(_q("w:val")) if ps is not None else None
        style = self.styles.get(style_id) if style_id else None
        style_bold = False
        for _ in range(6):
            if style is None:
                break
            name = (style.name or "").lower()
            if name.startswith(("heading", "title", "subtitle", "tiêu đề")):
                return True
            outline = style.element.find(f"{_q('w:pPr')}/{_q('w:outlineLvl')}")
            if outline is not None and outline.get(_q("w:val")) != "9":
                return True
            style_bold = style_bold or bool(style.font.bold)
            style = style.base_style
        text = clean("".join(_lines_of(p)))
        if not text or len(text) > 200 or not _HEADING_NUMBER.match(text):
            return False
        return _all_bold(p, style_bold)


def _all_bold(p, style_bold: bool) -> bool:
    runs = [r for r in p.iter(_q("w:r")) if "".join(t.text or "" for t in r.iter(_q("w:t"))).strip()]
    if not runs:
        return False
    for r in runs:
        b = r.find(f"{_q('w:rPr')}/{_q('w:b')}")
        bold = style_bold if b is None else b.get(_q("w:val"), "true") not in ("0", "false", "off")
        if not bold:
            return False
    return True


def _lines_of(p) -> list[str]:
    """The visible lines of a paragraph: text runs, a new line at each break or tab; rule lines blank."""
    parts: list[str] = []
    stack = [p]
    order = []
    while stack:  # depth-first, document order, skipping fallbacks of alternate content
        el = stack.pop()
        order.append(el)
        kids = [k for k in el if k.tag != _q("mc:Fallback")]
        stack.extend(reversed(kids))
    for el in order:
        tag = el.tag
        if tag == _q("w:t"):
            parts.append(el.text or "")
        elif tag in (_q("w:tab"), _q("w:br"), _q("w:cr")):
            parts.append("\n")
        elif tag == _q("w:noBreakHyphen"):
            parts.append("-")
        elif tag == _P and el is not p:
            parts.append("\n")
    lines = [clean(x) for x in "".join(parts).split("\n")]
    lines = ["" if _RULE.match(x or " ") and x else x for x in lines]
    kept = [x for x in lines if x]
    return kept or [""]


def _cell_text(tc) -> str:
    return " ".join(x for p in tc.iter(_P) for x in _lines_of(p) if x)


def _rows(tbl):
    for child in tbl.iterchildren():
        if child.tag == _TR:
            yield child
        elif child.tag in (_SDT, _CUSTOM_XML):
            content = child.find(_SDT_CONTENT) if child.tag == _SDT else child
            if content is not None:
                yield from _rows(content)


def _cells(tr):
    for child in tr.iterchildren():
        if child.tag == _TC:
            yield child
        elif child.tag in (_SDT, _CUSTOM_XML):
            content = child.find(_SDT_CONTENT) if child.tag == _SDT else child
            if content is not None:
                yield from _cells(content)


def _span(tc) -> tuple[int, bool]:
    """(grid columns spanned, whether it continues a vertical merge)."""
    tcpr = tc.find(_q("w:tcPr"))
    if tcpr is None:
        return 1, False
    span_el = tcpr.find(_q("w:gridSpan"))
    vmerge = tcpr.find(_q("w:vMerge"))
    span = int(span_el.get(_q("w:val"), "1")) if span_el is not None else 1
    return max(span, 1), vmerge is not None and vmerge.get(_q("w:val"), "continue") != "restart"


def _grid(tbl) -> list[list[str]]:
    """Cell texts by grid column: a merged cell's text once, in its first column and row."""
    grid = []
    for tr in _rows(tbl):
        trpr = tr.find(_q("w:trPr"))
        before = trpr.find(_q("w:gridBefore")) if trpr is not None else None
        row = [""] * (int(before.get(_q("w:val"), "0")) if before is not None else 0)
        for tc in _cells(tr):
            span, continued = _span(tc)
            row.append("" if continued else _cell_text(tc))
            row += [""] * (span - 1)
        grid.append(row)
    return grid


def _cell_lines(tbl) -> list[list[str]]:
    """A table outside the appendix, cell by cell (each cell's lines), merged continuations left out."""
    out = []
    for tr in _rows(tbl):
        for tc in _cells(tr):
            if _span(tc)[1]:
                continue
            out.append([x for p in tc.iter(_P) for x in _lines_of(p)])
    return out


@reader("docx", rank=31, recognises=lambda s: s.is_zip and s.office_kind == "docx")
def read_docx(source: Source, *, catalogue: Catalogue, registry: Registry) -> Extract:
    """A Word document (a zip holding ``word/document.xml``)."""
    return parse_docx(source.data, source.zip, display=source.display, catalogue=catalogue, registry=registry,
                      commune_hint=source.clue.commune_code, period_hint=source.clue.period)

"""Write the seed report's content as Office files: a Word report and an Excel appendix.

- ``<stem>.docx``: the whole report as a commune would send it: the header as
  a borderless table (issuing body beside the national motto, number beside
  place and date), headings in Word heading styles, paragraphs, the "Nơi
  nhận" / signature block as a table, then on a new page "Phụ lục 2B" and the
  appendix as one Word table: a two-row header marked to repeat on every
  page ("Kết quả thống kê" merged over "Đơn vị tính | Số liệu"), section rows
  in bold with the label merged across the row, "Trong đó" merged down its
  sub-rows, rows that the text form splits at page breaks (3.4.5, 5.3.1) as
  one row.  ``--pages`` writes instead the table exactly as the text has it:
  the header repeated as ordinary rows and split rows left split.
- ``<stem>.xlsx``: the appendix only, as a commune types it: "UBND XÃ SƠN PHÚ",
  "THỐNG KÊ SỐ LIỆU … QUÝ III NĂM 2021" above the table, a blank first column,
  merged header cells with a row numbering the columns, the header repeated
  once, a blank row, the signature block under the table, numbers some as
  Excel numbers and some as text ("01" as text), one percentage formatted as % and one value computed by a formula
  (its result stored, as Excel does).

The text of the seed is the only source: the files say what it says.  With
``--fixtures DIR`` the script also writes the malformed Office files used by
the tests, each named for its defect.

Used by ``scripts/make_office_seed.py`` (``python scripts/make_office_seed.py [-o DIR] [--pages]
[--fixtures DIR]``), by the sample-district generator (its Word reports) and by the tests.
"""

from __future__ import annotations

import argparse
import io
import re
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.config import PROJECT_ROOT
from pipeline.domain.text import clean, match_key

SEED = PROJECT_ROOT / "data" / "raw" / "000_9c1b2be0e2b3796f.txt"
FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "office"
XLSX_ISSUER = "UBND XÃ SƠN PHÚ"
XLSX_TITLE = "THỐNG KÊ SỐ LIỆU VỀ KẾT QUẢ THỰC HIỆN CÔNG TÁC CCHC QUÝ III NĂM 2021"


# ---------------------------------------------------------------------------
# the seed, split into its parts


@dataclass
class AppendixRow:
    """One row of the appendix as Word would hold it (markup kept in the cells)."""

    cells: list[str]  # STT, label, unit, value, note
    trong_do: int = 0  # rows spanned by a "Trong đó" STT cell starting here (0: none)
    member: bool = False  # a row under a "Trong đó" cell

    @property
    def code(self) -> str:
        return clean(self.cells[0]).rstrip(".")

    @property
    def section(self) -> bool:
        return bool(re.fullmatch(r"\d+", self.code)) and not any(clean(c) for c in self.cells[2:])


@dataclass
class Seed:
    header: list[list[str]]  # blocks of the header (issuer, motto, number, place and date)
    body: list[str]  # Markdown lines from the title to the recipients
    recipients: list[str]
    signature: list[str]
    appendix_title: list[str]
    table: list[list[str]]  # the appendix rows exactly as the text has them
    rows: list[AppendixRow] = field(default_factory=list)


def read_seed(text: str) -> Seed:
    lines = text.split("\n")
    title_at = next(i for i, line in enumerate(lines) if re.match(r"^#+\s*BÁO CÁO\s*$", line))
    recipients_at = next(i for i, line in enumerate(lines) if "Nơi nhận" in line)
    appendix_at = next(i for i, line in enumerate(lines) if clean(line.replace("*", "")).startswith("Phụ lục"))
    blocks, block = [], []
    for line in lines[:title_at]:
        if line.strip():
            block.append(_strip_md(line))
        elif block:
            blocks.append(block)
            block = []
    if block:
        blocks.append(block)
    tail = [_strip_md(line) for line in lines[recipients_at + 1: appendix_at]]
    recipients = [t for t in tail if t.startswith("-")]
    signature = [t for t in tail if t and not t.startswith("-")]
    title = [_strip_md(line) for line in lines[appendix_at: appendix_at + 2]]
    table = [line.split("\t") for line in lines[appendix_at:] if "\t" in line]
    seed = Seed(blocks, lines[title_at:recipients_at], recipients, signature, title, table)
    seed.rows = logical_rows(table)
    return seed


def _strip_md(line: str) -> str:
    return clean(re.sub(r"^#+\s*", "", line).replace("**", "").replace("*", ""))


def _is_header(cells: list[str]) -> bool:
    stt, unit = clean(cells[0]), clean(cells[2]) if len(cells) > 2 else ""
    return match_key(stt) == "stt" or (not stt and match_key(unit) == "đơn vị tính")


def logical_rows(table: list[list[str]]) -> list[AppendixRow]:
    """The appendix as one row per item: header repeats dropped, split rows joined, "Trong đó" groups marked."""
    rows: list[AppendixRow] = []
    group: AppendixRow | None = None
    for cells in table:
        cells = (cells + [""] * 5)[:5]
        if _is_header(cells):
            continue
        stt, label, unit, value, note = (clean(c) for c in cells)
        if rows and not stt and not value and not note and bool(label) != bool(unit):
            prev = rows[-1]
            if unit:
                prev.cells[2] += "\n" + cells[2]  # the legend of 5.3.1, split at the page break
            else:
                prev.cells[1] += " " + cells[1]  # the label of 3.4.5, split at the page break
            continue
        row = AppendixRow(list(cells))
        if match_key(stt) in ("trong đó", "trong"):
            row.cells[0], row.trong_do, group = "Trong đó", 1, row
        elif group is not None and match_key(stt) in ("", "đó"):
            row.cells[0], row.member = "", True
            group.trong_do += 1
        else:
            group = None
        rows.append(row)
    return rows


# ---------------------------------------------------------------------------
# Word


def _runs(text: str) -> list[tuple[str, bool, bool]]:
    """Text with <b>/<i> (cells) or **/* (Markdown) markup → (text, bold, italic) runs."""
    out, bold, italic = [], False, False
    for token in re.split(r"(</?b>|</?i>|\*\*|\*)", text):
        if token in ("<b>", "</b>", "**"):
            bold = token != "</b>" and (token == "<b>" or not bold)
        elif token in ("<i>", "</i>", "*"):
            italic = token != "</i>" and (token == "<i>" or not italic)
        elif token:
            out.append((token, bold, italic))
    return out


def _para(container, text: str, *, style: str | None = None, bold: bool = False, italic: bool = False,
          align=None, size: float | None = None):
    from docx.shared import Pt

    p = container.add_paragraph(style=style) if style else container.add_paragraph()
    for chunk, b, i in _runs(text.rstrip()):
        run = p.add_run(re.sub(r"\s+", " ", chunk) if "\n" not in chunk else chunk)
        run.bold = True if (b or bold) else None
        run.italic = True if (i or italic) else None
        if size:
            run.font.size = Pt(size)
    if align is not None:
        p.alignment = align
    return p


def _cell_text(cell, text: str, *, bold: bool = False, align=None) -> None:
    """Fill a table cell: one paragraph per line of ``text``, markup as runs."""
    first = True
    for line in text.split("\n"):
        p = cell.paragraphs[0] if first else cell.add_paragraph()
        first = False
        for chunk, b, i in _runs(line):
            run = p.add_run(chunk)
            run.bold = True if (b or bold) else None
            run.italic = True if i else None
        if align is not None:
            p.alignment = align


def _no_borders(table) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    table._tbl.tblPr.append(borders)


def _repeat_header(row) -> None:
    from docx.oxml import OxmlElement

    row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))


def write_docx(seed: Seed, path: Path, *, pages: bool = False) -> Path:
    """The whole report as a Word document (see the module docstring)."""
    import docx
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.shared import Cm, Pt

    centre, justify = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.JUSTIFY
    doc = docx.Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21)
    section.top_margin = section.bottom_margin = Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(1.5)
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = "Times New Roman", Pt(14)
    for level in range(1, 7):
        style = doc.styles[f"Heading {level}"]
        style.font.name, style.font.size, style.font.color.rgb = "Times New Roman", Pt(14), None
        style.font.bold = True

    # header: issuing body | motto ; number | place and date
    head = doc.add_table(rows=2, cols=2)
    _no_borders(head)
    issuer, motto, number, dated = (seed.header + [[], [], [], []])[:4]
    _cell_text(head.cell(0, 0), "\n".join(issuer), bold=True, align=centre)
    _cell_text(head.cell(0, 1), "\n".join(motto), bold=True, align=centre)
    _cell_text(head.cell(1, 0), "\n".join(number), align=centre)
    _cell_text(head.cell(1, 1), "\n".join(f"<i>{x}</i>" for x in dated), align=centre)

    for line in seed.body:
        if not line.strip():
            continue
        m = re.match(r"^(#+)\s*(.*)$", line)
        if m:
            text = m.group(2)
            level = max(1, min(len(m.group(1)) - 1, 6))
            p = _para(doc, text, style=f"Heading {level}")
            if match_key(_strip_md(text)) == "báo cáo" or level <= 2:
                p.alignment = centre
        else:
            p = _para(doc, line)
            p.alignment = justify
            p.paragraph_format.first_line_indent = Cm(1.27)

    # recipients | signature
    sign = doc.add_table(rows=1, cols=2)
    _no_borders(sign)
    left, right = sign.cell(0, 0), sign.cell(0, 1)
    _cell_text(left, "<b><i>Nơi nhận:</i></b>\n" + "\n".join(seed.recipients))
    role, *rest = seed.signature
    _cell_text(right, "\n".join([role, *rest[:-1], "", "", rest[-1]]), bold=True, align=centre)

    # the appendix, on a new page
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    for line in seed.appendix_title:
        _para(doc, line, bold=True, align=centre)
    if pages:
        _table_as_pages(doc, seed)
    else:
        _table_as_word(doc, seed)
    for table in doc.tables[2:]:
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(path)
    return path


def _table_as_word(doc, seed: Seed) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    rows = seed.rows
    table = doc.add_table(rows=2 + len(rows), cols=5)
    table.style = doc.styles["Table Grid"]
    grid = [row.cells for row in table.rows]  # table.cell() is slow on long tables
    for cells in grid:
        for cell, width in zip(cells, (Cm(1.5), Cm(8.5), Cm(3), Cm(1.8), Cm(2.2))):
            cell.width = width
    centre = WD_ALIGN_PARAGRAPH.CENTER
    hdr = seed.table[0]
    top = [grid[0][0].merge(grid[1][0]), grid[0][1].merge(grid[1][1]), grid[0][2].merge(grid[0][3]),
           grid[0][4].merge(grid[1][4])]
    for cell, text in zip(top, (hdr[0], hdr[1], hdr[2], hdr[4])):
        _cell_text(cell, f"<b>{clean(text)}</b>" if "<" not in text else text, align=centre)
    _cell_text(grid[1][2], "<b>Đơn vị tính</b>", align=centre)
    _cell_text(grid[1][3], "<b>Số liệu</b>", align=centre)
    _repeat_header(table.rows[0])
    _repeat_header(table.rows[1])
    for n, row in enumerate(rows, start=2):
        cells = row.cells
        if row.section:
            merged = grid[n][1].merge(grid[n][4])
            _cell_text(grid[n][0], cells[0], bold=True)
            _cell_text(merged, cells[1], bold=True)
            continue
        for col, text in enumerate(cells):
            if col == 0 and row.member:
                continue
            _cell_text(grid[n][col], text, align=centre if col in (0, 3) else None)
        if row.trong_do > 1:
            merged = grid[n][0].merge(grid[n + row.trong_do - 1][0])
            for p in merged.paragraphs[1:]:
                p._p.getparent().remove(p._p)


def _table_as_pages(doc, seed: Seed) -> None:
    table = doc.add_table(rows=len(seed.table), cols=5)
    table.style = doc.styles["Table Grid"]
    for row, cells in zip(table.rows, seed.table):
        for cell, text in zip(row.cells, (cells + [""] * 5)[:5]):
            if text:
                _cell_text(cell, text)


# ---------------------------------------------------------------------------
# Excel


def write_xlsx(seed: Seed, path: Path, *, issuer: str = XLSX_ISSUER, title: str = XLSX_TITLE,
               sheet: str = "PL 2B", rows: list[AppendixRow] | None = None, tweak=None,
               extra_sheets: dict | None = None) -> Path:
    """The appendix as a commune types it in Excel (see the module docstring).

    ``rows`` (default: the whole appendix) and ``tweak(ws, at)`` — called with
    the sheet and the row number of each code — let the fixtures vary it.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    rows = seed.rows if rows is None else rows
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    _appendix_sheet(ws, rows, issuer=issuer, title=title, tweak=tweak,
                    styles=(Font, Alignment, Border, Side))
    for name, (s_issuer, s_title, s_rows) in (extra_sheets or {}).items():
        _appendix_sheet(wb.create_sheet(name), s_rows, issuer=s_issuer, title=s_title, tweak=None,
                        styles=(Font, Alignment, Border, Side))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    wb.save(buffer)
    path.write_bytes(_store_formula_results(buffer.getvalue(), getattr(ws, "_cached_results", {})))
    return path


def _appendix_sheet(ws, rows: list[AppendixRow], *, issuer: str, title: str, tweak, styles) -> None:
    from pipeline.cells import set_cell

    Font, Alignment, Border, Side = styles
    bold, italic = Font(name="Times New Roman", bold=True), Font(name="Times New Roman", italic=True)
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.column_dimensions["A"].width = 2  # a blank first column
    for letter, width in zip("BCDEF", (9, 60, 20, 10, 18)):
        ws.column_dimensions[letter].width = width
    if issuer:
        ws["B1"] = issuer
        ws.merge_cells("B1:C1")
        ws["B1"].font = bold
    ws["E1"] = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    ws["E2"] = "Độc lập - Tự do - Hạnh phúc"
    ws["B4"] = "Phụ lục 2B"
    ws.merge_cells("B4:F4")
    if title:
        ws["B5"] = title
        ws.merge_cells("B5:F5")
    ws["B6"] = "(Kèm theo Báo cáo số 52/BC-UBND ngày 14/9/2021 của UBND xã Sơn Phú)" if "SƠN PHÚ" in issuer else ""
    for ref in ("B4", "B5"):
        ws[ref].font, ws[ref].alignment = bold, centre
    ws["B6"].font = italic
    r = _header(ws, 8, bold, centre, box)
    ws.cell(r, 2, "(1)"), ws.cell(r, 3, "(2)"), ws.cell(r, 4, "(3)"), ws.cell(r, 5, "(4)"), ws.cell(r, 6, "(5)")
    r += 1
    at: dict[str, int] = {}
    for n, row in enumerate(rows):
        code = row.code
        if code == "4" and row.section:  # a blank row, then the header repeated, as pasted from another page
            r += 1
            r = _header(ws, r, bold, centre, box)
        stt, label, unit, value, note = (clean(c) for c in row.cells)
        set_cell(ws.cell(r, 2), None if row.member else stt)
        set_cell(ws.cell(r, 3), label)
        set_cell(ws.cell(r, 4), unit)
        set_cell(ws.cell(r, 6), note or None)
        set_cell(ws.cell(r, 5), _typed(value, n))
        for col in range(2, 7):
            ws.cell(r, col).border = box
        if row.section or "<b>" in row.cells[1]:
            ws.cell(r, 2).font = ws.cell(r, 3).font = bold
        if row.section:
            ws.merge_cells(start_row=r, start_column=3, end_row=r, end_column=6)
        if row.trong_do > 1:
            ws.merge_cells(start_row=r, start_column=2, end_row=r + row.trong_do - 1, end_column=2)
        at.setdefault(_canonical(code, label), r)
        r += 1
    if "SƠN PHÚ" in issuer:  # the signature block under the table
        r += 1
        ws.cell(r, 5, "Sơn Phú, ngày 14 tháng 9 năm 2021").font = italic
        ws.merge_cells(start_row=r, start_column=5, end_row=r, end_column=6)
        for text_left, text_right in (("NGƯỜI LẬP BIỂU", "TM. ỦY BAN NHÂN DÂN"), (None, "CHỦ TỊCH"),
                                      ("Phan Thị Hà", "Nguyễn Quang Tỏa")):
            r += 1
            ws.cell(r, 3, text_left).font = bold
            ws.cell(r, 5, text_right).font = bold
            ws.merge_cells(start_row=r, start_column=5, end_row=r, end_column=6)
    _special_cells(ws, at)
    if tweak is not None:
        tweak(ws, at)


def _header(ws, r: int, bold, centre, box) -> int:
    ws.cell(r, 2, "STT")
    ws.cell(r, 3, "Chỉ tiêu thống kê (Sử dụng trong kỳ báo cáo hàng quý, 6 tháng, năm)")
    ws.cell(r, 4, "Kết quả thống kê")
    ws.cell(r, 6, "Ghi chú")
    ws.cell(r + 1, 4, "Đơn vị tính")
    ws.cell(r + 1, 5, "Số liệu")
    ws.merge_cells(start_row=r, start_column=2, end_row=r + 1, end_column=2)
    ws.merge_cells(start_row=r, start_column=3, end_row=r + 1, end_column=3)
    ws.merge_cells(start_row=r, start_column=4, end_row=r, end_column=5)
    ws.merge_cells(start_row=r, start_column=6, end_row=r + 1, end_column=6)
    for rr in (r, r + 1):
        for col in range(2, 7):
            ws.cell(rr, col).font, ws.cell(rr, col).alignment, ws.cell(rr, col).border = bold, centre, box
    return r + 2


def _canonical(code: str, label: str) -> str:
    """A key for the rows the writer treats specially (the seed's duplicated codes need the label)."""
    return code if code else match_key(label)[:30]


def _typed(value: str, n: int):
    """The seed's value text as a commune would type it: "01" stays text, others alternate number and text."""
    text = clean(value)
    if not text:
        return None
    if text.startswith("0") and len(text) > 1 and "," not in text:
        return text  # "01", "02": typed with a leading apostrophe
    if "," in text:
        return float(text.replace(",", "."))  # 21,1 typed in a Vietnamese Excel is the number 21.1
    return int(text) if n % 2 == 0 else text


def _special_cells(ws, at: dict[str, int]) -> None:
    """One percentage formatted as %, one value computed by a formula with its result stored."""
    if "3.3.3" in at:
        cell = ws.cell(at["3.3.3"], 5)
        if cell.value not in (None, ""):
            cell.value = float(str(cell.value).replace(",", ".")) / 100
            cell.number_format = "0%"
    if {"7.2.5.3", "7.2.5.1", "7.2.5.2"} <= set(at):
        r, a, b = at["7.2.5.3"], at["7.2.5.1"], at["7.2.5.2"]
        if ws.cell(r, 5).value not in (None, ""):
            ws.cell(r, 5).value = f"=ROUND(E{a}/E{b}*100,0)"
            ws._cached_results = {f"E{r}": "100"}


def _store_formula_results(data: bytes, results: dict[str, str], *, sheet: str = "xl/worksheets/sheet1.xml") -> bytes:
    """Put formulas' results into the file, as Excel does on saving (openpyxl writes none)."""
    if not results:
        return data
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            part = src.read(info.filename)
            if info.filename == sheet:
                text = part.decode("utf-8")
                for ref, value in results.items():
                    text = re.sub(rf'(<c r="{ref}"[^>]*>)(<f>[^<]*</f>)<v\s*/?>(?:</v>)?', rf"\1\2<v>{value}</v>", text)
                part = text.encode("utf-8")
            dst.writestr(info, part)
    return out.getvalue()


# ---------------------------------------------------------------------------
# malformed files for the tests


def ole_file(streams: dict[str, bytes]) -> bytes:
    """A minimal OLE compound file (CFB v3) holding ``streams`` (each padded to ≥ 4096 bytes, no mini stream).

    Encrypted Office files are such a container with the streams
    ``EncryptionInfo`` and ``EncryptedPackage``; old ``.doc`` files hold
    ``WordDocument``.
    """
    end, free, fat_sect, nostream = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    names = list(streams)
    datas = [streams[n].ljust(max(4096, -(-len(streams[n]) // 512) * 512), b"\0") for n in names]
    fat = [fat_sect, end]  # sector 0: the FAT, sector 1: the directory
    starts = []
    for d in datas:
        first, count = len(fat), len(d) // 512
        starts.append(first)
        fat += [first + i + 1 for i in range(count - 1)] + [end]
    assert len(fat) <= 128 and len(names) <= 3
    fat += [free] * (128 - len(fat))
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16 + struct.pack(
        "<HHHHH6sIIIIIIIII", 0x3E, 3, 0xFFFE, 9, 6, b"\0" * 6, 0, 1, 1, 0, 4096, end, 0, end, 0)
    header += struct.pack("<I", 0) + struct.pack("<I", free) * 108

    def entry(name: str, kind: int, left: int, right: int, child: int, start: int, size: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0" if name else b""
        return (raw.ljust(64, b"\0") + struct.pack("<HBBIII", len(raw), kind, 1, left, right, child)
                + b"\0" * 16 + b"\0" * 4 + b"\0" * 16 + struct.pack("<IQ", start, size))

    # a chain of right siblings, sorted as CFB wants (by length, then by upper-case name)
    order = sorted(range(len(names)), key=lambda i: (len(names[i]), names[i].upper()))
    entries = [entry("Root Entry", 5, nostream, nostream, order[0] + 1 if order else nostream, end, 0)]
    by_id = {}
    for pos, i in enumerate(order):
        right = order[pos + 1] + 1 if pos + 1 < len(order) else nostream
        by_id[i] = entry(names[i], 2, nostream, right, nostream, starts[i], len(streams[names[i]]))
    entries += [by_id[i] for i in range(len(names))]
    while len(entries) < 4:
        entries.append(b"\0" * 64 + struct.pack("<HBBIII", 0, 0, 0, nostream, nostream, nostream) + b"\0" * 52)
    return header + struct.pack("<128I", *fat) + b"".join(entries) + b"".join(datas)


def _encrypted() -> bytes:
    info = (struct.pack("<HHI", 4, 4, 0x40) + b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
            b'<encryption xmlns="http://schemas.microsoft.com/office/2006/encryption">'
            b'<keyData saltSize="16" blockSize="16" keyBits="256" hashSize="64" cipherAlgorithm="AES" '
            b'cipherChaining="ChainingModeCBC" hashAlgorithm="SHA512"/></encryption>')
    package = struct.pack("<Q", 7000) + bytes((i * 73 + 41) % 256 for i in range(7000))
    return ole_file({"EncryptionInfo": info, "EncryptedPackage": package})


def _zip_with(data: bytes, replace: dict[str, bytes]) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, replace.get(info.filename, src.read(info.filename)), zipfile.ZIP_DEFLATED)
    return out.getvalue()


def write_fixtures(seed: Seed, target: Path) -> list[Path]:
    """The malformed Office files, each named for its defect (plus nothing else)."""
    target.mkdir(parents=True, exist_ok=True)
    few = [r for r in seed.rows
           if r.code in ("1", "1.1", "1.1.1", "1.1.2", "1.3", "1.3.1", "1.3.2", "3", "3.4", "3.4.3")]
    written: list[Path] = []

    def xlsx(name: str, **kw) -> Path:
        kw.setdefault("rows", few)
        path = write_xlsx(seed, target / name, **kw)
        written.append(path)
        return path

    def set_value(code: str, value, fmt: str | None = None):
        def tweak(ws, at):
            ws.cell(at[code], 5).value = value
            if fmt:
                ws.cell(at[code], 5).number_format = fmt
        return tweak

    def raw(name: str, data: bytes) -> None:
        (target / name).write_bytes(data)
        written.append(target / name)

    # container-level defects
    xlsx("xlsx_truncated.xlsx")
    raw("xlsx_truncated.xlsx", (target / "xlsx_truncated.xlsx").read_bytes()[:1500])
    raw("xlsx_password_protected.xlsx", _encrypted())
    raw("docx_password_protected.docx", _encrypted())
    raw("old_binary_word.doc", ole_file({"WordDocument": b"\xec\xa5" + b"\0" * 600}))
    raw("xlsx_renamed_text_file.xlsx", "STT;Chỉ tiêu;Số liệu\n1.1.1;Số nhiệm vụ;6\n".encode())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("bao_cao.txt", "BÁO CÁO")
    raw("zip_archive_not_office.zip", buffer.getvalue())
    base = write_xlsx(seed, target / "_base.xlsx", rows=few).read_bytes()
    (target / "_base.xlsx").unlink()
    sheet = zipfile.ZipFile(io.BytesIO(base)).read("xl/worksheets/sheet1.xml")
    raw("xlsx_zip_bomb.xlsx", _zip_with(base, {"xl/worksheets/sheet1.xml": sheet.replace(
        b"<sheetData>", b"<sheetData>" + b" " * 30_000_000)}))
    raw("xlsx_huge_sheet_stray_cell.xlsx", _zip_with(base, {"xl/worksheets/sheet1.xml": sheet.replace(
        b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>')}))
    raw("xlsx_corrupt_sheet_xml.xlsx", _zip_with(base, {"xl/worksheets/sheet1.xml": sheet[: len(sheet) // 2]}))
    # layout, commune and period
    wb_unrec = write_xlsx(seed, target / "xlsx_unrecognised_layout.xlsx", rows=[], issuer="", title="")
    from openpyxl import load_workbook

    book = load_workbook(wb_unrec)
    ws = book.active
    ws.delete_rows(1, ws.max_row)
    for row in (["Họ tên", "Chức vụ", "Điện thoại"], ["Nguyễn Văn A", "Công chức", "0912345678"]):
        ws.append(row)
    book.save(wb_unrec)
    written.append(wb_unrec)
    xlsx("xlsx_period_conflict.xlsx", sheet="2021-Q2")
    xlsx("18133_2021-Q3_commune_conflict.xlsx")
    xlsx("xlsx_without_period.xlsx", title="THỐNG KÊ SỐ LIỆU VỀ KẾT QUẢ THỰC HIỆN CÔNG TÁC CCHC")
    xlsx("xlsx_without_commune.xlsx", issuer="")
    xlsx("xlsx_unknown_commune.xlsx", issuer="UBND XÃ KHÔNG TỒN TẠI")
    # values
    xlsx("xlsx_bad_percent_over_100.xlsx", tweak=set_value("3.4.3", 120))
    xlsx("xlsx_value_not_a_number.xlsx", tweak=set_value("1.1.1", "sáu"))
    import datetime as dt

    xlsx("xlsx_date_in_value_cell.xlsx", tweak=set_value("1.3.1", dt.datetime(2021, 6, 1), "dd/mm/yyyy"))
    xlsx("xlsx_value_only_unit.xlsx", tweak=set_value("1.1.1", "đồng"))

    def swapped(ws, at):  # the unit typed in the value column and the figure in the unit column
        r = at["3.4.3"]
        ws.cell(r, 4).value, ws.cell(r, 5).value = ws.cell(r, 5).value, ws.cell(r, 4).value

    xlsx("xlsx_unit_and_value_swapped.xlsx", tweak=swapped)
    xlsx("xlsx_count_10e28.xlsx", tweak=set_value("1.1.1", 1e28))
    xlsx("xlsx_formula_without_result.xlsx", tweak=set_value("1.1.2", "=E12*1"))
    path = xlsx("xlsx_formula_error.xlsx", tweak=set_value("1.3.2", "=1/0"))
    data = path.read_bytes()
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    sheet = re.sub(r'<c r="(E\d+)"([^>]*)><f>1/0</f><v\s*/?>(?:</v>)?', r'<c r="\1"\2 t="e"><f>1/0</f><v>#DIV/0!</v>',
                   sheet)
    path.write_bytes(_zip_with(data, {"xl/worksheets/sheet1.xml": sheet.encode()}))

    def unknown_row(ws, at):
        r = at["1.3.2"]
        ws.cell(r, 2).value, ws.cell(r, 3).value = "9.9.9.", "Một chỉ tiêu không có trong Phụ lục 2B"

    xlsx("xlsx_unknown_appendix_row.xlsx", tweak=unknown_row)
    xlsx("xlsx_two_sheets_same_period.xlsx", extra_sheets={"PL 2B (2)": (XLSX_ISSUER, XLSX_TITLE, few)})
    # the long layout in Excel
    from openpyxl import Workbook

    for name, header, body in (
        ("xlsx_long_unknown_indicator.xlsx", ["commune_code", "period", "indicator_code", "value", "note"],
         [[18217, "2021-Q3", "1.1.1", 6, None], [18217, "2021-Q3", "9.9.9", 5, None]]),
        ("xlsx_long_missing_value_column.xlsx", ["commune_code", "period", "indicator_code", "note"],
         [[18217, "2021-Q3", "1.1.1", "sáu"]]),
    ):
        book = Workbook()
        ws = book.active
        ws.append(["Số liệu CCHC xuất từ phần mềm"])
        ws.append([])
        ws.append(header)
        for row in body:
            ws.append(row)
        book.save(target / name)
        written.append(target / name)
    # Word
    text = SEED.read_text(encoding="utf-8")
    conflict = text.replace("CCHC QUÝ III XÃ SƠN PHÚ", "CCHC QUÝ II XÃ SƠN PHÚ")
    written.append(write_docx(read_seed(conflict), target / "docx_period_conflict.docx"))
    bad_row = text.replace("1.3.3.\tSố nhiệm vụ đã hoàn thành nhưng quá hạn", "9.9.9.\tMột chỉ tiêu lạ")
    written.append(write_docx(read_seed(bad_row), target / "docx_unknown_appendix_row.docx"))
    docx_bytes = write_docx(seed, target / "_base.docx").read_bytes()
    (target / "_base.docx").unlink()
    raw("docx_corrupt_document_xml.docx", _zip_with(docx_bytes, {
        "word/document.xml": zipfile.ZipFile(io.BytesIO(docx_bytes)).read("word/document.xml")[:5000]}))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output", type=Path, default=PROJECT_ROOT / "outputs" / "office_seed",
                        help="directory for the .docx and .xlsx (default: outputs/office_seed)")
    parser.add_argument("--pages", action="store_true",
                        help="Word table as the text has it (header repeated, rows split)")
    parser.add_argument("--fixtures", type=Path, nargs="?", const=FIXTURES,
                        help="also write the malformed Office fixtures "
                             f"(default directory: {FIXTURES.relative_to(PROJECT_ROOT)})")
    args = parser.parse_args(argv)
    seed = read_seed(SEED.read_text(encoding="utf-8"))
    for path in (write_docx(seed, args.output / f"{SEED.stem}.docx", pages=args.pages),
                 write_xlsx(seed, args.output / f"{SEED.stem}.xlsx")):
        print(path)
    if args.fixtures:
        for path in write_fixtures(seed, args.fixtures):
            print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

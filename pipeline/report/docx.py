"""The commune report as a Word document (``cchc render --format docx``), in the Nghị định 30/2020 form.

Built from the same data the HTML prints (:func:`content.header_parts`, :func:`content.results_parts`, … and
the appendices' ``*_parts``), never from the HTML: A4 portrait, margins 20 mm top and bottom, 30 mm left, 15 mm
right; Times New Roman 14 pt, justified, first-line indent, 6 pt after; the header as a borderless two-column
table (issuing body and number | quốc hiệu, tiêu ngữ and place and date) with the rules under the issuer and the
motto; the page number as a PAGE field centred in the top margin from page 2 on; Nơi nhận and the signature in a
borderless table; each appendix on a new page; Phụ lục 2B as a Word table whose two header rows repeat on every
page and whose rows are not split across pages, the "Trong đó" STT cell merged down its rows; charts as PNG
images at 300 dpi.

Every paragraph has a named style (Normal, Heading 1–3 and the styles named under ``word.styles`` in
``words.yaml``): the formatting is in the styles, not on the runs, so an office restyles the whole report by
editing them, or renders with its own template (``CCHC_DOCX_TEMPLATE``, :data:`pipeline.config.DOCX_TEMPLATE`):
its styles, page setup and page headers are kept, its body dropped, and the styles it lacks are added.  Text
from the data is added as plain text runs (no markup is interpreted).
"""

from __future__ import annotations

import io
from pathlib import Path

from ..config import DOCX_TEMPLATE
from . import charts
from . import content as report
from .words import section, words

FONT = "Times New Roman"
BODY_PT = 14
TABLE_PT = 12
INDENT_CM = 1.0
TEXT_WIDTH_CM = 16.5  # A4 width 21 cm less the 3 cm and 1.5 cm margins
IMAGE_DPI = 300
#: Phụ lục 2B's column widths (cm): STT, indicator, unit, value, note.
FORM_WIDTHS = (1.7, 7.3, 2.8, 2.2, 2.5)


def _style_names() -> dict[str, str]:
    return section("word.styles")


# --------------------------------------------------------------------------- styles
def _set_font(style, *, size: float | None = None, bold: bool | None = None, italic: bool | None = None) -> None:
    """The style's font: Times New Roman for every script (theme fonts removed), size, bold, italic, black."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        fonts.attrib.pop(qn(f"w:{attr}"), None)
    for attr in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{attr}"), FONT)
    font = style.font
    if size is not None:
        font.size = Pt(size)
    font.bold, font.italic = bold, italic
    font.color.rgb = RGBColor(0, 0, 0)


def _paragraph_style(doc, name: str, *, base: str = "Normal", size: float | None = None, bold: bool | None = None,
                     italic: bool | None = None, align: str | None = None, indent: bool | None = None,
                     before: float | None = None, after: float | None = None, caps: bool = False,
                     keep_next: bool = False, page_break: bool = False):
    """The paragraph style ``name`` (created when the document has none: an office's template keeps its own)."""
    from docx.enum.style import WD_STYLE_TYPE
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    styles = doc.styles
    if name in [s.name for s in styles]:
        return styles[name]
    style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = styles[base]
    style.quick_style = True
    _set_font(style, size=size, bold=bold, italic=italic)
    if caps:
        style.font.all_caps = True
    fmt = style.paragraph_format
    if align:
        fmt.alignment = getattr(WD_ALIGN_PARAGRAPH, align)
    if indent is not None:  # None: the base style's
        fmt.first_line_indent = Cm(INDENT_CM) if indent else Cm(0)
    if before is not None:  # None here and below: the base style's
        fmt.space_before = Pt(before)
    if after is not None:
        fmt.space_after = Pt(after)
    if keep_next:
        fmt.keep_with_next = True
    if page_break:
        fmt.page_break_before = True
    return style


def _heading_style(doc, name: str, level: int):
    """A "Heading N" paragraph style on Normal, at outline level N (the Word reader takes it for a heading)."""
    from docx.enum.style import WD_STYLE_TYPE

    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = doc.styles["Normal"]
    style.element.get_or_add_pPr().append(_el("w:outlineLvl", val=str(level - 1)))
    return style


def ensure_styles(doc, *, own_template: bool = False) -> dict[str, str]:
    """Make the report's styles in ``doc`` (those it lacks); return their names by role."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.shared import Cm, Pt

    names = _style_names()
    if not own_template:
        normal = doc.styles["Normal"]
        _set_font(normal, size=BODY_PT)
        fmt = normal.paragraph_format
        fmt.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        fmt.first_line_indent = Cm(INDENT_CM)
        fmt.space_before, fmt.space_after = Pt(0), Pt(6)
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
        fmt.widow_control = True
    present = {s.name for s in doc.styles}
    for level, italic in ((1, False), (2, False), (3, True)):
        name = f"Heading {level}"
        if own_template and name in present:
            continue
        # a template saved by Word holds only the heading styles it used: the others are made here
        style = doc.styles[name] if name in present else _heading_style(doc, name, level)
        _set_font(style, size=BODY_PT, bold=level < 3, italic=italic)
        f = style.paragraph_format
        f.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        f.first_line_indent = Cm(INDENT_CM)
        f.space_before, f.space_after = Pt(6), Pt(6)
        f.keep_with_next = True
    _paragraph_style(doc, names["issuer"], size=13, bold=True, align="CENTER", indent=False, caps=True, after=0)
    _paragraph_style(doc, names["motto"], size=12, bold=True, align="CENTER", indent=False, after=0)
    _paragraph_style(doc, names["motto_line"], size=13, bold=True, align="CENTER", indent=False, after=0)
    _paragraph_style(doc, names["rule"], size=2, align="CENTER", indent=False, after=0)
    _paragraph_style(doc, names["place_date"], italic=True, align="CENTER", indent=False, before=6)
    _paragraph_style(doc, names["notice"], size=12, italic=True, indent=False, before=6)
    _paragraph_style(doc, names["title"], bold=True, align="CENTER", indent=False, before=18, keep_next=True)
    _paragraph_style(doc, names["subject"], bold=True, align="CENTER", indent=False, after=12, keep_next=True)
    _paragraph_style(doc, names["generated"])
    _paragraph_style(doc, names["draft"], bold=True, align="RIGHT", indent=False, after=0)
    _paragraph_style(doc, names["recipients_title"], size=12, bold=True, italic=True, align="LEFT", indent=False,
                     after=0)
    _paragraph_style(doc, names["recipients"], size=11, align="LEFT", indent=False, after=0)
    _paragraph_style(doc, names["signature"], bold=True, align="CENTER", indent=False, caps=True, after=0)
    _paragraph_style(doc, names["signer"], bold=True, align="CENTER", indent=False, before=60)
    _paragraph_style(doc, names["appendix_label"], bold=True, align="CENTER", indent=False, keep_next=True,
                     page_break=True, after=0)
    _paragraph_style(doc, names["appendix_title"], bold=True, align="CENTER", indent=False, keep_next=True, after=0)
    _paragraph_style(doc, names["appendix_attached"], italic=True, align="CENTER", indent=False, after=12,
                     keep_next=True)
    _paragraph_style(doc, names["table_text"], size=TABLE_PT, align="LEFT", indent=False, after=0)
    _paragraph_style(doc, names["table_head"], base=names["table_text"], bold=True, align="CENTER")
    _paragraph_style(doc, names["table_centre"], base=names["table_text"], align="CENTER")
    _paragraph_style(doc, names["table_section"], base=names["table_text"], bold=True)
    _paragraph_style(doc, names["number"], align="CENTER", indent=False, before=6)
    _paragraph_style(doc, names["caption"], size=12, italic=True, align="CENTER", indent=False, after=12)
    return names


# --------------------------------------------------------------------------- low-level helpers
def _el(tag: str, **attrs: str):
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    el = OxmlElement(tag)
    for k, v in attrs.items():
        el.set(qn(f"w:{k}"), v)
    return el


def _borderless(table) -> None:
    borders = _el("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        borders.append(_el(f"w:{side}", val="nil"))
    table._tbl.tblPr.append(borders)


def _grid_borders(table) -> None:
    borders = _el("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        borders.append(_el(f"w:{side}", val="single", sz="4", space="0", color="000000"))
    table._tbl.tblPr.append(borders)


def _rule(container, style: str, *, indent_cm: float) -> None:
    """The rule under the issuer, the tiêu ngữ and the subject: an empty paragraph of the rule style with a bottom
    border, ``indent_cm`` in from each side of its column."""
    from docx.shared import Cm

    paragraph = container.add_paragraph(style=style)
    fmt = paragraph.paragraph_format
    fmt.left_indent = fmt.right_indent = Cm(indent_cm)
    ppr = paragraph._p.get_or_add_pPr()
    border = _el("w:pBdr")
    border.append(_el("w:bottom", val="single", sz="6", space="1", color="000000"))
    ppr.append(border)


def _fixed(table, widths: tuple[float, ...]):
    """Give ``table`` a fixed layout with its columns ``widths`` (cm) wide (grid and every cell)."""
    from docx.shared import Cm

    table.autofit = False
    for col, width in zip(table._tbl.tblGrid.findall("{*}gridCol"), widths):
        col.set("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}w", str(int(Cm(width).twips)))
    for row in table.rows:
        for cell, width in zip(row.cells, widths):
            cell.width = Cm(width)
    return table


def _repeat_header(row) -> None:
    row._tr.get_or_add_trPr().append(_el("w:tblHeader"))


def _cant_split(row) -> None:
    row._tr.get_or_add_trPr().append(_el("w:cantSplit"))


def _para(container, text: str, style: str):
    """A paragraph holding ``text`` as plain text (line breaks from new lines)."""
    p = container.add_paragraph(style=style)
    lines = str(text).split("\n")
    run = p.add_run(lines[0])
    for line in lines[1:]:
        run.add_break()
        run = p.add_run(line)
    return p


def _cell(cell, texts: list[str] | str, style: str) -> None:
    """Fill a table cell with one paragraph per text (its first, empty, paragraph reused)."""
    texts = [texts] if isinstance(texts, str) else list(texts) or [""]
    first = cell.paragraphs[0]
    first.style = style
    first.add_run(texts[0])
    for text in texts[1:]:
        _para(cell, text, style)


def _page_field(paragraph) -> None:
    """A PAGE field (the page number) in ``paragraph``."""
    run = paragraph.add_run()
    run._r.append(_el("w:fldChar", fldCharType="begin"))
    instr = _el("w:instrText")
    instr.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    instr.text = " PAGE "
    run._r.append(instr)
    run._r.append(_el("w:fldChar", fldCharType="separate"))
    run._r.append(_el("w:t"))
    run._r[-1].text = "2"
    run._r.append(_el("w:fldChar", fldCharType="end"))


# --------------------------------------------------------------------------- the document
def _new_document(template: Path | None):
    """python-docx's default document set up for the report, or an office's template with its body dropped."""
    import docx
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Mm

    doc = docx.Document(str(template) if template else None)
    body = doc.element.body
    for child in list(body):
        if not child.tag.endswith("}sectPr"):
            body.remove(child)
    names = ensure_styles(doc, own_template=template is not None)
    sec = doc.sections[0]
    if template is None:
        sec.orientation = WD_ORIENT.PORTRAIT
        sec.page_width, sec.page_height = Mm(210), Mm(297)
        sec.top_margin = sec.bottom_margin = Mm(20)
        sec.left_margin, sec.right_margin = Mm(30), Mm(15)
        sec.header_distance, sec.footer_distance = Mm(10), Mm(10)
    if not any(p.text.strip() or p._p.xpath(".//w:fldChar") for p in sec.header.paragraphs):
        sec.different_first_page_header_footer = True
        header = sec.header.paragraphs[0] if sec.header.paragraphs else sec.header.add_paragraph()
        if "Header" in {s.name for s in doc.styles}:
            header.style = doc.styles["Header"]
        header.alignment = WD_ALIGN_PARAGRAPH.CENTER
        header.paragraph_format.first_line_indent = Cm(0)
        _page_field(header)
    return doc, names


def _header(doc, names: dict, parts: dict) -> None:
    table = _fixed(doc.add_table(rows=2, cols=2), (6.0, 10.5))
    _borderless(table)
    issuer, motto = table.rows[0].cells
    _cell(issuer, [parts["body_line1"], parts["body_line2"]], names["issuer"])
    _rule(issuer, names["rule"], indent_cm=2.0)
    _cell(motto, words("word.motto"), names["motto"])
    _para(motto, words("word.motto_line"), names["motto_line"])
    _rule(motto, names["rule"], indent_cm=2.4)
    number = parts["doc_number"] or words("appendix.blank_number").replace(" ", "\u00a0")
    _cell(table.rows[1].cells[0], words("word.number", number=number), names["number"])
    _cell(table.rows[1].cells[1], words("word.place_date", place=parts["place"], date=parts["date_text"]),
          names["place_date"])
    if parts["notice"]:
        p = _para(doc, "", names["notice"])
        p.runs[0].text = parts["notice_label"] + " "
        p.runs[0].bold = True
        p.add_run(parts["notice"])
    _para(doc, words("word.title"), names["title"])
    _para(doc, parts["subject"], names["subject"])
    _rule(doc, names["rule"], indent_cm=6.0)


def _own(doc, sections: list[dict], *, skip_heading: bool = False) -> None:
    for s in sections:
        if s["heading"] and not skip_heading:
            heading = words("word.numbered", number=s["number"], heading=s["heading"]) if s["number"] else s["heading"]
            _para(doc, heading, "Heading 3")
        for p in s["paragraphs"]:
            _para(doc, p, "Normal")


def _results(doc, names: dict, parts: dict) -> None:
    for s in parts["preamble"]:
        for p in s["paragraphs"]:
            _para(doc, p, "Normal")
    _para(doc, words("word.results"), "Heading 1")
    if parts["compiled_note"]:
        _para(doc, parts["compiled_note"], names["notice"])
    for a in parts["areas"]:
        _para(doc, words("word.numbered", number=a["number"], heading=a["title"]), "Heading 2")
        for p in a["lead"]:
            _para(doc, p, "Normal")
        for s in a["sentences"]:
            _para(doc, s, names["generated"])
        for s in a["sections"]:
            if s["heading"]:
                heading = (words("word.numbered", number=s["number"], heading=s["heading"]) if s["number"]
                           else s["heading"])
                _para(doc, heading, "Heading 3")
            for p in s["paragraphs"]:
                _para(doc, p, "Normal")
            for g in s["sentences"]:
                _para(doc, g, names["generated"])
        if not a["sentences"] and not a["lead"] and not a["sections"]:
            _para(doc, a["placeholder"] if parts["draft"] else words("word.area_empty"), "Normal")


def _assessment(doc, names: dict, parts: dict) -> None:
    _para(doc, words("word.assessment"), "Heading 1")
    _para(doc, words("word.strengths"), "Heading 2")
    _own(doc, parts["own_strengths"], skip_heading=True)
    for s in parts["strengths"]:
        _para(doc, words("word.generated", text=s), names["generated"])
    _para(doc, words("word.shortcomings"), "Heading 2")
    _own(doc, parts["own_shortcomings"], skip_heading=True)
    for f in parts["findings"]:
        _para(doc, words("word.generated", text=f), names["generated"])
    if not parts["findings"] and not parts["own_shortcomings"]:
        _para(doc, words("word.no_shortcomings"), "Normal")
    _para(doc, words("word.tasks", next=parts["next_phrase"].upper()), "Heading 1")
    _own(doc, parts["own_tasks"], skip_heading=True)
    for t in parts["tasks"]:
        _para(doc, t, names["generated"])


def _closing(doc, names: dict, parts: dict, rd) -> None:
    own = parts["own_closing"]
    for p in own:
        _para(doc, p, "Normal")
    if not own:
        _para(doc, words("word.closing", period=rd.period.label_vi, next=parts["next_phrase"],
                         committee=parts["committee"]), "Normal")
    table = _fixed(doc.add_table(rows=1, cols=2), (7.5, 9.0))
    _borderless(table)
    _cant_split(table.rows[0])
    left, right = table.rows[0].cells
    _cell(left, words("word.recipients"), names["recipients_title"])
    recipients = parts["recipients"]
    for i, r in enumerate(recipients):
        _para(left, words("word.recipient", name=r, end="." if i == len(recipients) - 1 else ";"),
              names["recipients"])
    _cell(right, [parts["signer_role"], parts["signer_title"]], names["signature"])
    _para(right, parts["signer_name"], names["signer"])


def _appendix_head(doc, names: dict, head: dict) -> None:
    _para(doc, head["label"], names["appendix_label"])
    _para(doc, head["title"], names["appendix_title"])
    _para(doc, head["attached"], names["appendix_attached"])


def _table(doc, rows: int, widths: tuple[float, ...], header_rows: int):
    from docx.enum.table import WD_TABLE_ALIGNMENT

    table = _fixed(doc.add_table(rows=rows, cols=len(widths)), widths)
    _grid_borders(table)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid = [row.cells for row in table.rows]  # table.cell() is slow on long tables
    for n, row in enumerate(table.rows):
        if n < header_rows:
            _repeat_header(row)
        _cant_split(row)
    return table, grid


def _form_2b(doc, names: dict, parts: dict) -> None:
    """Phụ lục 2B: the two header rows of the HTML (STT | Chỉ tiêu thống kê | Kết quả thống kê: Đơn vị tính,
    Số liệu | Ghi chú), then every row; section rows bold; "Trong đó" merged down its rows."""
    _appendix_head(doc, names, parts["head"])
    if parts["compiled_note"]:
        _para(doc, parts["compiled_note"], names["notice"])
    rows = parts["rows"]
    table, grid = _table(doc, 2 + len(rows), FORM_WIDTHS, header_rows=2)
    head = names["table_head"]
    top = [grid[0][0].merge(grid[1][0]), grid[0][1].merge(grid[1][1]), grid[0][2].merge(grid[0][3]),
           grid[0][4].merge(grid[1][4])]
    for cell, text in zip(top, (words("word.stt"), words("word.indicator"), words("word.result"),
                                words("word.note"))):
        _cell(cell, text, head)
    _cell(grid[1][2], words("word.unit"), head)
    _cell(grid[1][3], words("word.value"), head)
    text, centre, bold = names["table_text"], names["table_centre"], names["table_section"]
    for n, r in enumerate(rows, start=2):
        cells = grid[n]
        if r["stt_rows"]:
            _cell(cells[0], r["code"], bold if r["section"] else text)
            if r["stt_rows"] > 1:
                merged = cells[0].merge(grid[n + r["stt_rows"] - 1][0])
                for p in merged.paragraphs[1:]:
                    p._p.getparent().remove(p._p)
        _cell(cells[1], r["label"], bold if r["section"] else text)
        # a category's legend one item a line, never broken inside an item ("Trực tuyến = 0")
        _cell(cells[2], [line.replace(" ", "\u00a0") if " = " in line else line for line in r["unit_lines"]], centre)
        _cell(cells[3], r["value"], centre)
        _cell(cells[4], r["note"], text)


def _supplementary(doc, names: dict, parts: dict) -> None:
    _appendix_head(doc, names, parts["head"])
    rows = parts["rows"]
    table, grid = _table(doc, 1 + len(rows), (1.4, 9.6, 3.0, 2.5), header_rows=1)
    for cell, text in zip(grid[0], (words("word.stt"), words("word.supplementary_indicator"), words("word.unit"),
                                    words("word.value"))):
        _cell(cell, text, names["table_head"])
    for cells, r in zip(grid[1:], rows):
        for cell, value in zip(cells, (str(r["number"]), r["label"], r["unit"], r["value"])):
            _cell(cell, value, names["table_text"])


def _picture(doc, names: dict, fig, caption: str, note: str = "") -> None:
    from docx.shared import Cm

    width_in, _ = fig.get_size_inches()
    width = Cm(min(TEXT_WIDTH_CM, width_in * 2.54))
    p = doc.add_paragraph(style=names["caption"])
    p.paragraph_format.keep_with_next = True
    p.add_run().add_picture(io.BytesIO(charts.to_png(fig, dpi=IMAGE_DPI)), width=width)
    _para(doc, caption + (f"\n{note}" if note else ""), names["caption"])


def _charts(doc, names: dict, parts: dict) -> None:
    _appendix_head(doc, names, parts["head"])
    for n, f in enumerate(parts["figures"], 1):
        _picture(doc, names, f["figure"], words("word.chart", n=n, title=f["title"]), f["note"])
    for sentence in parts["missing"]:
        _para(doc, sentence, "Normal")


def _ranks(doc, names: dict, parts: dict) -> None:
    _appendix_head(doc, names, parts["head"])
    if parts["ranks"]:
        ranks = parts["ranks"]
        table, grid = _table(doc, 1 + len(ranks), (9.5, 3.0, 4.0), header_rows=1)
        for cell, text in zip(grid[0], (words("word.ratio"), words("word.ratio_value"), words("word.rank"))):
            _cell(cell, text, names["table_head"])
        for cells, r in zip(grid[1:], ranks):
            for cell, value in zip(cells, (r["label"], r["value"], r["text"])):
                _cell(cell, value, names["table_text"])
        _para(doc, parts["note"], names["caption"])
    if parts["figure"] is not None:
        _picture(doc, names, parts["figure"], charts.title(parts["figure"]))


_APPENDICES = {"supplementary": _supplementary, "charts": _charts, "ranks": _ranks}


def _mark_draft(doc, names: dict) -> None:
    """A draft (``rd.draft``): "DỰ THẢO" above the header, and the style of the sentences written from the data
    tinted (the style, not each run: the official removes the tint by restyling once)."""
    from docx.shared import RGBColor

    doc.styles[names["draft"]].font.color.rgb = RGBColor(0xC0, 0x00, 0x00)
    ppr = doc.styles[names["generated"]].element.get_or_add_pPr()
    ppr.append(_el("w:shd", val="clear", color="auto", fill="FFF2B3"))
    _para(doc, words("draft.banner"), names["draft"])


def build(rd: report.ReportData, *, template: Path | None = DOCX_TEMPLATE):
    """The report of ``rd`` as a python-docx ``Document`` (a draft's marks when ``rd.draft``)."""
    doc, names = _new_document(template)
    if rd.draft:
        _mark_draft(doc, names)
    _header(doc, names, report.header_parts(rd))
    if rd.draft:
        _para(doc, words("word.draft_legend"), names["generated"])
    _results(doc, names, report.results_parts(rd) | {"draft": rd.draft})
    _assessment(doc, names, report.assessment_parts(rd))
    _closing(doc, names, report.closing_parts(rd), rd)
    _form_2b(doc, names, report.appendix_parts(rd))
    for kind, parts in report.numbered_parts(rd):
        _APPENDICES[kind](doc, names, parts)
    props = doc.core_properties
    props.title = words("document_title", period=rd.period.label_vi, commune=rd.commune.full_name)
    props.author = report.committee_name(rd.commune)
    props.language = "vi-VN"
    return doc


def write_docx(rd: report.ReportData, target: Path, *, template: Path | None = DOCX_TEMPLATE) -> Path:
    """Write the report of ``rd`` to ``target`` (a ``.docx``)."""
    doc = build(rd, template=template)
    target = Path(target)
    doc.save(str(target))
    return target

"""Excel workbooks (``.xlsx``, ``.xlsm``): Phụ lục 2B sheets and the long layout.

Each sheet is read on its own:

- a **Phụ lục 2B** sheet has a header row with STT, Chỉ tiêu, Đơn vị tính,
  Số liệu, Ghi chú anywhere in its first 40 rows (over one to three rows,
  merged cells allowed), section rows, the header repeated, blank rows and
  columns; its rows are matched to the catalogue exactly as a text report's
  appendix is (:func:`~pipeline.ingest.report_text.match_appendix`).  Its
  commune and period come from the lines above the table ("UBND XÃ SƠN PHÚ",
  "… QUÝ III NĂM 2021"), the sheet name ("2021-Q3"), the file name
  (``18217_2021-Q3.xlsx``) and explicit fields ("Mã đơn vị hành chính",
  "Kỳ báo cáo", the fill-in form's metadata), in that order of trust;
- a **long** sheet has the long CSV's columns (``commune_code, period,
  indicator_code, value`` …) and goes through the long CSV's row logic.

Other sheets are skipped (with a warning when they hold something), and so is the wide sheet of a
consolidated workbook (``cchc consolidate``, which names it in the custom property ``cchc_consolidated_sheet``):
its long sheet holds the same values.  Values
may be text ("01", "21,1"), Excel numbers or formulas' stored results; a
number formatted as a percentage is read as shown (0,211 shown as 21,1 % is
21,1).  Formula errors (``#DIV/0!``) and formulas without a stored result are
reported.  Row numbers are the sheet's own (row 1 at the top).

Before anything is parsed the file is checked (:mod:`.detect`): zip bombs,
corrupt archives and sheets above :data:`~pipeline.config.MAX_INPUT_CELLS`
cells are refused without loading them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd

from ..cells import restore
from ..config import MAX_INPUT_CELLS
from ..domain.catalogue import Catalogue
from ..domain.communes import Registry
from ..domain.text import clean, match_key
from ..errors import InputError
from .base import RAW_VALUE_COLUMNS, Extract, cumulative_from_note
from .detect import (
    LOOKED_FOR,
    Clue,
    ColumnMap,
    find_long_header,
    form_field_clue,
    header_clues,
    locate_columns,
    name_clue,
    read_member,
    settle,
)
from .long_csv import REQUIRED as LONG_REQUIRED
from .long_csv import parse_long_csv
from .registry import Source, reader
from .report_text import TableRow, match_appendix
from .validate import issue

_CELL_REF = re.compile(r"([A-Z]{1,3})(\d+)$")
_SYNTHETIC = "dữ liệu mẫu"
#: Words of the signature block under a table: the table ends there.
#: Why a sheet was skipped, and what would have been read: (message, expected).
_SKIPPED = {
    "hidden": ("hidden sheets are not read", "the data in a visible sheet"),
    "other": ("neither Phụ lục 2B nor the long layout", LOOKED_FOR),
    "consolidated": ("the consolidated table of several communes (cchc consolidate): its long sheet is read instead",
                     "the long sheet of the consolidated workbook"),
}
_FOOTER = re.compile(r"người lập|lập biểu|thủ trưởng|chủ tịch|^tm |^kt |nơi nhận|ngày \d+ tháng|ký tên|đóng dấu")


def _local(tag: str) -> str:
    """An element's name without its namespace (transitional and strict OOXML use different ones)."""
    return tag.rsplit("}", 1)[-1]


def _all(root: ET.Element, name: str):
    return (el for el in root.iter() if _local(el.tag) == name)


def _child(el: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in el if _local(c.tag) == name), None)


@dataclass
class SheetScan:
    """What a pass over one sheet's XML found, before the sheet is loaded."""

    name: str
    part: str
    state: str = "visible"
    cells: int = 0
    rows: int = 0
    cols: int = 0
    errors: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, col) 0-based -> "#DIV/0!"
    uncached: set[tuple[int, int]] = field(default_factory=set)  # formulas without a stored result
    percent: set[tuple[int, int]] = field(default_factory=set)  # numbers formatted as percentages

    @property
    def area(self) -> int:
        return self.rows * self.cols


# ---------------------------------------------------------------------------
# the pass over the XML


def scan_workbook(zf: zipfile.ZipFile, *, display: str) -> tuple[list[SheetScan], dict[str, str]]:
    """Sheets (name, part, visibility, size, error and percent cells) and custom properties."""
    book = _xml(zf, "xl/workbook.xml", display)
    rels = _xml(zf, "xl/_rels/workbook.xml.rels", display)
    targets = {r.get("Id"): r.get("Target", "") for r in _all(rels, "Relationship")}
    percent_styles = _percent_styles(zf, display)
    sheets: list[SheetScan] = []
    total = 0
    for el in _all(book, "sheet"):
        rid = next((v for k, v in el.attrib.items() if _local(k) == "id"), "")
        target = targets.get(rid, "")
        if "worksheet" not in target:
            continue  # chart sheets, dialog sheets
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        scan = SheetScan(name=el.get("name", ""), part=part, state=el.get("state", "visible"))
        _scan_sheet(zf, scan, percent_styles, display, budget=MAX_INPUT_CELLS - total)
        total += scan.area
        sheets.append(scan)
    return sheets, _custom_properties(zf, display)


def _xml(zf: zipfile.ZipFile, part: str, display: str) -> ET.Element:
    data = read_member(zf, part, display=display)
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise InputError(f"corrupt workbook: {part} is not well-formed XML ({exc})", file=display,
                         expected="an undamaged .xlsx (re-save it in Excel or LibreOffice)") from None


def _percent_styles(zf: zipfile.ZipFile, display: str) -> set[int]:
    if "xl/styles.xml" not in zf.namelist():
        return set()
    styles = _xml(zf, "xl/styles.xml", display)
    formats = {9: "0%", 10: "0.00%"}
    for nf in _all(styles, "numFmt"):
        formats[int(nf.get("numFmtId", "0"))] = nf.get("formatCode", "")
    cell_xfs = _child(styles, "cellXfs")
    out: set[int] = set()
    for i, xf in enumerate(_all(cell_xfs, "xf") if cell_xfs is not None else []):
        code = formats.get(int(xf.get("numFmtId", "0")), "")
        if "%" in re.sub(r'"[^"]*"|\\.', "", code):
            out.add(i)
    return out


def _scan_sheet(zf: zipfile.ZipFile, scan: SheetScan, percent_styles: set[int], display: str, *, budget: int) -> None:
    data = read_member(zf, scan.part, display=display)
    row = -1
    col = -1
    max_row = max_col = -1
    try:
        for event, el in ET.iterparse(io.BytesIO(data), events=("start", "end")):
            tag = _local(el.tag)
            if event == "start":
                if tag == "row":
                    row = int(el.get("r")) - 1 if el.get("r") else row + 1
                    col = -1
                continue
            if tag != "c":
                if tag == "row":
                    el.clear()
                continue
            ref = el.get("r")
            if ref and (m := _CELL_REF.match(ref)):
                col, row = _col_index(m.group(1)), int(m.group(2)) - 1
            else:
                col += 1
            scan.cells += 1
            max_row, max_col = max(max_row, row), max(max_col, col)
            if scan.cells > budget or (max_row + 1) * (max_col + 1) > budget:
                raise _too_many(scan, display, max_row, max_col)
            kind = el.get("t", "n")
            formula, value = _child(el, "f"), _child(el, "v")
            if kind == "e":
                scan.errors[(row, col)] = value.text if value is not None and value.text else "#ERROR"
            elif formula is not None and (value is None or not (value.text or "").strip()) and kind != "str":
                scan.uncached.add((row, col))
            elif kind == "n" and int(el.get("s", "0") or 0) in percent_styles:
                scan.percent.add((row, col))
            el.clear()
    except ET.ParseError as exc:
        raise InputError(f"corrupt workbook: sheet {scan.name!r} is not well-formed XML ({exc})", file=display,
                         expected="an undamaged .xlsx (re-save it in Excel or LibreOffice)") from None
    scan.rows, scan.cols = max_row + 1, max_col + 1


def _too_many(scan: SheetScan, display: str, max_row: int, max_col: int) -> InputError:
    return InputError(
        f"sheet {scan.name!r} too large: it reaches cell {_col_letters(max_col)}{max_row + 1}", file=display,
        expected=f"at most {MAX_INPUT_CELLS:,} cells in the workbook's used ranges (CCHC_MAX_INPUT_CELLS); "
                 "delete the stray cells far below or right of the table")


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _col_letters(index: int) -> str:
    out, n = "", index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def _custom_properties(zf: zipfile.ZipFile, display: str) -> dict[str, str]:
    if "docProps/custom.xml" not in zf.namelist():
        return {}
    root = _xml(zf, "docProps/custom.xml", display)
    out = {}
    for prop in _all(root, "property"):
        value = next((child.text or "" for child in prop), "")
        out[prop.get("name", "")] = value
    return out


# ---------------------------------------------------------------------------
# cells


def cell_text(value: object) -> str:
    """A cell as text, for labels and codes: 1.0 → "1", 1.1 → "1.1", a date → ISO."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return format(Decimal(f"{value:.15g}").normalize(), "f") if value == value else ""
    if isinstance(value, (dt.date, dt.time, dt.datetime, dt.timedelta)):
        return value.isoformat() if hasattr(value, "isoformat") else str(value)
    return restore(str(value))  # "'=…" as the project writes a text that looks like a formula


def value_text(value: object, *, percent: bool = False) -> str:
    """A value cell as the Vietnamese number text the validators read: 21.1 → "21,1"; 0.211 as % → "21,1"."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return cell_text(value)
    if value != value:
        return ""
    number = Decimal(f"{value:.15g}")
    if percent:
        number *= 100
    text = format(number.normalize(), "f")
    return text.replace(".", ",")


# ---------------------------------------------------------------------------
# reading


def parse_xlsx(data: bytes, zf: zipfile.ZipFile, *, display: str, catalogue: Catalogue, registry: Registry,
               file_clue: Clue) -> Extract:
    """Read every data sheet of a workbook; file-level problems raise :class:`InputError`."""
    from python_calamine import CalamineError, CalamineWorkbook

    from ..forms.workbook import CONSOLIDATED_PROPERTY, META_SHEET, PROPERTY_PREFIX

    scans, props = scan_workbook(zf, display=display)
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        grids = {s.name: book.get_sheet_by_name(s.name).to_python(skip_empty_area=False) for s in scans}
    except CalamineError as exc:
        raise InputError(f"corrupt workbook: {exc}", file=display,
                         expected="an undamaged .xlsx (re-save it in Excel or LibreOffice)") from None
    meta = _meta(grids.get(META_SHEET), props, PROPERTY_PREFIX)
    consolidated = props.get(CONSOLIDATED_PROPERTY)  # the wide sheet of `cchc consolidate`: its long sheet is read
    extract = Extract(file=display)
    parts: list[pd.DataFrame] = []
    plans: list[tuple[SheetScan, list[list[object]], list[list[str]], str, object]] = []
    skipped: list[tuple[SheetScan, str]] = []
    for scan in scans:
        grid = grids[scan.name]
        if scan.name == META_SHEET:
            continue
        if scan.name == consolidated:
            skipped.append((scan, "consolidated"))
            continue
        texts = [[cell_text(v) for v in row] for row in grid]
        holds = any(t.strip() for row in texts for t in row)
        if scan.state != "visible":
            if holds:
                skipped.append((scan, "hidden"))
            continue
        if (cmap := locate_columns(texts)) is not None:
            plans.append((scan, grid, texts, "appendix", cmap))
        elif (h := find_long_header(texts)) is not None:
            plans.append((scan, grid, texts, "long", h))
        elif holds:
            skipped.append((scan, "other"))
    if not plans:
        names = ", ".join(repr(s.name) for s in scans if s.name != META_SHEET) or "none"
        raise InputError(
            "layout not recognised: no sheet holds Phụ lục 2B or the long layout", file=display,
            value=f"sheets {names}",
            expected=f"{LOOKED_FOR}; or a long-layout header row with columns {', '.join(LONG_REQUIRED)}")
    multi = len(plans) > 1
    seen: dict[tuple[str, str], str] = {}
    for scan, grid, texts, layout, where in plans:
        issues: list[dict] = []
        try:
            if layout == "appendix":
                rows = _appendix_sheet(scan, grid, texts, where, display=display, catalogue=catalogue,
                                       registry=registry,
                                       clues=[file_clue] + [c for sheet, c in meta if sheet in (scan.name, "*")],
                                       issues=issues)
            else:
                rows = _long_sheet(scan, grid, where, display=display, catalogue=catalogue, registry=registry,
                                   issues=issues)
        except InputError as exc:
            if not multi:
                raise
            issues.append(issue(exc.message, file=display, row=exc.row, indicator_code=exc.indicator or "",
                                value=exc.value, expected=exc.expected or ""))
            rows = pd.DataFrame(columns=RAW_VALUE_COLUMNS)
        if layout == "appendix" and not issues and not rows["raw_value"].astype(str).str.strip().ne("").any():
            issues.append(issue("no values filled in", file=display, severity="warning",
                                expected="figures in the 'Số liệu' column (a blank cell is 'not reported')"))
        if layout == "appendix" and len(rows):
            key = (rows["commune_code"].iloc[0], rows["period"].iloc[0])
            if key in seen:
                issues.append(issue(f"sheets {seen[key]!r} and {scan.name!r} both hold {key[0]} {key[1]}; "
                                    f"kept the first", file=display, expected="one sheet per commune and period"))
                rows = rows.iloc[0:0]
            else:
                seen[key] = scan.name
        if multi:
            for rec in issues:
                rec["message"] = f"sheet {scan.name!r}: {rec['message']}"
        extract.issues += issues
        parts.append(rows)
    for scan, reason in skipped:
        why, expected = _SKIPPED[reason]
        extract.issues.append(issue(f"sheet {scan.name!r} skipped: {why}", file=display, severity="warning",
                                    expected=expected))
    values = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else None
    extract.values = values if values is not None else pd.DataFrame(columns=RAW_VALUE_COLUMNS)
    if multi and len(extract.values):
        sheets = [plan[0].name for plan, part in zip(plans, parts) for _ in range(len(part))]
        extract.values = _across_sheets(extract.values, sheets, display=display, issues=extract.issues)
    return extract


def _across_sheets(values: pd.DataFrame, sheets: list[str], *, display: str, issues: list[dict]) -> pd.DataFrame:
    """One indicator in two sheets: the same text is kept once (a warning); different values are an error
    naming both sheets, and neither is stored (no guess)."""
    keys = ["commune_code", "period", "indicator_code"]
    values = values.assign(_sheet=sheets)
    drop = []
    for (commune, period, code), group in values.loc[values.duplicated(keys, keep=False)].groupby(keys, sort=False):
        listed = ", ".join(f"{clean(v)!r} (sheet {s!r}, row {r})"
                           for v, s, r in zip(group["raw_value"], group["_sheet"], group["source_row"]))
        last = group.iloc[-1]
        where = {"file": display, "row": last["source_row"], "indicator_code": code, "value": last["raw_value"]}
        if group["raw_value"].map(clean).nunique() == 1:
            issues.append(issue(f"duplicate row: {commune} {period} {code} in {len(group)} sheets with the same value, "
                                f"{listed}; stored once", severity="warning",
                                expected="each commune, period and indicator once in the workbook", **where))
            drop += list(group.index[1:])
        else:
            issues.append(issue(f"duplicate row: {commune} {period} {code} has different values in different sheets, "
                                f"{listed}; none of them is stored",
                                expected="each commune, period and indicator once in the workbook", **where))
            drop += list(group.index)
    return values.drop(index=drop, columns="_sheet").reset_index(drop=True)


def _meta(grid: list[list[object]] | None, props: dict[str, str], prefix: str) -> list[tuple[str, Clue]]:
    """The fill-in form's own record of commune and period: ``[(sheet it applies to or "*", clue)]``."""
    out: list[tuple[str, Clue]] = []
    fields = {k[len(prefix):]: v.strip() for k, v in props.items() if k.startswith(prefix)}
    if fields.get("commune_code") or fields.get("period"):
        out.append((fields.get("sheet") or "*", Clue("form's document properties", period=fields.get("period") or None,
                                                     commune_code=fields.get("commune_code") or None)))
    pairs = {cell_text(r[0]).strip(): cell_text(r[1]).strip() for r in grid or [] if len(r) >= 2}
    if pairs.get("commune_code") or pairs.get("period"):
        out.append((pairs.get("sheet") or "*", Clue("form's hidden sheet", period=pairs.get("period") or None,
                                                     commune_code=pairs.get("commune_code") or None)))
    return out


def _appendix_sheet(scan: SheetScan, grid: list[list[object]], texts: list[list[str]], cmap: ColumnMap, *,
                    display: str, catalogue: Catalogue, registry: Registry, clues: list[Clue],
                    issues: list[dict]) -> pd.DataFrame:
    from ..forms.workbook import SUPPLEMENTARY_TITLE

    above = texts[: cmap.header_row]
    header_lines = [clean(t) for row in above for t in row if clean(t)]  # a cell is a line (merged titles are one cell)
    found = header_clues(header_lines, registry) + [name_clue(scan.name, "sheet name"), clues[0],
                                                     form_field_clue(above)] + clues[1:]
    unit, period = settle([c for c in found if c], registry=registry, display=display, scope="sheet")
    cat = catalogue.for_period(period)
    synthetic = any(_SYNTHETIC in match_key(line) for line in header_lines)
    skip_key = match_key(SUPPLEMENTARY_TITLE)
    table: list[TableRow] = []
    at: list[int] = []
    for r in range(cmap.data_row, len(texts)):
        cells = list(cmap.pick(texts[r]))
        stt, label = clean(cells[0]), clean(cells[1])
        value_key = match_key(cells[3])
        if not stt and (not value_key or _FOOTER.search(value_key)) and any(
                _FOOTER.search(match_key(t)) for t in texts[r] if t):
            break  # "NGƯỜI LẬP BIỂU", "TM. ỦY BAN NHÂN DÂN", the place and date: the table is over
        extra = cmap.extra(texts[r])
        if extra:
            issues.append(issue("cells outside the table's columns ignored", file=display, row=r + 1,
                                severity="warning",
                                value="; ".join(f"{_col_letters(i)}{r + 1}={clean(texts[r][i])}" for i in extra),
                                expected="values in the 'Số liệu' column, remarks in 'Ghi chú'"))
        if not any(clean(c) for c in cells):
            continue
        if stt and not label and (m := re.match(r"^(\d+(?:\.\d+)*\.?)\s+(\S.*)$", stt)):
            cells[0], cells[1] = m.group(1), m.group(2)  # a section row merged across the columns
        if match_key(cells[1]) == skip_key and not clean(cells[3]):
            continue
        table.append(TableRow(tuple(cells), r + 1, "\t".join(clean(c) for c in cells)))
        at.append(r)
    value_col = cmap.columns["value"]
    rows = []
    for code, lr in match_appendix(table, cat, display, issues):
        r = at[lr["index"]]
        pos = (r, value_col)
        cell = grid[r][value_col] if value_col < len(grid[r]) else ""
        where = {"file": display, "row": r + 1, "indicator_code": code}
        if pos in scan.errors:
            issues.append(issue(f"formula error {scan.errors[pos]} in the value cell", value=scan.errors[pos],
                                expected="a number (correct the formula, or type the figure)", **where))
            continue
        if pos in scan.uncached and cell_text(cell) == "":
            issues.append(issue("formula without a stored result in the value cell", value="(formula)",
                                expected="the file opened and saved in Excel or LibreOffice, "
                                         "so that results are stored",
                                **where))
            continue
        note = clean(lr["note"])
        rows.append({
            "commune_code": unit.code, "period": period.id, "indicator_code": code,
            "raw_value": value_text(cell, percent=pos in scan.percent), "cumulative_value": cumulative_from_note(note),
            "note": note, "source_file": display, "source_row": r + 1, "raw_text": lr["raw_text"],
            "synthetic": synthetic,
        })
    return pd.DataFrame(rows, columns=RAW_VALUE_COLUMNS)


def _long_sheet(scan: SheetScan, grid: list[list[object]], header: int, *, display: str, catalogue: Catalogue,
                registry: Registry, issues: list[dict]) -> pd.DataFrame:
    """A long-layout sheet, through the long CSV's row logic (rows renumbered to the sheet's)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for r in range(header, len(grid)):
        cells = []
        for c, value in enumerate(grid[r]):
            if (r, c) in scan.errors:
                cells.append(scan.errors[(r, c)])
                continue
            if (r, c) in scan.uncached and cell_text(value) == "":
                issues.append(issue("formula without a stored result", file=display, row=r + 1, value="(formula)",
                                    expected="the file opened and saved in Excel or LibreOffice, "
                                             "so that results are stored"))
            cells.append(value_text(value, percent=(r, c) in scan.percent) if r > header else cell_text(value))
        writer.writerow(cells)
    offset = header
    try:
        extract = parse_long_csv(buffer.getvalue(), display=display, catalogue=catalogue, registry=registry)
    except InputError as exc:
        if exc.row is not None:
            exc.row += offset
        raise
    for rec in extract.issues:
        if rec["row"] is not None:
            rec["row"] += offset
    issues += extract.issues
    return extract.values.assign(source_row=extract.values["source_row"] + offset)


@reader("xlsx", rank=30, recognises=lambda s: s.is_zip and s.office_kind == "xlsx")
def read_xlsx(source: Source, *, catalogue: Catalogue, registry: Registry) -> Extract:
    """An Excel workbook (a zip holding ``xl/workbook.xml``)."""
    return parse_xlsx(source.data, source.zip, display=source.display, catalogue=catalogue, registry=registry,
                      file_clue=source.clue)

"""The fill-in form: Phụ lục 2B for one commune and period, as an Excel workbook.

:func:`form_rows` lays the form out as a frame (one row per catalogue row
valid in the period, the supplementary ``S.*`` rows in their own section,
the previous period's stored values beside them); :func:`write_form` writes
it with openpyxl:

- a header block naming the commune and the period ("XÃ SƠN PHÚ",
  "THỐNG KÊ … QUÝ III NĂM 2021", "Mã đơn vị hành chính", "Kỳ báo cáo");
- the table STT | Chỉ tiêu | Đơn vị tính | Số liệu | Ghi chú, with the
  previous period's values in a reference column;
- codes, labels and units locked (sheet protection without a password),
  value and note cells unlocked; each value cell with a data validation for
  its indicator's kind (whole numbers ≥ 0, percentages 0–100, a drop-down for
  categories with the legend shown), heading rows closed to input, rows that
  do not apply to communes greyed out;
- the commune code and the period recorded three more times for the ingest:
  the header fields, a hidden sheet and the workbook's custom properties.

The ingest (:mod:`pipeline.ingest.xlsx`) reads a filled form back like any
Phụ lục 2B sheet.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..cells import neutralise, set_cell
from ..domain.catalogue import Catalogue, parse_legend
from ..domain.communes import Commune
from ..domain.periods import Period

FORM_SHEET = "Phụ lục 2B"
META_SHEET = "_cchc"
PROPERTY_PREFIX = "cchc_"
#: The custom property of a consolidated workbook (:mod:`.consolidated`) naming its wide sheet, which the ingest skips.
CONSOLIDATED_PROPERTY = PROPERTY_PREFIX + "consolidated_sheet"
TEMPLATE_VERSION = "1"
SUPPLEMENTARY_TITLE = "Chỉ tiêu bổ sung (số liệu nêu trong phần thuyết minh của báo cáo)"
#: Columns of the form (1-based, as openpyxl counts).
COL_CODE, COL_LABEL, COL_UNIT, COL_VALUE, COL_NOTE, COL_PREVIOUS = 1, 2, 3, 4, 5, 6
HEADER_ROW = 9
FIRST_ROW = 11

FORM_COLUMNS = ["code", "label", "unit", "kind", "legend", "min_value", "max_value", "row_type", "applicable",
                "previous"]


def previous_values(values: pd.DataFrame, *, commune: Commune, period: str | Period) -> pd.DataFrame:
    """Stored values of ``commune`` (the same unit, not just the same code) in ``period``."""
    p = Period.parse(period)
    rows = values.loc[(values["commune_key"] == commune.key) & (values["period"] == p.id)]
    return rows[["indicator_code", "value", "value_text"]].reset_index(drop=True)


def form_rows(catalogue: Catalogue, *, period: str | Period, previous: pd.DataFrame | None = None) -> pd.DataFrame:
    """The rows of the form for ``period``: catalogue rows in order, then the ``S.*`` section.

    ``row_type`` is ``heading``, ``input`` or ``section`` (the title of the
    supplementary section); ``applicable`` is whether the row applies to
    communes (``xa`` in the catalogue's levels); ``previous`` the stored
    value of the previous period, if any.
    """
    cat = catalogue.for_period(period).table
    prev = {} if previous is None else {
        r.indicator_code: (r.value if r.value == r.value else r.value_text) for r in previous.itertuples(index=False)}
    rows = []
    for r in cat.itertuples(index=False):
        if r.section == "S" and not any(x["row_type"] == "section" for x in rows):
            rows.append({"code": "", "label": SUPPLEMENTARY_TITLE, "unit": "", "kind": "", "legend": "",
                         "min_value": float("nan"), "max_value": float("nan"), "row_type": "section",
                         "applicable": True, "previous": None})
        rows.append({
            "code": r.code, "label": r.label, "unit": r.unit, "kind": r.kind, "legend": r.legend,
            "min_value": r.min_value, "max_value": r.max_value,
            "row_type": "heading" if r.kind == "heading" else "input",
            "applicable": "xa" in r.levels.split(";"), "previous": _shown(prev.get(r.code), r.kind, r.legend),
        })
    return pd.DataFrame(rows, columns=FORM_COLUMNS)


def _shown(value, kind: str, legend: str):
    """A previous value as the form shows it: numbers as numbers, a category with its meaning ("1 – Có")."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if kind == "category":
        code = int(value)
        return f"{code} – {parse_legend(legend).get(code, '?')}"
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _validation_key(row: pd.Series) -> tuple | None:
    kind, lo, hi = row["kind"], row["min_value"], row["max_value"]
    if kind == "count":
        return ("whole", lo if lo == lo else None, None)
    if kind in ("percent", "money", "score"):
        return ("decimal", lo if lo == lo else None, hi if hi == hi else None)
    if kind == "category":
        return ("list", row["legend"])
    return None


def _validation(key: tuple):
    from openpyxl.worksheet.datavalidation import DataValidation

    if key[0] == "list":
        legend = parse_legend(key[1])
        shown = "; ".join(f"{k} = {v}" for k, v in legend.items())
        dv = DataValidation(type="list", formula1='"' + ",".join(str(k) for k in legend) + '"', allow_blank=True)
        dv.error, dv.prompt = f"Chọn một mã: {shown}"[:255], f"Mã: {shown}"[:255]
    else:
        kind, lo, hi = key
        if lo is not None and hi is not None:
            dv = DataValidation(type=kind, operator="between", formula1=f"{lo:g}", formula2=f"{hi:g}", allow_blank=True)
            what = f"từ {lo:g} đến {hi:g}"
        elif lo is not None:
            dv = DataValidation(type=kind, operator="greaterThanOrEqual", formula1=f"{lo:g}", allow_blank=True)
            what = f"≥ {lo:g}"
        else:
            dv = DataValidation(type=kind, operator="greaterThanOrEqual", formula1="-1E+300", allow_blank=True)
            what = "bất kỳ"
        noun = "số nguyên" if kind == "whole" else "số"
        dv.error, dv.prompt = f"Nhập {noun} {what}; để trống nếu không có số liệu.", f"{noun.capitalize()} {what}"
    dv.errorTitle, dv.promptTitle = "Số liệu không hợp lệ", "Số liệu"
    dv.showErrorMessage = dv.showInputMessage = True
    dv.errorStyle = "stop"
    return dv


def write_form(rows: pd.DataFrame, path: Path, *, commune: Commune, period: str | Period,
               previous_period: str | Period | None = None, catalogue_version: str = "") -> Path:
    """Write the form laid out by :func:`form_rows` to ``path`` (an ``.xlsx``)."""
    from openpyxl import Workbook
    from openpyxl.packaging.custom import StringProperty
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side

    p = Period.parse(period)
    prev = Period.parse(previous_period) if previous_period else p.previous()
    wb = Workbook()
    ws = wb.active
    ws.title = FORM_SHEET
    bold, italic = Font(name="Times New Roman", bold=True, size=12), Font(name="Times New Roman", italic=True, size=11)
    plain, grey_font = Font(name="Times New Roman", size=12), Font(name="Times New Roman", size=12, color="808080")
    thin = Side(style="thin", color="000000")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    wrap = Alignment(vertical="center", wrap_text=True)
    fills = {"input": PatternFill("solid", fgColor="FFF2CC"), "na": PatternFill("solid", fgColor="E7E6E6"),
             "heading": PatternFill("solid", fgColor="DDEBF7")}
    unlocked = Protection(locked=False)

    def put(cell: str, value, font=plain, align=None, merge: str | None = None):
        set_cell(ws[cell], value)
        ws[cell].font = font
        if align is not None:
            ws[cell].alignment = align
        if merge:
            ws.merge_cells(merge)

    put("A1", "ỦY BAN NHÂN DÂN", bold, centre, "A1:B1")
    put("A2", commune.full_name.upper(), bold, centre, "A2:B2")
    put("D1", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold, centre, "D1:F1")
    put("D2", "Độc lập - Tự do - Hạnh phúc", bold, centre, "D2:F2")
    put("A4", "Phụ lục 2B", bold, centre, "A4:F4")
    title = f"THỐNG KÊ SỐ LIỆU VỀ KẾT QUẢ THỰC HIỆN CÔNG TÁC CCHC {p.label_vi.upper()} {commune.full_name.upper()}"
    put("A5", title, bold, centre, "A5:F5")
    put("A6", "Mã đơn vị hành chính:", italic)
    put("B6", commune.code, bold)
    put("C6", "Kỳ báo cáo:", italic)
    put("D6", p.id, bold)
    put("A7", "Nhập số liệu vào cột 'Số liệu'. Để trống ô không có số liệu (ô trống khác với 0). "
              "Dòng tô xám không áp dụng cho cấp xã. Lũy kế (nếu có) ghi ở cột 'Ghi chú', ví dụ (Lũy kế 22,68%). "
              f"Cột cuối: số liệu đã lưu của kỳ {prev.id}, chỉ để tham khảo.", italic, wrap, "A7:F7")
    ws.row_dimensions[7].height = 45
    # table header, as printed in Phụ lục 2B
    put(f"A{HEADER_ROW}", "STT", bold, centre, f"A{HEADER_ROW}:A{HEADER_ROW + 1}")
    put(f"B{HEADER_ROW}", "Chỉ tiêu thống kê (Sử dụng trong kỳ báo cáo hàng quý, 6 tháng, năm)", bold, centre,
        f"B{HEADER_ROW}:B{HEADER_ROW + 1}")
    put(f"C{HEADER_ROW}", "Kết quả thống kê", bold, centre, f"C{HEADER_ROW}:D{HEADER_ROW}")
    put(f"C{HEADER_ROW + 1}", "Đơn vị tính", bold, centre)
    put(f"D{HEADER_ROW + 1}", "Số liệu", bold, centre)
    put(f"E{HEADER_ROW}", "Ghi chú", bold, centre, f"E{HEADER_ROW}:E{HEADER_ROW + 1}")
    put(f"F{HEADER_ROW}", f"Kỳ trước ({prev.id}) – tham khảo", bold, centre, f"F{HEADER_ROW}:F{HEADER_ROW + 1}")
    for r in (HEADER_ROW, HEADER_ROW + 1):
        for c in range(COL_CODE, COL_PREVIOUS + 1):
            ws.cell(r, c).border = box
    for letter, width in zip("ABCDEF", (11, 70, 24, 13, 22, 16)):
        ws.column_dimensions[letter].width = width

    validations: dict[tuple, object] = {}
    for n, row in enumerate(rows.to_dict("records")):
        r = FIRST_ROW + n
        kind = row["row_type"]
        unit = row["unit"]
        values = [row["code"], row["label"], unit, None, None, row["previous"]]
        for c, value in enumerate(values, start=COL_CODE):
            cell = set_cell(ws.cell(r, c), value)  # a commune's text never becomes a live formula
            cell.border = box
            cell.alignment = centre if c in (COL_CODE, COL_VALUE, COL_PREVIOUS) else wrap
            cell.font = bold if kind in ("heading", "section") else (plain if row["applicable"] else grey_font)
            if c == COL_CODE:
                cell.number_format = "@"
        if kind in ("heading", "section"):
            for c in range(COL_CODE, COL_PREVIOUS + 1):
                ws.cell(r, c).fill = fills["heading"]
            continue
        for c in (COL_VALUE, COL_NOTE):
            ws.cell(r, c).protection = unlocked
            ws.cell(r, c).fill = fills["input"] if row["applicable"] else fills["na"]
        if not row["applicable"]:
            for c in (COL_CODE, COL_LABEL, COL_UNIT, COL_PREVIOUS):
                ws.cell(r, c).fill = fills["na"]
        if row["kind"] == "text":
            ws.cell(r, COL_VALUE).number_format = "@"
        key = _validation_key(pd.Series(row))
        if key is not None:
            if key not in validations:
                validations[key] = _validation(key)
                ws.add_data_validation(validations[key])
            validations[key].add(ws.cell(r, COL_VALUE).coordinate)
    ws.freeze_panes = f"C{FIRST_ROW}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW + 1}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.protection.sheet = True
    ws.protection.formatColumns = ws.protection.formatRows = False  # widths and heights may be changed

    fields = {"commune_code": commune.code, "commune_name": commune.full_name, "commune_key": commune.key,
              "period": p.id, "sheet": FORM_SHEET, "catalogue_version": catalogue_version,
              "template_version": TEMPLATE_VERSION}
    meta = wb.create_sheet(META_SHEET)
    for key, value in fields.items():
        meta.append([key, neutralise(value)])
    meta.sheet_state = "hidden"
    meta.protection.sheet = True
    for key, value in fields.items():
        wb.custom_doc_props.append(StringProperty(name=PROPERTY_PREFIX + key, value=value))
    wb.properties.title = f"Phụ lục 2B – {commune.full_name} – {p.id}"
    wb.properties.creator = "cchc template"
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path

"""The consolidated appendix: Phụ lục 2B of every commune of an area side by side, with the area's total.

What the compiling office (the district's Phòng Nội vụ before 1/7/2025, the province's Sở Nội vụ after) sends
on.  Pure frame functions, I/O at the edge (:func:`write_consolidated`):

- :func:`commune_values`: the area's communes' values of the period (the stored ones; for a 6M/9M/Y a commune
  reported no figures for, those the metrics stage compiled from its quarters);
- :func:`wide_rows`: one row per catalogue row of the period (STT, label, unit), one column per commune of the
  area (blank where the commune did not report the row, 0 where it reported 0; a commune without any report an
  empty column headed "(chưa gửi báo cáo)"), the total by rule (:func:`pipeline.metrics.area.area_totals`) and
  how it was computed;
- :func:`long_rows`: the same values one per line (``commune_code, commune_name, period, indicator_code, label,
  value, cumulative_value, note, synthetic, source``): the long layout ``cchc ingest`` reads.

The workbook has the wide sheet "Phụ lục 2B" (frozen header rows and label columns, number formats, a title and a
note row) and the long sheet "Dữ liệu".  The ingest reads the long sheet and skips the wide one (the workbook
names it in its custom property ``cchc_consolidated_sheet``).  Every text cell goes through
:func:`pipeline.cells.set_cell` (a commune's text never becomes a formula); no formulas are written.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..cells import set_cell
from ..config import PACKAGE_DIR
from ..domain.areas import Area
from ..domain.catalogue import Catalogue, parse_legend
from ..domain.formatting import format_number
from ..domain.periods import Period
from ..domain.words import load_words
from ..metrics.area import area_totals
from .workbook import CONSOLIDATED_PROPERTY

LONG_COLUMNS = ["commune_code", "commune_name", "period", "indicator_code", "label", "value", "cumulative_value",
                "note", "synthetic", "source"]
#: Number formats by kind: thousands separated; percentages and scores with two decimals.
NUMBER_FORMATS = {"count": "#,##0", "money": "#,##0", "percent": "#,##0.00", "score": "#,##0.00", "category": "0"}
#: Rows of the wide sheet; the names of the units that have not reported follow the table, after a blank row.
TITLE_ROW, NOTE_ROW, MISSING_ROW, HEADER_ROW, FIRST_ROW = 1, 2, 3, 5, 6
FIRST_COMMUNE_COL = 4  # D: after STT, label, unit
VALUE_COLUMNS = ["commune_key", "commune_code", "indicator_code", "value", "value_text", "cumulative_value", "note",
                 "synthetic", "source_file", "origin"]

say = load_words(PACKAGE_DIR / "forms" / "words.yaml")
WIDE_SHEET = say("consolidated.sheet.wide")  # sheet names: at most 31 characters
LONG_SHEET = say("consolidated.sheet.long")


def commune_values(values: pd.DataFrame, metrics: pd.DataFrame | None, area: Area, period: str | Period,
                   catalogue: Catalogue) -> pd.DataFrame:
    """The values of ``area``'s communes in ``period`` (columns :data:`VALUE_COLUMNS`).

    A commune's stored values of the period (``origin`` "reported"); for an aggregated period (6M, 9M, Y) a
    commune has no stored values for, the figures the metrics stage compiled from its quarters (``origin``
    "computed": flows summed, stocks last, ratios recomputed; categories and text are not compiled).
    """
    p = Period.parse(period)
    keys = {u.key for u in area.units}
    stored = values.loc[(values["period"] == p.id) & values["commune_key"].isin(keys)]
    out = stored.assign(origin="reported").reindex(columns=VALUE_COLUMNS)
    if not p.is_quarter and metrics is not None and len(metrics):
        codes = set(catalogue.for_period(p).table["code"])
        lacking = keys - set(stored["commune_key"])
        m = metrics.loc[(metrics["period"] == p.id) & metrics["commune_key"].isin(lacking)
                        & metrics["metric"].isin(codes) & metrics["value"].notna()
                        & metrics["origin"].isin(["computed", "reported", "derived"])]
        if len(m):
            compiled = pd.DataFrame({
                "commune_key": m["commune_key"], "commune_code": m["commune_code"], "indicator_code": m["metric"],
                "value": m["value"].astype(float), "value_text": None, "cumulative_value": float("nan"), "note": "",
                "synthetic": m["synthetic"].fillna(False).astype(bool), "source_file": say("consolidated.compiled"),
                "origin": "computed"})
            out = pd.concat([out, compiled], ignore_index=True)
    return out.reset_index(drop=True)


def _shown(value: float, text: object, kind: str):
    """A value as its cell holds it: a number (an integer when whole), or the text of a text row."""
    if value == value and value is not None:
        return int(value) if float(value).is_integer() and kind in ("count", "money", "category") else float(value)
    if isinstance(text, str) and text.strip():
        return text
    return None


def wide_rows(cv: pd.DataFrame, area: Area, period: str | Period, catalogue: Catalogue) -> pd.DataFrame:
    """The wide table: ``code, label, unit, kind``, one column per unit key of the area (in code order), then
    ``total`` (a number, a category's counts as text, or None) and ``how`` (how the total was computed)."""
    cat = catalogue.for_period(period).table.drop_duplicates("code", keep="last")
    totals = area_totals(cv, area.units, period, catalogue).set_index("code")
    cells = {(r.commune_key, r.indicator_code): _shown(r.value, r.value_text, "")
             for r in cv.itertuples(index=False)}
    n_units = len(area.units)
    rows = []
    for r in cat.itertuples(index=False):
        t = totals.loc[r.code]
        row = {"code": r.code, "label": r.label, "unit": r.unit, "kind": r.kind}
        for u in area.units:
            value = cells.get((u.key, r.code))
            if isinstance(value, float) and r.kind in ("count", "money", "category") and value.is_integer():
                value = int(value)
            row[u.key] = value
        row["total"], row["how"] = _total(t, r.legend, n_units)
        rows.append(row)
    return pd.DataFrame(rows, columns=["code", "label", "unit", "kind", *[u.key for u in area.units], "total", "how"])


def _total(t: pd.Series, legend: str, n_units: int) -> tuple[object, str]:
    rule, n = t["rule"], int(t["communes"])
    if rule in ("heading", "text"):
        return None, ""
    if rule == "recompute":
        if t["parts_communes"] == 0:
            return None, say("consolidated.rule.nobody")
        if t["denominator"] == 0:
            return None, say("consolidated.rule.recompute_zero", denominator=t["denominator_code"])
        return float(t["total"]), say("consolidated.rule.recompute", numerator=t["numerator_code"],
                                      denominator=t["denominator_code"], num=format_number(t["numerator"]),
                                      den=format_number(t["denominator"]), count=int(t["parts_communes"]))
    if rule == "no_parts":
        return None, say("consolidated.rule.no_parts")
    if n == 0:
        return None, say("consolidated.rule.nobody")
    if rule == "count_by_value":
        names = parse_legend(legend)
        text = "; ".join(say("consolidated.category", label=names[c], count=k) if c in names
                         else say("consolidated.category_unknown", code=c, count=k) for c, k in t["counts"].items())
        return text, say("consolidated.rule.count_by_value", count=n, total=n_units)
    total = float(t["total"])
    return (int(total) if total.is_integer() else total), say("consolidated.rule.sum", count=n, total=n_units)


def long_rows(cv: pd.DataFrame, area: Area, period: str | Period, catalogue: Catalogue) -> pd.DataFrame:
    """The long table (columns :data:`LONG_COLUMNS`), by commune code then catalogue order."""
    p = Period.parse(period)
    cat = catalogue.for_period(p).table.drop_duplicates("code", keep="last").set_index("code")
    units = {u.key: u for u in area.units}
    order = {u.key: n for n, u in enumerate(area.units)}
    v = cv.loc[cv["indicator_code"].isin(cat.index)]
    v = v.assign(_u=v["commune_key"].map(order), _o=v["indicator_code"].map(cat["order"].astype(int)))
    v = v.sort_values(["_u", "_o"], kind="stable")
    out = pd.DataFrame({
        "commune_code": [units[k].code for k in v["commune_key"]],
        "commune_name": [units[k].full_name for k in v["commune_key"]],
        "period": p.id,
        "indicator_code": v["indicator_code"].to_numpy(),
        "label": v["indicator_code"].map(cat["label"]).to_numpy(),
        "value": [_shown(a, b, k) for a, b, k in
                  zip(v["value"], v["value_text"], v["indicator_code"].map(cat["kind"]))],
        "cumulative_value": [None if x != x or x is None else float(x) for x in v["cumulative_value"]],
        "note": [x if isinstance(x, str) else "" for x in v["note"]],
        "synthetic": ["true" if bool(x) else "false" for x in v["synthetic"].fillna(False)],
        "source": [Path(str(x)).name if isinstance(x, str) and x else "" for x in v["source_file"]],
    }, columns=LONG_COLUMNS)
    return out.reset_index(drop=True)


def write_consolidated(cv: pd.DataFrame, area: Area, period: str | Period, catalogue: Catalogue,
                       path: Path) -> Path:
    """Write the consolidated workbook of ``area`` and ``period`` to ``path`` (``.xlsx``)."""
    from openpyxl import Workbook
    from openpyxl.packaging.custom import StringProperty
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    p = Period.parse(period)
    wide = wide_rows(cv, area, p, catalogue)
    reported = set(cv["commune_key"])
    missing = [u for u in area.units if u.key not in reported]
    wb = Workbook()
    ws = wb.active
    ws.title = WIDE_SHEET
    bold, plain = Font(name="Times New Roman", bold=True, size=12), Font(name="Times New Roman", size=11)
    italic = Font(name="Times New Roman", italic=True, size=11)
    thin = Side(style="thin", color="000000")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    wrap = Alignment(vertical="center", wrap_text=True)
    heading_fill, empty_fill = PatternFill("solid", fgColor="DDEBF7"), PatternFill("solid", fgColor="F2F2F2")
    total_col = FIRST_COMMUNE_COL + len(area.units)
    how_col = total_col + 1

    area_word = say(f"consolidated.level.{area.level}")
    title = say("consolidated.title", period=p.label_vi.upper(), area_word=area_word.upper(),
                area=area.name.upper(), code=area.code)
    # Above the table (frozen with the header, so kept short): the title, the rule, how many have not reported;
    # the names of those under the table.
    listed = say("consolidated.missing", count=len(missing), total=len(area.units),
                 units=", ".join(f"{u.full_name} ({u.code})" for u in missing))
    after = FIRST_ROW + len(wide) + 1
    for row, text, font in ((TITLE_ROW, title, bold), (NOTE_ROW, say("consolidated.note"), italic),
                            (MISSING_ROW, say("consolidated.missing_count", count=len(missing), total=len(area.units))
                             if missing else say("consolidated.none_missing", total=len(area.units)), italic),
                            *([(after, listed, italic)] if missing else [])):
        cell = set_cell(ws.cell(row, 1), text)
        cell.font, cell.alignment = font, wrap
        ws.merge_cells(f"A{row}:C{row}")  # over the frozen columns: in view whatever the scrolling
        ws.row_dimensions[row].height = 16 * (1 + len(text) // 80)
    heads = [say("consolidated.stt"), say("consolidated.label"), say("consolidated.unit")]
    heads += [say("consolidated.commune", name=u.full_name, code=u.code)
              + ("\n" + say("consolidated.no_report") if u.key not in reported else "") for u in area.units]
    heads += [say("consolidated.total"), say("consolidated.how")]
    for c, text in enumerate(heads, start=1):
        cell = set_cell(ws.cell(HEADER_ROW, c), text)
        cell.font, cell.alignment, cell.border = bold, centre, box
    ws.row_dimensions[HEADER_ROW].height = 48
    keys = [u.key for u in area.units]
    for n, row in enumerate(wide.to_dict("records")):
        r = FIRST_ROW + n
        heading = row["kind"] == "heading"
        fmt = NUMBER_FORMATS.get(row["kind"])
        for c, value in enumerate([row["code"], row["label"], row["unit"], *[row[k] for k in keys], row["total"],
                                   row["how"]], start=1):
            cell = set_cell(ws.cell(r, c), value)
            cell.border = box
            cell.font = bold if heading or c == total_col else plain
            cell.alignment = centre if c == 1 else wrap
            if c == 1 or row["kind"] == "text":
                cell.number_format = "@"
            elif fmt and FIRST_COMMUNE_COL <= c <= total_col and isinstance(value, (int, float)):
                cell.number_format = fmt
            if heading:
                cell.fill = heading_fill
            elif FIRST_COMMUNE_COL <= c < total_col and keys[c - FIRST_COMMUNE_COL] not in reported:
                cell.fill = empty_fill
    for letter, width in (("A", 10), ("B", 60), ("C", 18)):
        ws.column_dimensions[letter].width = width
    for c in range(FIRST_COMMUNE_COL, total_col):
        ws.column_dimensions[get_column_letter(c)].width = 14
    ws.column_dimensions[get_column_letter(total_col)].width = 22
    ws.column_dimensions[get_column_letter(how_col)].width = 40
    ws.freeze_panes = ws.cell(FIRST_ROW, FIRST_COMMUNE_COL).coordinate
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4

    long = long_rows(cv, area, p, catalogue)
    ls = wb.create_sheet(LONG_SHEET)
    for c, name in enumerate(LONG_COLUMNS, start=1):
        ls.cell(1, c, name).font = Font(bold=True)
    kinds = catalogue.for_period(p).table.drop_duplicates("code", keep="last").set_index("code")["kind"]
    for n, rec in enumerate(long.itertuples(index=False), start=2):
        for c, value in enumerate(rec, start=1):
            cell = set_cell(ls.cell(n, c), value)
            if c in (1, 3, 4):
                cell.number_format = "@"
            elif LONG_COLUMNS[c - 1] == "value" and kinds.get(rec.indicator_code) == "text":
                cell.number_format = "@"
    ls.freeze_panes = "A2"
    for letter, width in zip("ABCDEFGHIJ", (12, 24, 10, 16, 60, 14, 14, 30, 10, 30)):
        ls.column_dimensions[letter].width = width

    wb.custom_doc_props.append(StringProperty(name=CONSOLIDATED_PROPERTY, value=WIDE_SHEET))
    wb.properties.title = say("consolidated.document_title", area=f"{area.name} ({area.code})", period=p.id)
    wb.properties.creator = "cchc consolidate"
    from ..store import atomic_file

    path = Path(path)
    with atomic_file(path) as tmp:  # a reader sees the old workbook or the new one, never half of one
        wb.save(tmp)
    return path

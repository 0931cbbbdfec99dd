"""The long CSV layout: one row per commune, period and indicator.

Columns (header names case-insensitive, comma or semicolon separated, UTF-8):
``commune_code, period, indicator_code, value`` required; ``note``,
``cumulative_value`` and ``synthetic`` (true/false: sample data) optional.
Row numbers in messages count the header as row 1, as a spreadsheet does.
"""

from __future__ import annotations

import csv
import io

import pandas as pd

from ..cells import restore
from ..config import MAX_INPUT_ROWS
from ..domain.catalogue import Catalogue
from ..domain.communes import Registry
from ..domain.numbers import NumberFormatError, parse_number
from ..domain.periods import Period
from ..domain.text import clean
from ..errors import CchcError, InputError
from .base import RAW_VALUE_COLUMNS, Extract, cumulative_from_note
from .registry import Source, reader
from .validate import issue

REQUIRED = ["commune_code", "period", "indicator_code", "value"]
OPTIONAL = ["note", "cumulative_value", "synthetic", "commune_name", "label", "unit"]
_TRUE = {"true", "1", "yes", "x", "có"}
_FALSE = {"false", "0", "no", "", "không"}


def looks_like_long_csv(text: str) -> bool:
    first = next((line for line in text.split("\n") if line.strip()), "")
    names = {clean(c).lower() for c in first.replace(";", ",").split(",")}
    return {"commune_code", "indicator_code"} <= names


def parse_long_csv(text: str, *, display: str, catalogue: Catalogue, registry: Registry) -> Extract:
    """Parse a long CSV; file-level problems raise, row-level ones become issues."""
    first = next((line for line in text.split("\n") if line.strip()), "")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [clean(h).lower() for h in next(reader)]
    except StopIteration:
        raise InputError("empty file", file=display, expected="a header row and data rows") from None
    except csv.Error as exc:
        raise InputError(f"unreadable CSV: {exc}", file=display, row=1, expected="a valid CSV header") from None
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InputError(f"missing columns {missing}", file=display, row=1, value=",".join(header),
                         expected="columns " + ", ".join(REQUIRED) + " (optional: " + ", ".join(OPTIONAL) + ")")
    dup = sorted({h for h in header if h and header.count(h) > 1})
    if dup:
        raise InputError(f"duplicated columns {dup}", file=display, row=1, expected="each column once")
    col = {name: header.index(name) for name in header if name}
    extract = Extract(file=display)
    rows, units = [], {}  # a code written twice is judged after typing (validate.duplicate_values)
    for line_no, cells in enumerate(_rows(reader, display), start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            extract.issues.append(issue("more cells than header columns", file=display, row=line_no,
                                        value=delimiter.join(cells), expected=f"{len(header)} cells"))
            continue
        cells = cells + [""] * (len(header) - len(cells))
        get = lambda name: clean(restore(cells[col[name]])) if name in col else ""  # noqa: E731, B023 - used in this iteration
        where = {"file": display, "row": line_no, "indicator_code": get("indicator_code"), "value": get("value")}
        try:
            period = Period.parse(get("period"))
        except CchcError as exc:
            extract.issues.append(issue(str(exc), expected="a period id such as 2021-Q3",
                                        **{**where, "value": get("period")}))
            continue
        key = (get("commune_code"), period.id)
        if key not in units:
            try:
                units[key] = registry.resolve(get("commune_code"), period)
            except CchcError as exc:
                units[key] = exc
        unit = units[key]
        if isinstance(unit, CchcError):
            extract.issues.append(issue(str(unit), expected="a commune code of the registry valid in the period",
                                        **{**where, "value": get("commune_code")}))
            continue
        code = get("indicator_code")
        if code not in catalogue.for_period(period):
            extract.issues.append(issue(f"indicator code not in the catalogue valid in {period.id}",
                                        expected="a code listed by 'cchc catalogue'", **where))
            continue
        try:
            cumulative = (parse_number(get("cumulative_value")) if get("cumulative_value")
                          else cumulative_from_note(get("note")))
        except NumberFormatError:
            extract.issues.append(issue("cumulative_value is not a number", expected="a number or blank",
                                        **{**where, "value": get("cumulative_value")}))
            continue
        flag = get("synthetic").lower()
        if flag not in _TRUE | _FALSE:
            extract.issues.append(issue("synthetic flag not understood", expected="true or false",
                                        **{**where, "value": get("synthetic")}))
            continue
        rows.append({
            "commune_code": unit.code, "period": period.id, "indicator_code": code, "raw_value": get("value"),
            "cumulative_value": cumulative, "note": get("note"), "source_file": display, "source_row": line_no,
            "raw_text": delimiter.join(cells), "synthetic": flag in _TRUE,
        })
    if not rows and not extract.issues:
        raise InputError("no data rows", file=display, expected="at least one row after the header")
    extract.values = pd.DataFrame(rows, columns=RAW_VALUE_COLUMNS)
    return extract


def _rows(reader, display: str):
    try:
        for n, cells in enumerate(reader, start=1):
            if n > MAX_INPUT_ROWS:
                raise InputError("too many rows", file=display, row=n + 1,
                                 expected=f"at most {MAX_INPUT_ROWS:,} rows (CCHC_MAX_INPUT_ROWS)")
            yield cells
    except csv.Error as exc:
        raise InputError(f"unreadable CSV: {exc}", file=display, row=reader.line_num,
                         expected="well-formed CSV (balanced quotes)") from None


@reader("long csv", rank=80, recognises=lambda s: looks_like_long_csv(s.text))
def read_long_csv(source: Source, *, catalogue: Catalogue, registry: Registry) -> Extract:
    """A long CSV (a header with ``commune_code`` and ``indicator_code``)."""
    return parse_long_csv(source.text, display=source.display, catalogue=catalogue, registry=registry)

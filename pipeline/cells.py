"""Text cells safe to open in a spreadsheet: every CSV and Excel file the project writes.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is taken by Excel,
LibreOffice and Google Sheets for a formula: a commune's note ``=HYPERLINK("http://…")`` or
``+cmd|' /C calc'!A0`` would run when an export or a fill-in form is opened ("CSV injection",
OWASP).  Following the OWASP rule, such a text is written with a single quote in front
(``'=HYPERLINK(…)``); a number (``-3``, ``-1.234,5``) is left alone.  The ingest strips exactly one
leading quote before such a character (:func:`restore`), so a text round-trips unchanged.  A text
that already starts with a quote before such a character gets one more, for the same reason.

>>> neutralise("=1+2"), neutralise("-3"), neutralise("- Lưu: VP"), neutralise(21.1)
("'=1+2", '-3', "'- Lưu: VP", 21.1)
>>> restore("'=1+2"), restore("'ok"), restore(neutralise("'=x"))
('=1+2', "'ok", "'=x")
"""

from __future__ import annotations

import pandas as pd

#: First characters that make a spreadsheet read a cell as a formula.
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _is_number(text: str) -> bool:
    from .domain.numbers import NumberFormatError, parse_decimal

    try:
        return parse_decimal(text) is not None
    except NumberFormatError:
        return False


def neutralise(value: object) -> object:
    """``value`` as it may be written into a CSV or Excel cell (non-text values unchanged)."""
    if not isinstance(value, str) or not value:
        return value
    if value[0] in TRIGGERS and not (value[0] == "-" and _is_number(value)):
        return "'" + value
    if value[0] == "'" and restore(value) != value:  # would lose its quote on the way back in
        return "'" + value
    return value


def restore(text: object) -> object:
    """A cell's text as the ingest reads it: one leading quote before a formula character removed."""
    if isinstance(text, str) and len(text) >= 2 and text[0] == "'" and (
            text[1] in TRIGGERS or (text[1] == "'" and restore(text[1:]) != text[1:])):
        return text[1:]
    return text


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A new frame whose text columns are safe to write as CSV (see :func:`neutralise`)."""
    text = [c for c in frame.columns if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])]
    return frame.assign(**{c: frame[c].map(neutralise) for c in text}) if text else frame


def set_cell(cell, value: object):
    """Put ``value`` into an openpyxl ``cell``: text neutralised and always a string cell, never a formula.

    ``None`` leaves the cell as it is (as ``ws.cell(row, col, None)`` does: a merged cell stays merged).
    """
    if value is None:
        return cell
    cell.value = neutralise(value)
    if isinstance(cell.value, str):
        cell.data_type = "s"
    return cell

"""Vietnamese number, percentage, money, date and period formatting.

House style: "." separates thousands and "," is the decimal mark ("19.630",
"2.590.755.750 đồng", "21,1", "145,15%"): CLDR's Vietnamese (``vi``) symbols,
applied by babel.  Ratios are shown with at most two decimals, trailing zeros
dropped, rounded half up (the project's own rounding, done before babel sees
the number: babel alone rounds half to even and overflows above 10^28).  The official date form of Nghị định
30/2020 ("ngày 05 tháng 01 năm 2020", "ngày 14 tháng 9 năm 2021") is not in
CLDR, so it has its own formatter.  A missing value is shown blank, never 0.
"""

from __future__ import annotations

import math
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from functools import cache

from babel import Locale
from babel.numbers import NumberPattern, parse_pattern


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_number(value: object, *, decimals: int | None = None, max_decimals: int = 2) -> str:
    """Format a number Vietnamese style; ``decimals`` fixes the number of decimals.

    >>> format_number(2590755750)
    '2.590.755.750'
    >>> format_number(21.1), format_number(145.15), format_number(33.142857), format_number(6.0)
    ('21,1', '145,15', '33,14', '6')
    >>> format_number(None)
    ''
    >>> format_number(1e28)
    '10.000.000.000.000.000.000.000.000.000'
    """
    if _missing(value):
        return ""
    d = Decimal(repr(float(value))) if isinstance(value, float) else Decimal(value)
    if not d.is_finite():
        return str(value)
    places = decimals if decimals is not None else max_decimals
    with localcontext() as ctx:  # room for every digit: 10^28 must not overflow the default 28-digit context
        ctx.prec = max(28, d.adjusted() + places + 2)
        ctx.rounding = ROUND_HALF_UP  # babel rounds in this context too (half-even by default)
        d = d.quantize(Decimal(1).scaleb(-places))
        if d.is_zero():
            d = d.copy_abs()  # -0,001 is "0", not "-0"
        return _pattern(places, fixed=decimals is not None).apply(d, _VI)


_VI = Locale.parse("vi")


@cache
def _pattern(places: int, *, fixed: bool) -> NumberPattern:
    """CLDR pattern: grouped thousands, ``places`` decimals (``fixed``: trailing zeros kept)."""
    fraction = ("0" if fixed else "#") * places
    return parse_pattern("#,##0" + ("." + fraction if fraction else ""))


def format_percent(value: object, *, decimals: int | None = None) -> str:
    """``33.142857`` → ``"33,14%"``; missing → ``""``."""
    text = format_number(value, decimals=decimals)
    return f"{text}%" if text else ""


def format_money(value: object) -> str:
    """``2590755750`` → ``"2.590.755.750 đồng"``."""
    text = format_number(value, decimals=0)
    return f"{text} đồng" if text else ""


def format_official_date(day: date) -> str:
    """The Nghị định 30/2020 date: day zero-padded below 10, months 1 and 2 zero-padded.

    >>> format_official_date(date(2020, 1, 5)), format_official_date(date(2021, 9, 14))
    ('ngày 05 tháng 01 năm 2020', 'ngày 14 tháng 9 năm 2021')
    """
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def format_short_date(day: date) -> str:
    """A date in a reference to a document, zero-padded as :func:`format_official_date` pads.

    >>> format_short_date(date(2021, 9, 14)), format_short_date(date(2020, 1, 5))
    ('14/9/2021', '05/01/2020')
    """
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"{day.day:02d}/{month}/{day.year}"

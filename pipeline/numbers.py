"""Vietnamese number parsing (and, later, formatting).

Accepted forms, all seen in real reports: ``"2 590 755 750"`` (space
thousands), ``"19.630"`` (dot thousands), ``"21,1"`` (decimal comma),
``"1.234,5"``, ``"01"`` (zero padded), ``"145,15%"``, ``"(Lũy kế 22,68%)"``
(with :func:`find_numbers`).  A blank is missing (``None``), never zero.

Rule for a lone dot: dot-separated groups of exactly three digits are
thousands (``"19.630"`` = 19630); otherwise the dot is a decimal point
(``"21.1"``, as spreadsheets export it).  A comma is always the decimal mark.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

# Any kind of space used as a thousands separator (normal, no-break, narrow no-break, thin).
_SPACES = "\u0020\u00a0\u202f\u2009"
_SPACE_RE = re.compile(f"[{_SPACES}]")
_NUMBER_TOKEN = re.compile(
    rf"(?<![\w.,])[-−]?\d{{1,3}}(?:[{_SPACES}]\d{{3}})+(?:,\d+)?(?![\w])"  # 2 590 755 750
    rf"|(?<![\w.,])[-−]?\d+(?:[.,]\d+)*(?![\w])"  # 19.630, 21,1, 1.234,5, 01
)
_UNIT_SUFFIX = re.compile(r"\s*(%|đồng|đ|VNĐ|VND)\s*$", re.IGNORECASE)


class NumberFormatError(ValueError):
    """Text that is not a Vietnamese number."""


class UnitOnlyError(NumberFormatError):
    """A value that holds a unit ("%", "đồng", "()") but no number: not blank, not a number either."""


def parse_decimal(text: object) -> Decimal | None:
    """Parse one Vietnamese number to a :class:`~decimal.Decimal`; blank gives ``None``.

    >>> parse_decimal("2 590 755 750")
    Decimal('2590755750')
    >>> parse_decimal("145,15%")
    Decimal('145.15')
    >>> parse_decimal("") is None
    True

    A unit without a number (``"%"``, ``"VNĐ"``, ``"()"``) raises :class:`UnitOnlyError`.
    """
    if text is None:
        return None
    if isinstance(text, bool):
        raise NumberFormatError(f"not a number: {text!r}")
    if isinstance(text, (int, Decimal)):
        return Decimal(text)
    if isinstance(text, float):
        if text != text:  # NaN: a blank cell
            return None
        return Decimal(repr(text))
    s = str(text).strip()
    if not s:
        return None
    if s.startswith("(") and s.endswith(")"):
        s = s[1:-1].strip()
    s = _UNIT_SUFFIX.sub("", s).strip()
    if not s:  # "%", "đồng", "()": something was written, but no number
        raise UnitOnlyError(f"no number, only a unit: {text!r}")
    s = s.replace("−", "-")
    sign = ""
    if s[0] in "+-":
        sign, s = ("-" if s[0] == "-" else ""), s[1:].strip()
    if _SPACE_RE.search(s):
        if not re.fullmatch(rf"\d{{1,3}}(?:[{_SPACES}]\d{{3}})+(?:,\d+)?", s):
            raise NumberFormatError(f"not a number: {text!r}")
        s = _SPACE_RE.sub("", s)
    if not re.fullmatch(r"\d+(?:[.,]\d+)*", s):
        raise NumberFormatError(f"not a number: {text!r}")
    if "," in s:
        if s.count(",") > 1:
            raise NumberFormatError(f"more than one decimal comma: {text!r}")
        whole, frac = s.split(",")
        if "." in whole:
            if not re.fullmatch(r"\d{1,3}(?:\.\d{3})+", whole):
                raise NumberFormatError(f"misplaced thousands dots: {text!r}")
            whole = whole.replace(".", "")
        s = f"{whole}.{frac}"
    elif "." in s:
        if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", s):
            s = s.replace(".", "")
        elif s.count(".") > 1:
            raise NumberFormatError(f"misplaced thousands dots: {text!r}")
    try:
        return Decimal(sign + s)
    except InvalidOperation as exc:  # pragma: no cover - the regexes above guard this
        raise NumberFormatError(f"not a number: {text!r}") from exc


def parse_number(text: object) -> float | None:
    """Parse one Vietnamese number to ``float``; blank gives ``None``."""
    value = parse_decimal(text)
    return None if value is None else float(value)


def find_numbers(text: str) -> list[tuple[float, str, int]]:
    """All numbers in running text, as ``(value, raw text, offset)``.

    >>> [v for v, _, _ in find_numbers("thu 2 590 755 750 đồng, đạt 145,15%")]
    [2590755750.0, 145.15]
    """
    found = []
    for match in _NUMBER_TOKEN.finditer(text):
        raw = match.group(0)
        try:
            value = parse_number(raw)
        except NumberFormatError:
            continue
        if value is not None:
            found.append((value, raw, match.start()))
    return found

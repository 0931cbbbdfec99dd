"""Vietnamese number parsing (and, later, formatting).

Accepted forms, all seen in real reports: ``"2 590 755 750"`` (space
thousands), ``"19.630"`` (dot thousands), ``"21,1"`` (decimal comma),
``"1.234,5"``, ``"01"`` (zero padded), ``"145,15%"``, ``"(Lũy kế 22,68%)"``
(with :func:`find_numbers`).  A blank is missing (``None``), never zero.

Amounts in words of scale: ``"2 tỷ 590 triệu 755 nghìn 750 đồng"`` = 2 590 755 750,
``"147 triệu 700 nghìn đồng"`` = 147 700 000, ``"2,59 tỷ đồng"`` = 2 590 000 000 (a fraction
times a scale word is a rounded figure: :func:`is_rounded_amount`).

Spaces: the ordinary space, no-break (U+00A0), thin (U+2009) and narrow no-break (U+202F)
spaces separate thousands; invisible characters (zero-width space U+200B, word joiner U+2060,
BOM U+FEFF, soft hyphen), which web portals put between digit groups, are removed first.

Rule for a lone dot: dot-separated groups of exactly three digits are
thousands (``"19.630"`` = 19630); otherwise the dot is a decimal point
(``"21.1"``, as spreadsheets export it).  A comma is always the decimal mark.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from ..errors import NumberFormatError, UnitOnlyError  # noqa: F401 - importable here too
from .text import INVISIBLE_CHARS

# Any kind of space used as a thousands separator (normal, no-break, narrow no-break, thin, figure).
_SPACES = "\u0020\u00a0\u202f\u2009\u2007\u2008\u200a"
_SPACE_RE = re.compile(f"[{_SPACES}]")
# Characters that take no room: removed before a number is read.
INVISIBLE = INVISIBLE_CHARS
_INVISIBLE_RE = re.compile(f"[{INVISIBLE}]")
_PLAIN = r"\d{1,3}(?:[" + _SPACES + r"]\d{3})+(?:,\d+)?|\d+(?:[.,]\d+)*"
# Scale words, largest first; "tỷ lệ" (a rate) is not "tỷ" (a thousand million).
SCALES = (("tỷ", 10**9), ("tỉ", 10**9), ("triệu", 10**6), ("nghìn", 10**3), ("ngàn", 10**3))
_SCALE_WORD = r"(?:tỷ|tỉ)(?!\s*lệ)|triệu|nghìn|ngàn"
_SCALED = rf"(?:{_PLAIN})\s*(?:{_SCALE_WORD})(?:\s+(?:{_PLAIN})\s*(?:{_SCALE_WORD}))*"
# in running text, units after the last scale word count only before "đồng" ("755 nghìn 750 đồng")
_AMOUNT = rf"{_SCALED}(?:\s+\d{{1,3}}(?=\s*(?:đồng|đ\b|vnđ|vnd)))?"
_AMOUNT_ALONE = rf"{_SCALED}(?:\s+\d{{1,3}})?"
_END = r"(?:(?!\w)|(?=đ(?!\w)))"  # a number ends before a non-word character or a bare "đ" ("750đ")
_NUMBER_TOKEN = re.compile(
    rf"(?<![\w.,])[-−]?(?:{_AMOUNT}){_END}"  # 2 tỷ 590 triệu 755 nghìn 750 (đồng)
    rf"|(?<![\w.,])[-−]?\d{{1,3}}(?:[{_SPACES}]\d{{3}})+(?:,\d+)?{_END}"  # 2 590 755 750
    rf"|(?<![\w.,])[-−]?\d+(?:[.,]\d+)*{_END}",  # 19.630, 21,1, 1.234,5, 01
    re.IGNORECASE,
)
_AMOUNT_PART = re.compile(rf"({_PLAIN})\s*({_SCALE_WORD})?", re.IGNORECASE)
_UNIT_SUFFIX = re.compile(r"\s*(%|đồng|đ|VNĐ|VND)\s*$", re.IGNORECASE)


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
    s = _INVISIBLE_RE.sub("", str(text)).strip()
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
    if re.search(_SCALE_WORD, s, re.IGNORECASE):
        return _parse_amount(s, sign, text)
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


def _parse_amount(s: str, sign: str, text: object) -> Decimal:
    """ "2 tỷ 590 triệu 755 nghìn 750" → 2590755750: each part times its scale, scales falling."""
    if not re.fullmatch(_AMOUNT_ALONE, s, re.IGNORECASE):
        raise NumberFormatError(f"not an amount: {text!r}")
    total, last_scale = Decimal(0), None
    for match in _AMOUNT_PART.finditer(s):
        part = parse_decimal(match.group(1))
        word = (match.group(2) or "").lower()
        scale = next((factor for w, factor in SCALES if w == word), 1)
        if last_scale is not None and scale >= last_scale:
            raise NumberFormatError(f"scale words out of order in {text!r}")
        if scale == 1 and part >= 1000 or last_scale is not None and part >= last_scale // scale:
            raise NumberFormatError(f"a part of {text!r} is larger than its scale allows")
        total += part * scale
        last_scale = scale
    return Decimal(sign + str(total)) if sign else total


def is_rounded_amount(raw: str) -> bool:
    """True when an amount is written with a fraction of a scale word ("2,59 tỷ"): the exact figure is unknown.

    >>> is_rounded_amount("2,59 tỷ"), is_rounded_amount("147 triệu 700 nghìn")
    (True, False)
    """
    return bool(re.search(rf"\d,\d+\s*(?:{_SCALE_WORD})", raw, re.IGNORECASE))


def parse_number(text: object) -> float | None:
    """Parse one Vietnamese number to ``float``; blank gives ``None``."""
    value = parse_decimal(text)
    return None if value is None else float(value)


def find_numbers(text: str) -> list[tuple[float, str, int]]:
    """All numbers in running text, as ``(value, raw text, offset)``.

    >>> [v for v, _, _ in find_numbers("thu 2 590 755 750 đồng, đạt 145,15%")]
    [2590755750.0, 145.15]
    >>> [v for v, _, _ in find_numbers("thu 2 tỷ 590 triệu 755 nghìn 750 đồng")]
    [2590755750.0]

    Invisible characters (U+200B, …) between digits are skipped: the raw text
    returned and its offset are those of ``text`` itself.
    """
    kept = [i for i, ch in enumerate(text) if ch not in INVISIBLE]
    visible = "".join(text[i] for i in kept)
    found = []
    for match in _NUMBER_TOKEN.finditer(visible):
        try:
            value = parse_number(match.group(0))
        except NumberFormatError:
            continue
        if value is not None:
            start, end = kept[match.start()], kept[match.end() - 1] + 1
            found.append((value, text[start:end], start))
    return found


_DIGIT_RUN = re.compile(rf"\d(?:[{_SPACES}{INVISIBLE}.,]?\d)*")


def unread_digits(text: str, offset: int, raw: str) -> str | None:
    """The digit run around a number read from ``text`` when it holds more digits than the number used.

    A guard against a figure read from a part of what was written ("2 590 755 75" read as 75):
    the digits of the whole run of digits and separators must all be in ``raw``.

    >>> unread_digits("thu 2 590 755 75 đồng", 14, "75")
    '2 590 755 75'
    >>> unread_digits("tiếp nhận 491 hồ sơ", 10, "491") is None
    True
    """
    for match in _DIGIT_RUN.finditer(text):
        if match.start() <= offset < match.end() or offset <= match.start() < offset + len(raw):
            written = sum(ch.isdigit() for ch in match.group(0))
            used = sum(ch.isdigit() for ch in raw)
            if written > used and not re.search(_SCALE_WORD, raw, re.IGNORECASE):
                return match.group(0)
    return None

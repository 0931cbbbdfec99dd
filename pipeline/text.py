"""Vietnamese text normalisation for matching labels, names and headings.

Reports mix Unicode forms (NFC / NFD), old and new tone-mark placement
("Uỷ" / "Ủy", "hoà" / "hòa"), case, spacing and a few known typos.  The
functions here turn such variants into one matching key; the original text
is always kept alongside.
"""

from __future__ import annotations

import re
import unicodedata

_MARKUP = re.compile(r"</?\s*[bi]\s*>", re.IGNORECASE)
_SPACES = re.compile(r"\s+")

# Tone placement on an open syllable ending in "oa", "oe", "uy" varies between
# the second vowel ("hoà", "khoẻ", "Uỷ") and the first ("hòa", "khỏe", "Ủy").
# The key uses the first; in decomposed form the mark follows its vowel.
_SECOND_VOWEL_TONE = re.compile(
    r"([oOuU])([aAeEyY])([\u0300\u0301\u0309\u0303\u0323])(?![^\W\d_])"
)
_Q_BEFORE = re.compile(r"[qQ]$")

#: Misspellings seen in real appendices, mapped to their correct form (matched on the key).
KNOWN_TYPOS = {
    "vbqgpl": "vbqppl",
    "công thông tin": "cổng thông tin",
    "cập nhập": "cập nhật",
    "kĩ luật": "kỷ luật",
    "kĩ cương": "kỷ cương",
}


def strip_markup(text: str) -> str:
    """Remove the ``<b>``/``<i>`` markup that Word conversions leave in cells."""
    return _MARKUP.sub("", text)


def clean(text: object) -> str:
    """NFC, no markup, whitespace collapsed: the form in which text is stored."""
    if text is None:
        return ""
    s = unicodedata.normalize("NFC", strip_markup(str(text)))
    return _SPACES.sub(" ", s).strip()


def normalise_tones(text: str) -> str:
    """Put the tone mark of open "oa"/"oe"/"uy" on the first vowel ("hoà" → "hòa", "Uỷ" → "Ủy").

    "quý" is left alone (the "u" belongs to "qu").
    """
    decomposed = unicodedata.normalize("NFD", text)

    def move(match: re.Match[str]) -> str:
        start = match.start()
        if _Q_BEFORE.search(decomposed[:start]):
            return match.group(0)
        return match.group(1) + match.group(3) + match.group(2)

    return unicodedata.normalize("NFC", _SECOND_VOWEL_TONE.sub(move, decomposed))


def match_key(text: object) -> str:
    """The key under which labels and names are compared.

    NFC, tone placement, markup and punctuation removed, case folded,
    whitespace collapsed, known typos corrected.

    >>> match_key("Uỷ ban  nhân dân") == match_key("ỦY BAN NHÂN DÂN")
    True
    """
    s = normalise_tones(clean(text)).casefold()
    s = re.sub(r"[^\w%]+", " ", s)
    s = _SPACES.sub(" ", s).strip()
    for wrong, right in KNOWN_TYPOS.items():
        s = re.sub(rf"\b{re.escape(wrong)}\b", right, s)
    return s


def ascii_slug(text: str, *, max_length: int = 60) -> str:
    """An ASCII file-name slug ("Xã Sơn Phú" → "xa-son-phu"); never empty."""
    s = unicodedata.normalize("NFD", clean(text).replace("đ", "d").replace("Đ", "D"))
    s = "".join(ch for ch in s if not unicodedata.combining(ch)).lower()
    s = re.sub(r"[^a-z0-9]+", "-", s).strip("-")[:max_length].strip("-")
    return s or "unnamed"

"""Vietnamese text normalisation for matching labels, names and headings.

Reports mix Unicode forms (NFC / NFD), old and new tone-mark placement
("Uỷ" / "Ủy", "hoà" / "hòa"), case, spacing and a few known typos.  The
functions here turn such variants into one matching key; the original text
is always kept alongside.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_MARKUP = re.compile(r"</?\s*[bi]\s*>", re.IGNORECASE)
_SPACES = re.compile(r"\s+")

#: Characters that look like another one, mapped to the letter meant.  Office converters and
#: web portals leave them in Vietnamese text: "nǎm" with a caron (U+01CE) for "năm", Cyrillic
#: "а"/"о"/"с" for Latin, "Ð" (eth) for "Đ", curly quotes and primes for straight ones.
LOOK_ALIKES = str.maketrans({
    "\u01ce": "ă", "\u01cd": "Ă",  # ǎ Ǎ (caron) for ă Ă (breve)
    "\u00f0": "đ", "\u00d0": "Đ", "\u0189": "Đ",  # ð Ð Ɖ for đ Đ
    "\u0430": "a", "\u0435": "e", "\u043e": "o", "\u0440": "p", "\u0441": "c", "\u0443": "y", "\u0445": "x",
    "\u0456": "i", "\u0458": "j", "\u04bb": "h", "\u0410": "A", "\u0412": "B", "\u0415": "E", "\u041a": "K",
    "\u041c": "M", "\u041d": "H", "\u041e": "O", "\u0420": "P", "\u0421": "C", "\u0422": "T", "\u0425": "X",
    "\u0406": "I", "\u0408": "J",  # Cyrillic look-alikes
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u02bc": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2212": "-",
    # every unusual space is a space
    **{chr(c): " " for c in (0x00A0, *range(0x2000, 0x200B), 0x202F, 0x205F, 0x3000)},
})
#: Characters that take no room (zero-width space, joiners, word joiner, BOM, soft hyphen): removed.
INVISIBLE_CHARS = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_INVISIBLE = str.maketrans({ch: None for ch in INVISIBLE_CHARS})
# A combining caron after "a"/"A" is the same look-alike in decomposed form.
_CARON_A = re.compile("([aA])\u030c")

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


def normalise_letters(text: object, *, keep_invisible: bool = False) -> str:
    """Look-alike letters, curly quotes, dashes and odd spaces replaced by the characters meant.

    Applied before matching (never to the text kept as provenance): "nǎm" (U+01CE) → "năm",
    "K’Nớ" → "K'Nớ", Cyrillic "о" → Latin "o", a zero-width space (U+200B, as web portals use
    for thousands) removed (kept with ``keep_invisible``, so that offsets stay those of the
    text), no-break and thin spaces made plain.  NFC.

    >>> normalise_letters("Quý I n\u01cem 2025") == "Quý I năm 2025"
    True
    >>> normalise_letters("2\u200b590\u200b755")
    '2590755'
    """
    if text is None:
        return ""
    s = _CARON_A.sub(lambda m: "ă" if m.group(1) == "a" else "Ă", unicodedata.normalize("NFD", str(text)))
    s = unicodedata.normalize("NFC", s).translate(LOOK_ALIKES)
    return unicodedata.normalize("NFC", s if keep_invisible else s.translate(_INVISIBLE))


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
    whitespace collapsed, known typos corrected.  Text is remembered (a report compares the same sentences
    and keywords thousands of times).

    >>> match_key("Uỷ ban  nhân dân") == match_key("ỦY BAN NHÂN DÂN")
    True
    """
    return _match_key(text) if isinstance(text, str) else _match_key_uncached(text)


@lru_cache(maxsize=1 << 16)
def _match_key(text: str) -> str:
    return _match_key_uncached(text)


def _match_key_uncached(text: object) -> str:
    s = normalise_tones(clean(normalise_letters(text))).casefold()
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

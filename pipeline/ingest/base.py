"""What every source format extracts, before validation and storage."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..config import MAX_INPUT_BYTES
from ..domain.numbers import find_numbers
from ..domain.text import clean, normalise_tones
from ..errors import InputError

#: Columns of the raw value rows a reader yields (before typing).
RAW_VALUE_COLUMNS = [
    "commune_code", "period", "indicator_code", "raw_value", "cumulative_value", "note",
    "source_file", "source_row", "raw_text", "synthetic",
]
NARRATIVE_COLUMNS = ["commune_code", "period", "seq", "part", "number", "area", "heading", "text",
                     "source_file", "source_row", "text_rows"]
DOCUMENT_COLUMNS = [
    "commune_code", "period", "issuing_body", "issuer_name", "doc_number", "place", "doc_date", "title",
    "subject", "recipients", "signer_role", "signer_title", "signer_name", "synthetic", "source_file",
]

_CUMULATIVE = re.compile(r"l[ũu]y\s*k[ếe]\s*:?\s*(?:đến nay\s*:?\s*)?([-\d][\d .,\u00a0]*\d|\d)\s*%?")


@dataclass
class Extract:
    """What one file yielded: raw values, narrative sections, header facts and issues."""

    file: str
    values: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=RAW_VALUE_COLUMNS))
    narratives: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=NARRATIVE_COLUMNS))
    documents: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=DOCUMENT_COLUMNS))
    issues: list[dict] = field(default_factory=list)


def read_bytes(path: Path, *, display: str) -> bytes:
    """The bytes of an input file, refusing files above the size limit."""
    size = path.stat().st_size
    if size > MAX_INPUT_BYTES:
        raise InputError(
            f"file too large ({size:,} bytes)", file=display,
            expected=f"at most {MAX_INPUT_BYTES:,} bytes (CCHC_MAX_INPUT_BYTES)",
        )
    return path.read_bytes()


def decode_text(data: bytes, *, display: str) -> str:
    """UTF-8 text (a byte-order mark is allowed), with Unix line ends."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not UTF-8 text (byte {exc.start})", file=display,
            expected="a UTF-8 encoded file (save as 'CSV UTF-8' or 'Unicode (UTF-8)')",
        ) from None
    if "\x00" in text:
        raise InputError("contains NUL bytes: a binary file, not text", file=display, expected="a text file")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def cumulative_from_note(note: str) -> float | None:
    """The cumulative figure hidden in a note: "(Lũy kế 22,68%)" → 22.68."""
    match = _CUMULATIVE.search(normalise_tones(clean(note)).casefold())
    if not match:
        return None
    numbers = find_numbers(match.group(1))
    return numbers[0][0] if numbers else None

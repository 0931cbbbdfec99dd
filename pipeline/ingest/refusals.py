"""Inputs refused by content, each with what was expected instead (readers of :mod:`.registry` whose
``read`` raises)."""

from __future__ import annotations

from ..errors import InputError
from .registry import Source, reader

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: The stream an encrypted OOXML file keeps inside its OLE container (directory names are UTF-16).
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
OLD_BINARY = {".xls": ".xlsx", ".doc": ".docx"}
OFFICE_EXT = {".xlsx": "Excel workbook", ".xlsm": "Excel workbook", ".docx": "Word document"}


def _encrypted(source: Source) -> bool:
    return source.data.startswith(OLE_MAGIC) and ENCRYPTED_PACKAGE in source.data


@reader("encrypted office", rank=10, recognises=_encrypted)
def refuse_encrypted(source: Source, **_) -> None:
    raise InputError("password-protected (encrypted) Office file", file=source.display,
                     expected="the file saved without a password (Excel/Word: File › Info › Protect › "
                              "Encrypt with Password, clear it, save)")


@reader("old binary office", rank=20,
        recognises=lambda s: s.data.startswith(OLE_MAGIC) or s.suffix in OLD_BINARY)
def refuse_old_binary(source: Source, **_) -> None:
    new = OLD_BINARY.get(source.suffix, ".xlsx / .docx")
    raise InputError("old binary Office format", file=source.display,
                     expected=f"the file saved as {new} (File › Save As in Excel or Word)")


@reader("zip, not office", rank=40, recognises=lambda s: s.is_zip)
def refuse_other_zip(source: Source, **_) -> None:
    raise InputError("a zip archive that is neither an Excel workbook nor a Word document", file=source.display,
                     expected="an .xlsx or .docx file (an .ods/.odt saved as .xlsx/.docx; other archives unpacked)")


@reader("office name, not zip", rank=50, recognises=lambda s: s.suffix in OFFICE_EXT)
def refuse_renamed(source: Source, **_) -> None:
    raise InputError(f"corrupt {OFFICE_EXT[source.suffix]}: not a zip container", file=source.display,
                     expected=f"a real {source.suffix} file as saved by Excel, Word or LibreOffice "
                              "(not a renamed file)")


@reader("pdf", rank=60, recognises=lambda s: s.data.startswith(b"%PDF"))
def refuse_pdf(source: Source, **_) -> None:
    raise InputError("PDF is not an input format", file=source.display,
                     expected="the report as .docx, .xlsx, .txt/.md or a long .csv")


@reader("empty", rank=70, recognises=lambda s: not s.data.strip())
def refuse_empty(source: Source, **_) -> None:
    raise InputError("empty file", file=source.display, expected="a report text or a long CSV")

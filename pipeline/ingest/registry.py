"""The readers' registry: each input format declares how it recognises a file and how it reads it.

A reader is registered by the module that holds its parse function (``@reader(...)`` under it), with a
``rank``: :func:`pick` asks the readers in rank order whether they recognise the file, by content
(magic bytes, zip members, a header row, a title), and the first that does reads it.  Refusals (old
binary Office files, encrypted files, PDF, a zip that is no Office file, an empty file) are readers
too (:mod:`.refusals`): their ``read`` raises an :class:`~pipeline.errors.InputError` saying what was
expected.  A new input format is one module with its parse function and one ``@reader`` line.

Ranks in use: 10-20 refusals of OLE containers, 30-31 Office (xlsx, docx), 40-70 refusals of other
containers and of empty files, 80 long CSV, 90 report text.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import PurePath
from typing import Protocol

from ..domain.catalogue import Catalogue
from ..domain.communes import Registry
from ..errors import InputError
from .base import Extract, decode_text
from .detect import Clue, name_clue, ooxml_kind, open_ooxml

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


class Source:
    """One input file as the readers see it: its bytes and name, and (computed once, when a reader
    asks) its Office container and kind, and its text."""

    def __init__(self, data: bytes, *, name: str, display: str) -> None:
        self.data = data
        self.display = display
        self.suffix = PurePath(name).suffix.lower()
        #: commune code and period told by the file name (``18217_2021-Q3.xlsx``)
        self.clue: Clue = name_clue(name, "file name")

    @property
    def is_zip(self) -> bool:
        return self.data.startswith(ZIP_MAGIC)

    @cached_property
    def zip(self) -> zipfile.ZipFile:
        """The checked Office container (corrupt archives and zip bombs are refused here)."""
        return open_ooxml(self.data, display=self.display)

    @cached_property
    def office_kind(self) -> str | None:
        """``"xlsx"``, ``"docx"`` or None, for a zip."""
        return ooxml_kind(self.zip) if self.is_zip else None

    @cached_property
    def text(self) -> str:
        """The file as UTF-8 text (a file in another encoding is refused here)."""
        return decode_text(self.data, display=self.display)


class Read(Protocol):
    def __call__(self, source: Source, *, catalogue: Catalogue, registry: Registry) -> Extract: ...


@dataclass(frozen=True)
class Reader:
    name: str
    rank: int
    recognises: Callable[[Source], bool]
    read: Read


READERS: list[Reader] = []

NOT_RECOGNISED = ("a long CSV with columns commune_code, period, indicator_code, value; "
                  "or a report text with a 'BÁO CÁO' title or a 'Phụ lục' appendix table; "
                  "or a Word report (.docx) or an Excel workbook (.xlsx) with Phụ lục 2B")


def register(entry: Reader) -> Reader:
    """Add ``entry`` (replacing a reader of the same name) and keep the registry in rank order."""
    READERS[:] = sorted([r for r in READERS if r.name != entry.name] + [entry], key=lambda r: r.rank)
    return entry


def reader(name: str, *, rank: int, recognises: Callable[[Source], bool]) -> Callable[[Read], Read]:
    """Register the decorated function as the reader ``name`` of the files ``recognises`` accepts."""
    def decorate(read: Read) -> Read:
        register(Reader(name, rank, recognises, read))
        return read
    return decorate


def pick(source: Source) -> Reader:
    """The first reader, in rank order, that recognises ``source``."""
    for entry in READERS:
        if entry.recognises(source):
            return entry
    raise InputError("layout not recognised", file=source.display, expected=NOT_RECOGNISED)

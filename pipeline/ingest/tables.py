"""Tables in text: every form a conversion of a Word report produces, split into rows of cells.

Pure functions from lines of text to :class:`TableRow` s; what the cells mean
(which column is the value) is decided by the caller.  The forms read:

- **tab-separated** rows (a copy from Word, the seed's appendix);
- **Markdown pipe tables** (pandoc's ``-t gfm``), with or without the
  ``|---|`` separator line, with or without the leading and trailing pipes;
- **grid tables** (pandoc's ``-t markdown``): ``+---+`` borders, a cell's text
  over several lines, a cell spanning columns where a ``|`` is missing;
- **HTML tables** in Markdown (``<table><tr><td>``, what pandoc writes for
  merged cells), read with :mod:`html.parser`; ``colspan`` cells count once,
  the rows under a ``rowspan`` cell get a blank;
- **columns aligned by spaces** (a copy from a PDF, pandoc's simple and
  multiline tables): a column starts where every line has a gap of two or more
  spaces, or where pandoc's dashed line says.

Cells keep their text with the Markdown emphasis and escapes removed; a row
keeps its line number (1-based, of its first line) and its raw text for
provenance.

>>> [r.cells for r in read_block(["| 1.1. | Kế hoạch | | 6 |", "|---|---|---|---|"], 0).rows]
[('1.1.', 'Kế hoạch', '', '6')]
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from html.parser import HTMLParser

#: The forms the reader splits, for messages ("expected: …").
FORMS = ("tab-separated columns, a Markdown pipe table (| a | b |), a grid table (+---+), "
         "an HTML <table>, or columns aligned by runs of two or more spaces")

_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")
_PIPE_SEPARATOR = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$")
_GRID_BORDER = re.compile(r"^\+[-=:+]+\+$")
_DASHES = re.compile(r"^-{3,}(?: +-{3,})+$")
_RULE = re.compile(r"^-{10,}$")
_GAP = re.compile(r"\S {2,}\S")
_MD_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")  # CommonMark: any ASCII punctuation may be escaped
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)


@dataclass(frozen=True)
class TableRow:
    """One row of a table: its cells in order, the line (or row) it starts on, its raw text."""

    cells: tuple[str, ...]
    row: int
    raw: str


@dataclass
class Block:
    """A table found in the lines: its form, the lines it covers (``start``, ``end``: 0-based, end excluded)."""

    form: str
    start: int
    end: int
    rows: list[TableRow] = field(default_factory=list)


def md_text(text: str) -> str:
    """Cell or line text without Markdown emphasis, backslash escapes or ``<br>``."""
    s = _BR.sub(" ", text)
    s = s.replace("**", "").replace("__", "")
    s = re.sub(r"(?<![\w\\])\*(?=\S)|(?<=\S)(?<!\\)\*(?!\w)", "", s)
    return _MD_ESCAPE.sub(r"\1", s)


def form_of(line: str) -> str | None:
    """The table form a line belongs to (``None``: not a table line)."""
    if "\t" in line:
        return "tab"
    s = line.strip()
    if not s:
        return None
    if s.lower().startswith("<table"):
        return "html"
    if _GRID_BORDER.match(s):
        return "grid"
    if _UNESCAPED_PIPE.search(s):
        return "pipe"
    if _DASHES.match(s) or _RULE.match(s) or _GAP.search(s):
        return "spaces"
    return None


def read_block(lines: list[str], i: int, *, offset: int = 0) -> Block | None:
    """The table starting at ``lines[i]``, if that line starts one; row numbers are ``offset`` + index + 1."""
    form = form_of(lines[i])
    reader = _READERS.get(form) if form else None
    return reader(lines, i, offset) if reader else None


# -- tab-separated --------------------------------------------------------------------------------------------------
def _tab(lines: list[str], i: int, offset: int) -> Block:
    block = Block("tab", i, i)
    j = i
    while j < len(lines) and ("\t" in lines[j] or (not lines[j].strip() and _next_is(lines, j, "tab"))):
        if "\t" in lines[j]:
            block.rows.append(TableRow(tuple(md_text(c) for c in lines[j].split("\t")), offset + j + 1,
                                       lines[j].rstrip("\r\n")))
        j += 1
    block.end = j
    return block


def _next_is(lines: list[str], j: int, form: str) -> bool:
    """Whether the next non-blank line after ``j`` continues a table of ``form``."""
    k = j
    while k < len(lines) and not lines[k].strip():
        k += 1
    return k < len(lines) and form_of(lines[k]) == form


# -- Markdown pipe tables --------------------------------------------------------------------------------------------
def _pipe(lines: list[str], i: int, offset: int) -> Block:
    j = i
    while j < len(lines) and (form_of(lines[j]) == "pipe" or (not lines[j].strip() and _next_is(lines, j, "pipe"))):
        j += 1
    body = [k for k in range(i, j) if lines[k].strip()]
    outer = sum(lines[k].strip().startswith("|") for k in body) * 2 > len(body)
    block = Block("pipe", i, j)
    for k in body:
        s = lines[k].strip()
        if _PIPE_SEPARATOR.match(s):
            continue
        if outer:
            s = s[1:] if s.startswith("|") else s
            s = s[:-1] if s.endswith("|") and not s.endswith("\\|") else s
        cells = [md_text(c).replace("\\|", "|").strip() for c in _UNESCAPED_PIPE.split(s)]
        block.rows.append(TableRow(tuple(cells), offset + k + 1, lines[k].rstrip("\r\n")))
    return block


# -- grid tables -----------------------------------------------------------------------------------------------------
def _grid(lines: list[str], i: int, offset: int) -> Block:
    j = i
    while j < len(lines) and lines[j].strip()[:1] in ("+", "|"):
        j += 1
    border = lines[i].strip()
    indent = len(lines[i]) - len(lines[i].lstrip())
    bounds = [p for p, ch in enumerate(border) if ch == "+"]
    block = Block("grid", i, j)
    parts: list[list[str]] | None = None
    first = 0
    raw: list[str] = []

    def close() -> None:
        if parts is not None and raw:
            cells = tuple(md_text(_paragraphs(col)) for col in parts)
            block.rows.append(TableRow(cells, offset + first + 1, "\n".join(raw)))

    for k in range(i, j):
        s = unicodedata.normalize("NFC", lines[k].rstrip())[indent:]
        if _GRID_BORDER.match(s.strip()):
            close()
            parts, raw = [[] for _ in range(len(bounds) - 1)], []
            continue
        if parts is None:
            parts = [[] for _ in range(len(bounds) - 1)]
        if not raw:
            first = k
        raw.append(lines[k].rstrip("\r\n"))
        for col, text in _grid_cells(s, bounds):
            parts[col].append(text)
    close()
    return block


def _paragraphs(fragments: list[str]) -> str:
    """A grid cell's lines as text: lines of a paragraph joined by spaces, paragraphs (a blank line) by newlines.

    pandoc also breaks a cell's line after a slash ("19/" then "2014/QĐ-TTg"): that is joined without a space.
    """
    out = []
    for paragraph in "\n".join(fragments).strip("\n").split("\n\n"):
        text = ""
        for line in (x.strip() for x in paragraph.split("\n")):
            if line:
                text = line if not text else text + ("" if re.search(r"\S/$", text) else " ") + line
        if text:
            out.append(text)
    return "\n".join(out)


def _grid_cells(line: str, bounds: list[int]) -> list[tuple[int, str]]:
    """``(column, text)`` of one grid line; a cell spanning columns (no ``|`` at a bound) goes to its first."""
    cuts = [n for n, p in enumerate(bounds) if p < len(line) and line[p] == "|"]
    if cuts and cuts[0] == 0 and cuts[-1] == len(bounds) - 1:
        return [(a, line[bounds[a] + 1: bounds[b]].strip()) for a, b in zip(cuts, cuts[1:])]
    cells = _UNESCAPED_PIPE.split(line.strip().strip("|"))  # widths do not line up: split on the pipes
    return [(n, c.strip()) for n, c in enumerate(cells[: len(bounds) - 1])]


# -- HTML tables ------------------------------------------------------------------------------------------------------
class _HTMLTable(HTMLParser):
    """Rows of an HTML table: per row its cells (each a list of lines), first line and last line."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[tuple[list[list[str]], int, int]] = []
        self._row: list[list[str]] | None = None
        self._cell: list[str] | None = None
        self._start = 0
        self._down: dict[int, int] = {}  # column -> rows still covered by a rowspan above
        self._active: set[int] = set()  # columns covered from above in the current row
        self._span = (0, 1, 1)

    def handle_starttag(self, tag: str, attrs) -> None:
        a = dict(attrs)
        if tag == "tr":
            self._row, self._start = [], self.getpos()[0]
            self._active = set(self._down)
        elif tag in ("td", "th") and self._row is not None:
            self._cover()
            self._cell = [""]
            self._span = (len(self._row), _int(a.get("colspan")), _int(a.get("rowspan")))
        elif tag in ("br", "p", "div", "li") and self._cell is not None and self._cell[-1].strip():
            self._cell.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            col, colspan, rowspan = self._span
            self._row.append([clean_line(x) for x in self._cell if clean_line(x)])
            self._row += [[] for _ in range(colspan - 1)]
            if rowspan > 1:
                self._down.update({c: rowspan - 1 for c in range(col, col + colspan)})
            self._cell = None
        elif tag in ("p", "div") and self._cell is not None:
            self._cell.append("")
        elif tag == "tr" and self._row is not None:
            self._cover()
            self.rows.append((self._row, self._start, self.getpos()[0]))
            for c in self._active:
                self._down[c] -= 1
                if self._down[c] <= 0:
                    del self._down[c]
            self._row = None

    def _cover(self) -> None:
        """Blank cells where a rowspan from above covers the next column."""
        while self._row is not None and len(self._row) in self._active and self._down.get(len(self._row)):
            self._row.append([])

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell[-1] += data


def _int(value: str | None) -> int:
    try:
        return max(int(value or 1), 1)
    except ValueError:
        return 1


def clean_line(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", md_text(text))).strip()


def html_rows(lines: list[str], i: int) -> tuple[list[tuple[list[list[str]], int, int]], int]:
    """The rows of the HTML table opening at ``lines[i]`` (cells as lists of lines) and the index after it."""
    j = i
    depth = 0
    while j < len(lines):
        low = lines[j].lower()
        depth += low.count("<table") - low.count("</table")
        j += 1
        if depth <= 0:
            break
    parser = _HTMLTable()
    parser.feed("\n".join(lines[i:j]))
    parser.close()
    return [(cells, a + i, b + i) for cells, a, b in parser.rows], j


def _html(lines: list[str], i: int, offset: int) -> Block:
    rows, j = html_rows(lines, i)
    block = Block("html", i, j)
    for cells, a, b in rows:
        block.rows.append(TableRow(tuple("\n".join(c) for c in cells), offset + a, "\n".join(lines[a - 1: b])))
    return block


# -- columns aligned by spaces ---------------------------------------------------------------------------------------
def _spaces(lines: list[str], i: int, offset: int) -> Block:
    j = i
    while j < len(lines):
        s = lines[j]
        if form_of(s) == "spaces" or (s.strip() and len(s) - len(s.lstrip(" ")) >= 2 and j > i):
            j += 1
        elif not s.strip() and _next_is(lines, j, "spaces"):
            j += 1
        elif not s.strip() and j + 1 < len(lines) and lines[j + 1].startswith("  ") and lines[j + 1].strip():
            j += 1  # a pandoc multiline table: a blank line, then a row whose first cell is blank
        else:
            break
    block = Block("spaces", i, j)
    text = [unicodedata.normalize("NFC", lines[k].rstrip()) for k in range(i, j)]
    multiline = bool(_RULE.match(text[0].strip()))
    dashed = next((t for t in text if _DASHES.match(t.strip())), None)
    starts = ([m.start() for m in re.finditer(r"-+", dashed)] if dashed is not None
              else _aligned_starts([t for t in text if t.strip() and not _RULE.match(t.strip())]))
    group: list[int] = []

    def emit(ks: list[int]) -> None:
        parts: list[list[str]] = [[] for _ in starts]
        for k in ks:
            for n, cell in enumerate(_cut(text[k - i], starts)):
                if cell:
                    parts[n].append(cell)
        cells = tuple(md_text(" ".join(p)) for p in parts)
        if any(cells):
            block.rows.append(TableRow(cells, offset + ks[0] + 1, "\n".join(lines[k].rstrip("\r\n") for k in ks)))

    for k in range(i, j):
        t = text[k - i].strip()
        if _RULE.match(t) or _DASHES.match(t):
            if group:
                emit(group)
                group = []
            continue
        if not t:
            if group:
                emit(group)
                group = []
            continue
        if multiline:
            group.append(k)
        else:
            emit([k])
    if group:
        emit(group)
    return block


def _aligned_starts(text: list[str]) -> list[int]:
    """Where columns start: after a gap of 2+ spaces in some line, with no line's word running across."""
    candidates = {0}
    for t in text:
        candidates |= {m.end() for m in re.finditer(r"(?<=\S) {2,}(?=\S)", t)}
        if t.startswith("  ") and t.strip():
            candidates.add(len(t) - len(t.lstrip(" ")))
    kept = [p for p in sorted(candidates) if p == 0 or not any(p < len(t) and t[p - 1] != " " != t[p] for t in text)]
    return kept or [0]


def _cut(line: str, starts: list[int]) -> list[str]:
    bounds = [*starts[1:], max(len(line), starts[-1]) + 1]
    cells = [line[s:e].strip() for s, e in zip(starts, bounds)]
    if starts[0] > 0:
        cells[0] = line[: bounds[0]].strip()
    return cells


_READERS = {"tab": _tab, "pipe": _pipe, "grid": _grid, "html": _html, "spaces": _spaces}

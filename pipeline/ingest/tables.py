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
_CODE_ONLY = re.compile(r"^\s*\d+(?:\.\d+)*\.?\s*$")
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


def _join_wrapped(fragments: list[str]) -> str:
    """The lines of a cell joined by spaces; a line broken after a slash ("19/" then "2014/QĐ-TTg") without one."""
    text = ""
    for line in (x.strip() for x in fragments):
        if line:
            text = line if not text else text + ("" if re.search(r"\S/$", text) else " ") + line
    return text


def _paragraphs(fragments: list[str]) -> str:
    """A grid cell's lines as text: lines of a paragraph joined by spaces, paragraphs (a blank line) by newlines.

    pandoc also breaks a cell's line after a slash ("19/" then "2014/QĐ-TTg"): that is joined without a space.
    """
    paragraphs = (_join_wrapped(p.split("\n")) for p in "\n".join(fragments).strip("\n").split("\n\n"))
    return "\n".join(p for p in paragraphs if p)


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
        elif j > i and _CODE_ONLY.match(s.replace("\f", "")) and _next_is(lines, j + 1, "spaces"):
            j += 1  # a row's code alone at the foot of a page, its label on the next
        elif not s.strip() and _next_is(lines, j, "spaces"):
            j += 1
        elif not s.strip() and j + 1 < len(lines) and lines[j + 1].startswith("  ") and lines[j + 1].strip():
            j += 1  # a pandoc multiline table: a blank line, then a row whose first cell is blank
        else:
            break
    block = Block("spaces", i, j)
    text = [unicodedata.normalize("NFC", lines[k].replace("\f", "").rstrip()) for k in range(i, j)]
    if _RULE.match(text[0].strip()) or any(_DASHES.match(t.strip()) for t in text):
        _pandoc_spaces(block, lines, text, offset)
    else:
        _aligned_rows(block, lines, text, offset)
    return block


def _pandoc_spaces(block: Block, lines: list[str], text: list[str], offset: int) -> None:
    """pandoc's simple and multiline tables: columns from the dashed line; a multiline table's rows apart by blanks."""
    i = block.start
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

    for k in range(i, block.end):
        t = text[k - i].strip()
        if not t or _RULE.match(t) or _DASHES.match(t):
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


def _starts_row(text: str) -> bool:
    """Whether a cell's text opens with a capitalised word ("Số", "Tỷ lệ"), not "ĐVSNCL", "6 tháng", "(Sử"."""
    word = text.split(" ", 1)[0]
    return word[:1].isupper() and any(ch.islower() for ch in word)




def _aligned_rows(block: Block, lines: list[str], text: list[str], offset: int) -> None:
    """Columns aligned by spaces (a copy from a PDF): columns found page by page, wrapped cells joined.

    A page starts at a form feed or at the header repeated ("STT …"); its columns start where every
    line of the page has a gap.  A line with a blank first cell continues the row above (a label or
    unit wrapped in its cell: "Số nhiệm vụ đề ra" / "trong kế hoạch", "Số" / "ĐVSNCL thuộc …") unless
    it starts with a capitalised word, as a label does (the rows under "Trong đó": "Số TTHC cấp xã").
    A row cut by a page break goes on under the repeated header: what the header on the first page
    does not have belongs to the last row before the break (capitalised too, when that row has no
    label yet: its code or its unit and value were at the foot of the page).
    """
    i = block.start
    pages: list[list[int]] = []
    for k in range(i, block.end):
        t = text[k - i].strip()
        if not pages or "\f" in lines[k] or (re.match(r"(?i)stt\b", t) and pages[-1]):
            pages.append([])
        if t:
            pages[-1].append(k)
    parts: list[list[list[str]]] = []  # per row of the block, the texts of each cell
    first_header: dict[str, int] = {}  # kind of header row ("stt", "sub") -> its row on the first page
    last_data: int | None = None  # the last row that is not a header

    def extend(r: int, cells: list[str], k: int) -> None:
        while len(parts[r]) < len(cells):
            parts[r].append([])
        for n, cell in enumerate(cells):
            if cell:
                parts[r][n].append(cell)
        row = block.rows[r]
        block.rows[r] = TableRow(tuple(md_text(_join_wrapped(c)) for c in parts[r]), row.row,
                                 row.raw + "\n" + lines[k].rstrip("\r\n"))

    for page in pages:
        starts = _aligned_starts([text[k - i] for k in page])
        for k in page:
            cells = _cut(text[k - i], starts)
            first = next((c for c in cells if c), "")
            if block.rows and not cells[0]:
                r = len(block.rows) - 1
                kind = _header_kind(block.rows[r])
                if kind and first_header.get(kind, r) != r and last_data is not None:
                    known = [" ".join(c.split()) for c in block.rows[first_header[kind]].cells]
                    merged = {n: " ".join([*parts[r][n], c]) if n < len(parts[r]) else c
                              for n, c in enumerate(cells) if c}
                    if any(not (n < len(known) and known[n].startswith(m)) for n, m in merged.items()):
                        r = last_data  # not part of the header: the rest of the row cut by the page break
                if not _starts_row(first) or (r == last_data and not "".join(block.rows[r].cells[1:2])):
                    extend(r, cells, k)  # a wrapped cell; or the label of a row that has none yet
                    continue
            parts.append([[c] if c else [] for c in cells])
            block.rows.append(TableRow(tuple(md_text(c) for c in cells), offset + k + 1, lines[k].rstrip("\r\n")))
            kind = _header_kind(block.rows[-1])
            if kind:
                first_header.setdefault(kind, len(block.rows) - 1)
            elif first_header:
                last_data = len(block.rows) - 1


def _header_kind(row: TableRow) -> str | None:
    """``"stt"`` for the header row ("STT | Chỉ tiêu …"), ``"sub"`` for the row under it ("Đơn vị tính | Số liệu")."""
    cells = [" ".join(c.split()).lower() for c in row.cells]
    if cells and cells[0] == "stt":
        return "stt"
    if cells and not cells[0] and any(c.startswith(("đơn vị", "số liệu")) for c in cells[1:]):
        return "sub"
    return None


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

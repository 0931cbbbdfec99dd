"""Reports as text or Markdown converted from Word (the seed's form).

The narrative is split into its sections by heading; the figures the
narrative states (dossier flows in area 3, budget revenue in area 8) become
``S.*`` indicators; the header facts (issuing body, number, place and date,
signer) are kept; and the appendix table (tab-separated rows, markup in
cells, the header repeated at page breaks) is matched to the catalogue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pandas as pd

from ..domain.catalogue import Catalogue
from ..domain.communes import Registry
from ..domain.numbers import find_numbers, is_rounded_amount, unread_digits
from ..domain.periods import parse_period_phrase
from ..domain.text import clean, match_key, normalise_letters
from ..errors import InputError, PeriodError
from . import tables
from .base import DOCUMENT_COLUMNS, NARRATIVE_COLUMNS, RAW_VALUE_COLUMNS, Extract, cumulative_from_note
from .detect import ROLES, Clue, locate_columns, settle
from .phrases import load_phrases, matching_form
from .registry import Source, reader
from .tables import FORMS, TableRow
from .validate import issue

_HEADING_NUMBER = re.compile(r"^\s*((?:[IVX]+)|(?:\d+(?:\.\d+)*))\s*[.:)]?\s+(.*)$")
_DATE_LINE = re.compile(r"^(?P<place>[^,]+),\s*ngày\s+(?P<d>\d{1,2})\s+tháng\s+(?P<m>\d{1,2})\s+năm\s+(?P<y>\d{4})",
                        re.IGNORECASE)
_DOC_NUMBER = re.compile(r"^số\s*:\s*(\S.*)$", re.IGNORECASE)
_SYNTHETIC = "dữ liệu mẫu"

#: Reform areas of part I, recognised by words of their heading.
AREA_KEYWORDS = [
    ("1", ("chỉ đạo điều hành", "tuyên truyền")),
    ("2", ("thể chế",)),
    ("3", ("thủ tục hành chính", "tthc")),
    ("4", ("tổ chức bộ máy",)),
    ("5", ("công vụ",)),
    ("6", ("tài chính công",)),
    ("7", ("chính phủ điện tử", "chính phủ số", "công nghệ thông tin", "iso")),
    ("8", ("thu ngân sách", "ngân sách")),
]

def _plain(line: str) -> str:
    """A Markdown line without heading marks, emphasis or trailing hard-break spaces."""
    s = re.sub(r"^\s*#+\s*", "", line)
    s = s.replace("**", "").replace("__", "")
    s = re.sub(r"(?<!\w)\*(?!\s)|(?<!\s)\*(?!\w)", "", s)
    return clean(tables.md_text(s))


#: Codes of the markers the figure readers return beside figures (value ``None``): a clause
#: with a figure no phrase reads (a warning) and a number read from part of what was written (an error).
UNREAD = "?unread"
DIGITS_LEFT = "?digits"
# Clauses end at a comma (not a decimal comma), a semicolon, or a bracket around figures.
_CLAUSE_SPLIT = re.compile(r"(?<!\d),|,(?!\d)|;|\((?=[^)]*\d)|(?<=\d)\s*\)")
_SENTENCE_SPLIT = re.compile(r"(?<=\.)\s+|\n")


def _spans(text: str, splitter: re.Pattern) -> list[tuple[int, int]]:
    spans, start = [], 0
    for m in splitter.finditer(text):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    return [(a, b) for a, b in spans if text[a:b].strip()]


def _original(text: str, low: str, a: int, b: int) -> str:
    """The words of ``text`` at ``low[a:b]`` (the same offsets when normalising kept the length)."""
    return (text[a:b] if len(text) == len(low) else low[a:b]).strip()


def _figure_numbers(low: str, phrases) -> list[tuple[float, str, int]]:
    return [n for n in find_numbers(low) if phrases.is_figure(low, n[2], n[1])]


def dossier_figures(text: str) -> list[tuple[str, float | None, str]]:
    """Dossier-flow figures stated in a sentence: ``(code, value, clause)``.

    The phrases are those of ``catalogue/phrases.yaml`` (section ``dossier``).  Beside figures,
    ``(UNREAD, None, clause)`` marks a clause holding a dossier count no phrase reads and
    ``(DIGITS_LEFT, None, clause)`` a count read from only part of the digits written.

    >>> [(c, v) for c, v, _ in dossier_figures(
    ...     "số hồ sơ đã tiếp nhận 491 hồ sơ, hồ sơ giải quyết 490 hồ sơ, không có hồ sơ quá hạn")]
    [('S.HS.NHAN_MOI', 491.0), ('S.HS.DA_GIAI_QUYET', 490.0), ('S.HS.QUA_HAN', 0.0)]
    """
    phrases = load_phrases()
    found: list[tuple[str, float | None, str]] = []
    low_text = matching_form(text)
    for sa, sb in _spans(low_text, _SENTENCE_SPLIT):
        sentence = low_text[sa:sb]
        if not phrases.dossier_topic.search(sentence):
            continue
        clauses = []  # (rule, clause, figure number or None, negated)
        for ca, cb in _spans(sentence, _CLAUSE_SPLIT):
            clause = sentence[ca:cb]
            original = _original(text, low_text, sa + ca, sa + cb)
            counts = [n for n in _figure_numbers(clause, phrases)
                      if phrases.count_unit.search(clause[n[2] + len(n[1]):])]
            rule = next((r for r in phrases.dossier if r.search(clause)), None)
            negated = bool(phrases.negation.search(clause)) and not counts
            if rule is None:
                if counts:
                    found.append((UNREAD, None, original))
                continue
            if counts or negated:
                clauses.append((rule, clause, counts[0] if counts else None, original))
        codes = [_in_context(rule, clause, clauses, i) for i, (rule, clause, _, _) in enumerate(clauses)]
        for code, (_, clause, number, original) in zip(codes, clauses):
            if code is None:
                continue
            if number is None:
                found.append((code, 0.0, original))
            elif unread_digits(clause, number[2], number[1]):
                found.append((DIGITS_LEFT, None, original))
            else:
                found.append((code, number[0], original))
    return found


def _in_context(rule, clause: str, clauses: list, i: int) -> str | None:
    """The code of clause ``i`` once the rest of its sentence is known (``phrases.yaml``'s ``context``)."""
    plain = [r.code for r, *_ in clauses]
    previous = next((c for c in reversed(plain[:i]) if c is not None), None)
    others = set(plain[:i] + plain[i + 1:])
    for ctx in rule.context:
        if ctx.when is not None and not ctx.when.search(clause):
            continue
        if (ctx.after and previous in ctx.after) or (ctx.with_ and others & set(ctx.with_)):
            return ctx.code
    return rule.code


def budget_figures(text: str) -> list[tuple[str, float | None, str]]:
    """Budget revenue figures stated in area 8: total, % of plan, plan, collected at the commune.

    The phrases are those of ``catalogue/phrases.yaml`` (section ``budget``); amounts may be
    written in scale words ("2 tỷ 590 triệu 755 nghìn 750 đồng").  Markers as in :func:`dossier_figures`.

    >>> [(c, v) for c, v, _ in budget_figures(
    ...     "Tổng thu ngân sách trong quý III: 2 590 755 750 đồng, đạt 145,15%. "
    ...     "Trong đó, Thu tại xã: trong quý thu được 218 600 750 đồng.")]
    [('S.NS.THU', 2590755750.0), ('S.NS.TY_LE_DU_TOAN', 145.15), ('S.NS.THU_TAI_XA', 218600750.0)]
    """
    phrases = load_phrases()
    found: list[tuple[str, float | None, str]] = []
    low_text = matching_form(text)
    for sa, sb in _spans(low_text, re.compile(r"(?<=\.)\s+|\n")):
        low = low_text[sa:sb]
        sentence = _original(text, low_text, sa, sb)
        for value, raw, offset in _figure_numbers(low, phrases):
            before, after = low[:offset], low[offset + len(raw):]
            if after.lstrip().startswith("%"):
                rules = phrases.percent
            elif phrases.money_unit.search(after) or re.search(r"[^\W\d_]", raw):  # "đồng" or a scale word
                rules = phrases.money
            else:
                continue  # a count or a bare number: not a budget figure
            where = {"clause": re.split(r"[,;.]\s", before)[-1], "segment": before.split(";")[-1], "before": before}
            if rules is phrases.percent:
                where["clause"] = before.rstrip(": ")
            rule = next((r for r in rules if r.search(where[r.scope])), None)
            if rule is None:
                found.append((UNREAD, None, sentence))
            elif rule.code is None:
                continue
            elif unread_digits(low, offset, raw):
                found.append((DIGITS_LEFT, None, sentence))
            else:
                found.append((rule.code, value, sentence))
    return found


def figure_note(value: float, clause: str) -> str:
    """The note stored with a narrative figure: says when the figure was written rounded ("2,59 tỷ đồng")."""
    for v, raw, _ in find_numbers(matching_form(clause)):
        if v == value and is_rounded_amount(raw):
            return f"số làm tròn: {raw} đồng"
    return ""


def _area_of(heading: str) -> str:
    key = match_key(heading)
    for area, words in AREA_KEYWORDS:
        if any(w in key for w in words):
            return area
    return ""


@dataclass(frozen=True)
class ReportLine:
    """One line of a report: a line of text, or one line of a Word paragraph.

    ``text`` is plain (no Markdown marks, markup or extra spaces); ``heading``
    says whether the line is a heading (``#`` in Markdown, a heading style in
    Word); ``row`` is where it is in the file, for messages and provenance;
    ``cell`` that it is a line of a table cell (never part of a paragraph around it).
    """

    text: str
    heading: bool = False
    row: int = 0
    cell: bool = False


#: Punctuation that ends a sentence: a line ending in one ends its paragraph.
_SENTENCE_END = (".", "!", "?", ";", ":", "…")


def continues(prev: ReportLine, line: ReportLine) -> bool:
    """Whether ``line`` is the rest of the paragraph ``prev``, cut by a line break (the Word→text conversion
    breaks lines: "…một cửa liên thông, triển" / "khai tổ chức thực hiện; …"): ``prev`` ends without
    sentence punctuation and ``line`` starts in lower case; a heading, a table cell's line or a list item
    ("- …", "2.1. …", "a) …") is never joined to the line above.

    >>> continues(ReportLine("một cửa liên thông, triển"), ReportLine("khai tổ chức thực hiện;"))
    True
    >>> continues(ReportLine("theo hình thức lấy phiếu."), ReportLine("khai tổ chức thực hiện;"))
    False
    """
    return (bool(prev.text) and line.text[:1].islower() and not prev.text.endswith(_SENTENCE_END)
            and not (prev.heading or line.heading or prev.cell or line.cell) and not _LIST_ITEM.match(line.text))


def parse_report_text(
    text: str, *, display: str, catalogue: Catalogue, registry: Registry,
    commune_hint: str | None = None, period_hint: str | None = None, hint_source: str = "file name or column",
) -> Extract:
    """Parse one report in text form; file-level problems raise :class:`InputError`.

    The body is read as Markdown paragraphs (lines wrapped inside a paragraph are joined; tables before
    the appendix, such as the header block pandoc writes as HTML, give their cells as lines); the
    appendix opens at its "Phụ lục" heading or, without one, at the first table with the header of
    Phụ lục 2B, and its table may be in any form :mod:`.tables` splits.
    """
    raw_lines = text.split("\n")
    raw_at = next((i for i, line in enumerate(raw_lines) if match_key(_plain(line)).startswith("phụ lục")), None)
    if raw_at is None:
        raw_at = find_appendix_table(raw_lines)
    lines = body_lines(raw_lines[:raw_at] if raw_at is not None else raw_lines)
    table: list[TableRow] = []
    title = None
    problems: list[dict] = []
    appendix_at = None
    if raw_at is not None:
        appendix_at = len(lines)
        appendix = read_appendix(raw_lines, raw_at)
        lines += [ReportLine(_plain(line), line.lstrip().startswith("#"), i + 1)
                  for i, line in enumerate(raw_lines[raw_at:], start=raw_at)]
        table, title = columns_in_order(appendix.rows), appendix.title
        problems = appendix.problems(display)
    return parse_report(lines, appendix_at=appendix_at, appendix_title=title, table=table, display=display,
                        catalogue=catalogue, registry=registry, commune_hint=commune_hint,
                        period_hint=period_hint, hint_source=hint_source, appendix_issues=problems)


_LIST_ITEM = re.compile(r"^\s*(?:[-*+]\s|\d+(?:\.\d+)*\.?[.)/]\s|[IVX]+[.)/]\s|[a-zđ]\)\s|#|\||<|\+[-=])")
_BOLD_LINE = re.compile(r"^\s*(\*\*|__)(?P<inner>.+)\1\s*:?\s*$")


def body_lines(raw: list[str]) -> list[ReportLine]:
    """The report before its appendix as lines: Markdown paragraphs joined, tables given cell by cell.

    A line wrapped inside a paragraph (pandoc wraps at 72 characters) is joined to the line above when the
    text separates its paragraphs by blank lines and the line above comes near the width the text is
    wrapped at (60 % of the length of its longer lines); a hard break (two trailing
    spaces, ``\\``), a list item, a heading or a table ends a line.  A table (HTML, grid or pipe) gives
    the lines of each cell, then a blank line, as a Word table does.  ``row`` is the line's number in the
    file (its first line).  A bold numbered line (``**3. Cải cách thủ tục hành chính**``) is a heading.
    """
    prose = sorted(len(r.strip()) for r in raw if r.strip() and not r.lstrip().startswith(("<", "#"))
                   and tables.form_of(r) is None)
    wrapped = prose and sum(1 for r in raw if not r.strip()) * 6 >= len(prose)  # paragraphs apart by blank lines
    # the width the text is wrapped at (pandoc: 72), from its longer lines; a line well short of it ends
    # where its paragraph ends ("ỦY BAN NHÂN DÂN"), a line near it was wrapped
    wrapped_at = 0.6 * prose[int(0.9 * (len(prose) - 1))] if prose else 0
    out: list[ReportLine] = []
    joinable = False
    i = 0
    while i < len(raw):
        line = raw[i]
        form = tables.form_of(line)
        if form in ("html", "grid") or (form == "pipe" and line.count("|") >= 2 and i + 1 < len(raw)
                                        and tables.form_of(raw[i + 1]) == "pipe"):
            if form == "html":
                rows, end = tables.html_rows(raw, i)
                cells = [(cell, a) for row, a, _ in rows for cell in row]
            else:
                block = tables.read_block(raw, i)
                end = block.end
                cells = [([x for x in map(tables.clean_line, c.split("\n")) if x], r.row)
                         for r in block.rows for c in r.cells]
            for cell, row in cells:
                out += [ReportLine(_plain(x), False, row, cell=True) for x in cell]
                out.append(ReportLine("", False, row, cell=True))
            i, joinable = end, False
            continue
        heading = line.lstrip().startswith("#")
        text = _plain(line)
        if (wrapped and joinable and text and not heading and not _LIST_ITEM.match(line)
                and "\t" not in line and out and out[-1].text):
            prev = out[-1]
            out[-1] = ReportLine(f"{prev.text} {text}", prev.heading, prev.row)
        else:
            bold = bool(_BOLD_LINE.match(line)) and bool(_HEADING_NUMBER.match(text)) and len(text) <= 200
            out.append(ReportLine(text, heading or bold, i + 1))
        joinable = (bool(text) and not heading and not line.endswith(("  ", "\\")) and "\t" not in line
                    and len(line.strip()) >= wrapped_at)
        i += 1
    return out


@dataclass
class Appendix:
    """What follows the "Phụ lục" heading: its title, its table rows, and lines no table form splits."""

    name: str  # "Phụ lục 2B"
    at: int  # line number of the heading
    title: str
    rows: list[TableRow]
    unsplit: list[tuple[int, str]]  # (line number, text) of lines that look like rows but are in no table

    def problems(self, display: str) -> list[dict]:
        """An error for lines that look like appendix rows but that no table form splits."""
        if not self.unsplit:
            return []
        first_row, first = self.unsplit[0]
        n = len(self.unsplit)
        what = (f"no table found after it; {n} lines from line {first_row} have no column separators" if not self.rows
                else f"{n} lines from line {first_row} are not split into columns")
        return [issue(f"{self.name} at line {self.at}: table not readable ({what})", file=display, row=first_row,
                      value=first, expected=f"a table in one of the forms read: {FORMS}")]


_ROW_START = re.compile(r"^\s*(?:\d+(?:\.\d+)*\.?|stt|trong đó)(?:\s|$)", re.IGNORECASE)
_CODE_START = re.compile(r"^\s*\d+(?:\.\d+)+\.?(?:\s|$)")


def appendix_name(text: str) -> str:
    """ "Phụ lục 2B" from the appendix heading (just "Phụ lục" when it has no number)."""
    m = re.match(r"\s*(phụ\s+lục(?:\s+[\w.]*\d[\w.]*)?)", clean(text), re.IGNORECASE)
    return m.group(1).rstrip(".") if m else "Phụ lục"


def find_appendix_table(raw: list[str]) -> int | None:
    """The first line of the first table whose header is that of Phụ lục 2B (a report without its heading)."""
    i = 0
    while i < len(raw):
        block = tables.read_block(raw, i) if tables.form_of(raw[i]) else None
        if block is None:
            i += 1
            continue
        if locate_columns([list(r.cells) for r in block.rows], search=6) is not None:
            return i
        i = max(block.end, i + 1)
    return None


def read_appendix(raw: list[str], at: int) -> Appendix:
    """The appendix opening at ``raw[at]``: every table after it, in whatever form, and the lines left over.

    ``raw[at]`` is the "Phụ lục" heading, or the first line of the appendix table when there is none.

    Lines after the heading that are in no table make its title until a table starts; a line that looks
    like a row of the table (a code, "STT", "Trong đó") but is in no table is kept as not split (after a
    table, only lines opening with a code such as "1.1.1.", so that a numbered footnote is not one).
    """
    heading = _plain(raw[at])
    titled = match_key(heading).startswith("phụ lục")
    title_parts, rows, unsplit = [heading] if titled else [], [], []
    i = at + 1 if titled else at
    while i < len(raw):
        block = tables.read_block(raw, i)
        if block is not None and (len(block.rows) >= 2 or (block.rows and block.form != "spaces")):
            rows += block.rows
            i = block.end
            continue
        text = _plain(raw[i])
        if text and (_CODE_START.match(text) if rows else _ROW_START.match(text)):
            unsplit.append((i + 1, raw[i].strip()))
        elif text and not rows and not unsplit and len(title_parts) < 4:
            title_parts.append(text)
        i += 1
    return Appendix(appendix_name(heading), at + 1, " ".join(title_parts), rows, unsplit)


def columns_in_order(rows: list[TableRow]) -> list[TableRow]:
    """Rows with their cells in the order STT, label, unit, value, note, as the table's header places them.

    The header (over one to three rows) is found as in a Word or Excel table; a table without one is
    taken as it comes.  Cells outside the known columns are kept after the five.
    """
    cmap = locate_columns([list(r.cells) for r in rows], search=6)
    if cmap is None or [cmap.columns[r] for r in ROLES] == list(range(5)):
        return rows
    out = []
    for r in rows:
        extra = tuple(r.cells[i] for i in cmap.extra(list(r.cells)))
        out.append(TableRow(cmap.pick(list(r.cells)) + extra, r.row, r.raw))
    return out


def _is_header(cells) -> bool:
    """A header row of Phụ lục 2B (repeated at each page break)."""
    stt = clean(cells[0]) if cells else ""
    unit = clean(cells[2]) if len(cells) > 2 else ""
    return match_key(stt) == "stt" or (not stt and match_key(unit) == "đơn vị tính")


def _data_row(cells) -> bool:
    return not _is_header(cells) and any(clean(c) for c in cells)


def parse_report(
    lines: list[ReportLine], *, appendix_at: int | None, appendix_title: str | None, table: list[TableRow],
    display: str, catalogue: Catalogue, registry: Registry, commune_hint: str | None = None,
    period_hint: str | None = None, hint_source: str = "file name or column", appendix_issues: list[dict] | None = None,
) -> Extract:
    """Parse a report already split into lines (and its appendix into table rows), whatever its format.

    ``lines`` is the whole document in reading order; ``appendix_at`` the
    index of the line opening the appendix (``None``: no appendix);
    ``appendix_title`` its title text (checked against the subject line);
    ``table`` the appendix rows; ``appendix_issues`` what the reader found wrong with the appendix (a
    table it cannot split).  An appendix without a single row is an error.  Text and Word reports both
    end here.
    """
    plain = [line.text for line in lines]
    keys = [match_key(p) for p in plain]
    synthetic = any(_SYNTHETIC in k for k in keys[:40])
    body_end = appendix_at if appendix_at is not None else len(lines)

    facts = _header_facts(lines[:body_end], keys[:body_end], display)
    commune, period = settle(_clues(facts, appendix_title, commune_hint, hint_source, period_hint),
                             registry=registry, display=display, scope="file")
    cat = catalogue.for_period(period)

    extract = Extract(file=display)
    narratives, figures, notes = _sections(lines, keys, facts.get("_subject_at", 0), body_end)
    extract.issues += [{**note, "file": display} for note in notes]
    extract.narratives = pd.DataFrame(
        [{**n, "commune_code": commune.code, "period": period.id, "source_file": display} for n in narratives],
        columns=NARRATIVE_COLUMNS,
    )
    rows = [
        {
            "commune_code": commune.code, "period": period.id, "indicator_code": code,
            "raw_value": f"{value:.15g}".replace(".", ","), "cumulative_value": None,
            "note": figure_note(value, clause),
            "source_file": display, "source_row": line_no, "raw_text": clause, "synthetic": synthetic,
        }
        for code, value, clause, line_no in _dedupe_figures(figures, display, extract.issues)
    ]
    if appendix_at is not None:
        extract.issues += appendix_issues or []
        if not appendix_issues and not any(_data_row(r.cells) for r in table):
            head = lines[appendix_at] if appendix_at < len(lines) else ReportLine("", False, len(lines))
            what = "a header without rows" if table else "no table after it"
            extract.issues.append(issue(
                f"{appendix_name(head.text)} at line {head.row}: table empty ({what})", file=display, row=head.row,
                expected=f"the rows of Phụ lục 2B, as a Word table or in one of the text forms read: {FORMS}"))
        rows += [
            {
                "indicator_code": code, "raw_value": r["value"], "cumulative_value": cumulative_from_note(r["note"]),
                "note": r["note"], "source_file": display, "source_row": r["row"], "raw_text": r["raw_text"],
            }
            for code, r in match_appendix(table, cat, display, extract.issues)
        ]
        for row in rows:
            row.update(commune_code=commune.code, period=period.id, synthetic=synthetic)
    else:
        extract.issues.append(issue("no appendix (Phụ lục 2B) found; only narrative figures stored",
                                    file=display, severity="warning", expected="a 'Phụ lục' heading and its table"))
    extract.values = pd.DataFrame(rows, columns=RAW_VALUE_COLUMNS)
    doc = {k: v for k, v in facts.items() if not k.startswith("_")}
    extract.documents = pd.DataFrame(
        [{**{c: "" for c in DOCUMENT_COLUMNS}, **doc, "commune_code": commune.code, "period": period.id,
          "synthetic": synthetic, "source_file": display}],
        columns=DOCUMENT_COLUMNS,
    )
    return extract


_ISSUER_LINE = re.compile(r"^(?:ủy ban nhân dân|ubnd)\b\s*(?P<rest>.*)$")
_UNIT_WORDS = ("xã ", "phường ", "thị trấn ", "đặc khu ")
_BROKEN_HEADER_LINE = re.compile(r"^số\s*:?\s*$|,\s*ngày\s+\d{1,2}(?:\s+tháng(?:\s+\d{1,2})?)?\s*$", re.IGNORECASE)
_SUBJECT_LINES = 3  # a subject line broken over lines ("… QUÝ" / "3 NĂM 2021")


def _header_facts(lines: list[ReportLine], keys: list[str], display: str) -> dict:
    """Issuing body, number, place and date, title and subject, recipients and signer.

    Lines are matched in their normalised form (look-alike letters, curly quotes and odd spaces
    replaced: :func:`~pipeline.domain.text.normalise_letters`); what is stored is the text as written.
    Lines above the issuing body (a web page's print header, "Trang 1/4") are passed over.
    """
    facts: dict = {"doc_date": None}
    plain = [line.text for line in lines]
    # The issuing body: "ỦY BAN NHÂN DÂN" / "Xã Sơn Phú" (or "UBND XÃ SƠN PHÚ" on one line); failing
    # that, the first block of lines.
    # "UBND HUYỆN …" above "UBND XÃ …" (a two-level header): the commune's line is the issuer.
    title_at = next((i for i, k in enumerate(keys[:60]) if k == "báo cáo"), 40)
    issuers = [i for i, k in enumerate(keys[:title_at]) if _ISSUER_LINE.match(k) and len(k) <= 80]
    at = next((i for i in issuers if _ISSUER_LINE.match(keys[i]).group("rest").startswith(_UNIT_WORDS)),
              issuers[0] if issuers else None)
    if at is not None and _ISSUER_LINE.match(keys[at]).group("rest").startswith(_UNIT_WORDS):
        facts["issuing_body"] = "ỦY BAN NHÂN DÂN"
        facts["issuer_name"] = re.sub(r"^(?:ủy ban nhân dân|ubnd)\s*", "", plain[at], flags=re.IGNORECASE).strip()
    else:
        first = at if at is not None else next(
            (i for i, p in enumerate(plain) if p and _SYNTHETIC not in match_key(p)), 0)
        head = []
        for p, k in zip(plain[first:first + 4], keys[first:first + 4]):
            if not p or k.startswith("cộng hòa xã hội"):
                break
            head.append(p)
        if head:
            facts["issuing_body"] = head[0].upper()
            facts["issuer_name"] = " ".join(head[1:]).strip()
    for i, p in enumerate(plain[:60]):
        n = normalise_letters(p)
        if i + 1 < len(plain) and _BROKEN_HEADER_LINE.search(n):
            # a header table converted with its cell text broken over lines: "Số:" / "31/BC-UBND",
            # "Kon Tum, ngày 25" / "tháng 01 năm 2024"
            p = f"{p} {plain[i + 1]}"
            n = normalise_letters(p)
        if m := _DOC_NUMBER.match(n):
            facts["doc_number"] = re.sub(r"\s*([/-])\s*", r"\1", m.group(1).strip())
        elif (m := _DATE_LINE.match(n)) and facts["doc_date"] is None:
            try:
                facts["doc_date"] = date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
            except ValueError:
                raise InputError("impossible date in the header", file=display, row=lines[i].row, value=p,
                                 expected="a real date 'ngày DD tháng MM năm YYYY'") from None
            place = p[m.start("place"):m.end("place")] if len(n) == len(p) else m.group("place")
            facts["place"] = place.strip()
        elif keys[i] == "báo cáo" and "_subject_at" not in facts:
            facts["title"] = "BÁO CÁO"
            j = next((j for j in range(i + 1, min(i + 6, len(plain))) if plain[j]), None)
            if j is not None:
                subject = [plain[j]]
                # a subject broken over lines goes on while it names no period yet and the lines are short
                for k in range(j + 1, min(j + _SUBJECT_LINES, len(plain))):
                    if _names_period(" ".join(subject)) or not plain[k] or len(plain[k]) > 80:
                        break
                    subject.append(plain[k])
                facts["subject"] = " ".join(subject)
                facts["_subject_at"] = j + len(subject)
    recipients_at = next((i for i, k in enumerate(keys) if k.startswith("nơi nhận")), None)
    if recipients_at is not None:
        entries, signer = [], []
        for p in plain[recipients_at + 1:]:
            if p.startswith(("-", "–", "+")):
                entries.append(p.lstrip("-–+ ").rstrip(";.").strip())
            elif p:
                signer.append(p)
        facts["recipients"] = "\n".join(entries)
        if signer:
            role = [s for s in signer if match_key(s).startswith(("tm ", "kt ", "tl ", "q "))]
            facts["signer_role"] = role[0] if role else ""
            rest = signer[signer.index(role[0]) + 1:] if role else signer
            if len(rest) >= 2:
                facts["signer_title"], facts["signer_name"] = rest[0], rest[-1]
            elif rest:
                facts["signer_name"] = rest[0]
    return facts


def _names_period(text: str) -> bool:
    try:
        parse_period_phrase(text, default_year=2000)
    except PeriodError:
        return False
    return True


def _clues(facts: dict, appendix_title: str | None, hint: str | None, hint_source: str,
           period_hint: str | None) -> list[Clue]:
    """What the report says about its period and commune, in order of trust (subject line, appendix title,
    issuing body, then the file name or column); :func:`pipeline.ingest.detect.settle` judges them."""
    default_year = facts["doc_date"].year if facts.get("doc_date") else None
    clues = []
    for where, text in (("subject line", facts.get("subject")), ("appendix title", appendix_title)):
        if text:
            try:
                clues.append(Clue(where, period=parse_period_phrase(text, default_year=default_year).id))
            except PeriodError:
                pass  # no period phrase here: this source says nothing
    if facts.get("issuer_name"):
        clues.append(Clue(f"issuing body ({facts['issuer_name']!r})", commune_name=facts["issuer_name"]))
    clues.append(Clue(hint_source, period=period_hint, commune_code=hint))
    return [c for c in clues if c]


_NUMBERED = re.compile(r"^\s*(?P<num>[IVX]+|\d+(?:\.\d+)*|[a-zđ])\s*(?:\.\)|[.:)/])\s*(?P<title>\S.*)$")
_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6}
#: Words of the titles of parts I–III and of the subsections of part II.
_PART_WORDS = ("kết quả", "đánh giá", "nhiệm vụ", "phương hướng", "giải pháp", "kiến nghị", "đề xuất", "tồn tại")
_ASSESSMENT_WORDS = ("ưu điểm", "tồn tại", "hạn chế", "khó khăn", "nguyên nhân", "bài học", "kết quả đạt được")


def content_heading(text: str, *, part: str, top: int) -> tuple[str, str] | None:
    """``(number, title)`` when a plain paragraph is a section heading by its numbering and title.

    Headings are told from numbered paragraphs of the body (lists; a line ending with ";" or "," is
    never a heading) by the numbering hierarchy and the known titles: a Roman numeral above the
    current part with a part title ("II. ĐÁNH GIÁ CHUNG"); in part I (or a report without parts) a
    number not below the current area's with a reform area's title (``AREA_KEYWORDS``: "3. Cải cách
    thủ tục hành chính", "3/ …"), a sub-number of the current area ("3.3. Về giải quyết …"), or a
    letter ("a) …"); in part II a number with an assessment title ("2. Tồn tại, hạn chế").  Numbered
    paragraphs of part III (the tasks) are never headings.

    >>> content_heading("3.3. Về giải quyết thủ tục hành chính.", part="I", top=3)
    ('3.3', 'Về giải quyết thủ tục hành chính.')
    >>> content_heading("1. Tiếp nhận hồ sơ TTHC đúng quy định.", part="I", top=3) is None
    True
    """
    m = _NUMBERED.match(text)
    if m is None or len(text) > 200 or text.endswith((";", ",")):
        return None
    num, title = m.group("num"), m.group("title")
    key = match_key(title)
    if re.fullmatch(r"[IVX]+", num):
        above = _ROMAN.get(num, 0) > _ROMAN.get(part, 0)
        return (num, title) if above and (title.isupper() or any(w in key for w in _PART_WORDS)) else None
    if re.fullmatch(r"[a-zđ]", num):
        return (num, title) if part in ("", "I") and top and len(text) <= 120 else None
    if part == "II":
        return (num, title) if "." not in num and any(w in key for w in _ASSESSMENT_WORDS) else None
    if part not in ("", "I"):
        return None
    first = int(num.split(".")[0])
    if "." not in num:
        return (num, title) if first >= top and _area_of(title) else None
    return (num, title) if first == top and len(text) <= 160 else None


def _sections(lines: list[ReportLine], keys: list[str], start: int, end: int):
    """Narrative sections (part I areas, II assessment, III tasks) and the figures stated in them.

    A section starts at a heading: a heading line (Markdown ``#``, a Word heading style or bold
    numbered line) or a plain paragraph that :func:`content_heading` recognises.  Dossier figures are
    read in area 3 and budget figures in area 8 (of part I, or of a report without parts); a report
    with no such area has them read wherever they are stated in part I, with a warning noting the
    section.  Returns ``(sections, figures, issues)``.
    """
    sections: list[dict] = []
    paragraphs_by_area: list[tuple[str, str, str, str, int]] = []  # part, area, section, text, row
    first_row = lines[start].row if start < len(lines) else (lines[-1].row + 1 if lines else 1)
    part, area, number, heading, heading_row, paragraphs = "", "mo_dau", "", "Mở đầu", first_row, []
    top = 0
    seq = 0

    rows: list[str] = []  # the source lines of each paragraph ("73+75": two lines joined)
    last: ReportLine | None = None  # the line the last paragraph ends with

    def flush():
        nonlocal seq
        body = "\n".join(paragraphs).strip()
        if body or heading:
            seq += 1
            sections.append({"seq": seq, "part": part, "number": number, "area": area, "heading": heading,
                             "text": body, "source_row": heading_row, "text_rows": ";".join(rows)})

    skip = -1
    for i in range(start, end):
        if i == skip:
            continue
        line, p, k = lines[i], lines[i].text, keys[i]
        if k.startswith("nơi nhận"):
            break
        if k.startswith("trên đây là"):
            flush()
            part, area, number, heading, heading_row, paragraphs = part, "ket_luan", "", "", line.row, [p]
            rows, last = [str(line.row)], line
            continue
        found = None
        if line.heading and p:
            m = _HEADING_NUMBER.match(p)
            found = (m.group(1), m.group(2)) if m else ("", p)
        elif p:
            found = content_heading(p, part=part, top=top)
            nxt = lines[i + 1].text if i + 1 < end else ""
            if _NUMBERED.match(p) and nxt and len(nxt) < 40 and not _NUMBERED.match(nxt) and (
                    found is None or nxt[:1].islower()):  # a heading wrapped onto a second line
                joined = content_heading(f"{p} {nxt}", part=part, top=top)
                if joined:
                    found, p, skip = joined, f"{p} {nxt}", i + 1
            if found and not re.fullmatch(r"[IVX]+", found[0]):
                # a figure stated in a line taken for a heading is still read
                own = area if "." in found[0] or not found[0].isdigit() else (_area_of(found[1]) or area)
                paragraphs_by_area.append((part, own, f"{found[0]}. {found[1]}", p, line.row))
        if found:
            num, title = found
            flush()
            paragraphs = []
            if re.fullmatch(r"[IVX]+", num):
                part, area, top = num, {"I": "", "II": "danh_gia", "III": "nhiem_vu"}.get(num, ""), 0
            elif part in ("I", "") and num and "." not in num and num.isdigit():
                area = _area_of(title) or area
                top = max(top, int(num))
            elif part == "II" and num:
                tkey = match_key(title)
                area = ("ton_tai" if ("tồn tại" in tkey or "hạn chế" in tkey)
                        else ("uu_diem" if "ưu điểm" in tkey else area))
            number, heading, heading_row, rows, last = num, title, line.row, [], None
            continue
        if p and paragraphs and last is not None and continues(last, line):  # a line break inside a paragraph
            paragraphs[-1] = f"{paragraphs[-1]} {p}"
            rows[-1] = f"{rows[-1]}+{line.row}"
            paragraphs_by_area[-1] = (*paragraphs_by_area[-1][:3], paragraphs[-1], paragraphs_by_area[-1][4])
            last = line
        elif p:
            paragraphs.append(p)
            rows.append(str(line.row))
            last = line
            paragraphs_by_area.append((part, area, f"{number}. {heading}" if number else heading, p, line.row))
    flush()
    figures, notes = _narrative_figures(paragraphs_by_area)
    return sections, figures, notes


_FIGURE_AREAS = (("3", "dossier", "thủ tục hành chính"), ("8", "budget", "thu ngân sách"))
#: Outside its own area, a sentence must name its subject for its figures to be read ("đạt 100%" of
#: dossiers resolved is not the budget's % of plan).
_SUBJECT = {"3": re.compile(r"hồ sơ"), "8": re.compile(r"ngân sách|dự toán")}


def _narrative_figures(paragraphs: list[tuple[str, str, str, str, int]]):
    """Figures stated in the narrative: dossier flows in area 3, budget in area 8; and what to say about them.

    A report without such an area has them read wherever part I (or a report without parts) states
    them, and a warning notes the section each came from: ``(figures, issues)``, issues without a file.
    """
    figures: list[tuple[str, float, str, int]] = []
    notes: list[dict] = []
    areas = {area for part, area, _, _, _ in paragraphs if part in ("I", "")}
    for (wanted, kind, title), read in zip(_FIGURE_AREAS, (dossier_figures, budget_figures)):
        noted: set[str] = set()
        for part, area, section, p, row in paragraphs:
            if part not in ("I", "") or (wanted in areas and area != wanted):
                continue
            found = [(c, v, clause, row) for c, v, clause in read(p)]
            if wanted not in areas:
                found = [f for f in found if _SUBJECT[wanted].search(matching_form(f[2]))]
            figures += found
            if found and wanted not in areas and section not in noted:
                noted.add(section)
                notes.append(issue(f"{kind} figures read in section '{section}': the report has no section on area "
                                   f"{wanted} ({title})", row=row, severity="warning",
                                   value=", ".join(c for c, *_ in found),
                                   expected=f"the {kind} figures under a heading of area {wanted}"))
    return figures, notes


def _dedupe_figures(figures, display, issues):
    """One figure per code; a second, different figure for the same code is reported.

    The readers' markers become issues here: a clause with a figure no phrase reads is a
    warning ("câu có số liệu chưa đọc được"), a number read from part of its digits an error.
    """
    seen: dict[str, tuple] = {}
    for fig in figures:
        code, value = fig[0], fig[1]
        if code == UNREAD:
            issues.append(issue(f"câu có số liệu chưa đọc được: {fig[2]}", file=display, row=fig[3], severity="warning",
                                value=fig[2], expected="a phrase of catalogue/phrases.yaml (add one if the sentence "
                                                       "states a figure of the catalogue)"))
            continue
        if code == DIGITS_LEFT:
            issues.append(issue(f"a number in this sentence holds more digits than could be read: {fig[2]}",
                                file=display, row=fig[3], value=fig[2],
                                expected="digits grouped by threes ('2 590 755 750') "
                                         "or a scale word ('2 tỷ 590 triệu')"))
            continue
        if code in seen:
            if seen[code][1] != value:
                issues.append(issue(f"the narrative states two figures for {code}; kept the first ({seen[code][1]:g})",
                                    file=display, row=fig[3], severity="warning", indicator_code=code,
                                    value=f"{value:g}", expected="one figure per indicator"))
            continue
        seen[code] = fig
    return list(seen.values())


def match_appendix(table: list[TableRow], cat: Catalogue, display: str, issues: list[dict]) -> list[tuple[str, dict]]:
    """Match appendix rows to catalogue codes: ``[(code, logical row)]``.

    Header rows (repeated at page breaks) are dropped and continuation rows
    joined to the row above; each logical row is a dict with ``stt``,
    ``label``, ``unit``, ``value``, ``note``, ``row``, ``raw_text`` and
    ``index`` (the position in ``table`` of its first row).  Rows that match
    nothing, and matches that are not exact, are reported in ``issues``; so is a table of which fewer
    than half the rows matched (a warning naming the count: columns split wrongly, or another table).
    """
    logical: list[dict] = []
    for index, trow in enumerate(table):
        parts, line_no = list(trow.cells), trow.row
        cells = [clean(c) for c in parts] + [""] * 5
        stt, label, unit, value, note = cells[:5]
        if any(clean(c) for c in parts[5:]):
            issues.append(issue("extra cells beyond the note column ignored", file=display, row=line_no,
                                severity="warning",
                                value=trow.raw.strip(), expected="5 columns: STT, label, unit, value, note"))
        if _is_header(cells):
            continue  # the table header, repeated at each page break
        if not any((stt, label, unit, value, note)):
            continue
        prev = logical[-1] if logical else None
        if prev is not None and not stt and not value and not note and not (label and unit):
            if unit and not label:  # a legend split over two rows (5.3.1)
                prev["unit"] += " " + unit
                prev["raw_text"] += "\n" + trow.raw
                continue
            if label and not cat.match_row("", label):
                prev["label"] += " " + label  # a label continued on the next row (3.4.5)
                prev["raw_text"] += "\n" + trow.raw
                continue
        logical.append({"stt": stt, "label": label, "unit": unit, "value": value, "note": note,
                        "row": line_no, "raw_text": trow.raw, "index": index})
        logical[-1]["code_printed"] = stt.strip(". ").lower() not in ("", "trong đó", "trong", "đó")

    matched: list[tuple[str, dict]] = []
    context: str | None = None
    for r in logical:
        match = cat.match_row(r["stt"], r["label"], context=context)
        if match is None:
            issues.append(issue("appendix row not recognised", file=display, row=r["row"], value=r["raw_text"],
                                indicator_code=r["stt"],
                                expected="a row of Phụ lục 2B (code and label of the catalogue)"))
            continue
        if match.how not in ("exact", "normalised"):  # normalised: the same label (the form's known typos, …)
            issues.append(issue(f"label matched to {match.code} ({match.how}, score {match.score:.2f})", file=display,
                                row=r["row"], severity="warning", indicator_code=match.code, value=r["label"],
                                expected=cat.get(match.code)["label"]))
        if r["code_printed"]:
            context = match.code
        matched.append((match.code, r))
    if len(logical) >= 4 and len(matched) * 2 < len(logical):
        issues.append(issue(f"only {len(matched)} of {len(logical)} appendix rows matched the catalogue: the table may "
                            "be split into the wrong columns", file=display, row=logical[0]["row"], severity="warning",
                            value=f"{len(matched)}/{len(logical)}",
                            expected="the columns STT, label, unit, value, note of Phụ lục 2B"))
    return matched


def looks_like_report(text: str) -> bool:
    """A ``BÁO CÁO`` title or a ``Phụ lục`` heading among the first lines."""
    keys = [match_key(line.strip("#* ")) for line in text.split("\n")[:4000]]
    return any(k == "báo cáo" or k.startswith("phụ lục") for k in keys)


@reader("report text", rank=90, recognises=lambda s: looks_like_report(s.text))
def read_report_text(source: Source, *, catalogue: Catalogue, registry: Registry) -> Extract:
    """A report as text or Markdown (converted from Word, copied from a PDF)."""
    return parse_report_text(source.text, display=source.display, catalogue=catalogue, registry=registry,
                             commune_hint=source.clue.commune_code, period_hint=source.clue.period,
                             hint_source="file name")

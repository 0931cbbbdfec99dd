"""What an input is: Office containers checked, the Phụ lục 2B table located, commune and period told.

Three concerns shared by the Excel and Word readers:

- **Containers** (:func:`open_ooxml`): an ``.xlsx``/``.docx`` is a zip
  archive; it is refused when it is corrupt, when its members would inflate
  far beyond the file (a zip bomb), or when a member does not match its
  checksum.  Members are read through :func:`read_member`, which never
  inflates more than the declared size.
- **Columns** (:func:`locate_columns`): the header row of Phụ lục 2B (STT,
  Chỉ tiêu, Đơn vị tính, Số liệu, Ghi chú), anywhere near the top, over one
  to three rows (merged "Kết quả thống kê" above "Đơn vị tính | Số liệu").
- **Commune and period** (:func:`settle`): clues from the document header
  ("UBND XÃ SƠN PHÚ", "… QUÝ III NĂM 2021"), from sheet or file names
  (``18217_2021-Q3.xlsx``, sheet ``2021-Q3``) and from explicit fields
  ("Mã đơn vị hành chính", "Kỳ báo cáo", the fill-in form's metadata), in
  that order of trust.  Every clue found must agree; none found is an error.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePath

from ..config import MAX_INPUT_BYTES
from ..domain.communes import Commune, Registry
from ..domain.periods import Period, parse_period_phrase
from ..domain.text import clean, match_key, normalise_letters, normalise_tones
from ..errors import CchcError, InputError, PeriodError, UnknownCommuneError

#: Inflated size allowed for all members of one Office file together.
MAX_UNCOMPRESSED_BYTES = 10 * MAX_INPUT_BYTES
#: A member inflating more than this many times over (and above 1 MB) is taken for a zip bomb.
MAX_COMPRESSION_RATIO = 200
_MAX_MEMBERS = 5_000

# ---------------------------------------------------------------------------
# containers


def open_ooxml(data: bytes, *, display: str) -> zipfile.ZipFile:
    """The zip archive of an Office Open XML file, after the safety checks."""
    import io

    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise InputError(f"corrupt Office file: not a readable zip archive ({exc})", file=display,
                         expected="an .xlsx/.docx file as saved by Excel, Word or LibreOffice; "
                                  "re-save it, or send the original again") from None
    if len(infos) > _MAX_MEMBERS:
        raise InputError(f"corrupt or hostile Office file: {len(infos):,} parts in the archive", file=display,
                         expected=f"at most {_MAX_MEMBERS:,} parts")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise InputError("the Office file's parts are encrypted", file=display,
                             expected="a file saved without a password")
        total += info.file_size
        if info.file_size > 1_000_000 and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
            raise InputError(
                f"zip bomb: part {info.filename} would inflate from {info.compress_size:,} to {info.file_size:,} bytes",
                file=display, expected=f"a real workbook or document (compression at most {MAX_COMPRESSION_RATIO}:1)")
    if total > MAX_UNCOMPRESSED_BYTES:
        raise InputError(f"file too large once unpacked ({total:,} bytes)", file=display,
                         expected=f"at most {MAX_UNCOMPRESSED_BYTES:,} bytes unpacked (10 × CCHC_MAX_INPUT_BYTES)")
    return zf


def ooxml_kind(zf: zipfile.ZipFile) -> str | None:
    """``"xlsx"``, ``"docx"`` or ``None`` (another zip file), from the archive's parts."""
    names = set(zf.namelist())
    if "xl/workbook.xml" in names or any(n.startswith("xl/") and n.endswith("workbook.xml") for n in names):
        return "xlsx"
    if "word/document.xml" in names or any(n.startswith("word/") and n.endswith(".xml") for n in names):
        return "docx"
    return None


def read_member(zf: zipfile.ZipFile, name: str, *, display: str) -> bytes:
    """One part of the archive, checked against its declared size and checksum."""
    try:
        info = zf.getinfo(name)
        with zf.open(info) as fh:
            data = fh.read(info.file_size + 1)
    except KeyError:
        raise InputError(f"corrupt Office file: part {name} is missing", file=display,
                         expected="a complete .xlsx/.docx file") from None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise InputError(f"corrupt Office file: part {name} cannot be unpacked ({exc})", file=display,
                         expected="an undamaged file (re-save it in Excel/Word, or send the original again)") from None
    if len(data) > info.file_size:
        raise InputError(f"corrupt Office file: part {name} is larger than declared", file=display,
                         expected="an undamaged file")
    return data


# ---------------------------------------------------------------------------
# columns of Phụ lục 2B

ROLES = ("stt", "label", "unit", "value", "note")
_ROLE_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # role: (exact keys, key prefixes)
    "stt": (("stt", "tt", "số tt", "số thứ tự", "mã số", "mã chỉ tiêu", "mã"), ()),
    "label": (("nội dung", "chỉ tiêu", "tên chỉ tiêu"), ("chỉ tiêu", "nội dung", "tên chỉ tiêu")),
    "unit": (("đơn vị tính", "đvt", "đơn vị"), ("đơn vị tính",)),
    "value": (("số liệu", "giá trị", "kết quả", "số lượng", "thực hiện", "kết quả thực hiện"), ("số liệu",)),
    "note": (("ghi chú",), ("ghi chú",)),
}
#: What the locator looks for, for error messages.
LOOKED_FOR = ("a header row with STT and 'Chỉ tiêu' (Phụ lục 2B), with 'Đơn vị tính', 'Số liệu' and 'Ghi chú' "
              "on it or on the one or two rows below, within the first 40 rows")


def _role(key: str) -> str | None:
    if "kỳ trước" in key or "tham khảo" in key:
        return None  # a reference column (the fill-in form's previous period)
    for role, (exact, prefixes) in _ROLE_KEYS.items():
        if key in exact or any(key.startswith(p) for p in prefixes):
            return role
    return None


@dataclass(frozen=True)
class ColumnMap:
    """Where the Phụ lục 2B columns are (0-based) and where the data starts."""

    header_row: int
    data_row: int
    columns: dict[str, int | None]
    named: frozenset[int] = field(default_factory=frozenset)  # other columns with a header: ignored silently

    def pick(self, cells: list[str]) -> tuple[str, ...]:
        """The five cells STT, label, unit, value, note of a row (blank where a column is absent)."""
        return tuple(cells[i] if i is not None and i < len(cells) else "" for i in (self.columns[r] for r in ROLES))

    def extra(self, cells: list[str]) -> list[int]:
        """Columns holding something outside the table's known columns."""
        used = {i for i in self.columns.values() if i is not None} | set(self.named)
        return [i for i, c in enumerate(cells) if i not in used and clean(c)]


def locate_columns(rows: list[list[str]], *, search: int = 40) -> ColumnMap | None:
    """Find the Phụ lục 2B header in the first ``search`` rows of a grid of cell texts."""
    for h, cells in enumerate(rows[:search]):
        keys = [match_key(c) for c in cells]
        roles = {i: _role(k) for i, k in enumerate(keys) if k}
        if "stt" not in roles.values() or "label" not in roles.values():
            continue
        columns: dict[str, int | None] = {r: None for r in ROLES}
        named: set[int] = set()
        span = 1
        for depth in range(3):
            if h + depth >= len(rows):
                break
            row_keys = [match_key(c) for c in rows[h + depth]]
            if depth and any(re.fullmatch(r"\d+(\.\d+)*\.?", clean(c)) for c in rows[h + depth][:3] if clean(c)):
                break  # data already
            row_roles = {i: _role(k) for i, k in enumerate(row_keys) if k}
            if depth and not any(r in ("unit", "value", "note") for r in row_roles.values()):
                break
            span = depth + 1
            for i, role in row_roles.items():
                if role and (columns[role] is None or depth):  # a sub-header refines the header above
                    if (role == "value" and row_keys[i].startswith("kết quả") and depth == 0
                            and _has_subheader(rows, h, i)):
                        continue  # "Kết quả thống kê" over "Đơn vị tính | Số liệu"
                    if columns[role] is not None and columns[role] != i and depth:
                        named.add(columns[role])
                    columns[role] = i
                elif role is None:
                    named.add(i)
        if columns["value"] is None:
            continue
        used = {i for i in columns.values() if i is not None}
        data_row = h + span
        # a row numbering the columns ("(1) (2) (3)" or "A B 1 2 3") belongs to the header
        if data_row < len(rows) and _is_column_numbering(rows[data_row]):
            data_row += 1
        return ColumnMap(h, data_row, columns, frozenset(named - used))
    return None


def _has_subheader(rows: list[list[str]], h: int, col: int) -> bool:
    for below in rows[h + 1: h + 3]:
        roles = [_role(match_key(c)) for c in below[col: col + 3]]
        if "unit" in roles or "value" in roles:
            return True
    return False


def _is_column_numbering(cells: list[str]) -> bool:
    filled = [clean(c) for c in cells if clean(c)]
    return len(filled) >= 3 and all(re.fullmatch(r"\(\d{1,2}\)|[A-Ea-e]|\d{1,2}", c) for c in filled) and (
        any(c.startswith("(") or c.isalpha() for c in filled) or filled == [str(i) for i in range(1, len(filled) + 1)])


def find_long_header(rows: list[list[str]], *, search: int = 30) -> int | None:
    """The row holding the long layout's header (``commune_code`` and ``indicator_code``), if any."""
    for h, cells in enumerate(rows[:search]):
        names = {clean(c).lower() for c in cells}
        if {"commune_code", "indicator_code"} <= names:
            return h
    return None


# ---------------------------------------------------------------------------
# commune and period

_CODE = re.compile(r"(?<![0-9A-Za-z])(\d{5})(?![0-9A-Za-z])")
_PERIOD_ID = re.compile(r"(?<![0-9])(\d{4})\s*[-_ .]?\s*(Q[1-4]|6M|9M|Y)(?![A-Za-z0-9])", re.IGNORECASE)
_PERIOD_QY = re.compile(r"(?<![A-Za-z0-9])Q([1-4])\s*[-_ .]?\s*(\d{4})(?![0-9])", re.IGNORECASE)
_DATE_LINE = re.compile(r"ngày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4}", re.IGNORECASE)
_UNIT_WORD = r"(?:xã|phường|thị trấn|đặc khu)"
_STRONG = re.compile(rf"^(?:ubnd|ủy ban nhân dân|uỷ ban nhân dân)?\s*{_UNIT_WORD}\s+(?!hội\b)(?P<rest>.+)$",
                     re.IGNORECASE)
_WEAK = re.compile(rf"\b{_UNIT_WORD}\s+(?!hội\b)(?P<rest>.+)$", re.IGNORECASE)
_COMMUNE_FIELDS = ("mã đơn vị hành chính", "mã đvhc", "mã xã", "mã đơn vị", "commune code", "commune_code")
_PERIOD_FIELDS = ("kỳ báo cáo", "kỳ", "period")


@dataclass(frozen=True)
class Clue:
    """What one source says about the commune and the period (``None``: it says nothing)."""

    source: str
    period: str | None = None
    commune_code: str | None = None
    commune_name: str | None = None

    def __bool__(self) -> bool:
        return bool(self.period or self.commune_code or self.commune_name)


def name_clue(name: str, source: str) -> Clue:
    """Commune code and period in a file or sheet name.

    >>> name_clue("18217_2021-Q3.xlsx", "file name")
    Clue(source="file name ('18217_2021-Q3.xlsx')", period='2021-Q3', commune_code='18217', commune_name=None)
    >>> name_clue("Quý III năm 2021", "sheet name").period
    '2021-Q3'
    >>> name_clue("Sheet1", "sheet name")
    Clue(source="sheet name ('Sheet1')", period=None, commune_code=None, commune_name=None)
    """
    stem = PurePath(name).stem if "." in name and source == "file name" else name
    periods = {f"{m.group(1)}-{m.group(2).upper()}" for m in _PERIOD_ID.finditer(stem)}
    periods |= {f"{m.group(2)}-Q{m.group(1)}" for m in _PERIOD_QY.finditer(stem)}
    if not periods and re.search(r"quý|quí|tháng|năm", stem, re.IGNORECASE):
        try:
            periods = {parse_period_phrase(re.sub(r"[_\-.]+", " ", stem)).id}
        except PeriodError:
            pass
    codes = set(_CODE.findall(stem))
    return Clue(f"{source} ({name!r})", period=periods.pop() if len(periods) == 1 else None,
                commune_code=codes.pop() if len(codes) == 1 else None)


def header_clues(lines: list[str], registry: Registry, *, source: str = "header") -> list[Clue]:
    """Clues in the lines above a table: the issuing body ("UBND XÃ SƠN PHÚ") and the period of the title."""
    clues: list[Clue] = []
    seen_periods: set[str] = set()
    for line in lines:
        text = clean(normalise_letters(line))  # "nǎm" (U+01CE) and other look-alikes read as meant
        if not text or _DATE_LINE.search(text) or "hàng quý" in match_key(text):
            continue
        try:
            period = parse_period_phrase(text)
        except PeriodError:
            period = None
        if period is not None and period.id not in seen_periods:
            seen_periods.add(period.id)
            clues.append(Clue(f"{source} ({_short(text)!r})", period=period.id))
    for line in lines:
        name = _commune_words(clean(line), registry)
        if name:
            clues.append(Clue(f"{source} ({_short(clean(line))!r})", commune_name=name))
    return clues


def _short(text: str, n: int = 70) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _commune_words(text: str, registry: Registry) -> str | None:
    """The commune named in a header line: "UBND XÃ SƠN PHÚ" → "Sơn Phú" (``None`` when none is named).

    A line that opens with a commune ("XÃ …", "UBND XÃ …") names its issuer:
    the words after it are returned even when no commune of the registry has
    that name, so that the caller can say so.  Elsewhere in a line ("… QUÝ
    III XÃ SƠN PHÚ") only a name of the registry counts.
    """
    flat = normalise_tones(normalise_letters(text))
    strong = _STRONG.match(flat)
    match = strong or _WEAK.search(flat)
    if not match:
        return None
    words = re.split(r"\s+", re.sub(r"[,.;:()\-–]+", " ", match.group("rest")).strip())
    known = registry.name_keys
    for n in range(len(words), 0, -1):
        if match_key(" ".join(words[:n])) in known:
            return " ".join(words[:n])
    return " ".join(words) if strong and words and words[0] else None


def form_field_clue(rows: list[list[str]], *, source: str = "form field") -> Clue:
    """Explicit fields above a table: "Mã đơn vị hành chính: 18217", "Kỳ báo cáo | 2021-Q3"."""
    commune = period = None
    for cells in rows:
        texts = [clean(c) for c in cells]
        for i, text in enumerate(texts):
            label, sep, rest = text.partition(":")
            key = match_key(label)
            if key not in _COMMUNE_FIELDS and key not in _PERIOD_FIELDS:
                continue
            value = rest.strip() if sep and rest.strip() else next((t for t in texts[i + 1:] if t), "")
            if not value:
                continue
            if key in _COMMUNE_FIELDS:
                commune = value
            else:
                period = _period_text(value)
    return Clue(source, period=period, commune_code=commune)


def _period_text(value: str) -> str:
    try:
        return Period.parse(value).id
    except PeriodError:
        try:
            return parse_period_phrase(value).id
        except PeriodError:
            return value  # reported by settle()


def settle(clues: list[Clue], *, registry: Registry, display: str, scope: str = "file") -> tuple[Commune, Period]:
    """The commune and period all clues agree on; a clear error when they disagree or say nothing.

    ``clues`` come in order of trust (document header, sheet name, file
    name, explicit fields); the most trusted one is named first in messages.
    """
    periods: list[tuple[str, Period]] = []
    for clue in clues:
        if clue.period:
            try:
                periods.append((clue.source, Period.parse(clue.period)))
            except PeriodError as exc:
                raise InputError(f"the {clue.source} gives an unreadable period: {exc}", file=display,
                                 value=clue.period, expected="a period id such as 2021-Q3") from None
    if not periods:
        raise InputError(
            f"cannot tell the reporting period of the {scope}", file=display,
            expected="a title above the table such as 'THỐNG KÊ … QUÝ III NĂM 2021', a sheet or file name such as "
                     "'2021-Q3' (18217_2021-Q3.xlsx), or a 'Kỳ báo cáo' field")
    (first_source, period) = periods[0]
    for source, other in periods[1:]:
        if other != period:
            raise InputError(f"the {first_source} says {period.id} but the {source} says {other.id}", file=display,
                             expected=f"one reporting period per {scope}: correct the one that is wrong")
    units: list[tuple[str, Commune]] = []
    codes = [c.commune_code for c in clues if c.commune_code]
    for clue in clues:
        if clue.commune_code:
            try:
                units.append((clue.source, registry.resolve(clue.commune_code, period)))
            except UnknownCommuneError as exc:
                raise InputError(f"the {clue.source} gives a commune code that does not fit: {exc}", file=display,
                                 value=clue.commune_code,
                                 expected="a commune code of the registry valid in the period") from None
        elif clue.commune_name:
            units.append((clue.source, _by_name(clue, codes, registry, period, display)))
    if not units:
        raise InputError(
            f"cannot tell which commune the {scope} is from", file=display,
            expected="a header naming the commune ('UBND XÃ SƠN PHÚ'), its code in the file or sheet name "
                     "(18217_2021-Q3.xlsx) or a 'Mã đơn vị hành chính' field")
    first_source, unit = units[0]
    for source, other in units[1:]:
        if other.key != unit.key:
            raise InputError(
                f"the {first_source} names {unit.full_name} ({unit.code}) but the {source} says "
                f"{other.full_name} ({other.code})", file=display,
                expected=f"one commune per {scope}: correct the one that is wrong")
    return unit, period


def _by_name(clue: Clue, codes: list[str], registry: Registry, period: Period, display: str) -> Commune:
    try:
        return registry.find_by_name(clue.commune_name, period)
    except UnknownCommuneError as exc:
        for code in codes:  # an ambiguous name is settled by a code given elsewhere
            try:
                unit = registry.resolve(code, period)
            except CchcError:
                continue
            if f" {match_key(unit.name)} " in f" {match_key(clue.commune_name)} ":
                return unit  # the name (ambiguous, or read with words around it) fits the code given elsewhere
        raise InputError(f"commune not recognised in the {clue.source}: {exc}", file=display,
                         value=clue.commune_name, expected="a commune of the registry valid in the period") from None

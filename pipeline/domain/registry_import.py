"""``cchc registry import FILE``: an office's own list of units and links, merged over the bundled registry.

The file is a CSV or an .xlsx workbook (first sheet) with one unit per row.  Columns are found by their header
(:data:`HEADERS`, compared as :func:`~pipeline.domain.text.match_key`, so case and tone placement do not
matter), in any order, below any title rows.  Required: code, name, valid from; the type unless the name
begins with it ("Xã Sơn Hồng"); the province code unless ``--province`` gives it.  Dates are ``YYYY-MM-DD``,
``DD/MM/YYYY`` or a date cell; "Sáp nhập từ" lists the codes merged into the unit (``18139; 18160``: each the
unit of that code on the day before the new one begins) or unit keys (``18139@2019-12-15``).

Every row is checked, then the whole registry with the new rows (:func:`~pipeline.domain.communes.merge_layers`):
the first problem raises :class:`~pipeline.errors.RegistryError` naming the file, row and column, and nothing
is written.  The office's list is stored in :attr:`pipeline.config.DataPaths.registry_file`; a row of the same
identity (code and valid from) as a stored one replaces it.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd

from ..config import MAX_INPUT_BYTES, MAX_INPUT_ROWS, DataPaths
from ..errors import RegistryError
from .communes import (
    REGISTRY_COLUMNS,
    TYPES,
    bundled_table,
    check_units,
    merge_layers,
    read_registry,
)
from .text import clean, match_key

#: Accepted header names of each column (compared as match keys).
HEADERS: dict[str, tuple[str, ...]] = {
    "code": ("code", "mã", "mã xã", "mã số", "mã đơn vị", "mã đvhc", "mã đơn vị hành chính", "mã xã phường",
             "commune code", "commune_code"),
    "name": ("name", "tên", "tên xã", "tên đơn vị", "tên đvhc", "tên đơn vị hành chính", "đơn vị",
             "đơn vị hành chính", "tên xã phường"),
    "type": ("type", "loại", "loại đơn vị", "loại đvhc", "cấp"),
    "district_code": ("district_code", "mã huyện", "mã quận huyện"),
    "district_name": ("district_name", "huyện", "tên huyện", "quận huyện", "tên quận huyện"),
    "province_code": ("province_code", "mã tỉnh", "mã tỉnh thành phố"),
    "province_name": ("province_name", "tỉnh", "tên tỉnh", "tỉnh thành phố", "tên tỉnh thành phố"),
    "valid_from": ("valid_from", "hiệu lực từ", "hiệu lực từ ngày", "từ ngày", "ngày hiệu lực", "có hiệu lực từ"),
    "valid_to": ("valid_to", "hiệu lực đến", "hiệu lực đến ngày", "đến ngày", "có hiệu lực đến"),  # the last day
    "predecessors": ("predecessors", "sáp nhập từ", "hợp nhất từ", "đơn vị cũ", "đơn vị trước", "tiền thân",
                     "đơn vị sáp nhập", "sắp xếp từ"),
    "source": ("source", "nguồn", "căn cứ", "ghi chú"),
}
_HEADER_OF = {match_key(h): column for column, names in HEADERS.items() for h in names}
_SEARCH_ROWS = 20  # title rows above the header
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")
_PREDECESSOR = re.compile(r"^(\d{1,5})(?:@(\d{4}-\d{2}-\d{2}))?$")


@dataclass
class ImportResult:
    """What an import did: rows read, identities new or replaced, rows stored in the office's list."""

    file: str
    read: int
    added: list[str]
    replaced: list[str]
    stored: int
    path: Path

    def summary(self) -> str:
        return (f"{self.file}: {self.read} unit(s) read, {len(self.added)} added, {len(self.replaced)} replaced; "
                f"{self.stored} unit(s) in {self.path}")


def import_units(path: Path, *, data: DataPaths, province: str | None = None) -> ImportResult:
    """Read ``path``, check it with the registry it joins, and store it in ``data``'s office list (atomically,
    holding the data directory's writers' lock)."""
    from ..store import Store, atomic_file

    new = read_units_file(path, province=province)
    store = Store(data)
    with store.lock():
        office_file = data.registry_file
        stored = read_registry(office_file, display=str(office_file)) if office_file.is_file() else _empty()
        new = _resolve_predecessors(new, merge_layers(bundled_table(), stored, new, check=False))
        new = check_units(new, display=new["registry_file"].iloc[0])
        office = merge_layers(stored, new, check=False)
        merge_layers(bundled_table(), office)  # overlaps with the bundled rows, every link a unit
        identities = set(stored["code"] + "@" + stored["valid_from"])
        keys = list(new["code"] + "@" + new["valid_from"])
        with atomic_file(office_file) as tmp:
            office[REGISTRY_COLUMNS].to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n")
    return ImportResult(file=Path(path).name, read=len(new), added=[k for k in keys if k not in identities],
                        replaced=[k for k in keys if k in identities], stored=len(office), path=office_file)


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=[*REGISTRY_COLUMNS, "registry_row", "registry_file"], dtype=object)


# --------------------------------------------------------------------------- reading the file
def read_units_file(path: Path, *, province: str | None = None) -> pd.DataFrame:
    """The units of an office's CSV or .xlsx as registry rows (``registry_row``: the row in the file;
    ``predecessors`` as written, resolved by :func:`import_units`)."""
    path = Path(path)
    display = path.name
    if not path.is_file():
        raise RegistryError("no such file", file=str(path), expected="a CSV or .xlsx list of units")
    if path.stat().st_size > MAX_INPUT_BYTES:
        raise RegistryError(f"file of {path.stat().st_size} bytes is larger than the limit of {MAX_INPUT_BYTES}",
                            file=display, expected="a list of units (CCHC_MAX_INPUT_BYTES raises the limit)")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        rows = _xlsx_rows(path, display)
    elif suffix in (".csv", ".txt"):
        rows = _csv_rows(path, display)
    else:
        raise RegistryError(f"cannot read a {suffix or 'suffix-less'} file", file=display,
                            expected="a .csv or .xlsx file")
    header_at, columns = _find_header(rows, display)
    out = []
    for number, cells in rows[header_at + 1:]:
        values = {column: _text(cells[i]) if i < len(cells) else "" for column, (i, _) in columns.items()}
        if not any(values.values()):
            continue
        out.append(_unit(values, columns, number, display, province))
    if not out:
        raise RegistryError("no unit below the header", file=display, row=rows[header_at][0],
                            expected="one row per unit below the header row")
    table = pd.DataFrame(out, columns=[*REGISTRY_COLUMNS, "registry_row"], dtype=object)
    return table.assign(registry_file=display)


def _xlsx_rows(path: Path, display: str) -> list[tuple[int, list[object]]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook is the same error for the user
        raise RegistryError(f"cannot open the workbook: {exc}", file=display, expected="an .xlsx file") from None
    try:
        sheet = book.worksheets[0]
        rows = []
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number > MAX_INPUT_ROWS:
                raise RegistryError(f"more than {MAX_INPUT_ROWS} rows", file=display,
                                    expected="a list of units (CCHC_MAX_INPUT_ROWS raises the limit)")
            rows.append((number, list(cells)))
        return rows
    finally:
        book.close()


def _csv_rows(path: Path, display: str) -> list[tuple[int, list[object]]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RegistryError(f"not UTF-8 text (byte {exc.start})", file=display,
                            expected="a CSV saved as UTF-8") from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    rows = [(n, cells) for n, cells in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1)]
    if len(rows) > MAX_INPUT_ROWS:
        raise RegistryError(f"more than {MAX_INPUT_ROWS} rows", file=display,
                            expected="a list of units (CCHC_MAX_INPUT_ROWS raises the limit)")
    return rows


def _find_header(rows, display: str) -> tuple[int, dict[str, tuple[int, str]]]:
    """The header row (the first with a code and a name column) and each known column's index and header."""
    best: tuple[int, dict] | None = None
    for at, (number, cells) in enumerate(rows[:_SEARCH_ROWS]):
        columns: dict[str, tuple[int, str]] = {}
        for i, cell in enumerate(cells):
            column = _HEADER_OF.get(match_key(_text(cell)))
            if column is None:
                continue
            if column in columns:
                raise RegistryError(f"two columns are headed as {column!r}: {columns[column][1]!r} and "
                                    f"{_text(cell)!r}", file=display, row=number, expected="one column each")
            columns[column] = (i, _text(cell))
        if "code" in columns and "name" in columns:
            best = (at, columns)
            break
    if best is None:
        raise RegistryError(f"no header row with a code and a name column in the first {_SEARCH_ROWS} rows",
                            file=display, expected="headers such as 'Mã', 'Tên', 'Loại', 'Hiệu lực từ', "
                                                   "'Hiệu lực đến', 'Sáp nhập từ'")
    at, columns = best
    missing = [c for c in ("valid_from",) if c not in columns]
    if missing:
        raise RegistryError("no column for the date the unit is valid from", file=display, row=rows[at][0],
                            expected="a column headed 'Hiệu lực từ' (or 'valid_from', 'Từ ngày')")
    return at, columns


def _text(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    return clean(cell)


def _unit(values: dict[str, str], columns: dict, number: int, display: str, province: str | None) -> list:
    def bad(column: str, message: str, expected: str) -> RegistryError:
        header = columns[column][1] if column in columns else column
        return RegistryError(f"column {header!r}: {message}", file=display, row=number,
                             value=values.get(column, ""), expected=expected)

    code = values["code"]
    if not code.isdigit() or len(code) > 5:
        raise bad("code", "not a commune code", "a commune code of up to 5 digits, such as 18160")
    name, kind = values["name"], values.get("type", "")
    if not name:
        raise bad("name", "empty", "the unit's name, such as 'Sơn Hồng' or 'Xã Sơn Hồng'")
    named_kind = next((t for t in sorted(TYPES, key=len, reverse=True) if match_key(name).startswith(t + " ")), None)
    if kind:
        kind = next((t for t in TYPES if match_key(kind) == t), kind)
        if kind not in TYPES:
            raise bad("type", "unknown unit type", f"one of {', '.join(TYPES)}")
    elif named_kind is None:
        raise bad("type", "no type", f"a type column ({', '.join(TYPES)}) or a name that begins with its type "
                                     f"('Xã Sơn Hồng')")
    else:
        kind = named_kind
    if named_kind == kind:
        name = clean(name[len(kind):])
    province_code = values.get("province_code", "") or (province or "")
    if not province_code.isdigit() or len(province_code) > 2:
        raise bad("province_code", "no province code" if not province_code else "not a province code",
                  "a province code such as 42, in a 'Mã tỉnh' column or given with --province")
    province_code = province_code.zfill(2)
    valid_from = _date(values["valid_from"], lambda: bad("valid_from", "not a date", "a date such as 01/07/2025"))
    if not valid_from:
        raise bad("valid_from", "empty", "the date the unit is valid from, such as 01/07/2025")
    valid_to = _date(values.get("valid_to", ""),
                     lambda: bad("valid_to", "not a date", "blank (still valid) or a date such as 30/06/2025"))
    if valid_to and valid_to < valid_from:
        raise bad("valid_to", f"before the unit's first day {valid_from}", f"a date not before {valid_from}")
    predecessors = values.get("predecessors", "")
    for token in _tokens(predecessors):
        if not _PREDECESSOR.match(token):
            raise bad("predecessors", f"{token!r} is no unit",
                      "codes of the units merged into this one (18139; 18160) or keys (18139@2019-12-15)")
    return [code.zfill(5), name, kind, values.get("district_code", ""), values.get("district_name", ""),
            province_code, values.get("province_name", "") or _province_name(province_code), valid_from, valid_to,
            predecessors, values.get("source", "") or f"{display} row {number} (cchc registry import)", number]


def _tokens(text: str) -> list[str]:
    return [t for t in re.split(r"[;,\s]+", text) if t]


def _date(text: str, error) -> str:
    if not text:
        return ""
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    raise error()


def _province_name(code: str) -> str:
    names = bundled_table().drop_duplicates("province_code", keep="last").set_index("province_code")["province_name"]
    return str(names.get(code, ""))


def _resolve_predecessors(new: pd.DataFrame, whole: pd.DataFrame) -> pd.DataFrame:
    """Each bare predecessor code as the key of the unit holding it on the day before the new unit begins."""
    by_code: dict[str, list] = {}
    for r in whole.itertuples(index=False):
        by_code.setdefault(r.code, []).append(r)
    out = []
    for r in new.itertuples(index=False):
        keys = []
        for token in _tokens(r.predecessors):
            code, day = _PREDECESSOR.match(token).groups()
            code = code.zfill(5)
            if day:
                keys.append(f"{code}@{day}")
                continue
            eve = (date.fromisoformat(r.valid_from) - timedelta(days=1)).isoformat()
            held = [u for u in by_code.get(code, []) if u.valid_from <= eve and (not u.valid_to or eve <= u.valid_to)]
            if not held:
                raise RegistryError(f"predecessor {code} of {r.code} ({r.name}) is no unit on {eve}, the day before "
                                    f"{r.valid_from}", file=r.registry_file, row=r.registry_row,
                                    value=r.predecessors,
                                    expected="codes of units valid the day before the new unit begins, or keys "
                                             "CODE@VALID_FROM")
            keys.append(f"{code}@{held[0].valid_from}")
        out.append(";".join(keys))
    return new.assign(predecessors=out)

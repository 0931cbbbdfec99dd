"""The commune registry: commune-level administrative units over time.

A code alone is not an identity (codes are reused after mergers), and names
are not unique.  A unit is a code *within its validity interval*; a period
picks the unit valid on the period's last day.

The registry is three layers of the same columns, merged by :func:`load_registry`
(a later layer's row replaces an earlier one with the same identity, code and
``valid_from``; any other overlap of two rows of one code is an error naming both):

1. ``catalogue/communes_national.csv``: the national list of the two-level local
   government from 1/7/2025, generated from the ``vietnam-provinces`` package
   (``python -m devtools.national_registry``);
2. ``catalogue/communes.csv``: the project's own rows (pre-2025 units, the 1/1/2025
   mergers, successors with their ``predecessors``);
3. an office's own units and links, imported with ``cchc registry import`` into
   the data directory (:attr:`pipeline.config.DataPaths.registry_file`).
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache
from pathlib import Path

import pandas as pd

from ..config import CATALOGUE_DIR, DataPaths, data_paths
from ..errors import RegistryError, UnknownCommuneError
from .periods import Period
from .text import clean, match_key

REGISTRY_FILE = CATALOGUE_DIR / "communes.csv"
NATIONAL_FILE = CATALOGUE_DIR / "communes_national.csv"
#: The national list's units are valid from the day the two-level local government began.
NATIONAL_VALID_FROM = "2025-07-01"
REGISTRY_COLUMNS = ["code", "name", "type", "district_code", "district_name", "province_code", "province_name",
                    "valid_from", "valid_to", "predecessors", "source"]
REQUIRED_COLUMNS = ("code", "name", "type", "province_code", "valid_from", "valid_to")
TYPES = ("xã", "phường", "thị trấn", "đặc khu")
_TYPE_PREFIX = {"xã": "Xã", "phường": "Phường", "thị trấn": "Thị trấn", "đặc khu": "Đặc khu"}
#: Where each row of a merged registry table comes from (file name, line of the file).
ORIGIN_COLUMNS = ["registry_file", "registry_row"]


@dataclass(frozen=True)
class Commune:
    """One commune-level unit during its validity interval."""

    code: str
    name: str
    type: str
    district_code: str
    district_name: str
    province_code: str
    province_name: str
    valid_from: date
    valid_to: date | None
    predecessors: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The unit's identity: ``code@valid_from``."""
        return f"{self.code}@{self.valid_from.isoformat()}"

    @property
    def full_name(self) -> str:
        """"Xã Sơn Phú", "Thị trấn Phố Châu"."""
        return f"{_TYPE_PREFIX[self.type]} {self.name}"

    @property
    def unit_word(self) -> str:
        """How the unit names its kind in running text: "xã", "phường", "thị trấn"."""
        return self.type

    @property
    def committee(self) -> str:
        """Its People's Committee as a report writes it: "UBND xã", "UBND phường", "UBND thị trấn"."""
        return f"UBND {self.type}"

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class Registry:
    """Look-ups in a registry table (see :func:`load_registry`)."""

    def __init__(self, table: pd.DataFrame):
        self.table = table
        self._units = [_to_commune(row) for row in table[REGISTRY_COLUMNS].itertuples(index=False)]
        self._by_code: dict[str, list[Commune]] = {}
        for unit in self._units:
            self._by_code.setdefault(unit.code, []).append(unit)
        self._by_key = {unit.key: unit for unit in self._units}

    def __iter__(self):
        return iter(self._units)

    def __len__(self) -> int:
        return len(self._units)

    @cached_property
    def fingerprint(self) -> str:
        """Hash of the merged table (every layer, the office's own included): a report or a metric that
        names or groups communes changes with it."""
        rows = pd.util.hash_pandas_object(self.table[REGISTRY_COLUMNS], index=False).to_numpy()
        return hashlib.sha256(rows.tobytes()).hexdigest()

    @cached_property
    def _by_name(self) -> dict[str, list[Commune]]:
        index: dict[str, list[Commune]] = {}
        for unit in self._units:
            index.setdefault(match_key(unit.name), []).append(unit)
        return index

    @cached_property
    def name_keys(self) -> frozenset[str]:
        """The match keys (:func:`pipeline.domain.text.match_key`) of every unit's name, of any period."""
        return frozenset(self._by_name)

    def resolve(self, code: object, period: str | Period) -> Commune:
        """The unit that ``code`` denotes in ``period`` (valid on its last day)."""
        p = Period.parse(period)
        text = clean(code)
        units = self._by_code.get(text)
        if not units:
            raise UnknownCommuneError(f"unknown commune code {text!r}; see the registry ({REGISTRY_FILE.name}, "
                                      f"{NATIONAL_FILE.name}, or an office's list: cchc registry import)")
        for unit in units:
            if unit.valid_on(p.end):
                return unit
        spans = ", ".join(
            f"{u.full_name} {u.valid_from:%d/%m/%Y}–{u.valid_to:%d/%m/%Y}" if u.valid_to else
            f"{u.full_name} from {u.valid_from:%d/%m/%Y}"
            for u in units
        )
        merged = [(u, s) for u in units for s in self.successors_on(u, p.end)]
        into = "".join(
            f"; {u.full_name} became part of {s.full_name} (code {s.code}) from {s.valid_from:%d/%m/%Y}: "
            f"its report of {p.id} is {s.full_name}'s, under code {s.code}" for u, s in merged)
        raise UnknownCommuneError(f"commune code {text} is not valid in {p.id} (ends {p.end:%d/%m/%Y}); "
                                  f"it denotes {spans}{into}")

    def successors_on(self, unit: Commune, day: date) -> list[Commune]:
        """The units valid on ``day`` that ``unit`` was merged into (through any mergers in between)."""
        out, todo, seen = [], [unit], set()
        while todo:
            current = todo.pop()
            for other in self._units:
                if current.key in other.predecessors and other.key not in seen:
                    seen.add(other.key)
                    (out if other.valid_on(day) else todo).append(other)
        return sorted(out, key=lambda u: u.key)

    def history(self, code: object) -> list[Commune]:
        """Every unit that has held ``code``, oldest first."""
        return sorted(self._by_code.get(clean(code), []), key=lambda u: u.valid_from)

    def by_key(self, key: str) -> Commune:
        try:
            return self._by_key[key]
        except KeyError:
            raise UnknownCommuneError(f"no unit {key!r} in the registry") from None

    def find_by_name(self, name: str, period: str | Period, *, district_code: str | None = None,
                     province_code: str | None = None) -> Commune:
        """The unit called ``name`` ("Sơn Phú", "xã Sơn Phú") in ``period``.

        Names are not unique: give ``district_code`` or ``province_code`` where two units share one.  Of units
        of one name and different types, a type word in ``name`` keeps those of its type ("Phường Sơn Tây").
        """
        p = Period.parse(period)
        wanted, kind = match_key(name), None
        for prefix in ("thị trấn ", "xã ", "phường ", "đặc khu "):
            if wanted.startswith(prefix):
                wanted, kind = wanted[len(prefix):], prefix.strip()
                break
        hits = [
            u for u in self._by_name.get(wanted, ())
            if u.valid_on(p.end)
            and (district_code is None or u.district_code == district_code)
            and (province_code is None or u.province_code == province_code)
        ]
        if not hits:
            earlier = [u for u in self._units if match_key(u.name) == wanted and u.valid_to and u.valid_to < p.end
                       and (district_code is None or u.district_code == district_code)]
            into = "".join(f"; {u.full_name} ({u.code}) became part of {s.full_name} (code {s.code}) from "
                           f"{s.valid_from:%d/%m/%Y}: its report of {p.id} is {s.full_name}'s, under code {s.code}"
                           for u in earlier for s in self.successors_on(u, p.end))
            raise UnknownCommuneError(f"no commune named {name!r} valid in {p.id}{into}")
        if len(hits) > 1 and any(u.type == kind for u in hits):
            hits = [u for u in hits if u.type == kind]
        if len(hits) > 1:
            codes = ", ".join(f"{u.code} ({u.full_name}, {u.province_name})" for u in sorted(hits, key=_code_order))
            raise UnknownCommuneError(f"commune name {name!r} is ambiguous in {p.id} (codes {codes}); give the code")
        return hits[0]

    def communes_in(self, period: str | Period, *, district_code: str | None = None,
                    province_code: str | None = None) -> list[Commune]:
        """Every unit valid in ``period`` (optionally of one district or one province), ordered by code."""
        p = Period.parse(period)
        return sorted(
            (u for u in self._units
             if u.valid_on(p.end) and (district_code is None or u.district_code == district_code)
             and (province_code is None or u.province_code == province_code)),
            key=_code_order,
        )


def _code_order(unit: Commune) -> str:
    return unit.code


def _to_commune(row) -> Commune:
    return Commune(
        code=row.code,
        name=row.name,
        type=row.type,
        district_code=row.district_code or "",
        district_name=row.district_name or "",
        province_code=row.province_code,
        province_name=row.province_name,
        valid_from=date.fromisoformat(row.valid_from),
        valid_to=date.fromisoformat(row.valid_to) if row.valid_to else None,
        predecessors=tuple(p for p in (row.predecessors or "").split(";") if p),
    )


# --------------------------------------------------------------------------- reading and merging
def _where(row: pd.Series | object) -> str:
    return f"{row.registry_file} row {row.registry_row}"


def check_units(table: pd.DataFrame, *, display: str) -> pd.DataFrame:
    """Check a table of registry rows (:data:`REGISTRY_COLUMNS` as text, with ``registry_row``, the row of
    ``display`` each comes from): a known type, a code of digits, ISO dates in order, predecessors written as
    ``CODE@YYYY-MM-DD``, and no two rows of one code valid on the same day.  Returns ``table`` with
    ``registry_file``; raises :class:`RegistryError` naming the file, row and column of the first problem."""
    table = table.assign(registry_file=display)
    for r in table.itertuples(index=False):
        problem = _row_problem(r)
        if problem:
            column, message, expected = problem
            raise RegistryError(message or f"column {column!r} cannot be read", file=display, row=r.registry_row,
                                value=getattr(r, column), expected=expected)
    check_overlaps(table)
    return table


def _row_problem(r) -> tuple[str, str, str] | None:
    """The first problem of one registry row: (column, message or "", what was expected)."""
    if not r.code.isdigit():
        return "code", "", "a commune code of digits, such as 18217"
    if r.type not in TYPES:
        return "type", "column 'type': unknown unit type", f"one of {', '.join(TYPES)}"
    if not r.name:
        return "name", "column 'name' is empty", "the unit's name without its type word, such as 'Sơn Phú'"
    if not r.province_code:
        return "province_code", "column 'province_code' is empty", "the province code, such as 42"
    start = _iso(r.valid_from)
    if start is None:
        return "valid_from", "", "a date YYYY-MM-DD"
    if r.valid_to and (_iso(r.valid_to) is None or _iso(r.valid_to) < start):
        return "valid_to", "", f"blank (still valid) or a date YYYY-MM-DD not before {r.valid_from}"
    for key in (k for k in r.predecessors.split(";") if k):
        code, at, day = key.partition("@")
        if not (code.isdigit() and at and _iso(day)):
            return "predecessors", "", "unit keys CODE@YYYY-MM-DD separated by ';'"
    return None


def _iso(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def check_overlaps(table: pd.DataFrame) -> None:
    """No two rows of one code valid on the same day (:class:`RegistryError` naming both rows)."""
    repeated = table.loc[table["code"].duplicated(keep=False)]
    by_code: dict[str, list] = {}
    for r in repeated.itertuples(index=False):
        by_code.setdefault(r.code, []).append(r)
    for code, rows in by_code.items():
        rows.sort(key=lambda r: r.valid_from)
        for a, b in zip(rows, rows[1:]):
            if b.valid_from <= (a.valid_to or "9999-12-31"):
                a_span = f"{a.valid_from}–{a.valid_to}" if a.valid_to else f"from {a.valid_from}"
                b_span = f"{b.valid_from}–{b.valid_to}" if b.valid_to else f"from {b.valid_from}"
                raise RegistryError(
                    f"code {code} has overlapping validity: {_where(a)} ({a.name}, {a_span}) and "
                    f"{_where(b)} ({b.name}, {b_span})", file=b.registry_file, row=b.registry_row,
                    expected="one unit per code on any day: end the earlier unit (valid_to) the day before the "
                             "later one begins")


def read_registry(path: Path = REGISTRY_FILE, *, display: str | None = None) -> pd.DataFrame:
    """Read and check a registry CSV of :data:`REGISTRY_COLUMNS` (rows counted as in a spreadsheet: the
    header is row 1)."""
    display = display or path.name
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        header = [clean(h) for h in next(reader, [])]
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise RegistryError(f"registry lacks columns {missing}", file=display, row=1,
                                expected=f"a header with {', '.join(REGISTRY_COLUMNS)}")
        at = [header.index(c) if c in header else None for c in REGISTRY_COLUMNS]
        lines = [(n, cells) for n, cells in enumerate(reader, start=2) if any(cells)]
    columns = {"registry_row": [n for n, _ in lines]}
    for name, i in zip(REGISTRY_COLUMNS, at):
        texts = [cells[i] if i is not None and i < len(cells) else "" for _, cells in lines]
        cleaned = {text: clean(text) for text in set(texts)}  # most cells repeat (type, province, dates, source)
        columns[name] = [cleaned[text] for text in texts]
    table = pd.DataFrame(columns, columns=[*REGISTRY_COLUMNS, "registry_row"], dtype=object)
    return check_units(table, display=display)


def merge_layers(*layers: pd.DataFrame, check: bool = True) -> pd.DataFrame:
    """Registry tables merged, each a layer over the ones before it: a row replaces an earlier layer's row
    of the same identity (code and ``valid_from``); then, with ``check``, no two rows of one code may
    overlap, and every predecessor must be a unit of the result."""
    table = pd.concat([t for t in layers if len(t)], ignore_index=True)
    table = table.drop_duplicates(["code", "valid_from"], keep="last").reset_index(drop=True)
    if not check:
        return table
    check_overlaps(table)
    keys = set(table["code"] + "@" + table["valid_from"])
    for r in table.loc[table["predecessors"] != ""].itertuples(index=False):
        unknown = [k for k in r.predecessors.split(";") if k and k not in keys]
        if unknown:
            raise RegistryError(f"predecessor {unknown[0]} of {r.code} ({r.name}) is no unit of the registry",
                                file=r.registry_file, row=r.registry_row, value=r.predecessors,
                                expected="keys CODE@VALID_FROM of units in the registry")
    return table


@lru_cache(maxsize=1)
def bundled_table() -> pd.DataFrame:
    """The national list with the project's own rows over it."""
    return merge_layers(read_registry(NATIONAL_FILE), read_registry(REGISTRY_FILE))


def load_registry(data: DataPaths | None = None) -> Registry:
    """The registry: the bundled layers, with the units an office imported into ``data`` (default: the
    project's data directory) over them.  Cached per data directory and per state of the office's file."""
    path = data_paths().registry_file if data is None else data.registry_file
    try:
        stat = path.stat()
    except FileNotFoundError:
        return _registry(None, None)
    return _registry(str(path), (stat.st_mtime_ns, stat.st_size))


@lru_cache(maxsize=8)
def _registry(office: str | None, stamp: tuple[int, int] | None) -> Registry:
    if office is None:
        return Registry(bundled_table())
    path = Path(office)
    return Registry(merge_layers(bundled_table(), read_registry(path, display=str(path))))

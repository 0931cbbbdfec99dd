"""The commune registry: commune-level administrative units over time.

A code alone is not an identity (codes are reused after mergers), and names
are not unique.  A unit is a code *within its validity interval*; a period
picks the unit valid on the period's last day.  The registry ships as
``pipeline/domain/catalogue/communes.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import pandas as pd

from ..config import CATALOGUE_DIR
from ..errors import UnknownCommuneError
from .periods import Period
from .text import clean, match_key

REGISTRY_FILE = CATALOGUE_DIR / "communes.csv"
TYPES = ("xã", "phường", "thị trấn")
_TYPE_PREFIX = {"xã": "Xã", "phường": "Phường", "thị trấn": "Thị trấn"}


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
        self._units = [_to_commune(row) for row in table.itertuples(index=False)]
        self._by_code: dict[str, list[Commune]] = {}
        for unit in self._units:
            self._by_code.setdefault(unit.code, []).append(unit)
        self._by_key = {unit.key: unit for unit in self._units}

    def __iter__(self):
        return iter(self._units)

    def resolve(self, code: object, period: str | Period) -> Commune:
        """The unit that ``code`` denotes in ``period`` (valid on its last day)."""
        p = Period.parse(period)
        text = clean(code)
        units = self._by_code.get(text)
        if not units:
            raise UnknownCommuneError(f"unknown commune code {text!r}; see the registry {REGISTRY_FILE.name}")
        for unit in units:
            if unit.valid_on(p.end):
                return unit
        spans = ", ".join(
            f"{u.full_name} {u.valid_from:%d/%m/%Y}–{u.valid_to:%d/%m/%Y}" if u.valid_to else
            f"{u.full_name} from {u.valid_from:%d/%m/%Y}"
            for u in units
        )
        raise UnknownCommuneError(f"commune code {text} is not valid in {p.id} (ends {p.end:%d/%m/%Y}); "
                                  f"it denotes {spans}")

    def by_key(self, key: str) -> Commune:
        try:
            return self._by_key[key]
        except KeyError:
            raise UnknownCommuneError(f"no unit {key!r} in the registry") from None

    def find_by_name(self, name: str, period: str | Period, *, district_code: str | None = None) -> Commune:
        """The unit called ``name`` ("Sơn Phú", "xã Sơn Phú") in ``period``.

        Names are not unique: give ``district_code`` where two units share one.
        """
        p = Period.parse(period)
        wanted = match_key(name)
        for prefix in ("thị trấn ", "xã ", "phường "):
            if wanted.startswith(prefix):
                wanted = wanted[len(prefix):]
                break
        hits = [
            u for u in self._units
            if match_key(u.name) == wanted and u.valid_on(p.end)
            and (district_code is None or u.district_code == district_code)
        ]
        if not hits:
            raise UnknownCommuneError(f"no commune named {name!r} valid in {p.id}")
        if len(hits) > 1:
            codes = ", ".join(u.code for u in hits)
            raise UnknownCommuneError(f"commune name {name!r} is ambiguous in {p.id} (codes {codes}); give the code")
        return hits[0]

    def communes_in(self, period: str | Period, *, district_code: str | None = None) -> list[Commune]:
        """Every unit valid in ``period`` (optionally of one district), ordered by code."""
        p = Period.parse(period)
        return sorted(
            (u for u in self._units
             if u.valid_on(p.end) and (district_code is None or u.district_code == district_code)),
            key=lambda u: u.code,
        )


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


def read_registry(path: Path = REGISTRY_FILE) -> pd.DataFrame:
    """Read and check a registry CSV."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False).map(clean)
    missing = {"code", "name", "type", "province_code", "valid_from", "valid_to"} - set(table.columns)
    if missing:
        raise UnknownCommuneError(f"{path}: registry lacks columns {sorted(missing)}")
    bad = table.loc[~table["type"].isin(TYPES), "type"]
    if len(bad):
        raise UnknownCommuneError(f"{path}: unknown unit type {bad.iloc[0]!r}; expected one of {TYPES}")
    # No two units may hold the same code at the same time.
    for code, group in table.groupby("code"):
        spans = sorted((r.valid_from, r.valid_to or "9999-12-31") for r in group.itertuples())
        for (a_from, a_to), (b_from, _) in zip(spans, spans[1:]):
            if b_from <= a_to:
                raise UnknownCommuneError(f"{path}: code {code} has overlapping validity "
                                          f"({a_from}–{a_to} and from {b_from})")
    return table


@lru_cache(maxsize=1)
def load_registry() -> Registry:
    """The bundled registry."""
    return Registry(read_registry())

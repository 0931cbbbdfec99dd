"""The levels above a commune, as a report needs them: whom it is sent to and which communes it is compared with.

Until 30/6/2025 a commune sat in a district (huyện) in a province; from 1/7/2025 (two-level local government)
it sits directly in its province.  What follows from that is data, in ``catalogue/provinces.yaml``: national
defaults per era and a province's own overrides, each entry valid over dates, the entry valid on a period's
last day applying.

>>> from pipeline.domain.communes import load_registry
>>> reg = load_registry()
>>> settings("2021-Q3", reg.resolve("18217", "2021-Q3").province_code).recipients
('Phòng Nội vụ huyện', 'Lưu: VT')
>>> comparison_group(reg.resolve("18133", "2026-Q3"), "2026-Q3")
'province:42'
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import yaml

from ..config import CATALOGUE_DIR
from ..errors import CatalogueError
from .communes import Commune
from .periods import Period

PROVINCES_FILE = CATALOGUE_DIR / "provinces.yaml"
LEVELS = ("district", "province")
#: Reports are due by the 20th of the period's last month, 6 days after its end on the 14th.
DEFAULT_DEADLINE_DAYS = 6
_KEYS = {"valid_from", "valid_to", "recipients", "comparison", "assigned_by", "area_word", "deadline_days", "office",
         "office_signer", "office_recipients"}
#: The compiling office of a national entry that names none (the summary report's issuer, signer and Nơi nhận).
DEFAULT_OFFICE = {"office": ["UBND {AREA}", "CƠ QUAN NỘI VỤ"], "office_signer": ["THỦ TRƯỞNG CƠ QUAN"],
                  "office_recipients": ["Lưu: VT"]}


@dataclass(frozen=True)
class AreaSettings:
    """One era's settings (of the nation, or of one province)."""

    valid_from: date
    valid_to: date | None
    recipients: tuple[str, ...]
    comparison: str  # "district" or "province"
    assigned_by: str
    area_word: str
    deadline_days: int = 6  # a commune's report is due this many days after the period's last day (the 14th)
    # the compiling office (the summary report): its two header lines ("{AREA}": the area in capitals), the
    # signer's lines, its Nơi nhận
    office: tuple[str, ...] = tuple(DEFAULT_OFFICE["office"])
    office_signer: tuple[str, ...] = tuple(DEFAULT_OFFICE["office_signer"])
    office_recipients: tuple[str, ...] = tuple(DEFAULT_OFFICE["office_recipients"])

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


def _date(value: object, where: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise CatalogueError(f"{where}: {value!r} is not a date; expected YYYY-MM-DD") from None


def _entries(spec: object, where: str, base: list[AreaSettings] | None) -> list[AreaSettings]:
    if not isinstance(spec, list) or not spec:
        raise CatalogueError(f"{where}: expected a list of entries with valid_from")
    out = []
    for n, entry in enumerate(spec, start=1):
        here = f"{where}, entry {n}"
        if not isinstance(entry, dict) or "valid_from" not in entry:
            raise CatalogueError(f"{here}: expected a mapping with valid_from")
        unknown = set(entry) - _KEYS
        if unknown:
            raise CatalogueError(f"{here}: unknown keys {sorted(unknown)}; expected some of {sorted(_KEYS)}")
        start = _date(entry["valid_from"], here)
        end = _date(entry["valid_to"], here) if entry.get("valid_to") else None
        inherited = next((b for b in base or [] if b.valid_on(start)), None)
        fields = {}
        for key in ("recipients", "comparison", "assigned_by", "area_word", "deadline_days", *DEFAULT_OFFICE):
            if key in entry:
                fields[key] = entry[key]
            elif inherited is not None:
                fields[key] = getattr(inherited, key)
            elif key == "deadline_days":  # not given nationally: the 20th of the period's last month (DOMAIN.md)
                fields[key] = DEFAULT_DEADLINE_DAYS
            elif key in DEFAULT_OFFICE:
                fields[key] = DEFAULT_OFFICE[key]
            else:
                raise CatalogueError(f"{here}: {key} missing (and no national entry of {start} to take it from)")
        for key in ("recipients", *DEFAULT_OFFICE):
            names = fields[key]
            if not isinstance(names, (list, tuple)) or not names or not all(isinstance(r, str) and r for r in names):
                raise CatalogueError(f"{here}: {key} {names!r}; expected a list of names")
        if len(fields["office"]) != 2:
            raise CatalogueError(f"{here}: office {fields['office']!r}; expected its two header lines")
        if fields["comparison"] not in LEVELS:
            raise CatalogueError(f"{here}: comparison {fields['comparison']!r}; expected one of {LEVELS}")
        days = fields["deadline_days"]
        if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 366:
            raise CatalogueError(f"{here}: deadline_days {days!r}; expected a whole number of days from 0 to 366")
        out.append(AreaSettings(start, end, tuple(fields["recipients"]), fields["comparison"],
                                str(fields["assigned_by"]), str(fields["area_word"]), days,
                                *(tuple(fields[k]) for k in DEFAULT_OFFICE)))
    spans = sorted(out, key=lambda e: e.valid_from)
    for a, b in zip(spans, spans[1:]):
        if a.valid_to is None or b.valid_from <= a.valid_to:
            raise CatalogueError(f"{where}: entries from {a.valid_from} and {b.valid_from} overlap")
    return spans


@lru_cache(maxsize=4)
def load_provinces(path: Path = PROVINCES_FILE) -> tuple[list[AreaSettings], dict[str, list[AreaSettings]]]:
    """The national entries and each province's, checked."""
    spec = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    national = _entries(spec.get("defaults"), f"{Path(path).name}: defaults", None)
    provinces = {}
    for code, entries in (spec.get("provinces") or {}).items():
        provinces[str(code)] = _entries(entries, f"{Path(path).name}: province {code}", national)
    return national, provinces


def settings(period: str | Period, province_code: str, *, path: Path = PROVINCES_FILE) -> AreaSettings:
    """The settings of ``province_code`` valid on the last day of ``period`` (its own, else the national)."""
    day = Period.parse(period).end
    national, provinces = load_provinces(path)
    for entry in provinces.get(str(province_code), []) + national:
        if entry.valid_on(day):
            return entry
    raise CatalogueError(f"{Path(path).name}: no entry valid on {day:%d/%m/%Y} (period {Period.parse(period).id})")


def deadline(period: str | Period, province_code: str, *, path: Path = PROVINCES_FILE) -> date:
    """The day a commune's report of ``period`` is due: ``deadline_days`` after the period's last day (the 14th),
    by the settings valid for ``province_code`` (nationally 6: the 20th of the period's last month).

    >>> deadline("2021-Q3", "42")
    datetime.date(2021, 9, 20)
    """
    p = Period.parse(period)
    return p.end + timedelta(days=settings(p, province_code, path=path).deadline_days)


def comparison_group(unit: Commune, period: str | Period) -> str:
    """The group ``unit`` is ranked and charted in for ``period``: ``"district:439"`` (its huyện, before
    1/7/2025) or ``"province:42"`` (its tỉnh); a unit the registry gives no district is compared in its
    province."""
    level = settings(period, unit.province_code).comparison
    if level == "district" and unit.district_code:
        return f"district:{unit.district_code}"
    return f"province:{unit.province_code}"


@dataclass(frozen=True)
class Area:
    """A compiling office's area: a district (3-digit code) or a province (2-digit code), with its units."""

    level: str  # "district" or "province"
    code: str
    name: str  # "Hương Sơn", "Hà Tĩnh" (as the registry writes it)
    units: tuple[Commune, ...]  # the commune-level units valid in the period, by code

    @property
    def group(self) -> str:
        """As :func:`comparison_group` names it: ``"district:439"``."""
        return f"{self.level}:{self.code}"


def area_units(registry, code: object, period: str | Period) -> Area:
    """The area ``code`` in ``period``: 3 digits a district (its units valid in the period; districts exist until
    30/6/2025), 2 digits a province.  An unknown code, or a district after 1/7/2025, raises ``UnknownCommuneError``.

    >>> from pipeline.domain.communes import load_registry
    >>> a = area_units(load_registry(), "439", "2021-Q3")
    >>> a.level, a.name, len(a.units)
    ('district', 'Hương Sơn', 25)
    """
    from ..errors import UnknownCommuneError

    p = Period.parse(period)
    text = str(code).strip()
    if not text.isdigit() or len(text) not in (2, 3):
        raise UnknownCommuneError(f"area {text!r}: expected a district code (3 digits, e.g. 439, before 1/7/2025) "
                                  "or a province code (2 digits, e.g. 42)")
    level = "district" if len(text) == 3 else "province"
    units = (registry.communes_in(p, district_code=text) if level == "district"
             else registry.communes_in(p, province_code=text))
    if not units:
        known = any((u.district_code if level == "district" else u.province_code) == text for u in registry)
        why = (f"district {text} has no unit valid in {p.id} (districts ended on 30/6/2025: give the province code)"
               if known and level == "district" else
               f"{level} {text} has no unit valid in {p.id}" if known else
               f"unknown {level} code {text!r}; see the registry (cchc registry list)")
        raise UnknownCommuneError(why)
    name = units[0].district_name if level == "district" else units[0].province_name
    return Area(level, text, name or text, tuple(units))

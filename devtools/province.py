"""A synthetic comparison group: N real communes of one province with made-up figures (``bench/scale.py``).

Since 1/7/2025 a commune is ranked and charted in its province, so a report's group is a province's units: 38
(Lai Châu) to 168 (Thành phố Hồ Chí Minh) in the national list.  :func:`synthetic_group` picks N units valid in
a period from the registry: the first N by code of the smallest province that has at least N (or of the province
asked for); where that province has fewer than N, all of its units and then units of the next largest provinces
(by size, then code; the first N by code of each), which an office's own list lays over the national one as units
of that province (:func:`office_units_text`, imported as ``cchc registry import FILE --province P`` does).

:func:`write_group` writes the group's figures, drawn by the sample generator
(:func:`devtools.sample.generate_district`; each unit from its own generator, so a unit's figures do not depend on
the group it is put in), as one long CSV per quarter under ``DATA_DIR/raw/synthetic-group/``, and imports the
office's list into the data directory when the group needs one.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from devtools.sample import generate_district, write_long_csv
from pipeline.config import DataPaths
from pipeline.domain.communes import Commune, Registry, bundled_table
from pipeline.domain.periods import Period

#: Where :func:`write_group` writes its long CSVs, under the data directory's ``raw/``.
RAW_FOLDER = "synthetic-group"
#: The ``source`` of the office list's rows.
OFFICE_SOURCE = "synthetic comparison group (devtools/province.py): a unit of another province laid over this one"


@dataclass(frozen=True)
class SyntheticGroup:
    """N units valid in ``period`` compared in one province (``units`` as that province's, by code)."""

    period: Period
    province_code: str
    province_name: str
    province_units: int  # the units the province has in the period, in the national registry
    units: tuple[Commune, ...]
    #: Units of other provinces laid over this one by an office's list (empty: the group is the real province's).
    borrowed: tuple[Commune, ...] = ()

    @property
    def size(self) -> int:
        return len(self.units)

    def describe(self) -> str:
        """One line saying which units the group is made of."""
        where = f"{self.province_name} ({self.province_code})"
        if not self.borrowed:
            return f"{self.size} of the {self.province_units} units of {where}, a real province"
        by_origin = Counter(f"{u.province_name} ({u.province_code})" for u in self.borrowed)
        others = ", ".join(f"{n} of {name}" for name, n in by_origin.items())
        return (f"the {self.province_units} units of {where} and {others}, laid over it by an office's list "
                f"(cchc registry import --province {self.province_code}): {self.size} units")


def synthetic_group(size: int, period: str | Period, *, province: str | None = None) -> SyntheticGroup:
    """``size`` real units valid in ``period`` in one comparison group (see the module's docstring).

    ``province``: the province to build the group in (default: the smallest with at least ``size`` units, else the
    largest).  Raises ``ValueError`` when the country has fewer than ``size`` units or the province none.
    """
    p = Period.parse(period)
    if size < 1:
        raise ValueError(f"a group of {size} units: expected at least 1")
    units = Registry(bundled_table()).communes_in(p)  # the national list (and the project's own rows)
    by_province: dict[str, list[Commune]] = {}
    for u in units:
        by_province.setdefault(u.province_code, []).append(u)
    if len(units) < size:
        raise ValueError(f"a group of {size} units: the registry has {len(units)} valid in {p.id}")
    if province is None:
        fits = [code for code, members in by_province.items() if len(members) >= size]
        province = (min(fits, key=lambda c: (len(by_province[c]), c)) if fits
                    else max(by_province, key=lambda c: (len(by_province[c]), -int(c))))
    province = province.zfill(2)
    if province not in by_province:
        raise ValueError(f"province {province!r} has no unit valid in {p.id}")
    own = by_province[province]
    chosen = list(own[:size])
    borrowed: list[Commune] = []
    others = sorted((c for c in by_province if c != province), key=lambda c: (-len(by_province[c]), c))
    for code in others:
        for unit in by_province[code]:
            if len(chosen) == size:
                break
            moved = replace(unit, province_code=province, province_name=own[0].province_name)
            chosen.append(moved)
            borrowed.append(unit)
    return SyntheticGroup(period=p, province_code=province, province_name=own[0].province_name,
                          province_units=len(own), units=tuple(sorted(chosen, key=lambda u: u.code)),
                          borrowed=tuple(borrowed))


def office_units_text(group: SyntheticGroup) -> str:
    """The office's list (CSV) that lays the group's borrowed units over its province: one row per unit with its
    code, name, type and first day (the province is given on import)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Mã", "Tên", "Loại", "Hiệu lực từ", "Ghi chú"])
    for unit in group.borrowed:
        writer.writerow([unit.code, unit.name, unit.type, unit.valid_from.isoformat(), OFFICE_SOURCE])
    return out.getvalue()


def write_group(group: SyntheticGroup, data: DataPaths, *, periods: Iterable[str | Period] | None = None,
                seed: int = 2021) -> list[Path]:
    """Write the group's figures for ``periods`` (default: its period) as long CSVs under
    ``data.raw / RAW_FOLDER`` (``<province>_<period>.csv``; a quarter in which no unit of the group was valid
    has none) and, when the group borrows units, import the office's list into ``data``.  Returns the CSVs."""
    from pipeline.domain.registry_import import import_units

    if group.borrowed:
        with tempfile.TemporaryDirectory(prefix="cchc-group-") as tmp:
            path = Path(tmp) / f"don-vi-tinh-{group.province_code}.csv"
            path.write_text(office_units_text(group), encoding="utf-8")
            import_units(path, data=data, province=group.province_code)
    frame = generate_district(seed=seed, periods=periods or [group.period], communes=group.units)
    written = []
    for period, rows in frame.groupby("period", sort=True):
        path = data.raw / RAW_FOLDER / f"{group.province_code}_{period}.csv"
        write_long_csv(rows, path)
        written.append(path)
    return written

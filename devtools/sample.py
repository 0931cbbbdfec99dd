"""Synthetic sample data: the communes of old Hương Sơn over 2020-Q1 … 2026-Q3.

Everything here is *made up* (deterministically, from a seed) to exercise the
pipeline at district scale; every row written carries ``synthetic = true`` and
every text report says "Dữ liệu mẫu tổng hợp (synthetic sample data)" near its
top.  The figures are modelled on the one real report (Xã Sơn Phú, 2021-Q3,
the seed), which is itself **not** generated: 18217 2021-Q3 is left out.

Units by period (:func:`sample_units`, from the registry; a period belongs to
the units valid on its last day):

- 2020-Q1 … 2024-Q4: Hương Sơn's 25 units (district 439);
- 2025-Q1, 2025-Q2: the 22 units after the mergers of 1/1/2025 (Châu Bình
  18178 ← Sơn Châu, Sơn Bình; Mỹ Long 18202 ← Sơn Trà, Sơn Long; Hàm Trường
  18223 ← Sơn Hàm, Sơn Trường), 2025-Q1 (15/12/2024–14/3/2025) being theirs;
- 2025-Q3 … 2026-Q3: the 9 communes of the two-level government (no district)
  whose predecessors were Hương Sơn's units.  The transition quarter 2025-Q3
  (15/6–14/9/2025) is the successors' whole quarter: **no predecessor writes a
  partial report for it**.  A file that does is refused at ingest when its code
  no longer exists (the message names the successor to report under), and is
  the successor's report when the successor kept the code (18160 in 2025-Q3 is
  the new Xã Sơn Hồng: a CSV row under 18160 is read as Sơn Hồng's).

Merged units: each of the 25 units of 2021 is simulated as a *component* over
the whole span, as if it had gone on; a merged unit's figures are its
components' (:func:`combine`): flows and stocks summed (dossiers, tasks, staff,
budget plan and revenue), ratios recomputed from the summed counts (3.4.3,
7.2.5.3, S.NS.TY_LE_DU_TOAN, the online rates and their year-to-date
cumulative), and the lists a unit has once whatever its size (TTHC in force and
online, ISO procedures, categories, portal and e-document percentages) those of
the component whose code the unit kept.  So a successor's history summed from
its predecessors joins up with its own reports (carried-over dossiers included).

:func:`generate_district` returns long rows ``commune_code, period,
indicator_code, value, note`` (``value`` a Python ``int``/``float`` or
``None``: blank, as a commune leaves a row blank; never zero for blank).
Rows are given for every indicator of the catalogue that applies at commune
level (``levels`` contains ``xa``), headings and text rows excepted, plus the
``S.*`` narrative figures.

Model (per commune a size factor; per quarter):

- dossiers: received ``S.HS.NHAN_MOI`` 200–700; carried over ``S.HS.KY_TRUOC``
  = last quarter's in progress ``S.HS.DANG_GIAI_QUYET`` (2020-Q1: 0–3);
  ``DA_GIAI_QUYET + DANG_GIAI_QUYET + TRA_LAI = NHAN_MOI + KY_TRUOC``;
  ``TRUOC_HAN + DUNG_HAN + QUA_HAN = DA_GIAI_QUYET``; ``DUNG_HEN = TRUOC_HAN +
  DUNG_HAN``; ``DANG_QUA_HAN ≤ DANG_GIAI_QUYET``; fell due ``DEN_HAN =
  DUNG_HAN + QUA_HAN + DANG_QUA_HAN`` (so ``≥ DA_GIAI_QUYET − TRUOC_HAN``);
  3.4.3 = round(100·DUNG_HEN/DA_GIAI_QUYET, 1); 7.2.5.1 ≤ DA_GIAI_QUYET,
  7.2.5.2 = 7.2.5.1, 7.2.5.3 = round(100·7.2.5.1/DA_GIAI_QUYET, 1).
- online dossiers (7.1.8.3): rate = 100·online/(NHAN_MOI + KY_TRUOC), written
  with one decimal, rising from about 2 % (2020-Q1) to about 25 % (2021-Q4);
  the note holds the year-to-date cumulative "(Lũy kế 22,68%)" =
  100·Σonline/Σ(NHAN_MOI + KY_TRUOC) over the year's quarters so far, two
  decimals.  (The seed fits this denominator: 104/492 = 21,1 %.)  Recomputed
  from the rounded quarter rates it agrees within 0,1 point.
- budget: plan ``S.NS.DU_TOAN`` 1–3 billion đồng, whole đồng, one per year
  (the same in its 4 quarters); revenue ``S.NS.THU`` per quarter;
  ``S.NS.THU_TAI_XA < THU``; ``S.NS.TY_LE_DU_TOAN`` = round(100·THU/DU_TOAN, 2).
- staff: quota 4.2.1 17–23, one per year; present 4.2.2 ≤ quota.
- tasks: 1.1.2 ≤ 1.1.1; 1.3.2 ≤ 1.3.1.
- TTHC stocks: 3.1.3.c 170–200, changing in a few quarters only (province
  decisions, some communes a quarter late: :data:`_TTHC_BASE`); 3.2.1 ≤ 3.1.3.c; level 3 count
  7.1.8.1 = 3.2.2 ≤ 3.1.3.c, rising; level 4 7.1.8.2 ≤ 7.1.8.1.
- the catalogue of the period (``load_catalogue().for_period``): from 2022-Q3
  (after Nghị định 42/2022, version 2B-2022 from 1/8/2022) 7.1.8.1 counts the
  TTHC online "toàn trình", 7.1.8.2 "một phần" (7.1.8.1 + 7.1.8.2 = 3.2.2 ≤
  3.1.3.c), 7.1.8.3 is the rate of dossiers handled online toàn trình (about
  25 % in 2022-Q3 rising to about 60 % in 2026-Q3; its cumulative counts the
  year's quarters under that definition only, so 2022's starts at 2022-Q3) and
  7.1.8.4 the rate handled online một phần (about 15–25 %); both rates over
  NHAN_MOI + KY_TRUOC.
- Sơn Phú is anchored to the seed so that its other quarters join up with
  the real 2021-Q3: quota 18 in 2021, plan 1 784 881 674 đồng for 2021, 2021-Q2
  ends with 1 dossier in progress (the seed carries 1 over), 2021-Q4 carries
  over the seed's 1, 3.1.3.c 175, and the 2021 online counts make the seed's
  cumulative (22,68 %) come out right.

Deliberate DEFECTS (for checks to find; see :data:`DEFECTS`):

1. ``staff_above_quota`` — 18175 (Sơn Ninh) 2021-Q1: staff present 4.2.2 =
   quota 4.2.1 + 1.
2. ``tasks_on_time_above_assigned`` — 18199 (Sơn Kim 2) 2020-Q2: assigned tasks
   done on time 1.3.2 = tasks assigned 1.3.1 + 2 (a contradiction).
3. ``missing_quarter`` — 18142 (Sơn Tiến) 2020-Q3: no rows at all.  (Its 2020-Q4
   still carries over the dossiers of that unreported quarter.)
4. ``cumulative_mismatch`` — 18205 (Sơn Long) 2021-Q3: the note of 7.1.8.3 states
   a year-to-date cumulative 9,5 points above what its 2021-Q1…Q3 rates give, and
   the note of S.HS.NHAN_MOI a year-to-date total 37 dossiers above the quarters' sum
   (the count is what the metrics stage can check; the rate has no counts behind it).
5. ``overdue_dossiers`` — 18133 (Thị trấn Phố Châu) 2021-Q2: 3 dossiers resolved
   late (S.HS.QUA_HAN) and 2 in progress past due (S.HS.DANG_QUA_HAN); 3.4.3 and
   3.4.4 below 100.  Every other commune-quarter has 0 and 0.  (Written as a
   text report by ``scripts/make_sample_district.py``.)
6. ``postal_rows_filled`` — 18211 (Kim Hoa), every quarter: the 7.1.9.x
   postal-service (BCCI) rows are filled; every other commune leaves them blank.

Writers: :func:`write_long_csv` (the long CSV layout, decimal comma, a
``synthetic`` column), :func:`write_report_text` (a seed-style report with
its Phụ lục 2B), :func:`form_workbook` (the fill-in form of
:mod:`pipeline.forms.workbook`, filled in) and :func:`word_report` (the seed-style
report as ``.docx``, through :mod:`devtools.office_writer`);
:func:`write_district` spreads the district over them (:data:`TEXT_REPORTS`,
:data:`FORM_REPORTS`, :data:`WORD_REPORTS`; the rest in long CSVs).  :data:`TEXT_UNSTATED` lists any ``S.*`` figure
a text report cannot state (none at present: the text reader takes every figure back).
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.cells import neutralise
from pipeline.domain.catalogue import Catalogue, load_catalogue
from pipeline.domain.communes import Commune, load_registry
from pipeline.domain.periods import ROMAN, Period, period_range

DISTRICT_CODE = "439"
DEFAULT_PERIODS: tuple[str, ...] = tuple(p.id for p in period_range("2020-Q1", "2026-Q3"))
#: The first quarter of the two-level local government (no districts): the units valid on 14/9/2025.
TWO_LEVEL_FROM = Period.parse("2025-Q3")
_FIRST = Period.parse("2020-Q1")
FRAME_COLUMNS = ["commune_code", "period", "indicator_code", "value", "note"]
CSV_COLUMNS = ["commune_code", "period", "indicator_code", "value", "note", "synthetic"]
SYNTHETIC_LINE = "*Dữ liệu mẫu tổng hợp (synthetic sample data), không phải số liệu thật.*"

#: Commune-periods never generated: the real seed report covers Sơn Phú 2021-Q3.
EXCLUDED: frozenset[tuple[str, str]] = frozenset({("18217", "2021-Q3")})

#: ``S.*`` figures a seed-style narrative cannot state so that the text reader
#: takes them back: the reader has no phrase for "resolved on time, early ones
#: not counted" (any "đúng hạn" clause is read as S.HS.DUNG_HEN).
TEXT_UNSTATED: tuple[str, ...] = ()


@dataclass(frozen=True)
class Defect:
    """One deliberate flaw of the sample data."""

    kind: str
    commune_code: str
    period: str | None  # None: every period
    description: str


DEFECTS: tuple[Defect, ...] = (
    Defect("staff_above_quota", "18175", "2021-Q1", "staff present 4.2.2 = quota 4.2.1 + 1"),
    Defect("tasks_on_time_above_assigned", "18199", "2020-Q2", "1.3.2 (done on time) = 1.3.1 (assigned) + 2"),
    Defect("missing_quarter", "18142", "2020-Q3", "no rows at all for this commune-quarter"),
    Defect("cumulative_mismatch", "18205", "2021-Q3",
           "7.1.8.3 note states a year-to-date cumulative 9,5 points above what the quarters give"),
    Defect("overdue_dossiers", "18133", "2021-Q2",
           "dossiers resolved late and dossiers in progress past due (every other commune-quarter: 0 and 0)"),
    Defect("postal_rows_filled", "18211", None, "7.1.9.1–7.1.9.3 filled in every quarter (others blank)"),
)
_DEFECT_AT = {(d.kind, d.commune_code, d.period) for d in DEFECTS}

# -- the seed (Sơn Phú 2021-Q3), as far as other quarters depend on it ----------
_SEED_CODE, _SEED_PERIOD = "18217", Period.parse("2021-Q3")
_SEED = {
    "NHAN_MOI": 491, "KY_TRUOC": 1, "DA_GIAI_QUYET": 490, "TRA_LAI": 1, "DANG_GIAI_QUYET": 1,
    "online": 104, "cumulative": 22.68, "quota": 18, "du_toan": 1_784_881_674, "tthc": 175,
    "tthc_offset": -1, "dvc_gap": 3, "level3_offset": 0, "iso_gap": 25, "lien_thong": 3, "survey_form": 0,
}
_POSTAL = "7.1.9.1", "7.1.9.2", "7.1.9.3"
_ZERO_PAD = {"1.3.2", "1.3.3", "4.2.3", "7.2.1"}  # counts the seed writes as "01", "02"


# ----------------------------------------------------------------------------
# generation
# ----------------------------------------------------------------------------


def default_communes() -> list[Commune]:
    """The 25 Hương Sơn units valid in 2021-Q3 (the components every later unit is made of)."""
    return load_registry().communes_in("2021-Q3", district_code=DISTRICT_CODE)


def sample_units(period: str | Period) -> list[Commune]:
    """The units of the sample in ``period``, ordered by code: Hương Sơn's (district 439) up to 2025-Q2,
    from 2025-Q3 the communes valid in the period whose predecessors (followed back) were Hương Sơn's."""
    p = Period.parse(period)
    registry = load_registry()
    if p < TWO_LEVEL_FROM:
        return registry.communes_in(p, district_code=DISTRICT_CODE)
    old = {u.key for u in default_communes()}
    return [u for u in registry.communes_in(p) if u.predecessors and set(components(u)) <= old]


def components(unit: Commune) -> list[str]:
    """The keys of the 2021 units ``unit`` is made of (itself, or its predecessors' components), sorted."""
    if not unit.predecessors:
        return [unit.key]
    registry = load_registry()
    return sorted({k for key in unit.predecessors for k in components(registry.by_key(key))})


def generate_district(
    *, seed: int = 2021, periods: Iterable[str | Period] = DEFAULT_PERIODS,
    communes: Iterable[Commune | str] | None = None,
) -> pd.DataFrame:
    """Long rows of synthetic quarterly figures for ``communes`` × ``periods``.

    ``communes``: units, or codes (a code stands for the unit holding it in
    each period, so "18133" is Thị trấn Phố Châu up to 2025-Q2 and Xã Hương
    Sơn from 2025-Q3; none in a period where the code denotes no unit); default :func:`sample_units` of
    each period.  Each 2021
    unit (a component) draws from its own generator
    ``numpy.random.default_rng([seed, code])`` quarter by quarter from 2020-Q1,
    so a commune's figures do not depend on which other communes or later
    periods are asked for; a merged unit's are its components' (:func:`combine`).
    Commune-periods of :data:`EXCLUDED` and the ``missing_quarter`` defect have
    no rows.
    """
    wanted = sorted({Period.parse(p) for p in periods})
    if not wanted or not all(p.is_quarter for p in wanted):
        raise ValueError("periods must be a non-empty list of quarters")
    registry = load_registry()
    catalogue = load_catalogue()
    sim = period_range(min(wanted[0], _FIRST), wanted[-1])
    at = {p: i for i, p in enumerate(sim)}
    simulated: dict[str, list] = {}

    def history(key: str) -> list:
        if key not in simulated:
            simulated[key] = list(_simulate_commune(registry.by_key(key), sim, seed))
        return simulated[key]

    rows: list[dict] = []
    orders = {}
    for period in wanted:
        if communes is None:
            units = sample_units(period)
        else:
            units = []
            for c in communes:
                if isinstance(c, Commune):
                    units += [c] if c.valid_on(period.end) else []
                elif any(u.valid_on(period.end) for u in registry if u.code == c):
                    units.append(registry.resolve(c, period))
        for unit in sorted(units, key=lambda u: u.code):
            if (unit.code, period.id) in EXCLUDED or ("missing_quarter", unit.code, period.id) in _DEFECT_AT:
                continue
            parts = [history(k)[at[period]] for k in components(unit)]
            if len(parts) == 1:
                _, record, notes = parts[0]
            else:
                principal = next(i for i, k in enumerate(components(unit)) if k.startswith(unit.code + "@"))
                record, notes = combine([r for _, r, _ in parts], principal=principal,
                                        ytd=[[history(k)[at[q]][1] for k in components(unit)]
                                             for q in period.year_to_date() if q in at])
            cat = catalogue.for_period(period)
            orders.setdefault(period.id, dict(zip(cat.table["code"], cat.table["order"])))
            for code in _commune_codes(cat):
                rows.append({"commune_code": unit.code, "period": period.id, "indicator_code": code,
                             "value": record.get(code), "note": notes.get(code, "")})
    frame = pd.DataFrame(rows, columns=FRAME_COLUMNS)
    frame["value"] = pd.Series([_python_number(r["value"]) for r in rows], index=frame.index, dtype=object)
    frame["_order"] = [orders[p][c] for p, c in zip(frame["period"], frame["indicator_code"])]
    frame = frame.sort_values(["period", "commune_code", "_order"], kind="stable").drop(columns="_order")
    return frame.reset_index(drop=True)


def _python_number(value: object) -> int | float | None:
    """A plain Python ``int``/``float`` (or ``None``), never a numpy scalar."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    return float(value)


def _commune_codes(cat: Catalogue) -> list[str]:
    """Indicators a commune can fill: commune level, not headings or text."""
    t = cat.table
    keep = t["levels"].str.split(";").map(lambda lv: "xa" in lv) & ~t["kind"].isin(["heading", "text"])
    return t.loc[keep, "code"].tolist()


def _clip(x: float, lo: float, hi: float) -> float:
    return float(min(max(x, lo), hi))


def _r1(x: float) -> float:
    return float(round(x, 1))


def _simulate_commune(unit: Commune, sim: list[Period], seed: int):
    """Yield ``(period, {code: value}, {code: note})`` for every quarter of ``sim``."""
    code = unit.code
    rng = np.random.default_rng([seed, int(code)])
    is_seed_commune = code == _SEED_CODE
    # Commune constants.
    size = _clip(float(rng.lognormal(0.0, 0.22)), 0.62, 1.45) * (1.25 if unit.type == "thị trấn" else 1.0)
    tthc_offset = _SEED["tthc_offset"] if is_seed_commune else int(rng.integers(-4, 7))
    tthc_lag = bool(rng.random() < 0.3)
    dvc_gap = _SEED["dvc_gap"] if is_seed_commune else int(rng.integers(0, 5))
    level3_offset = _SEED["level3_offset"] if is_seed_commune else int(rng.integers(-3, 4))
    iso_gap = _SEED["iso_gap"] if is_seed_commune else int(rng.integers(20, 31))
    lien_thong = _SEED["lien_thong"] if is_seed_commune else int(rng.integers(2, 5))
    online_mult = float(rng.uniform(0.75, 1.25))
    survey_form = _SEED["survey_form"] if is_seed_commune else int(rng.choice([0, 1, 2], p=[0.3, 0.5, 0.2]))
    digitised_2020 = float(rng.uniform(70, 90))
    sent_e = float(rng.uniform(70, 85))
    land = int(rng.integers(25, 46))
    carried = int(rng.integers(0, 4))  # in progress at the end of 2019-Q4
    quota = int(round(_clip(17 + 5 * (size - 0.62) / 0.9 + rng.integers(-1, 2), 17, 23)))
    prev_tthc = None
    year_state: dict[int, dict] = {}
    ytd: dict[int, list[int]] = {}

    for period in sim:
        t = (period.year - 2020) * 4 + int(period.kind[1]) - 1  # 0 at 2020-Q1
        q = int(period.kind[1])
        at_seed = is_seed_commune and period == _SEED_PERIOD
        nd42 = _nd42(period)
        # -- per year: plan, quota, contracts -------------------------------------
        if period.year not in year_state:
            if year_state:
                quota = int(_clip(quota + (int(rng.choice([-1, 1])) if rng.random() < 0.3 else 0), 17, 23))
            du_toan = int(_clip(1.0e9 + 1.4e9 * (size - 0.62) / 0.9 + rng.normal(0, 2.5e8), 1.0e9, 3.0e9))
            du_toan += int(rng.integers(0, 1000))  # whole đồng, not a round figure
            if is_seed_commune and period.year == _SEED_PERIOD.year:
                quota, du_toan = _SEED["quota"], _SEED["du_toan"]
            year_state[period.year] = {"quota": quota, "du_toan": du_toan, "contracts": int(rng.integers(0, 3))}
        ys = year_state[period.year]
        r: dict[str, object] = {}
        notes: dict[str, str] = {}

        # -- dossiers -------------------------------------------------------------
        season = {1: 1.10, 2: 0.95, 3: 1.0, 4: 1.05}[q]
        nhan = int(_clip(round(420 * size * season * rng.uniform(0.88, 1.12)), 200, 700))
        ky = carried
        tra = int(min(rng.poisson(0.8), 4))
        dang = int(rng.integers(0, 7))
        overdue = ("overdue_dossiers", code, period.id) in _DEFECT_AT
        if overdue:
            dang = max(dang, 4)
        if is_seed_commune and period.next() == _SEED_PERIOD:
            dang = _SEED["KY_TRUOC"]  # the seed carries 1 dossier over from 2021-Q2
        if at_seed:
            nhan, ky, tra, dang = _SEED["NHAN_MOI"], _SEED["KY_TRUOC"], _SEED["TRA_LAI"], _SEED["DANG_GIAI_QUYET"]
        # Online (level 3) dossiers; the seed's year is solved for its cumulative.
        noise = float(rng.normal(0, 0.8))
        target = _clip((2.0 + 23.0 * (max(t, 0) / 7) ** 1.3) * online_mult + noise, 0.5, 40.0)
        seed_year = is_seed_commune and period.year == _SEED_PERIOD.year
        if seed_year and q < _SEED_PERIOD.quarter_number:
            target = 23.0 + noise  # the seed's 22,68 % cumulative with 21,1 % in Q3: about 23 % before
        online_part = 0
        if seed_year and q == _SEED_PERIOD.quarter_number - 1:
            nhan, online = _solve_seed_cumulative(ytd.get((period.year, False), [0, 0]), nhan, ky, target)
        elif at_seed:
            online = _SEED["online"]
        elif nd42:  # toàn trình and một phần (Nghị định 42/2022): about 25 % and 15 % in 2022-Q3, rising
            rise = (t - 10) / 16
            full = _clip((25.0 + 35.0 * rise) * online_mult + noise, 1.0, 90.0)
            part = _clip(15.0 + 10.0 * rise + float(rng.normal(0, 1.5)), 0.0, 95.0 - full)
            online = int(round(full / 100 * (nhan + ky)))
            online_part = int(round(part / 100 * (nhan + ky)))
        else:
            online = int(round(target / 100 * (nhan + ky)))
        handled = nhan + ky
        da = handled - tra - dang
        qua = 3 if overdue else 0
        dang_qua = 2 if overdue else 0
        truoc = int(round(da * rng.uniform(0.45, 0.8)))
        dung_han = da - truoc - qua
        r.update({
            "S.HS.NHAN_MOI": nhan, "S.HS.KY_TRUOC": ky, "S.HS.DA_GIAI_QUYET": da,
            "S.HS.DUNG_HEN": truoc + dung_han, "S.HS.TRUOC_HAN": truoc, "S.HS.DUNG_HAN": dung_han,
            "S.HS.QUA_HAN": qua, "S.HS.DANG_GIAI_QUYET": dang, "S.HS.DANG_QUA_HAN": dang_qua,
            "S.HS.TRA_LAI": tra, "S.HS.DEN_HAN": dung_han + qua + dang_qua,
        })
        carried = dang
        r["3.4.3"] = _r1(100 * (truoc + dung_han) / da)
        r["3.4.4"] = _r1(100 * (land - qua) / land) if overdue else 100.0
        r["3.4.5"] = 100.0
        iso_done = da - (0 if rng.random() < 0.8 else int(rng.integers(1, 3)))
        r["7.2.5.1"] = iso_done
        r["7.2.5.2"] = iso_done
        r["7.2.5.3"] = _r1(100 * iso_done / da)
        rate = _r1(100 * online / handled)
        acc = ytd.setdefault((period.year, nd42), [0, 0, 0])  # a definition's cumulative starts with it
        acc[0] += online
        acc[1] += handled
        acc[2] += nhan
        cumulative = round(100 * acc[0] / acc[1], 2)
        if ("cumulative_mismatch", code, period.id) in _DEFECT_AT:
            cumulative = round(cumulative + 9.5, 2)
            # a count's cumulative can be checked against the quarters (a rate without counts cannot)
            notes["S.HS.NHAN_MOI"] = f"(Lũy kế {acc[2] + 37})"
        r["7.1.8.3"] = rate
        notes["7.1.8.3"] = f"(Lũy kế {format_vi_number(cumulative)}%)"
        if nd42:
            r["7.1.8.4"] = _r1(100 * online_part / handled)
        r.update({"_online": online, "_online_part": online_part, "_handled": handled, "_nd42": nd42})

        # -- budget ---------------------------------------------------------------
        du_toan = ys["du_toan"]
        share = rng.uniform(0.12, 0.42) if rng.random() > 0.06 else rng.uniform(0.9, 1.5)  # land-use windfall
        thu = int(round(du_toan * share)) + int(rng.integers(0, 1000))
        thu_xa = int(round(thu * rng.uniform(0.05, 0.25)))
        r.update({"S.NS.DU_TOAN": du_toan, "S.NS.THU": thu, "S.NS.THU_TAI_XA": thu_xa,
                  "S.NS.TY_LE_DU_TOAN": round(100 * thu / du_toan, 2)})

        # -- staff, tasks, survey, institutions -------------------------------------
        r["4.2.1"] = ys["quota"]
        present = ys["quota"] - int(rng.choice([0, 0, 1, 1, 2]))
        if ("staff_above_quota", code, period.id) in _DEFECT_AT:
            present = ys["quota"] + 1
        r["4.2.2"] = present
        r["4.2.3"] = ys["contracts"]
        plan = int(rng.integers(4, 11))
        r["1.1.1"] = plan
        r["1.1.2"] = plan - (0 if rng.random() < 0.7 else int(rng.integers(1, 3)))
        assigned = int(rng.integers(2, 10))
        on_time = max(assigned - (0 if rng.random() < 0.6 else int(rng.integers(1, 3))), 0)
        if ("tasks_on_time_above_assigned", code, period.id) in _DEFECT_AT:
            on_time = assigned + 2
        r["1.3.1"], r["1.3.2"] = assigned, on_time
        r["1.4.1"] = int(rng.integers(20, 121))
        r["1.4.2"] = survey_form
        r["1.5"] = int(rng.random() < 0.25)
        reviewed = int(rng.integers(1, 3)) if rng.random() < 0.15 else 0
        r.update({"2.1": 0, "2.2": 0, "2.3": reviewed, "2.4": 0, "2.5": 0})

        # -- TTHC stocks ----------------------------------------------------------
        base_period = period.previous() if tthc_lag else period
        base = next(b for until, b in _TTHC_BASE if until is None or base_period < until)
        tthc = int(_clip(base + tthc_offset, 170, 200))
        if nd42:  # toàn trình, một phần: together the TTHC online (3.2.2)
            level3 = int(min(45 + 5 * (t - 10) + level3_offset, tthc - 45))
            level4 = int(min(rng.integers(38, 46), tthc - level3))
            online_tthc = level3 + level4
        else:
            level3 = int(min(28 + 5 * t + level3_offset, tthc))
            level4 = level3 - int(rng.integers(1, 5))
            online_tthc = level3
        if at_seed:
            tthc, level3, level4, online_tthc = _SEED["tthc"], 58, 56, 58
        r["3.1.3.c"] = tthc
        r["3.2.1"] = tthc - dvc_gap
        r["3.2.2"] = online_tthc
        r["7.1.8.1"], r["7.1.8.2"] = level3, level4
        r["3.3.1"] = lien_thong
        r["3.3.3"] = 100.0
        r["3.3.4"] = _r1(min(100.0, digitised_2020 + (100 - digitised_2020) * t / 4)) if t < 4 else 100.0
        changed = prev_tthc is not None and tthc != prev_tthc
        r["7.2.3.2"] = tthc - iso_gap
        r["7.2.3.3"] = int(changed)
        r["7.2.3.4"] = tthc - iso_gap
        r["7.2.3.5"] = abs(tthc - prev_tthc) if changed else 0
        prev_tthc = tthc

        # -- e-government, ISO ------------------------------------------------------
        r["7.1.6.1.c"] = 100.0
        r["7.1.6.2.b"] = float(round(_clip(sent_e + 2.5 * t + rng.normal(0, 1.5), 60, 98)))
        r["7.2.1"] = int(rng.integers(1, 3)) if q == 1 else int(rng.random() < 0.3)
        r["7.2.4.2"] = float(int(_clip({1: 25, 2: 50, 3: 70, 4: 95}[q] + rng.integers(-5, 6), 0, 100)))
        if ("postal_rows_filled", code, None) in _DEFECT_AT:
            r["7.1.9.1"] = _r1(rng.uniform(3, 12))
            r["7.1.9.2"] = _r1(rng.uniform(0.5, 3))
            r["7.1.9.3"] = _r1(rng.uniform(0.5, 4))
        yield period, r, notes


#: TTHC of the commune level in force (before a commune's offset): (until this quarter, base), in order.
_TTHC_BASE: tuple[tuple[Period | None, int], ...] = (
    (Period.parse("2020-Q3"), 182), (Period.parse("2021-Q2"), 188), (Period.parse("2023-Q1"), 176),
    (Period.parse("2024-Q3"), 181), (Period.parse("2025-Q3"), 186), (None, 192))
#: The catalogue version of the online-service rows after Nghị định 42/2022 ("toàn trình", "một phần").
ND42_VERSION = "2B-2022"


def _nd42(period: Period) -> bool:
    """Whether the period's catalogue has the Nghị định 42/2022 online-service rows."""
    return load_catalogue().for_period(period).get("7.1.8.1")["version"] == ND42_VERSION


#: Figures a merged unit adds up over its components (flows, and stocks of people and money).
SUMMED: tuple[str, ...] = (
    "S.HS.NHAN_MOI", "S.HS.KY_TRUOC", "S.HS.DA_GIAI_QUYET", "S.HS.DUNG_HEN", "S.HS.TRUOC_HAN", "S.HS.DUNG_HAN",
    "S.HS.QUA_HAN", "S.HS.DANG_GIAI_QUYET", "S.HS.DANG_QUA_HAN", "S.HS.TRA_LAI", "S.HS.DEN_HAN",
    "S.NS.DU_TOAN", "S.NS.THU", "S.NS.THU_TAI_XA", "4.2.1", "4.2.2", "4.2.3", "1.1.1", "1.1.2", "1.3.1", "1.3.2",
    "1.4.1", "2.1", "2.2", "2.3", "2.4", "2.5", "7.2.1", "7.2.5.1", "7.2.5.2",
    "_online", "_online_part", "_handled")
#: Figures a merged unit does not have: the postal rows are one unit's defect (Kim Hoa 18211's own reports).
_NOT_COMBINED = frozenset(_POSTAL)


def combine(records: list[dict], *, principal: int, ytd: list[list[dict]]) -> tuple[dict, dict]:
    """The record and notes of a unit made of several components, from the components' records.

    ``records``: the components' records of the quarter; ``principal``: the index of the component whose
    code the unit kept (its lists and categories are the unit's); ``ytd``: the components' records of each
    quarter of the year so far, this one included (for the cumulative of 7.1.8.3).
    """
    out = {k: v for k, v in records[principal].items() if k not in _NOT_COMBINED}
    for code in SUMMED:
        if all(r.get(code) is not None for r in records):
            out[code] = sum(r[code] for r in records)
    da = out["S.HS.DA_GIAI_QUYET"]
    out["3.4.3"] = _r1(100 * out["S.HS.DUNG_HEN"] / da)
    out["7.2.5.3"] = _r1(100 * out["7.2.5.1"] / da)
    out["S.NS.TY_LE_DU_TOAN"] = round(100 * out["S.NS.THU"] / out["S.NS.DU_TOAN"], 2)
    out["7.1.8.3"] = _r1(100 * out["_online"] / out["_handled"])
    if out["_nd42"]:
        out["7.1.8.4"] = _r1(100 * out["_online_part"] / out["_handled"])
    same = [q for q in ytd if q[0]["_nd42"] == out["_nd42"]]
    online, handled = (sum(r[k] for q in same for r in q) for k in ("_online", "_handled"))
    cumulative = round(100 * online / handled, 2)
    return out, {"7.1.8.3": f"(Lũy kế {format_vi_number(cumulative)}%)"}


def _solve_seed_cumulative(acc: list[int], nhan: int, ky: int, target: float) -> tuple[int, int]:
    """Sơn Phú 2021-Q2: received and online counts that make the seed's cumulative exact.

    The seed states 104 online of 492 handled in 2021-Q3 and a cumulative of
    22,68 % for 2021-Q1…Q3; choose this quarter's figures (near the drawn ones)
    so that round(100·Σonline/Σhandled, 2) = 22,68.
    """
    best = None
    for delta in sorted(range(-40, 41), key=abs):
        n = nhan + delta
        if not 200 <= n <= 700:
            continue
        total = acc[1] + n + ky + _SEED["NHAN_MOI"] + _SEED["KY_TRUOC"]
        for online in range(0, n + ky + 1):
            if round(100 * (acc[0] + online + _SEED["online"]) / total, 2) == _SEED["cumulative"]:
                score = abs(100 * online / (n + ky) - target)
                if best is None or score < best[0]:
                    best = (score, n, online)
        if best is not None:
            return best[1], best[2]
    raise RuntimeError("no 2021-Q2 figures give the seed's cumulative")  # pragma: no cover


# ----------------------------------------------------------------------------
# number formatting
# ----------------------------------------------------------------------------


def format_vi_number(value: object) -> str:
    """A value the way a commune writes it: decimal comma, no thousands separator.

    ``None`` is blank; 21.1 → "21,1"; 100.0 → "100"; 2590755750 → "2590755750".
    """
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a figure")
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    number = float(value)
    if number.is_integer():
        return str(int(number))
    return repr(number).replace(".", ",")


def format_vi_thousands(value: int) -> str:
    """Whole đồng with space-separated thousands: 2590755750 → "2 590 755 750"."""
    return f"{int(value):,}".replace(",", " ")


def _count_words(value: int) -> str:
    """A count in running text, zero-padded below 10 as the seed writes it ("01")."""
    return f"{int(value):02d}" if 0 < int(value) < 10 else str(int(value))


# ----------------------------------------------------------------------------
# writers
# ----------------------------------------------------------------------------


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` unless it already holds exactly these bytes."""
    path = Path(path)
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def long_csv_text(frame: pd.DataFrame) -> str:
    """The long CSV layout of ``frame``, every row flagged ``synthetic = true``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in frame[FRAME_COLUMNS].itertuples(index=False):
        writer.writerow([row.commune_code, row.period, row.indicator_code, format_vi_number(row.value),
                         neutralise(row.note or ""), "true"])
    return out.getvalue()


def write_long_csv(frame: pd.DataFrame, path: str | Path) -> None:
    """Write ``frame`` as a long CSV (UTF-8, decimal comma, ``synthetic`` column)."""
    write_if_changed(Path(path), long_csv_text(frame).encode("utf-8"))


def write_report_text(frame: pd.DataFrame, path: str | Path, *, commune: Commune | str,
                      period: str | Period) -> None:
    """Write one commune-period of ``frame`` as a seed-style report (Markdown text)."""
    write_if_changed(Path(path), report_text(frame, commune=commune, period=period).encode("utf-8"))


def report_text(frame: pd.DataFrame, *, commune: Commune | str, period: str | Period) -> str:
    """The seed-style report of one commune-period (see :func:`write_report_text`)."""
    p = Period.parse(period)
    unit = commune if isinstance(commune, Commune) else load_registry().resolve(commune, p)
    mine = frame.loc[(frame["commune_code"] == unit.code) & (frame["period"] == p.id)]
    others = frame.loc[(frame["commune_code"] != unit.code) | (frame["period"] != p.id)]
    if not len(mine) or len(others):
        raise ValueError(f"frame must hold the rows of {unit.code} {p.id} and nothing else")
    values = {r.indicator_code: r.value for r in mine.itertuples(index=False)}
    notes = {r.indicator_code: r.note for r in mine.itertuples(index=False)}
    cat = load_catalogue().for_period(p)
    return _Report(unit, p, values, notes, cat).render()


_SURNAMES = ["Nguyễn", "Trần", "Lê", "Phan", "Hoàng", "Võ", "Đặng", "Bùi", "Hồ", "Đinh"]
_MIDDLE = ["Văn", "Đình", "Quang", "Hữu", "Xuân", "Minh", "Đức", "Công"]
_GIVEN = ["Hùng", "Thành", "Long", "Tuấn", "Hải", "Bình", "Lâm", "Hòa", "Dũng", "Thắng", "Cường", "Toàn"]
_SURVEY = {0: "trực tuyến", 1: "phát phiếu", 2: "kết hợp trực tuyến và phát phiếu"}


class _Report:
    """Renders one report; every random choice comes from the commune code and period."""

    def __init__(self, unit: Commune, period: Period, values: dict, notes: dict, cat: Catalogue):
        self.u, self.p, self.v, self.notes, self.cat = unit, period, values, notes, cat
        self.rng = np.random.default_rng([zlib.crc32(unit.code.encode()), period.year, period.quarter_number])
        name_rng = np.random.default_rng(zlib.crc32(f"chair {unit.code}".encode()))
        self.chair = " ".join([str(name_rng.choice(_SURNAMES)), str(name_rng.choice(_MIDDLE)),
                               str(name_rng.choice(_GIVEN))])
        self.kind = "thị trấn" if unit.type == "thị trấn" else "xã"

    def val(self, code: str):
        return self.v.get(code)

    # -- pieces ------------------------------------------------------------------
    def quarter(self, period: Period | None = None) -> str:
        return f"quý {ROMAN[(period or self.p).quarter_number]}"

    def render(self) -> str:
        p, nxt = self.p, self.p.next()
        q_words, next_words = self.quarter(), self.quarter(nxt)
        subject_tail = f"{next_words} năm {nxt.year}"
        subject_head = f"trong {q_words}" if nxt.year == p.year else f"trong {q_words} năm {p.year}"
        day = int(self.rng.integers(14, 21))
        number = 10 + 18 * (p.quarter_number - 1) + int(self.rng.integers(0, 13))
        plan_no, plan_day = int(self.rng.integers(2, 6)), int(self.rng.integers(5, 20))
        kh = f"Kế hoạch số {plan_no:02d}/KH-UBND ngày {plan_day:02d}/01/{p.year}"
        lines = [
            f"**ỦY BAN NHÂN DÂN  \n{self.u.full_name}**",
            "",
            "**CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM  \nĐộc lập - Tự do - Hạnh phúc**",
            "",
            SYNTHETIC_LINE,
            "",
            f"Số: {number:02d}/BC-UBND",
            "",
            f"*{self.u.name}, ngày {day} tháng {3 * p.quarter_number} năm {p.year}*",
            "",
            "## BÁO CÁO",
            "",
            f"### Tình hình thực hiện công tác Cải cách hành chính {subject_head}, "
            f"phương hướng nhiệm vụ {subject_tail}",
            "",
            f"Thực hiện {kh} của UBND {self.kind} về thực hiện công tác cải cách hành chính năm {p.year}. "
            f"Ủy ban nhân dân {self.kind} {self.u.name} đã tổ chức kiểm tra, soát xét đánh giá về tình hình "
            f"thực hiện công tác Cải cách hành chính trong {q_words} năm {p.year} như sau:",
            "",
            "#### I. KẾT QUẢ ĐẠT ĐƯỢC",
            "",
        ]
        lines += self.part_one(kh)
        lines += self.part_two_three(nxt)
        lines += [
            "*Nơi nhận:*",
            "",
            "- Phòng nội vụ huyện;",
            "- Lưu: VP-UBND.",
            "",
            "**TM. ỦY BAN NHÂN DÂN  \nCHỦ TỊCH**",
            "",
            f"**{self.chair}**",
            "",
        ]
        lines += self.appendix()
        return "\n".join(lines) + "\n"

    def part_one(self, kh: str) -> list[str]:
        p, v = self.p, self.val
        q = self.quarter()
        progress = v("7.2.4.2")
        plan, done = v("1.1.1"), v("1.1.2")
        out = [
            "##### 1. Công tác chỉ đạo điều hành công tác Cải cách hành chính.",
            "",
            f"Tiếp tục chỉ đạo tổ chức thực hiện các mục tiêu, chỉ tiêu theo {kh} về tổ chức thực hiện công tác "
            f"cải cách hành chính năm {p.year}"
            + (f", căn cứ theo chỉ tiêu {self.kind} đã rà soát đánh giá đến nay đã đạt {format_vi_number(progress)}%."
               if progress is not None else "."),
            "",
        ]
        if plan is not None:
            out += [f"Trong {q}, kế hoạch đề ra {_count_words(plan)} nhiệm vụ, "
                    f"đã hoàn thành {_count_words(done)} nhiệm vụ. "
                    "Thực hiện chế độ giao ban vào hàng tuần, hàng tháng nhằm đánh giá kết quả thực hiện trong tuần, "
                    "trong tháng, triển khai kế hoạch nhiệm vụ trong tuần, tháng tiếp theo.", ""]
        out += [
            "Tuyên truyền các nội dung kế hoạch Cải cách hành chính, văn bản chỉ đạo qua hội nghị giao ban, "
            f"qua đài truyền thanh, trang thông tin điện tử {self.kind}; tuyên truyền sử dụng dịch vụ công trực tuyến "
            "mức độ 3, 4 để người dân, doanh nghiệp biết thực hiện.",
            "",
            "##### 2. Công tác Cải cách thể chế",
            "",
        ]
        issued, reviewed = v("2.1"), v("2.3")
        out.append(f"Trong {q} không xây dựng ban hành văn bản quy phạm pháp luật nào." if not issued else
                   f"Trong {q} đã ban hành {_count_words(issued)} văn bản quy phạm pháp luật.")
        out.append("")
        if reviewed:
            out += [f"Qua rà soát, hệ thống hóa văn bản quy phạm pháp luật, trong {q} có {_count_words(reviewed)} "
                    "văn bản đã hết hiệu lực.", ""]
        out += [
            "##### 3. Cải cách thủ tục hành chính",
            "",
            "###### 3.1. Về công khai, rà soát TTHC",
            "",
            "Thực hiện cập nhật niêm yết công khai kịp thời các bộ thủ tục hành chính thuộc thẩm quyền giải quyết "
            f"của UBND {self.kind} tại bộ phận tiếp nhận và trả kết quả và trên trang thông tin điện tử theo quy định"
            + (f"; tổng số TTHC cấp xã đang có hiệu lực là {v('3.1.3.c')} thủ tục."
               if v("3.1.3.c") is not None else "."),
            "",
            "###### 3.2. Về tiếp nhận và xử lý phản ánh kiến nghị",
            "",
            f"UBND {self.kind} không có phản ánh kiến nghị về quy định hành chính và giải quyết TTHC.",
            "",
            "###### 3.3. Về giải quyết thủ tục hành chính.",
            "",
            "Việc thực hiện tiếp nhận, giải quyết thủ tục hành chính đảm bảo theo quy định. " + self.dossier_sentence(),
            "",
        ]
        forms, form = v("1.4.1"), v("1.4.2")
        if forms is not None:
            how = _SURVEY.get(form, "phát phiếu")
            out += [f"Thực hiện đo lường sự hài lòng của người dân, tổ chức đối với sự phục vụ của cán bộ, công chức "
                    f"theo hình thức {how}, với {forms} phiếu khảo sát.", ""]
        quota, present = v("4.2.1"), v("4.2.2")
        out += ["##### 4. Công tác cải cách tổ chức bộ máy", ""]
        if quota is not None and present is not None:
            out += [f"Tổng số biên chế được giao trong năm {quota} người; "
                    f"có mặt tại thời điểm báo cáo {present} người.", ""]
        out += [
            "- Thực hiện thống kê báo cáo số lượng, chất lượng cán bộ, công chức đúng thời gian quy định.",
            "",
            "##### 5. Cải cách công vụ.",
            "",
            "Chỉ đạo thực hiện nghiêm kỷ luật, kỷ cương hành chính, nâng cao tinh thần trách nhiệm, thái độ phục vụ "
            "nhân dân của đội ngũ cán bộ, công chức.",
            "",
            "##### 6. Công tác cải cách tài chính công",
            "",
            "Việc quản lý điều hành ngân sách được thực hiện trên cơ sở Nghị quyết của HĐND, quyết định của UBND "
            "huyện đảm bảo tính công khai, minh bạch và đúng kế hoạch.",
            "",
            "##### 7. Xây dựng và phát triển chính phủ điện tử:",
            "",
            "###### 7.1. Ứng dụng công nghệ thông tin trong hoạt động.",
            "",
        ]
        rate = v("7.1.8.3")
        if rate is not None:
            cum = self.notes.get("7.1.8.3", "").strip("()")
            out += [f"Tỷ lệ hồ sơ xử lý trực tuyến mức độ 3 trong {q} đạt {format_vi_number(rate)}%"
                    + (f" ({cum[0].lower() + cum[1:]})." if cum else "."), ""]
        out += [
            "###### 7.2. Áp dụng ISO trong hoạt động của đơn vị.",
            "",
            "Thực hiện Kế hoạch duy trì hệ thống quản lý chất lượng TCVN ISO 9001:2015. Rà soát cập nhật bổ sung "
            "sửa đổi kịp thời quy trình nội bộ giải quyết thủ tục hành chính theo quy định.",
            "",
            "##### 8. Thực hiện thu ngân sách",
            "",
            self.budget_sentences(),
            "",
        ]
        return out

    def dossier_sentence(self) -> str:
        """The 3.3 figures, in clauses the text reader takes back."""
        v = self.val
        clauses = []

        def add(code: str, stated: str, absent: str) -> None:
            value = v(code)
            if value is None:
                return
            clauses.append(stated.format(_count_words(value)) if value else absent)

        add("S.HS.NHAN_MOI", "số hồ sơ tiếp nhận mới {} hồ sơ", "không có hồ sơ tiếp nhận mới")
        add("S.HS.KY_TRUOC", "hồ sơ kỳ trước chuyển qua {} hồ sơ", "không có hồ sơ kỳ trước chuyển qua")
        add("S.HS.DA_GIAI_QUYET", "hồ sơ đã giải quyết {} hồ sơ", "không có hồ sơ đã giải quyết")
        add("S.HS.DUNG_HEN", "hồ sơ giải quyết trước hạn và đúng hạn {} hồ sơ",
            "không có hồ sơ giải quyết trước hạn và đúng hạn")
        add("S.HS.TRUOC_HAN", "trong đó trước hạn {} hồ sơ", "trong đó không có hồ sơ trước hạn")
        add("S.HS.DUNG_HAN", "hồ sơ giải quyết đúng hạn (không kể trước hạn) {} hồ sơ",
            "không có hồ sơ giải quyết đúng hạn (không kể trước hạn)")
        add("S.HS.QUA_HAN", "hồ sơ giải quyết quá hạn {} hồ sơ", "không có hồ sơ giải quyết quá hạn")
        add("S.HS.DEN_HAN", "hồ sơ đến hạn giải quyết trong kỳ {} hồ sơ", "không có hồ sơ đến hạn giải quyết")
        add("S.HS.DANG_GIAI_QUYET", "hồ sơ đang giải quyết {} hồ sơ", "không có hồ sơ đang giải quyết")
        add("S.HS.DANG_QUA_HAN", "trong đó hồ sơ đang giải quyết đã quá hạn {} hồ sơ",
            "không có hồ sơ đang giải quyết đã quá hạn")
        add("S.HS.TRA_LAI", "hồ sơ trả lại {} hồ sơ", "không có hồ sơ trả lại")
        if not clauses:
            return ""
        return f"Trong {self.quarter()}, " + ", ".join(clauses) + "."

    def budget_sentences(self) -> str:
        v = self.val
        parts = ["Công tác thu ngân sách được UBND " + self.kind + " quan tâm."]
        if v("S.NS.DU_TOAN") is not None:
            parts.append(f"Dự toán thu ngân sách năm {self.p.year}: {format_vi_thousands(v('S.NS.DU_TOAN'))} đồng.")
        if v("S.NS.THU") is not None:
            s = f"Tổng thu ngân sách trong {self.quarter()}: {format_vi_thousands(v('S.NS.THU'))} đồng"
            if v("S.NS.TY_LE_DU_TOAN") is not None:
                s += f", đạt {format_vi_number(v('S.NS.TY_LE_DU_TOAN'))}%"
            parts.append(s + ".")
        if v("S.NS.THU_TAI_XA") is not None:
            parts.append(f"Trong đó, Thu tại xã: trong quý thu được {format_vi_thousands(v('S.NS.THU_TAI_XA'))} đồng.")
        return " ".join(parts)

    def part_two_three(self, nxt: Period) -> list[str]:
        q, p = self.quarter(), self.p
        late = (self.val("S.HS.QUA_HAN") or 0) + (self.val("S.HS.DANG_QUA_HAN") or 0)
        return [
            "#### II. ĐÁNH GIÁ CHUNG",
            "",
            "##### 1. Ưu điểm",
            "",
            "Công tác CCHC tiếp tục được xác định là một trong các nhiệm vụ trọng tâm. Việc tiếp nhận, giải quyết "
            "thủ tục hành chính của công dân, tổ chức được duy trì ổn định"
            + ("." if late else ", không để xảy ra quá hạn."),
            "",
            "##### 2. Tồn tại hạn chế",
            "",
            "- Số lượng tiếp nhận thủ tục hành chính qua dịch vụ công trực tuyến mức độ 3 tỷ lệ đạt chưa cao.",
            "",
            ("- Còn để xảy ra hồ sơ giải quyết quá hạn." if late else
             "- Chưa thực hiện việc tiếp nhận hồ sơ, trả kết quả giải quyết TTHC qua dịch vụ bưu chính công ích."),
            "",
            f"#### III. NHIỆM VỤ CẢI CÁCH HÀNH CHÍNH {self.quarter(nxt).upper()} NĂM {nxt.year}",
            "",
            f"1. Tiếp tục thực hiện hoàn thành các nhiệm vụ cải cách hành chính năm {nxt.year} đảm bảo chỉ tiêu, "
            "kế hoạch đề ra.",
            "",
            "2. Đẩy mạnh tuyên truyền dịch vụ công trực tuyến mức độ 3, 4 nhằm nâng cao tỷ lệ phát sinh hồ sơ "
            "qua dịch vụ công trực tuyến.",
            "",
            "3. Tiếp tục kiểm soát việc giải quyết thủ tục hành chính; cập nhật, niêm yết công khai đầy đủ, kịp thời "
            "các bộ TTHC tại bộ phận một cửa và trên trang thông tin điện tử theo quy định.",
            "",
            f"Trên đây là báo cáo kết quả thực hiện cải cách hành chính {q}"
            + ("" if nxt.year == p.year else f" năm {p.year}")
            + f" và một số nhiệm vụ cải cách hành chính {self.quarter(nxt)} năm {nxt.year}, UBND {self.kind} "
            "báo cáo cấp trên được biết./.",
            "",
        ]

    # -- the appendix ---------------------------------------------------------------
    _HEAD_PLAIN = ["STT\tChỉ tiêu thống kê <i>(Sử dụng trong kỳ báo cáo hàng quý, 6 tháng, năm)</i>\t"
                   "Kết quả thống kê\t\tGhi chú",
                   "\t\tĐơn vị tính\tSố liệu\t"]
    _HEAD_BOLD = ["STT\t<b>Chỉ tiêu thống kê</b> <i>(Sử dụng trong kỳ báo cáo hàng quý, 6 tháng, năm)</i>\t"
                  "<b>Kết quả thống kê</b>\t\t<b>Ghi chú</b>",
                  "\t\t<b>Đơn vị tính</b>\t<b>Số liệu</b>\t"]
    _ROWS_PER_PAGE = 18

    def appendix(self) -> list[str]:
        out = [
            "**Phụ lục 2B**  ",
            f"**THỐNG KÊ SỐ LIỆU VỀ KẾT QUẢ THỰC HIỆN CÔNG TÁC CCHC {self.quarter().upper()} NĂM {self.p.year} "
            f"{self.u.full_name.upper()}**",
            "",
            *self._HEAD_PLAIN,
        ]
        table = self.cat.table
        table = table.loc[table["section"] != "S"]
        previous_parent = None
        for n, row in enumerate(table.itertuples(index=False)):
            if n and n % self._ROWS_PER_PAGE == 0:
                out += ["", *self._HEAD_BOLD]
            printed = row.printed_codes.split("|")[0] if row.printed_codes else ""
            if not printed:
                printed = "Trong đó" if row.parent != previous_parent else ""
            previous_parent = row.parent if not row.printed_codes else None
            label = row.label
            if row.kind == "heading" and (row.parent == "" or row.code in ("7.1", "7.2")):
                label = f"<b>{label}</b>"
            value = self.val(row.code) if row.kind != "heading" else None
            text = format_vi_number(value)
            if row.code in _ZERO_PAD and row.kind == "count" and value is not None and 0 < value < 10:
                text = f"{int(value):02d}"
            out.append("\t".join([printed, label, row.unit, text, self.notes.get(row.code, "")]))
        out.append("")
        return out


# ----------------------------------------------------------------------------
# the sample district on disk
# ----------------------------------------------------------------------------

#: Commune-periods written as text reports (3 communes × 2 quarters); the rest go to long CSVs.
TEXT_REPORTS: tuple[tuple[str, str], ...] = (
    ("18133", "2020-Q4"), ("18133", "2021-Q2"),
    ("18163", "2020-Q4"), ("18163", "2021-Q2"),
    ("18196", "2020-Q4"), ("18196", "2021-Q2"),
)

#: Commune-periods written as the filled fill-in form (``forms/<code>_<period>.xlsx``): the form of
#: :mod:`pipeline.forms.workbook` with every generated value (``S.*`` included) typed into it.
FORM_REPORTS: tuple[tuple[str, str], ...] = (
    ("18145", "2020-Q2"), ("18187", "2021-Q1"), ("18217", "2021-Q4"),
    ("18160", "2023-Q2"),  # Xã Sơn Lĩnh, the form with the Nghị định 42/2022 rows
    ("18223", "2026-Q3"),  # Xã Kim Hoa of the two-level government (← Kim Hoa, Hàm Trường)
)

#: Commune-periods written as Word reports (``word/<code>_<period>.docx``): the seed-style text report of
#: :func:`report_text`, laid out by the ``.docx`` writer of :mod:`devtools.office_writer`.
WORD_REPORTS: tuple[tuple[str, str], ...] = (("18136", "2020-Q1"), ("18178", "2020-Q3"), ("18223", "2021-Q4"))

#: The Office writers live in a script; the sample imports it by path (it is not part of the package).


def write_district(frame: pd.DataFrame, out_dir: str | Path, *,
                   text_reports: Iterable[tuple[str, str]] = TEXT_REPORTS,
                   form_reports: Iterable[tuple[str, str]] = FORM_REPORTS,
                   word_reports: Iterable[tuple[str, str]] = WORD_REPORTS) -> list[Path]:
    """Write ``frame`` under ``out_dir``: one long CSV per quarter, plus text, Excel and Word reports.

    Files: ``huong-son_<period>.csv`` (every commune-period not written
    otherwise), ``reports/<code>_<period>.md`` (:func:`write_report_text`),
    ``forms/<code>_<period>.xlsx`` (:func:`form_workbook`) and
    ``word/<code>_<period>.docx`` (:func:`word_report`).  A commune-period
    goes to one file only.  Files whose bytes would not change are left
    alone.  Returns the paths written or kept.
    """
    out_dir = Path(out_dir)
    routes = {"reports": (".md", {(c, p) for c, p in text_reports}),
              "forms": (".xlsx", {(c, p) for c, p in form_reports}),
              "word": (".docx", {(c, p) for c, p in word_reports})}
    seen: set[tuple[str, str]] = set()
    for _, keys in routes.values():
        if seen & keys:
            raise ValueError(f"commune-periods given two formats: {sorted(seen & keys)}")
        seen |= keys
    key = list(zip(frame["commune_code"], frame["period"]))
    elsewhere = pd.Series([k in seen for k in key], index=frame.index)
    paths: list[Path] = []
    for period, group in frame.loc[~elsewhere].groupby("period", sort=True):
        path = out_dir / f"huong-son_{period}.csv"
        write_long_csv(group, path)
        paths.append(path)
    for folder, (suffix, keys) in routes.items():
        for commune, period in sorted(keys):
            mine = frame.loc[(frame["commune_code"] == commune) & (frame["period"] == period)]
            if not len(mine):
                continue
            path = out_dir / folder / f"{commune}_{period}{suffix}"
            if folder == "reports":
                write_report_text(mine, path, commune=commune, period=period)
            elif folder == "forms":
                write_if_changed(path, form_workbook(frame, commune=commune, period=period))
            else:
                write_if_changed(path, word_report(mine, commune=commune, period=period))
            paths.append(path)
    return paths


# -- Office files -----------------------------------------------------------------


def form_workbook(frame: pd.DataFrame, *, commune: Commune | str, period: str | Period) -> bytes:
    """The fill-in form of one commune-period (:func:`pipeline.forms.workbook.write_form`), filled in.

    ``frame`` may hold other commune-periods: the previous quarter's values of
    the commune, if there, are shown in the form's reference column as
    ``cchc template`` shows stored ones.  Every value of the commune-period
    (``S.*`` included) goes to the "Số liệu" column as an Excel number, every
    note to "Ghi chú"; the marker line "Dữ liệu mẫu tổng hợp …" stands above the
    table (row 3), where the Excel reader looks for it.  Deterministic bytes
    (:func:`_fixed_package`).
    """
    from openpyxl import load_workbook
    from openpyxl.styles import Alignment, Font

    from pipeline.forms.workbook import (
        COL_CODE,
        COL_NOTE,
        COL_PREVIOUS,
        COL_VALUE,
        FIRST_ROW,
        FORM_SHEET,
        form_rows,
        write_form,
    )

    p = Period.parse(period)
    unit = commune if isinstance(commune, Commune) else load_registry().resolve(commune, p)
    mine = frame.loc[(frame["commune_code"] == unit.code) & (frame["period"] == p.id)]
    if not len(mine):
        raise ValueError(f"frame holds no rows of {unit.code} {p.id}")
    before = frame.loc[(frame["commune_code"] == unit.code) & (frame["period"] == p.previous().id)]
    previous = pd.DataFrame({"indicator_code": before["indicator_code"], "value": before["value"],
                             "value_text": None})
    catalogue = load_catalogue()
    version = ", ".join(sorted(set(catalogue.for_period(p).table["version"])))
    rows = form_rows(catalogue, period=p, previous=previous)
    with tempfile.TemporaryDirectory() as tmp:
        path = write_form(rows, Path(tmp) / "form.xlsx", commune=unit, period=p, catalogue_version=version)
        wb = load_workbook(path)
    ws = wb[FORM_SHEET]
    ws["A3"] = SYNTHETIC_LINE.strip("*")
    ws["A3"].font = Font(name="Times New Roman", italic=True, size=11, color="C00000")
    ws["A3"].alignment = Alignment(horizontal="center", vertical="center")
    ws.merge_cells(start_row=3, start_column=COL_CODE, end_row=3, end_column=COL_PREVIOUS)
    at = {ws.cell(r, COL_CODE).value: r for r in range(FIRST_ROW, ws.max_row + 1) if ws.cell(r, COL_CODE).value}
    for row in mine.itertuples(index=False):
        if row.indicator_code not in at:
            raise ValueError(f"{row.indicator_code} has no row in the form of {p.id}")
        if row.value is not None:
            ws.cell(at[row.indicator_code], COL_VALUE).value = row.value
        if row.note:
            ws.cell(at[row.indicator_code], COL_NOTE).value = row.note
    out = io.BytesIO()
    wb.save(out)
    return _fixed_package(out.getvalue(), p)


def word_report(frame: pd.DataFrame, *, commune: Commune | str, period: str | Period) -> bytes:
    """The seed-style report of one commune-period (:func:`report_text`) as a Word document.

    The text goes through ``read_seed`` and ``write_docx`` of
    :mod:`devtools.office_writer` (header as a borderless table, headings in
    heading styles, the appendix as a Word table with merged cells).  That
    writer lays the header out as four blocks (issuing body, motto, number,
    place and date), so the marker line "Dữ liệu mẫu tổng hợp …" becomes the
    first paragraph of the body, above the title (still among the first 40
    lines, where the report reader looks for it).  Deterministic bytes
    (:func:`_fixed_package`).
    """
    office = _office_script()
    p = Period.parse(period)
    seed = office.read_seed(report_text(frame, commune=commune, period=p))
    marker = SYNTHETIC_LINE.strip("*")
    header = [block for block in seed.header if marker not in block]
    if len(header) != 4 or len(seed.header) != 5:
        raise ValueError(f"unexpected report header: {seed.header}")
    seed.header = header
    seed.body = [SYNTHETIC_LINE, "", *seed.body]
    with tempfile.TemporaryDirectory() as tmp:
        data = office.write_docx(seed, Path(tmp) / "report.docx").read_bytes()
    return _fixed_package(data, p)


def _office_script():
    """The Office writers (:mod:`devtools.office_writer`)."""
    from devtools import office_writer

    return office_writer


_CORE_DATES = re.compile(r"(<dcterms:(created|modified)\b[^>]*>)[^<]*(</dcterms:\2>)")


def _fixed_package(data: bytes, period: Period) -> bytes:
    """An Office file with nothing that depends on when it was written.

    Every zip member gets the same timestamp and the document properties'
    ``created`` / ``modified`` the same date (the 20th of the quarter's last
    month, 08:00 UTC), members in their order, deflated.  openpyxl stamps
    ``modified`` with the time of saving and both writers stamp zip entries
    with it; the rest of what they write is already the same run to run.
    """
    when = (period.year, 3 * period.quarter_number, 20, 8, 0, 0)
    stamp = "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z".format(*when)
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            part = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                part = _CORE_DATES.sub(lambda m: m.group(1) + stamp + m.group(3), part.decode("utf-8")).encode("utf-8")
            fixed = zipfile.ZipInfo(info.filename, date_time=when)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.create_system = 0
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, part)
    return out.getvalue()

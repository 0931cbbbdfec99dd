"""The synthetic sample district: determinism, internal identities, defects, round trip."""

from __future__ import annotations

import re
import zipfile

import pandas as pd
import pytest

from devtools.sample import (
    DEFAULT_PERIODS,
    DEFECTS,
    EXCLUDED,
    FORM_REPORTS,
    SYNTHETIC_LINE,
    TEXT_REPORTS,
    TEXT_UNSTATED,
    WORD_REPORTS,
    components,
    default_communes,
    format_vi_number,
    generate_district,
    long_csv_text,
    report_text,
    sample_units,
    write_district,
)
from pipeline.config import data_paths
from pipeline.domain.catalogue import load_catalogue
from pipeline.domain.communes import load_registry
from pipeline.domain.numbers import parse_number
from pipeline.domain.periods import Period, period_range
from pipeline.ingest import ingest
from pipeline.store import Store

KEY = ["commune_code", "period"]
DEFECT_AT = {(d.commune_code, d.period) for d in DEFECTS if d.period}
OLD_PERIODS = [p.id for p in period_range("2020-Q1", "2021-Q4")]  # the sample before issue 14
SUCCESSORS = {"18133": "Hương Sơn", "18160": "Sơn Hồng", "18163": "Sơn Tiến", "18172": "Sơn Tây",
              "18184": "Sơn Giang", "18196": "Sơn Kim 1", "18199": "Sơn Kim 2", "18202": "Tứ Mỹ",
              "18223": "Kim Hoa"}  # DOMAIN.md "Administrative units"


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return generate_district()


@pytest.fixture(scope="module")
def wide(frame) -> pd.DataFrame:
    """One row per commune-quarter, one column per indicator (``None`` for blank)."""
    return frame.pivot(index=KEY, columns="indicator_code", values="value")


@pytest.fixture(scope="module")
def clean(wide) -> pd.DataFrame:
    """The commune-quarters without a deliberate defect."""
    return wide.loc[[k not in DEFECT_AT for k in wide.index]]


@pytest.fixture(scope="module")
def unit_of(wide) -> pd.Series:
    """Each commune-quarter's unit (``code@valid_from``), and so its number of 2021 components."""
    registry = load_registry()
    return pd.Series([registry.resolve(c, p).key for c, p in wide.index], index=wide.index)


@pytest.fixture(scope="module")
def size(unit_of) -> pd.Series:
    """How many of the 2021 units each commune-quarter's unit is made of (1 for an unmerged one)."""
    registry = load_registry()
    return unit_of.map(lambda key: len(components(registry.by_key(key))))


def _note_cumulative(note: str) -> float:
    return parse_number(re.fullmatch(r"\(Lũy kế (.+)%\)", note).group(1))


# -- (a) determinism ---------------------------------------------------------------


def test_generator_is_deterministic(frame):
    again = generate_district()
    pd.testing.assert_frame_equal(frame, again)
    assert long_csv_text(frame) == long_csv_text(again)
    assert not generate_district(seed=7, communes=["18133"]).equals(
        frame.loc[frame["commune_code"] == "18133"].reset_index(drop=True))


def test_a_commune_does_not_depend_on_what_else_is_asked_for(frame):
    one = generate_district(communes=["18190"], periods=["2021-Q2", "2021-Q3"])
    expected = frame.loc[(frame["commune_code"] == "18190") & frame["period"].isin(["2021-Q2", "2021-Q3"])]
    pd.testing.assert_frame_equal(one, expected.reset_index(drop=True))


def test_shape(frame, wide):
    codes = [c.code for c in default_communes()]
    assert len(codes) == 25 and set(frame["commune_code"]) == set(codes)
    assert sorted(set(frame["period"])) == list(DEFAULT_PERIODS)
    assert DEFAULT_PERIODS[0] == "2020-Q1" and DEFAULT_PERIODS[-1] == "2026-Q3" and len(DEFAULT_PERIODS) == 27
    # 25 units to 2024-Q4 (20 quarters), 22 in 2025-Q1 and Q2, 9 from 2025-Q3 (5 quarters);
    # less the seed's commune-quarter and the missing quarter
    assert len(wide) == 25 * 20 + 22 * 2 + 9 * 5 - 2
    assert ("18217", "2021-Q3") in EXCLUDED and ("18217", "2021-Q3") not in wide.index
    assert not frame.duplicated(KEY + ["indicator_code"]).any()
    values = frame["value"].dropna()
    assert all(type(v) in (int, float) for v in values)
    noted = frame.loc[frame["note"] != ""]
    assert set(noted["indicator_code"]) == {"7.1.8.3", "S.HS.NHAN_MOI"}
    noted_codes = noted.loc[noted["indicator_code"] == "S.HS.NHAN_MOI", ["commune_code", "period"]]
    assert noted_codes.values.tolist() == [["18205", "2021-Q3"]]


# -- (b) identities on every non-defect commune-quarter ----------------------------------


def test_dossier_flows_balance(clean, size):
    w = clean
    assert (w["S.HS.DA_GIAI_QUYET"] + w["S.HS.DANG_GIAI_QUYET"] + w["S.HS.TRA_LAI"]
            == w["S.HS.NHAN_MOI"] + w["S.HS.KY_TRUOC"]).all()
    assert (w["S.HS.TRUOC_HAN"] + w["S.HS.DUNG_HAN"] + w["S.HS.QUA_HAN"] == w["S.HS.DA_GIAI_QUYET"]).all()
    assert (w["S.HS.DUNG_HEN"] == w["S.HS.TRUOC_HAN"] + w["S.HS.DUNG_HAN"]).all()
    assert (w["S.HS.DANG_QUA_HAN"] <= w["S.HS.DANG_GIAI_QUYET"]).all()
    assert (w["S.HS.DEN_HAN"] >= w["S.HS.DA_GIAI_QUYET"] - w["S.HS.TRUOC_HAN"]).all()
    k = size[w.index]
    assert (w["S.HS.NHAN_MOI"] >= 200 * k).all() and (w["S.HS.NHAN_MOI"] <= 700 * k).all()
    assert ((w["S.HS.QUA_HAN"] == 0) & (w["S.HS.DANG_QUA_HAN"] == 0)).all()
    assert (w["3.4.3"] == [round(100 * a / b, 1) for a, b in zip(w["S.HS.DUNG_HEN"], w["S.HS.DA_GIAI_QUYET"])]).all()
    assert (w["7.2.5.1"] <= w["S.HS.DA_GIAI_QUYET"]).all()
    assert (w["7.2.5.3"] == [round(100 * a / b, 1) for a, b in zip(w["7.2.5.1"], w["S.HS.DA_GIAI_QUYET"])]).all()


def test_sample_units_by_period(frame):
    """Hương Sơn's 25 to 2024-Q4, the 22 after the mergers of 1/1/2025 in 2025-Q1 and Q2, the 9 successors
    of 1/7/2025 from 2025-Q3 (the transition quarter is theirs: no predecessor has a row in it)."""
    units = {p: sample_units(p) for p in DEFAULT_PERIODS}
    assert all(len(units[p]) == 25 for p in DEFAULT_PERIODS if p < "2025")
    gone = {"18193", "18205", "18214"}  # Sơn Bình, Sơn Long, Sơn Hàm: merged on 1/1/2025
    for p in ("2025-Q1", "2025-Q2"):
        assert len(units[p]) == 22 and not gone & {u.code for u in units[p]}
        merged = {u.code: u.name for u in units[p] if u.valid_from.isoformat() == "2025-01-01"}
        assert merged == {"18178": "Châu Bình", "18202": "Mỹ Long", "18223": "Hàm Trường"}
    for p in DEFAULT_PERIODS[-5:]:
        assert {u.code: u.name for u in units[p]} == SUCCESSORS
        assert all(u.valid_from.isoformat() == "2025-07-01" and not u.district_code for u in units[p])
        assert set(frame.loc[frame["period"] == p, "commune_code"]) == set(SUCCESSORS)
    dissolved = {u.code for u in default_communes()} - set(SUCCESSORS)
    assert len(dissolved) == 16
    assert not frame.loc[frame["period"] >= "2025-Q3", "commune_code"].isin(dissolved).any()
    # Xã Hương Sơn is made of Phố Châu, Sơn Ninh, Sơn Trung, Sơn Bằng, Sơn Phú; Kim Hoa of Kim Hoa, Sơn Hàm and
    # Sơn Trường (through Hàm Trường)
    registry = load_registry()
    assert components(registry.resolve("18133", "2026-Q3")) == [
        f"{c}@2019-12-15" for c in ("18133", "18175", "18187", "18190", "18217")]
    assert components(registry.resolve("18223", "2026-Q3")) == [
        f"{c}@2019-12-15" for c in ("18211", "18214", "18223")]


def test_carried_over_is_last_quarters_in_progress(wide):
    """Carried over = the dossiers in progress at the end of the previous quarter, of the unit itself or,
    in its first quarter, of the units merged into it (so the histories join up across a merger)."""
    registry = load_registry()
    checked = merged = 0
    for (commune, period), row in wide.iterrows():
        p = Period.parse(period)
        if period == DEFAULT_PERIODS[0]:
            assert 0 <= row["S.HS.KY_TRUOC"] <= 5
            continue
        unit = registry.resolve(commune, p)
        mine = set(components(unit))
        before = [u for u in sample_units(p.previous()) if set(components(u)) <= mine]
        if {k for u in before for k in components(u)} != mine or any(
                (u.code, p.previous().id) not in wide.index for u in before):
            continue  # a quarter without a previous one (the missing quarter, the seed's)
        assert row["S.HS.KY_TRUOC"] == sum(wide.loc[(u.code, p.previous().id), "S.HS.DANG_GIAI_QUYET"]
                                           for u in before), (commune, period)
        checked += 1
        merged += len(before) > 1
    assert checked == len(wide) - 25 - 2  # the first quarter; the two after an absent one (18142 2020-Q4, 18217 Q4)
    assert merged == 3 + 9 - 2  # 2025-Q1's three mergers, 2025-Q3's successors but Sơn Kim 1 and 2
    # Sơn Phú joins up with the real 2021-Q3 (carried over 1, in progress 1).
    assert wide.loc[("18217", "2021-Q2"), "S.HS.DANG_GIAI_QUYET"] == 1
    assert wide.loc[("18217", "2021-Q4"), "S.HS.KY_TRUOC"] == 1


def test_budget(clean, wide, unit_of, size):
    w = clean
    assert (w["S.NS.THU_TAI_XA"] < w["S.NS.THU"]).all()
    assert (w["S.NS.TY_LE_DU_TOAN"] == [round(100 * a / b, 2) for a, b in zip(w["S.NS.THU"], w["S.NS.DU_TOAN"])]).all()
    k = size[w.index]
    assert (w["S.NS.DU_TOAN"] >= 1e9 * k).all() and (w["S.NS.DU_TOAN"] <= 3e9 * k).all()
    assert all(type(v) is int for v in w[["S.NS.DU_TOAN", "S.NS.THU", "S.NS.THU_TAI_XA"]].values.ravel())
    per_year = wide["S.NS.DU_TOAN"].groupby([unit_of, wide.index.get_level_values(1).str[:4]]).nunique()
    assert (per_year == 1).all()
    assert wide.loc[("18217", "2021-Q4"), "S.NS.DU_TOAN"] == 1_784_881_674  # the seed's plan


def test_staff_and_tasks(clean, wide, unit_of, size):
    w = clean
    k = size[w.index]
    assert (w["4.2.1"] >= 17 * k).all() and (w["4.2.1"] <= 23 * k).all()
    assert (w["4.2.2"] <= w["4.2.1"]).all()
    quota = wide["4.2.1"].groupby([unit_of, wide.index.get_level_values(1).str[:4]]).nunique()
    assert (quota == 1).all()
    assert (w["1.1.2"] <= w["1.1.1"]).all()
    assert (w["1.3.2"] <= w["1.3.1"]).all()
    assert w["1.4.2"].isin([0, 1, 2]).all() and w["1.5"].isin([0, 1]).all()
    assert wide.loc[("18217", "2021-Q4"), "4.2.1"] == 18  # the seed's quota


def test_tthc_stocks(clean, unit_of):
    w = clean
    assert w["3.1.3.c"].between(170, 200).all()  # a list of the province's, not summed over merged units
    assert (w["3.2.1"] <= w["3.1.3.c"]).all()
    assert (w["3.2.2"] <= w["3.1.3.c"]).all()
    assert (w["7.1.8.1"] <= w["3.1.3.c"]).all()
    old = w.loc[w.index.get_level_values(1) < "2022-Q3"]
    assert (old["7.1.8.2"] <= old["7.1.8.1"]).all()  # level 4 within level 3
    new = w.loc[w.index.get_level_values(1) >= "2022-Q3"]
    assert (new["7.1.8.1"] + new["7.1.8.2"] == new["3.2.2"]).all()  # toàn trình + một phần: the TTHC online
    first = w.loc[w.index.get_level_values(1).isin(OLD_PERIODS), "3.1.3.c"]
    changes = first.groupby(level=0).apply(lambda s: int((s.diff().fillna(0) != 0).sum()))
    assert (changes <= 3).all()  # a stock that changes rarely: at most 3 times in 8 quarters
    changes = w["3.1.3.c"].groupby(unit_of[w.index]).apply(lambda s: int((s.diff().fillna(0) != 0).sum()))
    assert (changes <= 6).all()  # and at most 6 times in the 25 quarters of a unit of 2020–2024


def test_online_rows_follow_the_catalogue_of_the_period(frame, wide):
    """2021 periods carry the levels 3 and 4 rows, from 2022-Q3 (Nghị định 42/2022, catalogue 2B-2022 from
    1/8/2022) the rows "toàn trình" and "một phần", with the rate of dossiers "một phần" (7.1.8.4) filled."""
    catalogue = load_catalogue()
    for period, label in (("2021-Q3", "mức độ 3"), ("2022-Q2", "mức độ 3"), ("2022-Q3", "toàn trình"),
                          ("2023-Q2", "toàn trình"), ("2026-Q3", "toàn trình")):
        assert label in catalogue.for_period(period).get("7.1.8.3")["label"], period
    before = wide.loc[wide.index.get_level_values(1) < "2022-Q3"]
    after = wide.loc[wide.index.get_level_values(1) >= "2022-Q3"]
    assert before["7.1.8.4"].isna().all() and after["7.1.8.4"].notna().all()
    assert (after["7.1.8.3"] + after["7.1.8.4"] <= 100).all()
    by_period = after[["7.1.8.3", "7.1.8.4"]].astype(float).groupby(level=1).mean()
    assert 20 < by_period.loc["2022-Q3", "7.1.8.3"] < 32 and 50 < by_period.loc["2026-Q3", "7.1.8.3"] < 75
    assert by_period["7.1.8.4"].between(10, 30).all()
    # every row the period's catalogue gives a commune, and no other
    for period in ("2021-Q3", "2023-Q2"):
        rows = frame.loc[(frame["period"] == period) & (frame["commune_code"] == "18160"), "indicator_code"]
        table = catalogue.for_period(period).table
        wanted = table.loc[table["levels"].str.contains("xa") & ~table["kind"].isin(["heading", "text"]), "code"]
        assert list(rows) == list(wanted)


def test_a_successor_is_the_sum_of_its_predecessors(frame, wide):
    """Xã Hương Sơn (18133 from 1/7/2025) ← Phố Châu 18133, Sơn Ninh 18175, Sơn Trung 18187, Sơn Bằng 18190,
    Sơn Phú 18217: a plan and a quota are set for the year, so its 2025 ones are its predecessors' of 2025-Q2
    added up; its dossiers carried over are theirs in progress; its year-to-date online rate spans their
    quarters; its TTHC in force are a list (one commune's count), not a sum."""
    parts = ["18133", "18175", "18187", "18190", "18217"]
    q2 = wide.loc[[(c, "2025-Q2") for c in parts]]
    q3 = wide.loc[("18133", "2025-Q3")]
    assert q3["S.NS.DU_TOAN"] == q2["S.NS.DU_TOAN"].sum()
    assert q3["4.2.1"] == q2["4.2.1"].sum()
    assert q3["S.HS.KY_TRUOC"] == q2["S.HS.DANG_GIAI_QUYET"].sum()
    assert 0.75 * q2["S.HS.NHAN_MOI"].sum() < q3["S.HS.NHAN_MOI"] < 1.3 * q2["S.HS.NHAN_MOI"].sum()
    assert 170 <= q3["3.1.3.c"] <= 200
    assert q3["3.4.3"] == round(100 * q3["S.HS.DUNG_HEN"] / q3["S.HS.DA_GIAI_QUYET"], 1)
    handled = wide["S.HS.NHAN_MOI"] + wide["S.HS.KY_TRUOC"]
    ytd = [(c, q) for q in ("2025-Q1", "2025-Q2") for c in parts] + [("18133", "2025-Q3")]
    rate = sum(wide.loc[k, "7.1.8.3"] * handled[k] for k in ytd) / sum(handled[k] for k in ytd)
    note = frame.loc[(frame["commune_code"] == "18133") & (frame["period"] == "2025-Q3")
                     & (frame["indicator_code"] == "7.1.8.3"), "note"].iloc[0]
    assert abs(_note_cumulative(note) - rate) <= 0.1, (note, rate)
    # Sơn Kim 1 had no predecessor but itself: its figures go on as they were
    assert wide.loc[("18196", "2025-Q3"), "S.HS.KY_TRUOC"] == wide.loc[("18196", "2025-Q2"), "S.HS.DANG_GIAI_QUYET"]


def test_online_rate_rises_and_cumulative_matches(frame, wide, unit_of):
    means = wide["7.1.8.3"].astype(float).groupby(level=1).mean()
    old = means.loc[OLD_PERIODS]
    assert old.is_monotonic_increasing and old.iloc[0] < 4 and 20 < old.iloc[-1] < 30
    assert means.loc["2022-Q1"] > old.iloc[-1] and means.loc["2022-Q3":].is_monotonic_increasing
    handled = wide["S.HS.NHAN_MOI"] + wide["S.HS.KY_TRUOC"]
    notes = frame.loc[frame["indicator_code"] == "7.1.8.3"].set_index(KEY)["note"]
    checked = 0
    for (commune, period), note in notes.items():
        p = Period.parse(period)
        # the year's quarters under the same definition (Nghị định 42/2022 from 2022-Q3), of the same unit
        ytd = [(commune, q.id) for q in p.year_to_date() if (q.id >= "2022-Q3") == (period >= "2022-Q3")]
        if (commune, period) in DEFECT_AT or not all(k in wide.index and unit_of[k] == unit_of[(commune, period)]
                                                     for k in ytd):
            continue
        expected = sum(wide.loc[k, "7.1.8.3"] * handled[k] for k in ytd) / sum(handled[k] for k in ytd)
        assert abs(_note_cumulative(note) - expected) <= 0.1, (commune, period, note, expected)
        checked += 1
    assert checked >= len(wide) - 40
    # 2022-Q3 is the first quarter of the toàn trình rate: its cumulative is the quarter's own
    assert abs(_note_cumulative(notes[("18133", "2022-Q3")]) - wide.loc[("18133", "2022-Q3"), "7.1.8.3"]) <= 0.05
    # Sơn Phú 2021-Q4 with the seed's 2021-Q3 (21,1 % of 491 + 1 handled) in between.
    sp = [("18217", q) for q in ("2021-Q1", "2021-Q2")]
    num = sum(wide.loc[k, "7.1.8.3"] * handled[k] for k in sp) + 21.1 * 492
    den = sum(handled[k] for k in sp) + 492
    assert abs(num / den - 22.68) <= 0.1  # the seed's own "(Lũy kế 22,68%)"
    q4 = wide.loc[("18217", "2021-Q4")]
    num4, den4 = num + q4["7.1.8.3"] * handled[("18217", "2021-Q4")], den + handled[("18217", "2021-Q4")]
    assert abs(_note_cumulative(notes[("18217", "2021-Q4")]) - num4 / den4) <= 0.1


def test_values_are_written_as_a_commune_writes_them(frame):
    catalogue = load_catalogue()
    kinds = {p: catalogue.for_period(p).table.set_index("code")["kind"] for p in DEFAULT_PERIODS}
    for row in frame.dropna(subset=["value"]).itertuples():
        kind = kinds[row.period][row.indicator_code]
        if kind in ("count", "money", "category"):
            assert type(row.value) is int, row
        elif kind == "percent":
            assert round(row.value, 2) == row.value, row
    assert format_vi_number(21.1) == "21,1" and format_vi_number(2590755750) == "2590755750"
    assert format_vi_number(100.0) == "100" and format_vi_number(None) == ""


# -- (c) the documented defects ---------------------------------------------------------


def test_defects_are_present(frame, wide):
    kinds = {d.kind: d for d in DEFECTS}
    assert set(kinds) == {"staff_above_quota", "tasks_on_time_above_assigned", "missing_quarter",
                          "cumulative_mismatch", "overdue_dossiers", "postal_rows_filled"}

    d = kinds["staff_above_quota"]
    row = wide.loc[(d.commune_code, d.period)]
    assert row["4.2.2"] > row["4.2.1"]
    assert (wide["4.2.2"] > wide["4.2.1"]).sum() == 1

    d = kinds["tasks_on_time_above_assigned"]
    row = wide.loc[(d.commune_code, d.period)]
    assert row["1.3.2"] > row["1.3.1"]
    assert (wide["1.3.2"] > wide["1.3.1"]).sum() == 1

    d = kinds["missing_quarter"]
    assert not ((frame["commune_code"] == d.commune_code) & (frame["period"] == d.period)).any()
    assert (wide.index.get_level_values(0) == d.commune_code).sum() == 22 - 1  # Sơn Tiến 18142: 2020-Q1 … 2025-Q2

    d = kinds["cumulative_mismatch"]
    handled = wide["S.HS.NHAN_MOI"] + wide["S.HS.KY_TRUOC"]
    ytd = [(d.commune_code, q.id) for q in Period.parse(d.period).year_to_date()]
    true = sum(wide.loc[k, "7.1.8.3"] * handled[k] for k in ytd) / sum(handled[k] for k in ytd)
    note = frame.loc[(frame["commune_code"] == d.commune_code) & (frame["period"] == d.period)
                     & (frame["indicator_code"] == "7.1.8.3"), "note"].iloc[0]
    assert abs(_note_cumulative(note) - true) > 5

    d = kinds["overdue_dossiers"]
    row = wide.loc[(d.commune_code, d.period)]
    assert row["S.HS.QUA_HAN"] > 0 and row["S.HS.DANG_QUA_HAN"] > 0
    assert row["3.4.3"] < 100
    assert ((wide["S.HS.QUA_HAN"] > 0) | (wide["S.HS.DANG_QUA_HAN"] > 0)).sum() == 1
    # ... and its identities still hold
    assert row["S.HS.TRUOC_HAN"] + row["S.HS.DUNG_HAN"] + row["S.HS.QUA_HAN"] == row["S.HS.DA_GIAI_QUYET"]

    d = kinds["postal_rows_filled"]
    postal = wide[["7.1.9.1", "7.1.9.2", "7.1.9.3"]].notna()
    mine = wide.index.get_level_values(0) == d.commune_code
    assert postal.loc[mine].all().all() and not postal.loc[~mine].any().any()


# -- (d) round trip through the ingest ------------------------------------------------------


@pytest.fixture(scope="module")
def ingested(frame, tmp_path_factory):
    """The sample district written to a fresh data dir (seed included) and ingested."""
    root = tmp_path_factory.mktemp("sample_data")
    paths = write_district(frame, root / "raw" / "sample")
    result = ingest(None, data=data_paths(root))
    return root, paths, result


def test_district_files(ingested):
    root, paths, _ = ingested
    names = sorted(p.relative_to(root / "raw" / "sample").as_posix() for p in paths)
    assert names == sorted([f"huong-son_{p}.csv" for p in DEFAULT_PERIODS]
                           + [f"reports/{c}_{p}.md" for c, p in TEXT_REPORTS]
                           + [f"forms/{c}_{p}.xlsx" for c, p in FORM_REPORTS]
                           + [f"word/{c}_{p}.docx" for c, p in WORD_REPORTS])
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in paths}
    write_district(generate_district(), root / "raw" / "sample")  # idempotent: same bytes, files untouched
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in paths} == before


def test_round_trip_stores_exactly_the_generated_values(frame, ingested):
    root, _, result = ingested
    assert result.files_rejected == 0
    assert result.errors == 0, result.issues
    small = result.issues["message"].str.contains("is below 1 %: is this")
    warnings = {(r.indicator_code, r.message.split(":")[0]) for r in result.issues.loc[~small].itertuples()}
    assert warnings == {("4.2.2", "18175 2021-Q1"), ("1.3.2", "18199 2020-Q2")}  # the two contradictions only

    stored = Store(data_paths(root)).read("values")
    # and a question for each percentage between 0 and 1 (0,5: meant 50 % or 0,5 %?), stored as written
    fractions = stored.loc[(stored["unit"] == "%") & (stored["value"] > 0) & (stored["value"] < 1)]
    assert sorted(zip(result.issues.loc[small, "file"], result.issues.loc[small, "row"])) == sorted(
        zip(fractions["source_file"], fractions["source_row"]))
    assert len(fractions)
    assert stored["synthetic"].all()
    assert not ((stored["commune_code"] == "18217") & (stored["period"] == "2021-Q3")).any()

    reports = set(TEXT_REPORTS) | set(WORD_REPORTS)
    text = pd.Series([k in reports for k in zip(frame["commune_code"], frame["period"])], index=frame.index)
    expected = frame.loc[frame["value"].notna() & ~(text & frame["indicator_code"].isin(TEXT_UNSTATED))]
    cols = ["commune_code", "period", "indicator_code", "value", "note"]
    order = ["commune_code", "period", "indicator_code"]
    expected = expected.astype({"value": float})[cols].sort_values(order).reset_index(drop=True)
    got = stored[cols].sort_values(order).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)

    cum = stored.loc[stored["indicator_code"] == "7.1.8.3"]
    assert (cum["cumulative_value"] == cum["note"].map(_note_cumulative)).all()

    subs = Store(data_paths(root)).read("submissions")
    assert len(subs) == len(frame.groupby(KEY)) and subs["synthetic"].all() and (subs["status"] == "current").all()
    assert len(subs) == 25 * 20 + 22 * 2 + 9 * 5 - 2
    # each stored under the unit its code denotes in the period: 18133 is Phố Châu to 2025-Q2, Xã Hương Sơn after
    registry = load_registry()
    assert (subs["commune_key"] == [registry.resolve(c, p).key for c, p in zip(subs["commune_code"], subs["period"])]
            ).all()
    assert set(subs.loc[subs["period"] == "2026-Q3", "commune_key"]) == {f"{c}@2025-07-01" for c in SUCCESSORS}
    docs = Store(data_paths(root)).read("documents")
    assert sorted(zip(docs["commune_code"], docs["period"])) == sorted(TEXT_REPORTS + WORD_REPORTS)
    assert docs["synthetic"].all() and (docs["signer_role"] == "TM. ỦY BAN NHÂN DÂN").all()


def test_mixed_formats_store_the_same_values_as_all_csv(frame, ingested, tmp_path):
    """Issue 3: the district with some commune-quarters as .xlsx forms and .docx reports stores the same
    values as the same district all in long CSVs (and the text reports)."""
    root, paths, mixed = ingested
    office = [p for p in paths if p.suffix in (".xlsx", ".docx")]
    assert sorted(p.suffix for p in office) == [".docx"] * len(WORD_REPORTS) + [".xlsx"] * len(FORM_REPORTS)
    for path in office:  # each written from the frame, so the long CSVs no longer hold its commune-quarter
        commune, period = path.stem.split("_")
        assert f"{commune},{period}," not in (root / "raw" / "sample" / f"huong-son_{period}.csv").read_text()

    plain = tmp_path / "plain"
    written = write_district(frame, plain / "raw" / "sample", form_reports=(), word_reports=())
    assert not [p for p in written if p.suffix in (".xlsx", ".docx")]
    csv_only = ingest(None, data=data_paths(plain))

    cols = ["commune_code", "period", "indicator_code", "value", "value_text", "cumulative_value", "synthetic"]
    tables = []
    for result, where in ((csv_only, plain), (mixed, root)):
        assert result.files_rejected == 0 and result.errors == 0, result.issues
        values = Store(data_paths(where)).read("values")
        tables.append(values[cols].sort_values(cols[:3]).reset_index(drop=True))
    pd.testing.assert_frame_equal(tables[1], tables[0], check_exact=True)

    stored = Store(data_paths(root)).read("values")
    from_office = stored.loc[stored["source_file"].str.endswith((".xlsx", ".docx"))]
    keys = set(zip(from_office["commune_code"], from_office["period"]))
    assert keys == set(FORM_REPORTS) | set(WORD_REPORTS)
    assert from_office["synthetic"].all()  # the "Dữ liệu mẫu" line of the form and of the Word report
    codes = set(from_office.loc[from_office["source_file"].str.endswith(".xlsx"), "indicator_code"])
    assert {"S.HS.NHAN_MOI", "S.HS.DEN_HAN", "S.NS.DU_TOAN", "S.NS.TY_LE_DU_TOAN"} <= codes  # the S.* rows too


def test_report_text_looks_like_the_seed(frame):
    commune, period = TEXT_REPORTS[1]
    mine = frame.loc[(frame["commune_code"] == commune) & (frame["period"] == period)]
    text = report_text(mine, commune=commune, period=period)
    head = text.split("\n")[:12]
    assert head[0] == "**ỦY BAN NHÂN DÂN  " and head[1] == "Thị trấn Phố Châu**"
    assert SYNTHETIC_LINE in head
    assert re.search(r"^Số: \d+/BC-UBND$", text, re.M)
    assert re.search(r"^\*Phố Châu, ngày \d+ tháng 6 năm 2021\*$", text, re.M)
    assert "quý II, phương hướng nhiệm vụ quý III năm 2021" in text
    for heading in ("## BÁO CÁO", "#### I. KẾT QUẢ ĐẠT ĐƯỢC", "##### 3. Cải cách thủ tục hành chính",
                    "#### II. ĐÁNH GIÁ CHUNG", "*Nơi nhận:*", "**Phụ lục 2B**"):
        assert heading in text
    assert re.search(r"Dự toán thu ngân sách năm 2021: \d{1,3}( \d{3})+ đồng\.", text)
    table = [line for line in text.split("\n") if "\t" in line and not line.startswith(("STT", "\t\t"))]
    rows = load_catalogue().for_period(period).table
    rows = rows.loc[rows["section"] != "S"]
    assert len(table) == len(rows) == 143  # every Phụ lục 2B row valid in the period, in catalogue order
    printed = [r.printed_codes.split("|")[0] for r in rows.itertuples()]
    assert [line.split("\t")[0] for line in table if line.split("\t")[0] not in ("", "Trong đó")] == [
        c for c in printed if c]
    assert "\t".join(["7.1.8.3", "Tỷ lệ hồ sơ xử lý trực tuyến mức độ 3", "%"]) in text
    with pytest.raises(ValueError):
        report_text(frame.loc[frame["commune_code"] == commune], commune=commune, period=period)


def test_the_bundled_sample_is_current(tmp_path):
    """``data/raw/sample`` holds what the script writes (rerun it after changing the generator)."""
    bundled = data_paths().raw / "sample"
    if not (bundled / "huong-son_2021-Q3.csv").exists():
        pytest.skip("no bundled sample")
    paths = write_district(generate_district(), tmp_path)
    for path in paths:
        assert _contents(bundled / path.relative_to(tmp_path)) == _contents(path), path.name
    names = {p.relative_to(bundled).as_posix() for p in bundled.rglob("*") if p.is_file() and p.name != "README.md"}
    assert names == {p.relative_to(tmp_path).as_posix() for p in paths}  # nothing stale left behind


def _contents(path):
    """A file's bytes; for an Office file its members' (so that another zlib build compresses differently in peace)."""
    if path.suffix in (".xlsx", ".docx"):
        with zipfile.ZipFile(path) as z:
            return [(i.filename, i.date_time, z.read(i)) for i in z.infolist()]
    return path.read_bytes()


def test_metrics_stage_finds_every_planted_defect(ingested):
    """The metrics stage raises a finding for each defect the generator plants (the missing quarter stays missing)."""
    from pipeline.metrics.compute import run_metrics

    root, _, _ = ingested
    out = run_metrics(data_paths(root))
    f = out["findings"]
    hits = set(zip(f["finding"], f["commune_code"], f["period"]))
    assert ("staff_above_quota", "18175", "2021-Q1") in hits
    assert ("contradiction", "18199", "2020-Q2") in hits
    assert ("cumulative_mismatch", "18205", "2021-Q3") in hits
    assert ("overdue_dossiers", "18133", "2021-Q2") in hits
    assert ("postal_not_used", "18211", "2021-Q3") not in hits and ("postal_not_used", "18213", "2021-Q3") not in hits
    assert ("postal_not_used", "18136", "2021-Q3") not in hits  # its 7.1.9 rows are blank: blank is not "not done"
    m = out["metrics"]
    gap = m.loc[(m["commune_code"] == "18142") & (m["metric"] == "S.HS.NHAN_MOI")]
    assert "2020-Q3" not in set(gap["period"]) and "2020-9M" not in set(gap["period"])
    assert gap.loc[gap["period"] == "2020-Q4", "previous_value"].isna().all()


def test_forms_carry_the_rows_of_their_period(ingested):
    """The filled form of 2023 (Xã Sơn Lĩnh 18160, 2023-Q2) has the Nghị định 42/2022 rows, the one of 2021 (Sơn
    Trung 18187, 2021-Q1) the levels 3 and 4; the one of 2026-Q3 is Xã Kim Hoa's of the two-level government
    (18223 from 1/7/2025); what they hold is stored under those units."""
    from openpyxl import load_workbook

    from pipeline.forms.workbook import COL_CODE, COL_LABEL, FIRST_ROW

    root, _, _ = ingested
    assert {("18160", "2023-Q2"), ("18187", "2021-Q1"), ("18223", "2026-Q3")} <= set(FORM_REPORTS)

    def labels(name):
        ws = load_workbook(root / "raw" / "sample" / "forms" / name)["Phụ lục 2B"]
        return ws["A2"].value, {ws.cell(r, COL_CODE).value: ws.cell(r, COL_LABEL).value
                                for r in range(FIRST_ROW, ws.max_row + 1)}

    head, rows = labels("18160_2023-Q2.xlsx")
    assert head == "XÃ SƠN LĨNH" and rows["7.1.8.1"].endswith("toàn trình") and rows["7.1.8.4"].endswith("một phần")
    head, rows = labels("18187_2021-Q1.xlsx")
    assert head == "XÃ SƠN TRUNG" and rows["7.1.8.1"].endswith("mức độ 3") and rows["7.1.8.4"].endswith("mức độ 4")
    head, _ = labels("18223_2026-Q3.xlsx")
    assert head == "XÃ KIM HOA"
    stored = Store(data_paths(root)).read("values")
    forms = stored.loc[stored["source_file"].str.endswith(".xlsx")]
    assert set(forms.loc[forms["period"] == "2026-Q3", "commune_key"]) == {"18223@2025-07-01"}
    assert set(forms.loc[forms["period"] == "2023-Q2", "commune_key"]) == {"18160@2019-12-15"}
    assert forms.loc[(forms["period"] == "2023-Q2") & (forms["indicator_code"] == "7.1.8.4"), "value"].notna().all()

"""The synthetic comparison group of the scale benchmark: N real units, one province, figures for every one."""

from __future__ import annotations

from collections import Counter

import pytest

from devtools.province import RAW_FOLDER, synthetic_group, write_group
from pipeline.config import data_paths
from pipeline.domain.areas import comparison_group
from pipeline.domain.communes import Registry, bundled_table, load_registry
from pipeline.ingest import ingest
from pipeline.store import Store

PERIOD = "2026-Q3"


@pytest.fixture(scope="module")
def national():
    """Units per province in the bundled registry, counted here without the module under test."""
    return Counter(u.province_code for u in Registry(bundled_table()).communes_in(PERIOD))


@pytest.mark.parametrize("size", [1, 25, 70, 120])
def test_a_group_a_province_holds_is_that_province_s(size, national):
    group = synthetic_group(size, PERIOD)
    assert group.size == size and not group.borrowed
    assert {u.province_code for u in group.units} == {group.province_code}
    assert national[group.province_code] == group.province_units >= size
    # the smallest province that holds it (fewest units of no report)
    assert not [c for c, n in national.items() if size <= n < group.province_units]
    real = {u.key for u in Registry(bundled_table()).communes_in(PERIOD, province_code=group.province_code)}
    assert {u.key for u in group.units} <= real


def test_a_group_larger_than_any_province_borrows_real_units(national):
    largest = max(national.values())
    group = synthetic_group(largest + 32, PERIOD)
    assert group.size == largest + 32 and len(group.borrowed) == 32
    assert group.province_units == largest == national[group.province_code]
    assert len({u.code for u in group.units}) == group.size  # no unit twice
    assert {u.province_code for u in group.units} == {group.province_code}
    assert all(u.province_code != group.province_code for u in group.borrowed)  # from other provinces
    keys = {u.key for u in Registry(bundled_table()).communes_in(PERIOD)}
    assert {u.key for u in group.units} <= keys  # real codes, each the unit valid in the period
    assert f"cchc registry import --province {group.province_code}" in group.describe()


def test_bad_sizes_and_provinces_are_refused(national):
    with pytest.raises(ValueError, match="at least 1"):
        synthetic_group(0, PERIOD)
    with pytest.raises(ValueError, match="the registry has"):
        synthetic_group(sum(national.values()) + 1, PERIOD)
    with pytest.raises(ValueError, match="province '99'"):
        synthetic_group(3, PERIOD, province="99")


def test_written_group_is_one_comparison_group_with_values(tmp_path):
    """A group of Lai Châu's 38 units and 2 borrowed ones, written and ingested: the data directory's registry
    puts all 40 in province 12, every one is compared there, and each has its figures stored for the period and
    the quarter before (the national units begin on 1/7/2025: nothing for the quarter before that)."""
    group = synthetic_group(40, PERIOD, province="12")
    assert group.province_units == 38 and len(group.borrowed) == 2
    data = data_paths(tmp_path / "data")
    written = write_group(group, data, periods=["2025-Q2", "2026-Q2", PERIOD])
    assert sorted(p.relative_to(data.raw).as_posix() for p in written) == [
        f"{RAW_FOLDER}/12_2026-Q2.csv", f"{RAW_FOLDER}/12_2026-Q3.csv"]

    registry = load_registry(data)
    in_province = registry.communes_in(PERIOD, province_code="12")
    assert {u.key for u in in_province} == {u.key for u in group.units}
    assert {comparison_group(u, PERIOD) for u in in_province} == {"province:12"}
    assert load_registry(data_paths(tmp_path / "other")).resolve(group.borrowed[0].code, PERIOD).province_code != "12"

    result = ingest(None, data=data)
    assert result.files_rejected == 0 and result.errors == 0, result.issues
    values = Store(data).read("values")
    for period in ("2026-Q2", PERIOD):
        mine = values.loc[values["period"] == period]
        assert set(mine["commune_key"]) == {u.key for u in group.units}
        received = mine.loc[mine["indicator_code"] == "S.HS.NHAN_MOI"]
        assert len(received) == 40 and received["value"].notna().all() and (received["value"] > 0).all()
    assert mine["synthetic"].all()

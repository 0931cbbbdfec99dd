"""The commune report's declared inputs (pipeline/report/inputs.py): what the loader reads, what the hash covers."""

import dataclasses

import pandas as pd
import pytest

from pipeline.config import DataPaths
from pipeline.domain.communes import load_registry
from pipeline.domain.periods import Period
from pipeline.metrics.compute import group_distribution, key_ratios, rank_communes, run_metrics
from pipeline.report import content
from pipeline.report.inputs import COMMUNE_REPORT, trend_periods
from pipeline.store import Store
from tests.helpers import ingested, ingested_rows

PERIOD = Period.parse("2021-Q3")


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    data = ingested(tmp_path_factory.mktemp("inputs"), "metrics/two_communes.csv")
    run_metrics(data)
    store = Store(data)
    return data, {name: store.read(name) for name in COMMUNE_REPORT.tables}


def _units(*codes):
    registry = load_registry()
    return [registry.resolve(c, PERIOD) for c in codes]


def test_key_ratios_come_from_ratios_yaml_in_their_order():
    codes = [r.code for r in key_ratios()]
    assert codes[:2] == ["R.DVC.MUC_3_4", "R.HS.DUNG_HEN"] and len(codes) == 5


def test_the_loader_reads_exactly_the_declared_slices(stored):
    data, tables = stored
    (a,) = _units("18133")
    rd = content.load(commune="18133", period="2021-Q3", data=data)
    read = COMMUNE_REPORT.select(tables, a, PERIOD, load_registry())
    pd.testing.assert_frame_equal(rd.values.drop(columns="origin"), read["values"])
    assert rd.values["origin"].eq("reported").all() and rd.compiled is None
    assert "ingested_at" not in rd.values.columns
    assert set(rd.metrics["commune_key"]) == {a.key}  # no other commune's metrics: its group comes as a table
    assert set(rd.metrics["period"]) <= set(trend_periods(PERIOD)) and "2020-Q3" in set(rd.metrics["period"])
    pd.testing.assert_frame_equal(rd.ranks, read["ranks"])
    assert set(rd.ranks["commune_key"]) == {a.key} and set(rd.ranks["period"]) == {PERIOD.id}
    assert set(rd.ranks["metric"]) <= {r.code for r in key_ratios()} and rd.ranks["of"].between(1, 2).all()
    pd.testing.assert_frame_equal(rd.group, read["group_stats"])
    assert set(rd.group["group"]) == {"district:439"} and set(rd.group["period"]) == {PERIOD.id}


def _restated(tables, metrics):
    """``tables`` with ``metrics`` and the group tables the metrics stage computes from them."""
    ranks = rank_communes(metrics, load_registry())
    return tables | {"metrics": metrics, "ranks": ranks.drop(columns="district_code"),
                     "group_stats": group_distribution(ranks, load_registry())}


@pytest.mark.parametrize(("change", "a_changes"), [
    # both at 100 %, 1/2 each; B's 80 % leaves A's place (1/2) as it is: A's report shows no figure of B's
    (("18136", "R.HS.DUNG_HEN", 80.0), False),
    (("18133", "R.HS.DUNG_HEN", 80.0), True),  # A's own ratio: its value and its place (2/2)
    (("18136", "S.HS.NHAN_MOI", 1.0), False),  # a figure only B's report shows
    (("18133", "S.HS.NHAN_MOI", 1.0), True),  # A's own figure
])
def test_the_hash_covers_what_the_report_reads_and_nothing_else(stored, change, a_changes):
    _, tables = stored
    units = _units("18133", "18136")
    tables = _restated(tables, tables["metrics"])
    before = COMMUNE_REPORT.hashes(tables, units, PERIOD, load_registry())
    code, metric, value = change
    m = tables["metrics"]
    (unit,) = _units(code)  # by identity: code 18133 also names Xã Hương Sơn of 1/7/2025 (rows of its predecessors)
    row = (m["commune_key"] == unit.key) & (m["period"] == PERIOD.id) & (m["metric"] == metric)
    assert row.sum() == 1
    after = COMMUNE_REPORT.hashes(_restated(tables, m.assign(value=m["value"].mask(row, value))), units, PERIOD,
                                  load_registry())
    assert (after["18133"] != before["18133"]) is a_changes


def _province(root, size: int):
    """A data directory whose province 42 (Hà Tĩnh) has ``size`` communes with figures in 2025-Q4 (each its own
    online-service rate), ingested and with its metrics."""
    period = Period.parse("2025-Q4")
    units = load_registry().communes_in(period, province_code="42")[:size]
    assert len(units) == size
    rows = []
    for i, u in enumerate(units):
        rows += [(u.code, period.id, "3.1.3.c", 200), (u.code, period.id, "3.2.2", 100 + i),
                 (u.code, period.id, "1.1.1", 10), (u.code, period.id, "1.1.2", 5 + i % 6)]
    data = ingested_rows(root, rows)
    run_metrics(data)
    return data, units[0], period


def test_a_report_reads_the_same_number_of_group_rows_whatever_the_group_s_size(tmp_path, monkeypatch):
    """Rendering one commune reads its own rows and a fixed number of its group's, computed once per group by the
    metrics stage: the same with 5 communes in the province as with 60 (the report's cost does not grow with its
    comparison group), and none of another commune's own rows."""
    read = []
    select = COMMUNE_REPORT.select
    monkeypatch.setattr(type(COMMUNE_REPORT), "select",
                        lambda self, *a, **k: read.append(out := select(*a, **k)) or out)
    seen = {}
    for size in (5, 60):
        data, unit, period = _province(tmp_path / str(size), size)
        read.clear()
        rd = content.load(commune=unit, period=period, data=data)
        assert content.ranks_parts(rd) is not None  # the rank table and the group's chart are drawn from them
        (slices,) = read
        for name, rows in slices.items():
            owner = "group" if name == "group_stats" else "commune_key"
            assert set(rows[owner]) <= {unit.key, "province:42"}, name
        seen[size] = {name: len(rows) for name, rows in slices.items()}
        assert rd.ranks.loc[rd.ranks["metric"] == "R.DVC.MUC_3_4", "of"].tolist() == [size]
    assert seen[5] == seen[60]


def test_the_group_s_distribution_is_in_every_member_s_hash(stored):
    """Another commune's figure on the ranking chart's ratio changes the group's distribution (the chart every
    member's report draws): every member's hash changes."""
    _, tables = stored
    units = _units("18133", "18136")
    b = units[1]
    m = tables["metrics"]
    rows = m.loc[(m["commune_key"] == b.key) & (m["period"] == PERIOD.id)].head(1)
    added = pd.concat([m, rows.assign(metric="R.DVC.MUC_3_4", value=20.0, label="x")], ignore_index=True)
    before = COMMUNE_REPORT.hashes(_restated(tables, m), units, PERIOD, load_registry())
    after = COMMUNE_REPORT.hashes(_restated(tables, added), units, PERIOD, load_registry())
    assert after["18133"] != before["18133"] and after["18136"] != before["18136"]


def test_the_hash_covers_the_declared_files(stored, tmp_path):
    _, tables = stored
    units = _units("18133")
    phrases = tmp_path / "phrases.yaml"
    phrases.write_text("a: b\n", encoding="utf-8")
    more = dataclasses.replace(COMMUNE_REPORT, files=(*COMMUNE_REPORT.files, phrases))
    before = more.hashes(tables, units, PERIOD, load_registry())
    assert before != COMMUNE_REPORT.hashes(tables, units, PERIOD, load_registry())
    phrases.write_text("a: c\n", encoding="utf-8")
    assert more.hashes(tables, units, PERIOD, load_registry()) != before


def test_a_quarter_s_value_changes_the_hash_of_the_9_month_report_compiled_from_it(tmp_path):
    from pipeline.metrics.compute import compute_metrics
    from tests.helpers import write_long_csv

    quarters = {f"2021-Q{n}": {"1.1.1": n, "3.1.3.c": 170 + n} for n in (1, 2, 3)}
    from pipeline.ingest import ingest

    write_long_csv(tmp_path / "raw" / "q.csv", "18133", quarters)
    data = DataPaths(tmp_path)
    assert ingest(None, data=data).ok
    store, registry, nine = Store(data), load_registry(), Period.parse("2021-9M")
    tables = {name: store.read(name) for name in COMMUNE_REPORT.tables}
    units = [registry.resolve("18133", nine)]

    def hashes(values):
        metrics = compute_metrics(values, registry)
        return COMMUNE_REPORT.hashes(tables | {"values": values, "metrics": metrics}, units, nine, registry)

    before = hashes(tables["values"])
    v = tables["values"]
    q2 = (v["period"] == "2021-Q2") & (v["indicator_code"] == "1.1.1")
    assert q2.sum() == 1
    assert hashes(v.assign(value=v["value"].mask(q2, 5.0)))["18133"] != before["18133"]
    # a quarter whose report is withdrawn changes it too (the compiled-note names the quarters there are)
    assert hashes(v.loc[v["period"] != "2021-Q1"])["18133"] != before["18133"]
    read = COMMUNE_REPORT.select(tables, units[0], nine, registry)
    assert set(read["quarters"]["period"]) == {"2021-Q1", "2021-Q2", "2021-Q3"}


def test_a_predecessors_figure_is_in_its_successors_hash(tmp_path):
    """Xã Hương Sơn's 2025-Q3 report compares with 2024-Q3, the sum of its five predecessors: one of their figures
    changing changes its hash (the combined figure is in its metrics slice), and not that of Xã Sơn Hồng."""
    from tests.helpers import ingested_rows, merger_rows

    period = Period.parse("2025-Q3")
    units = [load_registry().resolve(c, period) for c in ("18133", "18160")]
    hashes = []
    for n, received in enumerate((50, 51)):  # Sơn Ninh's 2024-Q3 received
        rows = [(c, p, i, received if (c, p, i) == ("18175", "2024-Q3", "S.HS.NHAN_MOI") else v)
                for c, p, i, v in merger_rows()]
        data = ingested_rows(tmp_path / str(n), rows)
        run_metrics(data)
        store = Store(data)
        hashes.append(COMMUNE_REPORT.hashes({name: store.read(name) for name in COMMUNE_REPORT.tables}, units,
                                            period, load_registry()))
    assert hashes[0]["18133"] != hashes[1]["18133"]
    assert hashes[0]["18160"] == hashes[1]["18160"]


def test_the_hash_follows_the_earlier_document_a_report_carries_forward(stored):
    """A report without a document of its own carries the signer and Nơi nhận of the unit's latest earlier one: a
    change to that document changes its hash; a change to an older one, or to another unit's, does not."""
    _, tables = stored
    a, b = _units("18133", "18136")
    q4 = Period.parse("2021-Q4")
    docs = pd.DataFrame({
        "commune_code": ["18133", "18133", "18136"], "commune_key": [a.key, a.key, b.key],
        "period": ["2021-Q2", "2021-Q3", "2021-Q3"],
        "doc_date": pd.to_datetime(["2021-06-14", "2021-09-14", "2021-09-14"]).date,
        "signer_name": ["Cũ", "Nguyễn Văn A", "Trần Văn B"], "recipients": ["x", "y", "z"],
    })
    base = tables | {"documents": docs}

    def hash_of_a(frame):
        return COMMUNE_REPORT.hashes(base | {"documents": frame}, [a], q4, load_registry())["18133"]

    before = hash_of_a(docs)
    assert hash_of_a(docs.assign(signer_name=["Cũ", "Lê Thị C", "Trần Văn B"])) != before  # the latest earlier
    assert hash_of_a(docs.assign(recipients=["x", "y2", "z"])) != before
    assert hash_of_a(docs.assign(signer_name=["Khác", "Nguyễn Văn A", "Trần Văn B"])) == before  # an older one
    assert hash_of_a(docs.assign(signer_name=["Cũ", "Nguyễn Văn A", "Khác"])) == before  # another unit's

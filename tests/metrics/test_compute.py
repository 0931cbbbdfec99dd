"""Metrics on a hand-computed fixture (tests/fixtures/metrics/two_communes.csv) and on the seed.

Fixture: 18133 has 2020-Q3, 2021-Q1..Q4 and a reported 2021-6M (275 received; the quarters give
270); its 2021-Q1 has 0 dossiers resolved (a zero denominator); its 2021-Q3 note says "Lũy kế 400"
received while Q1+Q2+Q3 = 120+150+110 = 380.  18136 misses 2021-Q2.
"""

import math
import shutil

import pandas as pd
import pytest

from pipeline.domain.communes import load_registry
from pipeline.ingest import ingest
from pipeline.metrics.compute import POINTS, rank_communes, rollup, run_metrics
from pipeline.store import Store
from tests.helpers import ingested


@pytest.fixture(scope="module")
def fixture_run(tmp_path_factory):
    return run_metrics(ingested(tmp_path_factory.mktemp("metrics"), "metrics/two_communes.csv"))


def one(frame, commune, period, metric):
    rows = frame.loc[(frame["commune_code"] == commune) & (frame["period"] == period) & (frame["metric"] == metric)]
    assert len(rows) == 1, (commune, period, metric, len(rows))
    return rows.iloc[0]


def absent(frame, commune, period, metric):
    return frame.loc[(frame["commune_code"] == commune) & (frame["period"] == period)
                     & (frame["metric"] == metric)].empty


def test_ratio_keeps_numerator_and_denominator(fixture_run):
    r = one(fixture_run["metrics"], "18133", "2021-Q2", "R.HS.DUNG_HEN")
    assert (r["value"], r["numerator"], r["denominator"], r["unit"]) == (95.0, 133, 140, "%")


def test_zero_denominator_is_missing_with_a_reason(fixture_run):
    r = one(fixture_run["metrics"], "18133", "2021-Q1", "R.HS.DUNG_HEN")
    assert math.isnan(r["value"]) and "mẫu số bằng 0" in r["reason"]


def test_change_of_a_percentage_is_in_points(fixture_run):
    r = one(fixture_run["metrics"], "18133", "2021-Q3", "R.HS.DUNG_HEN")
    assert r["previous_value"] == 95.0 and r["change"] == pytest.approx(5.0)
    assert r["change_unit"] == POINTS and math.isnan(r["change_pct"])


def test_count_trends_absolute_relative_and_year_on_year(fixture_run):
    r = one(fixture_run["metrics"], "18133", "2021-Q3", "S.HS.NHAN_MOI")
    assert (r["previous_period"], r["previous_value"], r["change"]) == ("2021-Q2", 150, -40)
    assert r["change_pct"] == pytest.approx(-100 * 40 / 150)
    assert (r["yoy_period"], r["yoy_value"], r["yoy_change"], r["yoy_change_pct"]) == ("2020-Q3", 100, 10, 10)


def test_missing_quarter_stays_missing(fixture_run):
    m = fixture_run["metrics"]
    r = one(m, "18136", "2021-Q3", "S.HS.NHAN_MOI")
    assert r["previous_period"] == "2021-Q2" and math.isnan(r["previous_value"]) and math.isnan(r["change"])
    assert math.isnan(r["cumulative_value"])  # Q2 missing: no year-to-date sum
    assert absent(m, "18136", "2021-6M", "S.HS.NHAN_MOI") and absent(m, "18136", "2021-Y", "S.HS.NHAN_MOI")
    assert absent(m, "18136", "2021-Q2", "S.HS.NHAN_MOI")


def test_cumulative_and_its_mismatch(fixture_run):
    r = one(fixture_run["metrics"], "18133", "2021-Q3", "S.HS.NHAN_MOI")
    assert (r["cumulative_value"], r["reported_cumulative"]) == (380, 400)
    f = fixture_run["findings"]
    hit = f.loc[(f["finding"] == "cumulative_mismatch") & (f["commune_code"] == "18133")]
    assert hit[["period", "metric", "value", "expected"]].values.tolist() == [["2021-Q3", "S.HS.NHAN_MOI", 400, "380"]]
    assert "không khớp" in hit["message"].iloc[0]


def test_aggregated_periods_by_rule(fixture_run):
    m = fixture_run["metrics"]
    year = one(m, "18133", "2021-Y", "S.HS.NHAN_MOI")
    assert (year["value"], year["origin"]) == (510, "computed")  # flows add up
    assert one(m, "18133", "2021-Y", "4.2.2")["value"] == 20  # stocks take the last quarter
    ratio = one(m, "18133", "2021-Y", "R.HS.DUNG_HEN")  # ratios recomputed, never averaged
    assert (ratio["numerator"], ratio["denominator"]) == (347, 360)
    assert ratio["value"] == pytest.approx(100 * 347 / 360)
    assert one(m, "18133", "2021-9M", "S.HS.NHAN_MOI")["value"] == 380


def test_reported_aggregate_wins_and_a_mismatch_is_a_finding(fixture_run):
    r = one(fixture_run["metrics"], "18133", "2021-6M", "S.HS.NHAN_MOI")
    assert (r["value"], r["origin"]) == (275, "reported")
    f = fixture_run["findings"]
    hit = f.loc[f["finding"] == "aggregate_mismatch"]
    assert hit[["commune_code", "period", "metric", "value", "expected"]].values.tolist() == [
        ["18133", "2021-6M", "S.HS.NHAN_MOI", 275, "270"]]


def test_shipped_roadmap_targets_are_no_quarter_chi_tieu(fixture_run):
    """Nghị quyết 76's "by 2025" target is judged in the 2025 annual report only, not in 2021-Q3."""
    r = one(fixture_run["metrics"], "18133", "2021-Q3", "R.DVC.MUC_3_4")
    assert r["value"] == 50 and math.isnan(r["target"]) and pd.isna(r["target_met"])
    assert not (fixture_run["findings"]["finding"] == "target_missed").any()


TARGETS = """targets:
  - {metric: R.DVC.MUC_3_4, op: ">=", value: 80, kind: chi_tieu, valid_from: 2021-01-01, valid_to: 2021-12-31,
     periods: [Q1, Q2, Q3, Q4], scope: national, source: "Kế hoạch CCHC năm 2021 (thử)",
     text: "tỷ lệ TTHC trực tuyến mức độ 3, 4 đạt 80%"}
  - {metric: R.DVC.MUC_3_4, op: ">=", value: 95, kind: lo_trinh, valid_from: 2020-01-01, valid_to: 2020-12-31,
     periods: [Y], scope: national, source: "lộ trình (thử)"}
  - {metric: R.NV.DUNG_HAN, op: ">=", value: 100, kind: kiem_tra, valid_from: 2019-12-15, scope: national,
     source: "quy tắc của dự án"}
"""


@pytest.fixture
def own_targets(tmp_path, monkeypatch):
    from pipeline.metrics import compute

    path = tmp_path / "targets.yaml"
    path.write_text(TARGETS, encoding="utf-8")
    monkeypatch.setattr(compute, "TARGETS_FILE", path)
    compute.load_targets.cache_clear()
    yield run_metrics(ingested(tmp_path / "data", "metrics/two_communes.csv"))
    compute.load_targets.cache_clear()


def test_a_target_applies_within_its_validity_only(own_targets):
    m, f = own_targets["metrics"], own_targets["findings"]
    inside = one(m, "18133", "2021-Q3", "R.DVC.MUC_3_4")
    assert (inside["target"], inside["target_met"], inside["target_kind"]) == (80, False, "chi_tieu")
    assert inside["target_gap"] == -30 and "Kế hoạch CCHC năm 2021" in inside["target_source"]
    outside = one(m, "18133", "2020-Q3", "R.DVC.MUC_3_4")  # 2020: only a roadmap target for the year report
    assert math.isnan(outside["target"]) and pd.isna(outside["target_met"])
    missed = f.loc[f["finding"] == "target_missed"]
    assert set(zip(missed["commune_code"], missed["period"])) >= {("18133", "2021-Q3")}
    assert not (missed["period"] == "2020-Q3").any()
    row = missed.loc[(missed["commune_code"] == "18133") & (missed["period"] == "2021-Q3")].iloc[0]
    assert row["audience"] == "report"
    # a chỉ tiêu whose text is configured is quoted as it is written there
    assert row["message"].endswith("chưa đạt chỉ tiêu 80% theo tỷ lệ TTHC trực tuyến mức độ 3, 4 đạt 80%.")
    # a check of the project's own is never a missed chỉ tiêu
    assert not (missed["metric"] == "R.NV.DUNG_HAN").any()


def test_a_target_without_its_validity_is_refused(tmp_path, monkeypatch):
    from pipeline.errors import CatalogueError
    from pipeline.metrics import compute

    path = tmp_path / "targets.yaml"
    path.write_text("targets:\n  - {metric: R.DVC.MUC_3_4, op: '>=', value: 80, kind: chi_tieu, source: x}\n",
                    encoding="utf-8")
    monkeypatch.setattr(compute, "TARGETS_FILE", path)
    compute.load_targets.cache_clear()
    try:
        with pytest.raises(CatalogueError, match="valid_from"):
            compute.load_targets()
    finally:
        compute.load_targets.cache_clear()


def test_findings_for_staff_and_tasks(fixture_run):
    f = fixture_run["findings"]
    staff = f.loc[f["finding"] == "staff_above_quota"]
    assert set(zip(staff["commune_code"], staff["period"])) >= {("18133", "2021-Q2")}
    assert not ((staff["period"] == "2021-Q1") & (staff["commune_code"] == "18133")).any()  # 20 = 20 is fine
    tasks = f.loc[(f["finding"] == "tasks_late") & (f["period"] == "2021-Q3")]
    assert "còn chậm, mới hoàn thành đúng hạn 1/" in tasks["message"].iloc[0]
    assert set(staff["audience"]) == {"checklist"} and set(tasks["audience"]) == {"report"}


def test_district_rollup_recomputes_ratios(fixture_run):
    roll = rollup(fixture_run["metrics"], load_registry())
    q1 = roll.loc[(roll["period"] == "2021-Q1") & (roll["metric"] == "R.HS.DUNG_HEN")].iloc[0]
    assert (q1["numerator"], q1["denominator"]) == (55, 60) and q1["value"] == pytest.approx(100 * 55 / 60)
    q3 = roll.loc[(roll["period"] == "2021-Q3") & (roll["metric"] == "S.HS.NHAN_MOI")].iloc[0]
    assert (q3["value"], q3["minimum"], q3["median"], q3["maximum"], q3["communes"]) == (180, 70, 90, 110, 2)


def test_ranking(fixture_run):
    ranks = rank_communes(fixture_run["metrics"], load_registry(), period="2021-Q2", metrics_to_rank=["R.HS.DUNG_HEN"])
    assert ranks[["commune_code", "rank", "of"]].values.tolist() == [["18133", 1, 1]]
    ranks = rank_communes(fixture_run["metrics"], load_registry(), period="2021-Q4", metrics_to_rank=["R.HS.DUNG_HEN"])
    assert dict(zip(ranks["commune_code"], ranks["rank"])) == {"18136": 1, "18133": 2}  # 100 % vs 95 %


def test_scores_follow_the_rule(fixture_run):
    s = fixture_run["scores"].set_index(["commune_code", "period"])
    r = s.loc[("18133", "2021-Q3")]
    # R.NV.DUNG_HAN 1/6 × 1.5 + R.HS.DUNG_HEN 100 % × 2.5 + R.DVC.MUC_3_4 50 % × 2.0; the rest missing (0)
    assert r["score"] == pytest.approx(1.5 / 6 + 2.5 + 1.0)
    assert r["max_score"] == 10 and r["score_pct"] == pytest.approx(10 * r["score"])
    assert "R.KH.HOAN_THANH" in r["missing"]


def test_son_phu_2021_q3(seed_data):
    ingest(None, data=seed_data)
    out = run_metrics(seed_data)
    r = one(out["metrics"], "18217", "2021-Q3", "R.HS.DUNG_HEN")
    assert (r["value"], r["numerator"], r["denominator"]) == (100, 490, 490)
    f = out["findings"].loc[out["findings"]["period"] == "2021-Q3"]
    kinds = set(f["finding"])
    assert {"staff_above_quota", "tasks_late"} <= kinds
    assert "postal_not_used" not in kinds  # 7.1.9 is blank in the seed: blank is not "not done"
    assert f.loc[f["finding"] == "staff_above_quota", "message"].iloc[0] == \
        "Số biên chế có mặt (19 người) vượt biên chế được giao (18 người)."
    assert f.loc[f["finding"] == "tasks_late", "message"].iloc[0] == (
        "Việc thực hiện các nhiệm vụ được UBND tỉnh, Chủ tịch UBND huyện giao còn chậm, "
        "mới hoàn thành đúng hạn 1/6 nhiệm vụ.")
    stored = Store(seed_data).read("metrics")
    assert len(stored) == len(out["metrics"])


def test_rollup_never_turns_missing_into_zero(fixture_run):
    roll = rollup(fixture_run["metrics"], load_registry())
    pay = roll.loc[(roll["period"] == "2021-Q3") & (roll["metric"] == "R.TTHC.THANH_TOAN")]
    # 3.1.3.c (the denominator) is reported, 3.2.3 (the numerator) by nobody: missing, not 0 %
    assert pay.empty or pay["value"].isna().all()
    q1 = roll.loc[(roll["period"] == "2021-Q1") & (roll["metric"] == "R.HS.DUNG_HEN")].iloc[0]
    assert (q1["numerator"], q1["denominator"]) == (55, 60)  # 18133's zero-resolved quarter adds nothing


@pytest.fixture(scope="module")
def portal_run(tmp_path_factory):
    """18202 gives early and on-time apart (a provincial portal's figures); 18217 gives a total that
    disagrees with its parts (490 ≠ 300 + 180); 18196 gives early only."""
    return run_metrics(ingested(tmp_path_factory.mktemp("portal"), "metrics/portal_parts_only.csv"))


def test_on_time_total_derived_from_its_parts(portal_run):
    m = portal_run["metrics"]
    total = one(m, "18202", "2025-Q1", "S.HS.DUNG_HEN")
    assert total["value"] == 124907 + 102770 and total["origin"] == "derived"
    ratio = one(m, "18202", "2025-Q1", "R.HS.DUNG_HEN")
    assert (ratio["numerator"], ratio["denominator"]) == (227677, 257141)
    assert round(ratio["value"], 2) == 88.54


def test_a_reported_total_is_kept_and_a_mismatch_is_a_finding(portal_run):
    m, findings = portal_run["metrics"], portal_run["findings"]
    total = one(m, "18217", "2025-Q1", "S.HS.DUNG_HEN")
    assert total["value"] == 490 and total["origin"] == "reported"
    hit = findings.loc[(findings["finding"] == "parts_mismatch") & (findings["commune_code"] == "18217")]
    assert len(hit) == 1 and hit.iloc[0]["metric"] == "S.HS.DUNG_HEN" and hit.iloc[0]["value"] == 490
    assert "480" in hit.iloc[0]["expected"]
    assert findings.loc[findings["finding"] == "parts_mismatch", "commune_code"].tolist() == ["18217"]


def test_a_missing_part_leaves_the_total_missing(portal_run):
    m = portal_run["metrics"]
    assert absent(m, "18196", "2025-Q1", "S.HS.DUNG_HEN")
    assert one(m, "18196", "2025-Q1", "R.HS.DUNG_HEN")["reason"].startswith("thiếu tử số")


def test_editing_a_finding_sentence_recomputes_the_findings(tmp_path):
    """Stale findings (issue 12): the metrics stage's fingerprint covers its code and its phrase files, so a
    finding's sentence edited in ``metrics/findings.yaml`` is printed by the next run (it was kept until the
    data changed or --force).

    The edit is made in a copy of the package, run in a child process on the same data directory.
    """
    import os
    import subprocess
    import sys

    from pipeline.config import PACKAGE_DIR
    from pipeline.metrics.compute import ensure_metrics, inputs_fingerprint

    data = ingested(tmp_path / "data", "metrics/two_communes.csv")
    old = "mới hoàn thành đúng hạn "
    assert old in ensure_metrics(data)["findings"].query("finding == 'tasks_late'")["message"].iloc[0]
    stamp = inputs_fingerprint(data)

    code = tmp_path / "code"
    shutil.copytree(PACKAGE_DIR, code / "pipeline", ignore=shutil.ignore_patterns("__pycache__", "fonts"))
    phrases = code / "pipeline" / "metrics" / "findings.yaml"
    phrases.write_text(phrases.read_text(encoding="utf-8").replace(old, "mới xong đúng hạn "), encoding="utf-8")
    child = ("import sys, pipeline\nfrom pathlib import Path\nfrom pipeline.config import DataPaths\n"
             "from pipeline.metrics.compute import ensure_metrics, inputs_fingerprint\n"
             "data = DataPaths(Path(sys.argv[1]))\nout = ensure_metrics(data)\n"
             "print(pipeline.__file__)\nprint(inputs_fingerprint(data))\n"
             "print(out['findings'].query(\"finding == 'tasks_late'\")['message'].iloc[0])\n")
    run = subprocess.run([sys.executable, "-c", child, str(data.root)], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONPATH": str(code)}, cwd=tmp_path, check=True)
    module, new_stamp, message = run.stdout.strip().splitlines()[-3:]
    assert module.startswith(str(code))  # the edited copy ran
    assert new_stamp != stamp
    assert "mới xong đúng hạn " in message


def test_postal_service_blank_is_no_shortcoming_and_zero_is_one(tmp_path):
    """7.1.9 left blank says nothing (no finding); reported as 0 % it is a shortcoming for the report."""
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "postal.csv").write_text(
        "commune_code,period,indicator_code,value,note\n"
        "18133,2021-Q3,S.HS.NHAN_MOI,10,\n"        # 18133 reports no 7.1.9 row at all
        "18136,2021-Q3,S.HS.NHAN_MOI,10,\n"
        "18136,2021-Q3,7.1.9.2,0,\n"               # 18136 reports 0 %
        "18139,2021-Q3,7.1.9.2,0,\n"
        "18139,2021-Q3,7.1.9.3,5,\n",              # 18139 uses it a little
        encoding="utf-8")
    from pipeline.config import DataPaths

    data = DataPaths(tmp_path)
    assert ingest(None, data=data).ok
    f = run_metrics(data)["findings"]
    postal = f.loc[f["finding"] == "postal_not_used"]
    assert postal[["commune_code", "period", "audience"]].values.tolist() == [["18136", "2021-Q3", "report"]]

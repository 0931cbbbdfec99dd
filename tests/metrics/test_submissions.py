"""Submission tracking (pipeline/metrics/submissions.py): who sent what when, judged against the deadline."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from pipeline.domain.communes import Commune
from pipeline.errors import UsageError
from pipeline.metrics.submissions import area_units, counts, submission_status
from pipeline.store import empty

DUE = date(2021, 9, 20)  # 2021-Q3 ends on 14/9: due 6 days later


def _unit(code: str, name: str, district: str = "439") -> Commune:
    return Commune(code=code, name=name, type="xã", district_code=district, district_name="Hương Sơn",
                   province_code="42", province_name="Hà Tĩnh", valid_from=date(2019, 12, 15), valid_to=None)


A, B, C, D, E = (_unit("90001", "An"), _unit("90002", "Bình"), _unit("90003", "Cường"), _unit("90004", "Dũng"),
                 _unit("90005", "Đông"))
F = _unit("90006", "Phúc")
ELSEWHERE = _unit("90009", "Khác", district="440")


def _sub(unit: Commune, sid: str, file: str, ingested: str, status: str = "current", period: str = "2021-Q3",
         superseded_by: str | None = None) -> dict:
    at = pd.Timestamp(ingested, tz="UTC")
    return {"submission_id": sid, "commune_code": unit.code, "commune_key": unit.key, "period": period,
            "source_file": file, "file_sha256": sid * 4, "submitted_at": at, "ingested_at": at, "status": status,
            "superseded_by": superseded_by, "n_values": 3, "synthetic": False, "reason": None, "changed_at": at}


def _frames():
    subs = pd.DataFrame([
        _sub(A, "a1", "raw/an_2021-Q3.txt", "2021-09-25 03:00"),  # ingested late, but its report is dated 18/9
        _sub(B, "b1", "raw/2021-Q3/binh.txt", "2021-09-22 01:00"),  # report dated 21/9: one day late
        _sub(C, "c1", "raw/cuong.csv", "2021-09-20 18:30"),  # no document date: 21/9 01:30 in Vietnam: late
        _sub(D, "d1", "raw/dung_v1.csv", "2021-09-19 02:00", status="superseded", superseded_by="d2"),
        _sub(D, "d2", "raw/dung_v2.csv", "2021-09-30 02:00"),  # a resubmission after the deadline
        _sub(E, "e0", "raw/dong.csv", "2021-09-10 02:00", status="withdrawn"),  # taken out of raw/: not sent
        _sub(F, "f1", "raw/phuc.csv", "2021-09-25 02:00", status="superseded", superseded_by="f2"),  # late, undated
        _sub(F, "f2", "raw/phuc.txt", "2021-09-26 02:00"),  # then the report itself, dated 15/9
        _sub(ELSEWHERE, "x1", "raw/khac.csv", "2021-09-10 02:00"),  # another district
        _sub(A, "a0", "raw/an_2021-Q2.txt", "2021-06-01 02:00", period="2021-Q2"),  # another period
    ])
    docs = pd.DataFrame({"submission_id": ["a1", "b1", "x1", "f2"],
                         "doc_date": [date(2021, 9, 18), date(2021, 9, 21), date(2021, 9, 1), date(2021, 9, 15)]})
    return subs, docs


def test_each_unit_of_the_area_is_on_time_late_missing_or_resubmitted_with_where_its_date_comes_from():
    subs, docs = _frames()
    frame = submission_status(subs, docs, [A, B, C, D, E, F], "2021-Q3", DUE).set_index("commune_code")
    assert list(frame.index) == ["90001", "90002", "90003", "90004", "90005", "90006"]  # ELSEWHERE not listed
    a, b, c, d, e = (frame.loc[u.code] for u in (A, B, C, D, E))
    # on time by the date on the report, although ingested after the deadline
    assert (a["status"], a["judged_on"], a["date_source"], a["days_late"]) == (
        "đúng hạn", date(2021, 9, 18), "ngày trên văn bản", 0)
    assert a["files"] == "an_2021-Q3.txt" and a["doc_date"] == date(2021, 9, 18) and a["resubmitted"] == ""
    # late by the date on the report
    assert (b["status"], b["judged_on"], b["days_late"], b["date_source"]) == (
        "nộp muộn", date(2021, 9, 21), 1, "ngày trên văn bản")
    assert b["files"] == "binh.txt"
    # late by the ingest time, said so: 20/9 18:30 UTC is 21/9 01:30 in Vietnam
    assert (c["status"], c["judged_on"], c["days_late"], c["date_source"]) == (
        "nộp muộn", date(2021, 9, 21), 1, "thời điểm nhập")
    assert pd.isna(c["doc_date"])
    assert c["first_ingested"] == pd.Timestamp("2021-09-21 01:30", tz="Asia/Ho_Chi_Minh")
    # resubmitted: the later file current, the earlier listed; judged on the first sent (on time)
    assert (d["status"], d["resubmitted"], d["files"], d["superseded_files"]) == (
        "đúng hạn", "đã nộp lại", "dung_v2.csv", "dung_v1.csv")
    assert d["first_ingested"] == pd.Timestamp("2021-09-19 09:00", tz="Asia/Ho_Chi_Minh")
    assert d["latest_ingested"] == pd.Timestamp("2021-09-30 09:00", tz="Asia/Ho_Chi_Minh")
    # a withdrawn file is no report: missing, every other column blank (blank is not zero)
    assert e["status"] == "chưa gửi báo cáo" and e["files"] == "" and pd.isna(e["days_late"])
    assert pd.isna(e["first_ingested"]) and e["deadline"] == DUE
    # the earliest date of its reports is judged: the report dated 15/9, though the undated CSV came first
    f = frame.loc[F.code]
    assert (f["status"], f["judged_on"], f["date_source"], f["resubmitted"]) == (
        "đúng hạn", date(2021, 9, 15), "ngày trên văn bản", "đã nộp lại")
    assert (f["files"], f["superseded_files"], f["doc_date"]) == ("phuc.txt", "phuc.csv", date(2021, 9, 15))
    assert counts(frame.reset_index()) == {"units": 6, "sent": 5, "on_time": 3, "late": 2, "missing": 1, "sample": 0,
                                           "resubmitted": 2}


def test_a_unit_with_nothing_stored_is_missing_and_an_empty_store_gives_every_unit():
    frame = submission_status(empty("submissions"), empty("documents"), [A, B], "2021-Q3", DUE)
    assert frame["status"].tolist() == ["chưa gửi báo cáo"] * 2 and frame["name"].tolist() == ["Xã An", "Xã Bình"]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"area": "4390"}, "expected a district code"),
    ({"area": "999"}, "unknown district code '999'"),
    ({"district": "439", "period": "2026-Q3"}, "from 1/7/2025 the area is the province"),
    ({}, "give the area"),
])
def test_a_wrong_area_is_a_usage_error_saying_why(kwargs, message):
    from pipeline.domain.communes import load_registry

    period = kwargs.pop("period", "2021-Q3")
    with pytest.raises(UsageError, match=message):
        area_units(load_registry(), period, **kwargs)


def test_an_area_code_of_three_digits_is_a_district_and_of_two_a_province():
    from pipeline.domain.communes import load_registry

    registry = load_registry()
    level, code, units = area_units(registry, "2021-Q3", area="439")
    assert (level, code, len(units)) == ("district", "439", 25) and {u.district_code for u in units} == {"439"}
    level, code, units = area_units(registry, "2026-Q3", area="42")
    assert (level, code) == ("province", "42") and {u.province_code for u in units} == {"42"}
    assert all(u.valid_on(date(2026, 9, 14)) for u in units)



def test_sample_data_known_only_by_its_ingest_day_is_not_judged():
    """The bundled sample is ingested years after its periods: its ingest day is not a day a commune sent it, so
    it is neither on time nor late (the sample's report dated by its document is still judged)."""
    sample = dict(_sub(A, "s1", "raw/sample.csv", "2026-11-30 02:00"), synthetic=True)
    real_late = _sub(B, "b1", "raw/binh.csv", "2026-11-30 02:00")
    frame = submission_status(pd.DataFrame([sample, real_late]), empty("documents"), [A, B], "2021-Q3", DUE)
    rows = frame.set_index("commune_code")
    assert rows.at["90001", "status"] == "số liệu mẫu (không xét hạn)" and pd.isna(rows.at["90001", "days_late"])
    assert rows.at["90002", "status"] == "nộp muộn" and rows.at["90002", "days_late"] > 1800
    assert counts(frame)["sample"] == 1 and counts(frame)["late"] == 1 and counts(frame)["sent"] == 2

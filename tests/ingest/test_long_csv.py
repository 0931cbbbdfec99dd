"""The long CSV reader: a commune code is read as the unit it denotes in the row's period."""

from pipeline.config import DataPaths
from pipeline.ingest import ingest
from pipeline.store import Store


def test_a_predecessor_s_partial_report_of_the_transition_quarter(tmp_path):
    """Issue 14: 2025-Q3 (15/6–14/9/2025) belongs to the communes valid on 14/9/2025.  A row of Sơn Ninh (18175,
    merged into Xã Hương Sơn on 1/7/2025) for 2025-Q3 is refused, naming the successor to report under; a row under
    18160 for 2025-Q3 is the new Xã Sơn Hồng's (the code it kept), stored under that unit, not Sơn Lĩnh's; the same
    code in 2025-Q2 is still Sơn Lĩnh's."""
    data = DataPaths(tmp_path)
    data.raw.mkdir()
    (data.raw / "partial.csv").write_text(
        "commune_code,period,indicator_code,value\n"
        "18175,2025-Q3,S.HS.NHAN_MOI,120\n"
        "18160,2025-Q3,S.HS.NHAN_MOI,300\n"
        "18160,2025-Q2,S.HS.NHAN_MOI,250\n", encoding="utf-8")
    result = ingest(None, data=data)
    assert result.errors == 1
    issue = result.issues.loc[result.issues["severity"] == "error"].iloc[0]
    assert (issue["file"], issue["row"], issue["value"]) == ("partial.csv", 2, "18175")
    assert "not valid in 2025-Q3" in issue["message"]
    assert "became part of Xã Hương Sơn (code 18133) from 01/07/2025" in issue["message"]
    assert "under code 18133" in issue["message"]
    values = Store(data).read("values").sort_values("period")
    assert values[["commune_key", "period", "value"]].values.tolist() == [
        ["18160@2019-12-15", "2025-Q2", 250], ["18160@2025-07-01", "2025-Q3", 300]]

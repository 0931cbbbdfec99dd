"""The analyst's checklist (pipeline/report/checklist.py): each section on a small synthetic district, the
escaping of raw text, the ingest's issues tied to the right commune, and the hash that re-renders it."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from pipeline.config import DataPaths
from pipeline.domain.communes import load_registry
from pipeline.domain.periods import Period
from pipeline.ingest import ingest
from pipeline.metrics.compute import run_metrics
from pipeline.report import checklist
from pipeline.report.agreement import Disagreement
from pipeline.report.inputs import CHECKLIST, COMMUNE_REPORT, RENDERED, job_hashes
from pipeline.store import Store

PERIOD = Period.parse("2021-Q3")
HOSTILE = "<script>alert(1)</script>"

#: 18133: 2021-Q2 then 2021-Q3.  1.1.1 (a flow) is left blank in Q3: "chưa báo cáo"; 2.1 goes from 2 to 0: a
#: reported zero, not missing.  S.HS.NHAN_MOI (a flow) repeats 150: copied; 2.2 repeats 0: a zero is not
#: flagged; 4.2.1 and 3.1.3.c (stocks) repeat: normal.  A hostile text in a count cell inside 18133's Q3 block
#: is refused at ingest.  Q3 also has 1 of 6 assigned tasks on time (a finding the report prints) and 21 staff
#: present for a quota of 20 (a finding for the checklist only, and a cross-check warning at ingest).
#: 18136: Q3 repeats every Q2 value: the whole appendix is flagged.
DISTRICT = f"""commune_code,period,indicator_code,value,note
18133,2021-Q2,S.HS.NHAN_MOI,150,
18133,2021-Q2,S.HS.DA_GIAI_QUYET,140,
18133,2021-Q2,1.1.1,6,
18133,2021-Q2,2.1,2,
18133,2021-Q2,2.2,0,
18133,2021-Q2,4.2.1,20,
18133,2021-Q2,3.1.3.c,180,
18133,2021-Q3,S.HS.NHAN_MOI,150,
18133,2021-Q3,S.HS.DA_GIAI_QUYET,141,
18133,2021-Q3,1.1.1,,
18133,2021-Q3,1.1.2,{HOSTILE},
18133,2021-Q3,2.1,0,
18133,2021-Q3,2.2,0,
18133,2021-Q3,4.2.1,20,
18133,2021-Q3,3.1.3.c,180,
18133,2021-Q3,1.3.1,6,
18133,2021-Q3,1.3.2,1,
18133,2021-Q3,4.2.2,21,
18136,2021-Q2,S.HS.NHAN_MOI,70,
18136,2021-Q2,4.2.1,15,
18136,2021-Q2,2.1,0,
18136,2021-Q3,S.HS.NHAN_MOI,70,
18136,2021-Q3,4.2.1,15,
18136,2021-Q3,2.1,0,
"""
#: The 2021-Q2 figures are marked as sample data, those of 2021-Q3 are not.
DISTRICT = "\n".join(line + ("" if not line else ",synthetic" if line.startswith("commune_code")
                              else ",true" if ",2021-Q2," in line else ",false")
                      for line in DISTRICT.split("\n"))
HOSTILE_ROW = 12  # the CSV line of the hostile cell (the header is line 1, 18133 2021-Q3 starts at line 9)


@pytest.fixture(scope="module")
def district(tmp_path_factory) -> DataPaths:
    root = tmp_path_factory.mktemp("checklist")
    (root / "raw").mkdir()
    (root / "raw" / "district.csv").write_text(DISTRICT, encoding="utf-8")
    data = DataPaths(root)
    result = ingest(None, data=data)
    assert result.errors == 1  # the hostile cell, and nothing else
    run_metrics(data)
    return data


def _checklist(data, code, disagreements=()):
    from pipeline.report import content

    rd = content.load(commune=code, period=PERIOD, data=data)
    store = Store(data)
    extra = CHECKLIST.select({n: store.read(n) for n in CHECKLIST.tables}, rd.commune, PERIOD, load_registry())
    return checklist.build(rd, previous_values=extra["previous_values"], submissions=extra["submissions"],
                           issues=extra["issues"], disagreements=list(disagreements))


def _codes(rows):
    return [r["code"]["code"] for r in rows]


def test_missing_against_last_period_lists_a_blank_row_and_never_a_zero_row(district):
    cl = _checklist(district, "18133")
    assert _codes(cl.missing) == ["1.1.1"]  # 2.1 = 0 now is a figure, not a blank
    (row,) = cl.missing
    assert row["before"] == "6" and row["now"] == "chưa báo cáo"
    html = checklist.checklist_html(cl)
    section = html.split('id="missing"')[1].split('id="copied"')[0]
    assert "chưa báo cáo" in section and not re.search(r">\s*0\s*<", section)


def test_copied_unchanged_flags_a_repeated_flow_and_not_a_stock_or_a_zero(district):
    cl = _checklist(district, "18133")
    assert _codes(cl.copied) == ["S.HS.NHAN_MOI"]  # not 4.2.1, 3.1.3.c (stocks), nor 2.2 (0 both times)
    assert cl.copied[0]["value"] == "150" and not cl.identical
    assert cl.shared == 6  # NHAN_MOI, DA_GIAI_QUYET, 2.1, 2.2, 4.2.1, 3.1.3.c


def test_an_appendix_identical_to_the_last_period_is_flagged(district):
    cl = _checklist(district, "18136")
    assert cl.identical and cl.shared == 3 and _codes(cl.copied) == ["S.HS.NHAN_MOI"]
    assert cl.counts()["copied"] == 2
    html = checklist.checklist_html(cl)
    assert "Toàn bộ 3 số liệu có ở cả hai kỳ đều trùng với số liệu quý II năm 2021" in html


def test_the_hostile_cell_is_the_right_communes_issue_and_is_escaped(district):
    mine, other = _checklist(district, "18133"), _checklist(district, "18136")
    assert other.issues == []
    issue, staff = sorted(mine.issues, key=lambda i: int(i["row"]))
    assert staff["code"]["code"] == "4.2.2" and staff["severity"] == "warning"
    assert staff["message"] == "số biên chế có mặt (21) lớn hơn biên chế được giao (20)"
    assert issue["file"] == "district.csv" and issue["row"] == str(HOSTILE_ROW)
    assert issue["code"]["code"] == "1.1.2" and issue["value"] == HOSTILE and issue["severity"] == "error"
    html = checklist.checklist_html(mine)
    assert HOSTILE not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.lower()


def test_findings_and_disagreements_are_listed_with_their_labels_and_escaped(district):
    said = Disagreement(kind="count", area="2", codes=("2.1",), data_says="mục 2.1: 0", text_says=HOSTILE,
                        message=f"Phụ lục ghi mục 2.1: 0, trong khi phần thuyết minh nêu: “{HOSTILE}”.")
    cl = _checklist(district, "18133", [said])
    stored = Store(district).read("findings")
    mine = stored.loc[(stored["commune_code"] == "18133") & (stored["period"] == PERIOD.id)]
    assert len(cl.findings) == len(mine) > 0
    assert {f["message"] for f in cl.findings} == set(mine["message"])
    assert cl.disagreements[0]["codes"] == [{"code": "2.1", "label": "Số VBQPPL đã ban hành/tham mưu ban hành"}]
    html = checklist.checklist_html(cl)
    assert HOSTILE not in html and "“&lt;script&gt;alert(1)&lt;/script&gt;”" in html
    assert 'class="code">2.1</span> Số VBQPPL đã ban hành/tham mưu ban hành' in html
    counts = cl.counts()
    assert counts == {"findings": len(mine), "disagreements": 1, "issues": 2, "missing": 1, "copied": 1,
                      "total": len(mine) + 5}


def test_an_empty_section_says_so_and_the_page_asks_nothing_outside(district):
    html = checklist.checklist_html(_checklist(district, "18136"))
    for name in ("disagreements", "issues", "missing"):
        section = html.split(f'id="{name}"')[1].split("<h2")[0]
        assert "Không có." in section, name
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:|//)""", html) and "@import" not in html
    assert "district.csv" in html and "/raw/" not in html  # the source file by its base name


def test_findings_grouped_by_audience_report_first(district):
    """Staff above quota is for the checklist only, late tasks go into the report (findings.yaml's audience):
    both are listed, those the report prints first."""
    cl = _checklist(district, "18133")
    assert cl.grouped
    by_finding = {f["code"]["code"]: f["audience"] for f in cl.findings}
    assert by_finding["R.BC.CO_MAT"] == "checklist" and by_finding["R.NV.DUNG_HAN"] == "report"
    audiences = [f["audience"] for f in cl.findings]
    assert audiences == sorted(audiences, key=lambda a: a != "report")
    html = checklist.checklist_html(cl)
    assert html.index("Đưa vào báo cáo") < html.index("R.NV.DUNG_HAN") < html.index(
        "Chỉ để kiểm tra, không đưa vào báo cáo") < html.index("R.BC.CO_MAT")


def test_issues_are_tied_to_a_submission_only_when_the_file_says_whose_they_are():
    subs = pd.DataFrame({
        "source_file": ["one.txt", "all.csv", "all.csv", "old.csv"],
        "commune_code": ["18217", "18133", "18136", "18133"],
        "commune_key": ["A", "B", "C", "B"], "period": ["2021-Q3"] * 4,
        "status": ["current", "current", "current", "superseded"]})
    values = pd.DataFrame({"source_file": ["all.csv"] * 4, "source_row": [2, 3, 5, 6],
                           "commune_key": ["B", "B", "B", "C"], "period": ["2021-Q3"] * 4})
    report = pd.DataFrame({
        "file": ["one.txt", "all.csv", "all.csv", "all.csv", "all.csv", "all.csv", "old.csv"],
        "row": pd.array([None, 3, 4, 7, 9, 5, 2], dtype="Int64"),
        "message": ["file-wide", "stored row", "refused inside B's block", "after the last row",
                    "18136 2021-Q3: named", "stored row", "superseded file"]})
    out = checklist.attributed_issues(report, subs, values)
    got = {(r.message, r.commune_key) for r in out.itertuples()}
    assert got == {("file-wide", "A"), ("stored row", "B"), ("refused inside B's block", "B"),
                   ("18136 2021-Q3: named", "C")}
    assert set(out.loc[out["commune_key"] == "C", "commune_code"]) == {"18136"}


def test_a_cross_check_message_is_said_in_vietnamese_and_a_rounded_figure_is_not():
    assert checklist.in_vietnamese("18217 2021-Q3: staff present (19) above the quota (18)") == \
        "số biên chế có mặt (19) lớn hơn biên chế được giao (18)"
    assert checklist.in_vietnamese("revenue collected at the commune (2.59076e+09) above total revenue (1e+09)") \
        is None
    assert checklist.in_vietnamese("not a number") is None


def test_a_previous_period_value_changes_the_jobs_hash_and_not_the_reports(district):
    store = Store(district)
    tables = {t: store.read(t) for d in RENDERED for t in d.tables}
    units = [load_registry().resolve(c, PERIOD) for c in ("18133", "18136")]
    registry = load_registry()
    before, report = job_hashes(tables, units, PERIOD, registry), COMMUNE_REPORT.hashes(tables, units, PERIOD, registry)
    v = tables["values"]
    row = (v["commune_code"] == "18133") & (v["period"] == "2021-Q2") & (v["indicator_code"] == "1.1.1")
    assert row.sum() == 1
    changed = tables | {"values": v.assign(value=v["value"].mask(row, 7.0))}
    after = job_hashes(changed, units, PERIOD, registry)
    assert after["18133"] != before["18133"] and after["18136"] == before["18136"]
    assert COMMUNE_REPORT.hashes(changed, units, PERIOD, registry) == report  # only the checklist reads it
    assert job_hashes(tables, units, PERIOD, registry) == before  # no change, no new hash
    issues = tables["ingest_report"]
    reworded = tables | {"ingest_report": issues.assign(message=issues["message"] + ".")}
    assert job_hashes(reworded, units, PERIOD, registry)["18133"] != before["18133"]


def test_son_phu_checklist_from_the_seed(seed_data):
    """The seed alone: its findings, its text against its appendix, the staff cross-check (19 present, quota 18,
    hand-checked in the seed's Phụ lục 2B rows 4.2.1 and 4.2.2); no 2021-Q2 report, so nothing is missing or
    copied against it."""
    assert ingest(None, data=seed_data).ok
    run_metrics(seed_data)
    cl = checklist.load(commune="18217", period="2021-Q3", data=seed_data)
    assert cl.sources[0]["file"] == "000_9c1b2be0e2b3796f.txt"
    assert {d["area"] for d in cl.disagreements} >= {"1", "2"}
    codes = {c["code"] for d in cl.disagreements for c in d["codes"]}
    assert {"1.4.2", "2.3", "7.1.8.1", "7.1.8.2"} <= codes
    (issue,) = cl.issues
    assert issue["message"] == "số biên chế có mặt (19) lớn hơn biên chế được giao (18)"
    assert cl.missing == [] and cl.copied == [] and not cl.identical
    assert cl.synthetic == {"now": False, "before": False}
    assert "staff_above_quota" in set(Store(seed_data).read("findings")["finding"])
    assert any("vượt biên chế" in f["message"] for f in cl.findings)


def test_a_compiled_period_compares_its_compiled_figures():
    """For 9M (or 6M, Y) the figures compiled from the quarters count as the period's, where the commune submitted
    none; a submitted figure wins; a ratio is no indicator of the appendix."""
    from pipeline.domain.catalogue import load_catalogue

    nine = Period.parse("2021-9M")
    catalogue = load_catalogue().for_period(nine)
    values = pd.DataFrame({"period": ["2021-9M"], "indicator_code": ["1.1.1"], "value": [7.0], "value_text": [None]})
    metrics = pd.DataFrame({"period": ["2021-9M", "2021-9M", "2021-9M", "2021-Q3"],
                            "metric": ["S.HS.NHAN_MOI", "1.1.1", "R.HS.DUNG_HEN", "4.2.1"],
                            "value": [400.0, 9.0, 90.0, 20.0]})
    got = checklist.period_values(values, metrics, nine, catalogue).set_index("indicator_code")["value"].to_dict()
    assert got == {"1.1.1": 7.0, "S.HS.NHAN_MOI": 400.0}
    quarter = checklist.period_values(values.assign(period="2021-Q3"), metrics, PERIOD, catalogue)
    assert list(quarter["indicator_code"]) == ["1.1.1"]  # a quarter: what the commune submitted, nothing else


def test_sample_figures_are_said_to_be_samples(district):
    """The compared period's sample figures are said to be samples; the period's real ones are not (nor the
    seed's, below)."""
    cl = _checklist(district, "18133")
    assert cl.synthetic == {"now": False, "before": True}
    html = checklist.checklist_html(cl)
    assert "Số liệu quý II năm 2021 dùng để so sánh là số liệu mẫu" in html and "Số liệu quý III năm 2021" not in html


def test_the_ingests_value_messages_are_said_in_vietnamese():
    """Every message the ingest writes about one value (made here by the ingest's own checks, so a change of its
    wording shows) is said in Vietnamese on the page, with what was expected."""
    from pipeline.domain.catalogue import load_catalogue
    from pipeline.ingest.validate import coerce_values

    cells = {"9.9.9": "1", "1": "3", "1.1.1": "abc", "1.1.2": "1,5", "1.3.1": "%", "3.3.3": "150", "1.4.2": "7",
             "1.4.1": "20000000000000", "3.3.4": "0,5"}
    raw = pd.DataFrame({"indicator_code": list(cells), "raw_value": list(cells.values()),
                        "source_file": "a.csv", "source_row": range(2, 2 + len(cells))})
    _, issues = coerce_values(raw, load_catalogue().for_period(PERIOD))
    assert len(issues) == len(cells)
    shown = [checklist._issue(r, {}) for r in issues.itertuples()]
    for said, r in zip(shown, issues.itertuples()):
        assert said["message"] != r.message and not re.search(r"\b(?:a|the|is|not|of)\b", said["message"]), said
        assert said["expected"] != r.expected and not re.search(r"\b(?:a|the|of|in)\b", said["expected"]), said
    by_code = {s["code"]["code"]: s for s in shown}
    assert by_code["3.3.4"]["message"] == "tỷ lệ 0,5 nhỏ hơn 1%: là 50% hay 0,5%?"
    assert by_code["1.1.1"]["message"] == "không phải là số" and by_code["1.1.1"]["expected"] == "số nguyên ≥ 0"
    assert by_code["1.4.2"]["expected"].startswith("một trong các mã 0 (Trực tuyến), 1 (Phát phiếu)")
    assert checklist._said("something new", checklist._MESSAGES, "messages") == "something new"  # shown as written


def test_a_finding_without_an_audience_is_still_listed(district):
    from pipeline.report import content

    rd = content.load(commune="18133", period=PERIOD, data=district)
    n = len(rd.findings)
    rd.findings = rd.findings.assign(audience=[None] + list(rd.findings["audience"])[1:])
    store = Store(district)
    extra = CHECKLIST.select({t: store.read(t) for t in CHECKLIST.tables}, rd.commune, PERIOD, load_registry())
    cl = checklist.build(rd, previous_values=extra["previous_values"], submissions=extra["submissions"],
                         issues=extra["issues"], disagreements=[])
    assert len(cl.findings) == n == cl.counts()["findings"]

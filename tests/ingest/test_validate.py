"""Checks on typed values: cross-indicator contradictions, duplicates, future periods, thin replacements."""

from datetime import date

import pandas as pd
import pytest

from pipeline.ingest.validate import cross_checks, duplicate_values, future_period_problem, shrinking_submission


def _values(rows):
    return pd.DataFrame([{"commune_code": "18133", "period": "2021-Q3", "indicator_code": code, "value": value,
                          "value_text": None, "raw_value": raw, "source_file": "f.csv", "source_row": row}
                         for code, value, raw, row in rows])


def test_a_huge_count_beside_a_smaller_quota_gives_a_warning_not_a_crash():
    hits = cross_checks(_values([("4.2.1", 19.0, "19", 2), ("4.2.2", 1e28, "1e28", 3)]))
    assert len(hits) == 1 and hits.iloc[0]["severity"] == "warning"
    assert "staff present (1e+28) above the quota (19)" in hits.iloc[0]["message"]


def test_two_values_for_one_code_store_neither_and_name_both_rows():
    kept, issues = duplicate_values(_values([("1.1.1", 5.0, "5", 2), ("1.1.2", 3.0, "3", 3), ("1.1.1", 6.0, "06", 4)]))
    assert kept["indicator_code"].tolist() == ["1.1.2"]
    (rec,) = issues.to_dict("records")
    assert rec["severity"] == "error" and rec["row"] == 4 and rec["indicator_code"] == "1.1.1" and rec["value"] == "06"
    assert "'5' (row 2), '06' (row 4); none of them is stored" in rec["message"]


def test_the_same_value_twice_is_stored_once_with_a_warning():
    kept, issues = duplicate_values(_values([("1.1.1", 5.0, "5", 2), ("1.1.1", 5.0, "05", 4)]))
    assert kept["source_row"].tolist() == [2]
    assert issues["severity"].tolist() == ["warning"]


def test_a_period_not_yet_begun_is_refused_with_its_start_date():
    assert future_period_problem("2021-Q3", today=date(2021, 6, 15)) is None  # the day it starts
    problem = future_period_problem("2021-Q3", today=date(2021, 6, 14))
    assert "2021-Q3 starts on 15/06/2021, after today (14/06/2021)" in problem


def test_a_thin_replacement_is_a_warning_naming_both_files_and_counts():
    assert shrinking_submission(commune="18217", period="2021-Q3", new_file="b.csv", new_count=26,
                                old_file="a.xlsx", old_count=52) is None
    hit = shrinking_submission(commune="18217", period="2021-Q3", new_file="b.csv", new_count=1,
                               old_file="a.xlsx", old_count=52)
    assert hit["severity"] == "warning" and hit["file"] == "b.csv"
    assert "carries 1 value(s) and replaces 'a.xlsx', which carries 52" in hit["message"]


def test_an_implausible_figure_says_the_plausible_range():
    from pipeline.domain.catalogue import load_catalogue
    from pipeline.ingest.validate import coerce_values

    raw = pd.DataFrame([{"indicator_code": "1.1.1", "raw_value": "2.000.000.000.000", "source_file": "f.csv",
                         "source_row": 2}])
    values, issues = coerce_values(raw, load_catalogue().for_period("2021-Q3"))
    assert values.empty
    assert issues.iloc[0]["message"].startswith("implausibly large: above 10^12 for a count")
    assert issues.iloc[0]["expected"] == "a whole number ≥ 0 up to 10^12"


@pytest.mark.parametrize(("text", "warned"), [("0,5", True), ("0.25", True), ("0,5 %", False), ("0", False),
                                              ("1", False), ("50", False)])
def test_a_percentage_below_1_written_as_a_fraction_is_questioned(text, warned):
    from pipeline.domain.catalogue import load_catalogue
    from pipeline.ingest.validate import coerce_values

    raw = pd.DataFrame([{"indicator_code": "3.4.3", "raw_value": text, "source_file": "f.csv", "source_row": 2}])
    values, issues = coerce_values(raw, load_catalogue().for_period("2021-Q3"))
    assert len(values) == 1  # stored as written, whatever the answer
    assert len(issues) == warned
    if warned:  # the question and the advice name the same reading
        whole = {"0,5": "50", "0.25": "25"}[text]
        assert f"is this {whole} % or {text} %?" in issues.iloc[0]["message"]
        assert f"correct the file if {whole} % was meant" in issues.iloc[0]["expected"]

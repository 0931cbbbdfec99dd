"""Malformed inputs, each named for its defect, each with its clear error; good files still stored."""

import shutil

import pytest

from pipeline.ingest import ingest
from pipeline.store import Store
from tests.helpers import FIXTURES, SEED, assert_clear_error

MALFORMED = FIXTURES / "malformed"

# file -> (fragment of the message, row, indicator code, value) ; None = not checked
EXPECTED = {
    "bad_percent_over_100.csv": ("above the maximum 100", 2, "3.4.3", "120"),
    "bad_negative_count.csv": ("below the minimum 0", 2, "1.1.1", "-3"),
    "bad_fractional_count.csv": ("not a whole number", 2, "4.2.1", "18,5"),
    "bad_category_not_in_legend.csv": ("not a code of the legend", 2, "1.4.2", "7"),
    "bad_value_not_a_number.csv": ("not a number", 2, "1.1.1", "sáu"),
    "unknown_indicator_code.csv": ("not in the catalogue", 2, "9.9.9", "5"),
    "unknown_commune_code.csv": ("unknown commune code '99999'", 2, "1.1.1", "99999"),
    "commune_not_valid_in_period.csv": ("not valid in 2025-Q4", 2, "1.1.1", "18217"),
    "bad_period_id.csv": ("not a period id", 2, "1.1.1", "2021-Q5"),
    "missing_value_column.csv": ("missing columns ['value']", 1, None, None),
    "duplicate_row.csv": ("'5' (row 2), '6' (row 3); none of them is stored", 3, "1.1.1", "6"),
    "report_two_appendices.md": ("'4' (row 14), '5' (row 19); none of them is stored", 19, "1.1.1", "5"),
    "value_only_percent_unit.csv": ("no number, only a unit", 3, "3.4.3", "%"),
    "value_only_dong_unit.csv": ("no number, only a unit", 3, "S.NS.THU", "đồng"),
    "value_only_vnd_unit.csv": ("no number, only a unit", 3, "S.NS.THU", "VNĐ"),
    "value_only_empty_parentheses.csv": ("no number, only a unit", 3, "1.3.1", "()"),
    "unit_and_value_columns_swapped.csv": ("unit and value columns swapped?", 3, "S.NS.DU_TOAN", "đồng"),
    "count_10e28_beside_quota.csv": ("implausibly large: above 10^12 for a count", 3, "4.2.2",
                                     "10000000000000000000000000000"),
    "period_in_the_future.csv": ("period 2199-Q1 starts on 15/12/2198, after today", 3, None, "2199-Q1"),
    "unbalanced_quote.csv": ("not a number", 2, "1.1.1", None),  # the quote swallows the next line
    "too_many_cells.csv": ("more cells than header columns", 2, None, None),
    "value_on_heading_row.csv": ("a heading row takes no value", 2, "1.1", "5"),
    "header_only.csv": ("no data rows", None, None, None),
    "empty_file.csv": ("empty file", None, None, None),
    "not_utf8_latin1.csv": ("not UTF-8 text", None, None, None),
    "nul_bytes.csv": ("NUL bytes", None, None, None),
    "old_binary_excel.xls": ("old binary Office format", None, None, None),
    "pdf_disguised_as_text.txt": ("PDF is not an input format", None, None, None),
    "unrecognised_layout.txt": ("layout not recognised", None, None, None),
    "report_unknown_commune.md": ("commune not recognised in the issuing body", None, None, "Xã Không Tồn Tại"),
    "report_period_conflict.md": ("subject line says 2021-Q3 but the appendix title says 2021-Q2", None, None, None),
    "report_without_period.md": ("cannot tell the reporting period", None, None, None),
    "report_impossible_date.md": ("impossible date", 6, None, None),
    "report_unknown_appendix_row.md": ("appendix row not recognised", 14, "9.9.9.", None),
}


def test_every_fixture_has_an_expectation():
    assert sorted(p.name for p in MALFORMED.iterdir()) == sorted(EXPECTED | WARNED)
    assert len(EXPECTED) >= 15


WARNED = {  # file -> (fragment of the warning, row, indicator code, value)
    "duplicate_row_same_value.csv": ("written 2 times with the same value, '5' (row 2), '5' (row 3); stored once", 3,
                                     "1.1.1", "5"),
    "percent_written_as_fraction.csv": ("is this 50 % or 0,5 %?", 3, "3.4.3", "0,5"),
}


@pytest.fixture(scope="module")
def mixed_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("mixed")
    raw = root / "raw"
    shutil.copytree(MALFORMED, raw)
    shutil.copy(SEED, raw / SEED.name)
    from pipeline.config import DataPaths

    data = DataPaths(root)
    return ingest(None, data=data), Store(data)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_bad_file_gets_its_clear_error(mixed_run, name):
    result, _ = mixed_run
    assert_clear_error(result.issues, name, EXPECTED[name])


def test_good_files_beside_them_are_stored(mixed_run):
    result, store = mixed_run
    assert not result.ok
    values = store.read("values")
    seed = values.loc[values["commune_code"] == "18217"]
    assert len(seed) == 46
    # two different values for one code: neither is stored (never a guess)
    assert not (values["source_file"] == "duplicate_row.csv").any()
    # and no rejected value slipped in
    assert not values["source_file"].isin(["bad_percent_over_100.csv", "bad_negative_count.csv"]).any()


def test_the_run_is_recorded_in_the_ingest_report(mixed_run):
    result, store = mixed_run
    report = store.read("ingest_report")
    assert set(report["run_id"]) == {result.run_id}
    assert len(report) == len(result.issues)


@pytest.mark.parametrize("name", sorted(WARNED))
def test_doubtful_files_get_a_warning_and_are_stored(data_dir, name):
    shutil.copy(MALFORMED / name, data_dir.raw / name)
    result = ingest(None, data=data_dir)
    message, row, indicator, value = WARNED[name]
    assert result.errors == 0
    hit = result.issues.loc[result.issues["message"].str.contains(message, regex=False)]
    assert len(hit) == 1 and hit.iloc[0]["severity"] == "warning"
    assert (hit.iloc[0]["row"], hit.iloc[0]["indicator_code"], hit.iloc[0]["value"]) == (row, indicator, value)
    stored = Store(data_dir).read("values").set_index("indicator_code")["value"]
    assert stored[indicator] == (5 if indicator == "1.1.1" else 0.5)  # as written, once
    assert (stored.index == indicator).sum() == 1


@pytest.mark.parametrize("name", ["value_only_percent_unit.csv", "value_only_empty_parentheses.csv",
                                  "count_10e28_beside_quota.csv", "period_in_the_future.csv",
                                  "report_two_appendices.md"])
def test_one_bad_value_costs_only_itself(data_dir, name):
    """The bad value is refused; the file's other values and another file beside it are stored."""
    shutil.copy(MALFORMED / name, data_dir.raw / name)
    shutil.copy(SEED, data_dir.raw / SEED.name)
    result = ingest(None, data=data_dir)
    assert result.errors >= 1
    values = Store(data_dir).read("values")
    assert (values["commune_code"] == "18217").sum() == 46
    mine = values.loc[values["source_file"] == name]
    good = {"count_10e28_beside_quota.csv": ["4.2.1"], "report_two_appendices.md": ["1.1.2"]}.get(name, ["1.1.1"])
    assert mine["indicator_code"].tolist() == good

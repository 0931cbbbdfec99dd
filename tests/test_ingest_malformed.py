"""Malformed inputs, each named for its defect, each with its clear error; good files still stored."""

import shutil

import pytest

from pipeline.ingest import ingest
from pipeline.store import Store
from tests.conftest import assert_clear_error, FIXTURES, SEED

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
    "duplicate_row.csv": ("duplicate row", 3, "1.1.1", "6"),
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
    "report_unknown_commune.md": ("issuing body not recognised", None, None, "Xã Không Tồn Tại"),
    "report_period_conflict.md": ("subject line says 2021-Q3 but the appendix title says 2021-Q2", None, None, None),
    "report_without_period.md": ("cannot tell the reporting period", None, None, None),
    "report_impossible_date.md": ("impossible date", 6, None, None),
    "report_unknown_appendix_row.md": ("appendix row not recognised", 14, "9.9.9.", None),
}


def test_every_fixture_has_an_expectation():
    assert sorted(p.name for p in MALFORMED.iterdir()) == sorted(EXPECTED)
    assert len(EXPECTED) >= 15


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
    # the first of two duplicate rows is kept, the good row of each file too
    dup = values.loc[values["source_file"] == "duplicate_row.csv"]
    assert dup["value"].tolist() == [5]
    # and no rejected value slipped in
    assert not values["source_file"].isin(["bad_percent_over_100.csv", "bad_negative_count.csv"]).any()


def test_the_run_is_recorded_in_the_ingest_report(mixed_run):
    result, store = mixed_run
    report = store.read("ingest_report")
    assert set(report["run_id"]) == {result.run_id}
    assert len(report) == len(result.issues)

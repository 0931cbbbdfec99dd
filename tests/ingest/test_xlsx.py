"""Excel ingest: the seed's appendix as a commune types it, sheets per period, the long layout, limits,
and every malformed Office file with its clear error while good files beside it are stored."""

import os
import shutil

import pandas as pd
import pytest
from openpyxl import Workbook

from pipeline.config import DataPaths
from pipeline.ingest import ingest
from pipeline.ingest.xlsx import cell_text, value_text
from pipeline.store import Store
from tests.helpers import FIXTURES, SEED, SEED_APPENDIX, SEED_NARRATIVE, assert_clear_error, load_script

OFFICE = FIXTURES / "office"


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    """The seed as .xlsx and .docx, written by devtools.office_writer."""
    script = load_script()
    out = tmp_path_factory.mktemp("office")
    seed = script.read_seed(SEED.read_text(encoding="utf-8"))
    return {"script": script, "seed": seed, "xlsx": script.write_xlsx(seed, out / "000_9c1b2be0e2b3796f.xlsx"),
            "docx": script.write_docx(seed, out / "000_9c1b2be0e2b3796f.docx")}


def stored(tmp_path, *files, name="d"):
    data = DataPaths(tmp_path / name)
    data.raw.mkdir(parents=True)
    for f in files:
        shutil.copy(f, data.raw / f.name)
    result = ingest(None, data=data)
    return result, Store(data).read("values")


def test_one_meaning_three_routes(office, tmp_path):
    """The seed as text, as .xlsx (appendix only) and as .docx store the same values."""
    routes = {kind: stored(tmp_path, path, name=kind) for kind, path in
              (("text", SEED), ("xlsx", office["xlsx"]), ("docx", office["docx"]))}
    for kind, (result, _) in routes.items():
        assert result.errors == 0, (kind, result.issues)
    frames = {k: v.set_index("indicator_code")[["commune_code", "period", "value", "cumulative_value"]].sort_index()
              for k, (_, v) in routes.items()}
    text = frames["text"]
    assert text["value"].to_dict() == pytest.approx({**SEED_APPENDIX, **SEED_NARRATIVE})
    pd.testing.assert_frame_equal(frames["docx"], text)
    appendix = text.loc[~text.index.str.startswith("S.")]
    pd.testing.assert_frame_equal(frames["xlsx"], appendix)
    assert frames["xlsx"].at["7.1.8.3", "cumulative_value"] == 22.68


def test_the_xlsx_is_realistic_and_read_as_typed(office, tmp_path):
    """Header block, merged header, a column-number row, the header repeated, text and numbers, % and a formula."""
    from openpyxl import load_workbook

    ws = load_workbook(office["xlsx"]).active
    cells = {c.coordinate: c for row in ws.iter_rows() for c in row if c.value not in (None, "")}
    texts = [str(c.value) for c in cells.values()]
    assert "UBND XÃ SƠN PHÚ" in texts and any("QUÝ III NĂM 2021" in t for t in texts)
    assert texts.count("STT") == 2 and "(1)" in texts  # the header repeated, the column numbering row
    assert "NGƯỜI LẬP BIỂU" in texts and "TM. ỦY BAN NHÂN DÂN" in texts  # a signature block under the table
    assert ws.merged_cells.ranges and not any(c.column == 1 for c in cells.values())  # merges; column A blank
    values = {str(ws.cell(c.row, 2).value): c for c in cells.values() if c.column == 5 and c.row > 10}
    assert values["1.3.2."].value == "01" and values["1.3.2."].data_type == "s"
    assert {type(c.value) for c in values.values()} >= {int, float, str}
    assert values["3.3.3."].number_format == "0%" and values["3.3.3."].value == 1
    assert str(values["7.2.5.3"].value).startswith("=ROUND(")
    _, got = stored(tmp_path, office["xlsx"])
    got = got.set_index("indicator_code")
    assert got.at["3.3.3", "value"] == 100 and got.at["7.2.5.3", "value"] == 100 and got.at["1.3.2", "value"] == 1
    row = got.loc["1.3.2"]
    assert ws.cell(int(row["source_row"]), 3).value == "Số nhiệm vụ đã hoàn thành đúng hạn"
    assert row["raw_text"].startswith("1.3.2.\tSố nhiệm vụ đã hoàn thành đúng hạn")


@pytest.mark.parametrize(("value", "percent", "text"), [
    (21.1, False, "21,1"), (6.0, False, "6"), (0.211, True, "21,1"), (1.0, True, "100"), ("01", False, "01"),
    (2590755750.0, False, "2590755750"), (0.30000000000000004, False, "0,3"), (None, False, ""),
])
def test_value_text(value, percent, text):
    assert value_text(value, percent=percent) == text


def test_cell_text_for_codes():
    assert [cell_text(v) for v in (1.0, 1.1, "1.1.1.", "", None, True)] == ["1", "1.1", "1.1.1.", "", "", "TRUE"]


def _small_sheet(ws, script, seed, *, title, issuer="UBND XÃ SƠN PHÚ", values=None):
    rows = seed.rows[:4]  # 1., 1.1., 1.1.1., 1.1.2. (the seed prints 1.1.1. again under 1.2)
    script._appendix_sheet(ws, rows, issuer=issuer, title=title, tweak=None, styles=_styles())
    if values:
        for r in range(1, ws.max_row + 1):
            if ws.cell(r, 2).value in values:
                ws.cell(r, 5).value = values[ws.cell(r, 2).value]


def _styles():
    from openpyxl.styles import Alignment, Border, Font, Side

    return Font, Alignment, Border, Side


def test_a_sheet_per_period_named_by_the_sheets(office, tmp_path):
    script, seed = office["script"], office["seed"]
    wb = Workbook()
    wb.active.title = "2021-Q2"
    _small_sheet(wb.active, script, seed, title="THỐNG KÊ SỐ LIỆU CCHC", values={"1.1.1.": 4, "1.1.2.": 3})
    _small_sheet(wb.create_sheet("Quý III năm 2021"), script, seed, title="THỐNG KÊ SỐ LIỆU CCHC",
                 values={"1.1.1.": 6, "1.1.2.": "05"})
    wb.create_sheet("Hướng dẫn")["A1"] = "Điền số liệu vào cột Số liệu"
    path = tmp_path / "son-phu_2021.xlsx"
    wb.save(path)
    result, values = stored(tmp_path, path)
    assert result.errors == 0
    got = values.set_index(["period", "indicator_code"])["value"].to_dict()
    assert got == {("2021-Q2", "1.1.1"): 4, ("2021-Q2", "1.1.2"): 3, ("2021-Q3", "1.1.1"): 6, ("2021-Q3", "1.1.2"): 5}
    assert set(values["commune_code"]) == {"18217"}
    skipped = result.issues.loc[result.issues["severity"] == "warning", "message"]
    assert skipped.str.contains("sheet 'Hướng dẫn' skipped").any()


def test_commune_and_period_from_the_file_name(office, tmp_path):
    script, seed = office["script"], office["seed"]
    wb = Workbook()
    _small_sheet(wb.active, script, seed, title="", issuer="", values={"1.1.1.": 2})
    path = tmp_path / "18133_2021-Q3.xlsx"
    wb.save(path)
    result, values = stored(tmp_path, path)
    assert result.errors == 0
    assert values[["commune_code", "period", "indicator_code", "value"]].values.tolist() == [
        ["18133", "2021-Q3", "1.1.1", 2], ["18133", "2021-Q3", "1.1.2", 6]]


def test_long_layout_in_excel(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["Xuất từ phần mềm một cửa"])
    ws.append([])
    ws.append([None, "commune_code", "period", "indicator_code", "value", "note"])
    ws.append([None, 18217, "2021-Q3", "1.1.1", 6, None])
    ws.append([None, "18217", "2021-Q3", "7.1.8.3", 21.1, "(Lũy kế 22,68%)"])
    ws.append([None, 18133, "2021-Q3", "3.4.3", 0.98, None])
    ws.cell(6, 5).number_format = "0%"
    ws.append([])
    ws.append([None, 18133, "2021-Q3", "4.2.1", "abc", None])
    path = tmp_path / "export.xlsx"
    wb.save(path)
    result, values = stored(tmp_path, path)
    got = values.set_index(["commune_code", "indicator_code"])
    assert got["value"].to_dict() == {("18133", "3.4.3"): 98, ("18217", "1.1.1"): 6, ("18217", "7.1.8.3"): 21.1}
    assert got.at[("18217", "7.1.8.3"), "cumulative_value"] == 22.68
    assert got.at[("18217", "1.1.1"), "source_row"] == 4  # the sheet's own row numbers
    bad = result.issues.loc[result.issues["severity"] == "error"].iloc[0]
    assert (bad["message"], bad["row"], bad["indicator_code"], bad["value"]) == ("not a number", 8, "4.2.1", "abc")


def test_cell_limit(office, tmp_path, monkeypatch):
    import pipeline.ingest.xlsx as xlsx

    monkeypatch.setattr(xlsx, "MAX_INPUT_CELLS", 500)
    result, values = stored(tmp_path, office["xlsx"])
    assert result.files_rejected == 1 and values.empty
    assert result.issues["message"].str.contains("too large: it reaches cell").any()
    assert result.issues["expected"].str.contains("at most 500 cells").any()


def test_size_limit(office, tmp_path, monkeypatch):
    import pipeline.ingest.base as base

    monkeypatch.setattr(base, "MAX_INPUT_BYTES", 1000)
    result, _ = stored(tmp_path, office["xlsx"])
    assert result.issues["message"].str.contains("file too large").any()


# -- malformed Office files ----------------------------------------------------------------------

# file -> (fragment of the message, row, indicator code, value); None = not checked
EXPECTED = {
    "xlsx_truncated.xlsx": ("corrupt Office file: not a readable zip archive", None, None, None),
    "xlsx_password_protected.xlsx": ("password-protected", None, None, None),
    "docx_password_protected.docx": ("password-protected", None, None, None),
    "old_binary_word.doc": ("old binary Office format", None, None, None),
    "xlsx_renamed_text_file.xlsx": ("not a zip container", None, None, None),
    "zip_archive_not_office.zip": ("neither an Excel workbook nor a Word document", None, None, None),
    "xlsx_zip_bomb.xlsx": ("zip bomb", None, None, None),
    "xlsx_huge_sheet_stray_cell.xlsx": ("sheet 'PL 2B' too large: it reaches cell XFD1048576", None, None, None),
    "xlsx_corrupt_sheet_xml.xlsx": ("not well-formed XML", None, None, None),
    "xlsx_unrecognised_layout.xlsx": ("layout not recognised", None, None, "sheets 'PL 2B'"),
    "xlsx_period_conflict.xlsx": ("says 2021-Q3 but the sheet name ('2021-Q2') says 2021-Q2", None, None, None),
    "18133_2021-Q3_commune_conflict.xlsx": ("names Xã Sơn Phú (18217) but the file name", None, None, None),
    "xlsx_without_period.xlsx": ("cannot tell the reporting period", None, None, None),
    "xlsx_without_commune.xlsx": ("cannot tell which commune", None, None, None),
    "xlsx_unknown_commune.xlsx": ("commune not recognised in the header ('UBND XÃ KHÔNG TỒN TẠI')", None, None,
                                  "KHÔNG TỒN TẠI"),
    "xlsx_bad_percent_over_100.xlsx": ("above the maximum 100", 22, "3.4.3", "120"),
    "xlsx_value_not_a_number.xlsx": ("not a number", 13, "1.1.1", "sáu"),
    "xlsx_value_only_unit.xlsx": ("no number, only a unit", 13, "1.1.1", "đồng"),
    "xlsx_unit_and_value_swapped.xlsx": ("no number, only a unit (unit and value columns swapped?)", 22, "3.4.3", "%"),
    "xlsx_count_10e28.xlsx": ("implausibly large: above 10^12 for a count", 13, "1.1.1",
                              "10000000000000000000000000000"),
    "xlsx_date_in_value_cell.xlsx": ("not a number", 18, "1.3.1", "2021-06-01"),
    "xlsx_formula_without_result.xlsx": ("formula without a stored result", 14, "1.1.2", None),
    "xlsx_formula_error.xlsx": ("formula error #DIV/0!", 19, "1.3.2", "#DIV/0!"),
    "xlsx_unknown_appendix_row.xlsx": ("appendix row not recognised", 19, "9.9.9.", None),
    "xlsx_two_sheets_same_period.xlsx": ("both hold 18217 2021-Q3", None, None, None),
    "xlsx_long_unknown_indicator.xlsx": ("not in the catalogue", 5, "9.9.9", "5"),
    "xlsx_long_missing_value_column.xlsx": ("missing columns ['value']", 3, None, None),
    "docx_period_conflict.docx": ("the subject line says 2021-Q3 but the appendix title says 2021-Q2",
                                  None, None, None),
    "docx_unknown_appendix_row.docx": ("appendix row not recognised", 16, "9.9.9.", None),
    "docx_corrupt_document_xml.docx": ("corrupt Word document", None, None, None),
}


def test_every_office_fixture_has_an_expectation():
    assert sorted(p.name for p in OFFICE.iterdir()) == sorted(EXPECTED)
    assert len(EXPECTED) >= 15


@pytest.fixture(scope="module")
def mixed_run(tmp_path_factory, office):
    root = tmp_path_factory.mktemp("mixed_office")
    raw = root / "raw"
    shutil.copytree(OFFICE, raw)
    script = office["script"]
    son_lam = script.read_seed(SEED.read_text(encoding="utf-8").replace("Xã Sơn Phú", "Xã Sơn Lâm"))
    good = {"good_seed.txt": SEED, "good_seed_appendix.xlsx": office["xlsx"],
            "good_son_lam.docx": script.write_docx(son_lam, root / "son_lam.docx")}
    for n, (name, path) in enumerate(good.items()):
        shutil.copy(path, raw / name)
        os.utime(raw / name, (1_600_000_000 + n, 1_600_000_000 + n))  # older than the fixtures: read first
    data = DataPaths(root)
    return ingest(None, data=data), Store(data)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_bad_office_file_gets_its_clear_error(mixed_run, name):
    result, _ = mixed_run
    assert_clear_error(result.issues, name, EXPECTED[name])


def test_good_office_files_beside_them_are_stored(mixed_run):
    result, store = mixed_run
    assert not result.ok
    good_issues = result.issues.loc[result.issues["file"].str.startswith("good_")]
    assert set(good_issues["severity"]) == {"warning"}  # staff above quota, as in the seed: reported, not fixed
    subs = store.read("submissions").set_index("source_file")
    assert subs.at["good_seed.txt", "n_values"] == 46
    assert subs.at["good_seed_appendix.xlsx", "n_values"] == 37
    assert subs.at["good_son_lam.docx", "n_values"] == 46 and subs.at["good_son_lam.docx", "status"] == "current"
    son_lam = store.read("values").query("commune_code == '18145'")
    assert son_lam.set_index("indicator_code")["value"].to_dict() == pytest.approx({**SEED_APPENDIX, **SEED_NARRATIVE})


def test_one_indicator_in_two_sheets_is_stored_once_or_not_at_all(tmp_path):
    wb = Workbook()
    for n, (name, value) in enumerate((("Xuất 1", 6), ("Xuất 2", 7))):
        ws = wb.active if n == 0 else wb.create_sheet()
        ws.title = name
        ws.append(["commune_code", "period", "indicator_code", "value"])
        ws.append([18217, "2021-Q3", "1.1.1", value])  # different in the two sheets
        ws.append([18217, "2021-Q3", "1.1.2", 5])  # the same in both
    path = tmp_path / "two.xlsx"
    wb.save(path)
    result, values = stored(tmp_path, path)
    assert values["indicator_code"].tolist() == ["1.1.2"]
    issues = result.issues.set_index("indicator_code")
    assert issues.at["1.1.1", "severity"] == "error"
    message = issues.at["1.1.1", "message"]
    assert "'6' (sheet 'Xuất 1', row 2), '7' (sheet 'Xuất 2', row 2); none of them is stored" in message
    assert issues.at["1.1.2", "severity"] == "warning" and "stored once" in issues.at["1.1.2", "message"]

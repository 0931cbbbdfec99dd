"""The consolidated Phụ lục 2B of an area (``cchc consolidate``): totals by rule checked by hand, blank vs zero,
layout and number formats, the long sheet read back by the ingest, the CLI's refusals, the index's link."""

import shutil
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from pipeline.cli import main
from pipeline.config import DataPaths
from pipeline.domain.areas import area_units
from pipeline.domain.catalogue import load_catalogue
from pipeline.domain.communes import load_registry
from pipeline.forms.consolidated import (
    FIRST_COMMUNE_COL,
    FIRST_ROW,
    HEADER_ROW,
    LONG_COLUMNS,
    LONG_SHEET,
    MISSING_ROW,
    WIDE_SHEET,
)
from pipeline.ingest import ingest
from pipeline.metrics.area import area_totals
from pipeline.store import Store
from tests.helpers import SEED, ingested_rows

#: A small synthetic area: three of Hương Sơn's 25 units reported 2021-Q3, the other 22 sent nothing.
A, B, C = "18133", "18136", "18139"
ROWS = [
    (A, "2021-Q3", "1.1.1", 6), (B, "2021-Q3", "1.1.1", 0),  # C did not report the row
    (A, "2021-Q3", "1.4.2", 0), (B, "2021-Q3", "1.4.2", 1), (C, "2021-Q3", "1.4.2", 1),  # categories
    (A, "2021-Q3", "3.4.3", 90), (A, "2021-Q3", "S.HS.DUNG_HEN", 90), (A, "2021-Q3", "S.HS.DA_GIAI_QUYET", 100),
    (B, "2021-Q3", "3.4.3", 100), (B, "2021-Q3", "S.HS.DUNG_HEN", 10), (B, "2021-Q3", "S.HS.DA_GIAI_QUYET", 10),
    (C, "2021-Q3", "3.4.3", 50), (C, "2021-Q3", "S.HS.DA_GIAI_QUYET", 4),  # C gave no numerator: not in the ratio
    (A, "2021-Q3", "3.3.3", 50),  # a percentage without its parts
    (A, "2021-Q3", "S.NS.THU", 1234567), (B, "2021-Q3", "S.NS.THU", 1000),
]


#: Text from a commune that a spreadsheet would take for a formula (a note, a text row's value).
HOSTILE_NOTE, HOSTILE_TEXT = '=HYPERLINK("http://example.invalid","x")', "+cmd|' /C calc'!A0"


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    root = tmp_path_factory.mktemp("consolidated")
    data = ingested_rows(root / "data", ROWS)
    hostile = data.raw / "zz_hostile.csv"  # another commune's file: D's note and text row
    hostile.write_text("commune_code,period,indicator_code,value,note\n"
                       f'18145,2021-Q3,1.1.1,2,"{HOSTILE_NOTE.replace(chr(34), chr(34) * 2)}"\n'
                       f'18145,2021-Q3,7.1.1,"{HOSTILE_TEXT}",\n', encoding="utf-8")
    assert ingest(None, data=data).ok
    path = root / "tong-hop.xlsx"
    assert main(["consolidate", "--area", "439", "--period", "2021-Q3", "-o", str(path),
                 "--data-dir", str(data.root)]) == 0
    return path, data


def _sheet(path):
    wb = load_workbook(path)
    ws = wb[WIDE_SHEET]
    heads = [ws.cell(HEADER_ROW, c).value for c in range(1, ws.max_column + 1)]
    rows = {ws.cell(r, 1).value: r for r in range(FIRST_ROW, ws.max_row + 1) if ws.cell(r, 2).value}
    col = {code: next(i + 1 for i, h in enumerate(heads) if h and f"({code})" in h) for code in (A, B, C, "18142")}
    col["total"], col["how"] = heads.index("Tổng cộng") + 1, heads.index("Cách tính tổng cộng") + 1
    return wb, ws, rows, col


def test_totals_by_rule_checked_by_hand(small):
    path, _ = small
    _, ws, rows, col = _sheet(path)
    total = lambda code: ws.cell(rows[code], col["total"]).value  # noqa: E731
    how = lambda code: ws.cell(rows[code], col["how"]).value  # noqa: E731
    assert total("1.1.1") == 6 + 2 and how("1.1.1") == "Cộng 3/25 đơn vị có số liệu"  # A 6, B 0, D 2; C blank
    assert total("S.NS.THU") == 1234567 + 1000
    assert total("S.HS.DA_GIAI_QUYET") == 100 + 10 + 4
    # 100 × (90 + 10) / (100 + 10): the summed parts of A and B, not the mean of 90, 100 (95) nor of 90, 100, 50
    assert total("3.4.3") == pytest.approx(100 * 100 / 110) and round(total("3.4.3"), 2) == 90.91
    assert "2 đơn vị có cả hai số" in how("3.4.3") and "100 / 110" in how("3.4.3")
    assert total("1.4.2") == "Trực tuyến: 1; Phát phiếu: 2"  # counted by value, in the legend's order
    assert total("3.3.3") is None and "không lấy trung bình" in how("3.3.3")  # never averaged
    assert total("1.1.3") is None and how("1.1.3") == "Không đơn vị nào báo cáo"  # blank, not 0
    assert total("7.1.1") is None  # a text row: blank


def test_area_totals_is_a_pure_function_of_the_values():
    reg = load_registry()
    units = [reg.resolve(c, "2021-Q3") for c in (A, B)]
    v = pd.DataFrame({"commune_key": [units[0].key, units[1].key, units[0].key, "other@2019-12-15"],
                      "indicator_code": ["4.2.1", "4.2.1", "1.5", "4.2.1"], "value": [18.0, 0.0, 1.0, 99.0]})
    t = area_totals(v, units, "2021-Q3", load_catalogue()).set_index("code")
    assert t.at["4.2.1", "total"] == 18 and t.at["4.2.1", "communes"] == 2  # a stock sums across communes too
    assert t.at["1.5", "counts"] == {1: 1} and t.at["1.5", "rule"] == "count_by_value"
    assert t.at["3.4.3", "rule"] == "recompute" and pd.isna(t.at["3.4.3", "total"])  # no parts: blank


def test_blank_and_zero_cells_and_a_commune_without_report(small):
    path, _ = small
    _, ws, rows, col = _sheet(path)
    assert ws.cell(rows["1.1.1"], col[A]).value == 6
    assert ws.cell(rows["1.1.1"], col[B]).value == 0  # reported 0: a zero
    assert ws.cell(rows["1.1.1"], col[C]).value is None  # did not report the row: empty
    assert ws.cell(rows["1.4.2"], col[A]).value == 0 and ws.cell(rows["1.4.2"], col[C]).value == 1
    assert ws.cell(HEADER_ROW, col["18142"]).value == "Xã Sơn Tiến (18142)\n(chưa gửi báo cáo)"
    assert all(ws.cell(r, col["18142"]).value is None for r in rows.values())  # present and empty
    assert ws.cell(HEADER_ROW, col[A]).value == "Thị trấn Phố Châu (18133)"
    assert col["total"] == FIRST_COMMUNE_COL + 25  # one column per unit of the district, then the total
    assert ws.cell(MISSING_ROW, 1).value.startswith("Chưa gửi báo cáo: 21/25 đơn vị")  # above, short
    missing = ws.cell(max(rows.values()) + 2, 1).value  # the names, under the table
    assert missing.startswith("Chưa gửi báo cáo (21/25 đơn vị): ") and "Xã Sơn Tiến (18142)" in missing
    assert "Thị trấn Phố Châu" not in missing


def test_frozen_panes_number_formats_and_sheets(small):
    path, _ = small
    wb, ws, rows, col = _sheet(path)
    assert wb.sheetnames == [WIDE_SHEET, LONG_SHEET] and all(len(n) <= 31 for n in wb.sheetnames)
    assert ws.freeze_panes == f"D{FIRST_ROW}"  # header rows and STT, label, unit stay in view
    assert ws.cell(rows["S.NS.THU"], col[A]).number_format == "#,##0"
    assert ws.cell(rows["S.NS.THU"], col["total"]).number_format == "#,##0"
    assert ws.cell(rows["3.4.3"], col[A]).number_format == "#,##0.00"
    assert ws.cell(rows["3.4.3"], col["total"]).number_format == "#,##0.00"
    assert ws.cell(rows["1.1.1"], 1).data_type == "s" and ws.cell(rows["1.1.1"], 1).value == "1.1.1"
    assert not any(isinstance(c.value, str) and c.value.startswith("=") for row in ws.iter_rows() for c in row)
    ls = wb[LONG_SHEET]
    assert [c.value for c in ls[1]] == LONG_COLUMNS and ls.freeze_panes == "A2"
    assert ls.max_row - 1 == len(ROWS) + 2  # one line per value reported, none for a blank


def test_text_from_a_commune_never_becomes_a_formula_and_comes_back_as_written(small, tmp_path):
    path, _ = small
    wb, ws, rows, col = _sheet(path)
    d = next(c for c in range(1, ws.max_column + 1) if "(18145)" in (ws.cell(HEADER_ROW, c).value or ""))
    cell = ws.cell(rows["7.1.1"], d)
    assert cell.value == "'" + HOSTILE_TEXT and cell.data_type == "s"
    ls = wb[LONG_SHEET]
    notes = [r[LONG_COLUMNS.index("note")] for r in ls.iter_rows(min_row=2, values_only=True)]
    assert "'" + HOSTILE_NOTE in notes
    again = DataPaths(tmp_path / "again")
    again.raw.mkdir(parents=True)
    shutil.copy(path, again.raw / path.name)
    assert ingest(None, data=again).ok
    back = Store(again).read("values").set_index(["commune_code", "indicator_code"])
    assert back.at[("18145", "1.1.1"), "note"] == HOSTILE_NOTE
    assert back.at[("18145", "7.1.1"), "value_text"] == HOSTILE_TEXT


def test_the_ingest_reads_the_long_sheet_back_to_the_same_values(tmp_path):
    """The real seed (notes with the cumulative figure, text) and the sample's 2021-Q3: written, then ingested
    into a fresh data directory: every value, text, cumulative figure and note comes back; the wide sheet is
    skipped with a warning naming it, never read as a commune's form."""
    first = DataPaths(tmp_path / "first")
    first.raw.mkdir(parents=True)
    shutil.copy(SEED, first.raw / SEED.name)
    shutil.copy(Path("data/raw/sample/huong-son_2021-Q3.csv"), first.raw / "huong-son_2021-Q3.csv")
    assert ingest(None, data=first).ok
    values = Store(first).read("values")
    out = tmp_path / "tong-hop.xlsx"
    assert main(["consolidate", "--area", "439", "--period", "2021-Q3", "-o", str(out),
                 "--data-dir", str(first.root)]) == 0
    second = DataPaths(tmp_path / "second")
    second.raw.mkdir(parents=True)
    shutil.copy(out, second.raw / out.name)
    result = ingest(None, data=second)
    assert result.ok
    skipped = result.issues.loc[result.issues["message"].str.contains("skipped")]
    assert len(skipped) == 1 and "'Phụ lục 2B'" in skipped["message"].iloc[0]
    back = Store(second).read("values")
    cols = ["commune_key", "indicator_code", "value", "value_text", "cumulative_value", "note", "synthetic"]
    before = values.loc[values["period"] == "2021-Q3", cols].sort_values(cols[:2]).reset_index(drop=True)
    after = back[cols].sort_values(cols[:2]).reset_index(drop=True)
    assert len(before) > 1000 and before["note"].ne("").any() and before["cumulative_value"].notna().any()
    pd.testing.assert_frame_equal(before.fillna({"note": ""}), after.fillna({"note": ""}), check_dtype=False)


def test_totals_equal_the_export_row_by_row(tmp_path, capsys):
    """2021-Q3 of the bundled district: every count and money row's total is the sum over the communes of
    `cchc export`, every recomputed percentage 100 × the summed numerator / the summed denominator of the
    communes that gave both (computed here from the export, not by the module)."""
    data = DataPaths(tmp_path / "data")
    data.raw.mkdir(parents=True)
    shutil.copy(SEED, data.raw / SEED.name)
    shutil.copy(Path("data/raw/sample/huong-son_2021-Q3.csv"), data.raw / "huong-son_2021-Q3.csv")
    assert ingest(None, data=data).ok
    exported = tmp_path / "export.csv"
    assert main(["export", "--period", "2021-Q3", "-o", str(exported), "--data-dir", str(data.root)]) == 0
    export = pd.read_csv(exported, dtype={"commune_code": str, "indicator_code": str})
    wide = export.pivot_table(index="commune_code", columns="indicator_code", values="value", aggfunc="first")
    path = tmp_path / "tong-hop.xlsx"
    assert main(["consolidate", "--area", "439", "--period", "2021-Q3", "-o", str(path),
                 "--data-dir", str(data.root)]) == 0
    ws = load_workbook(path)[WIDE_SHEET]
    total_col = [c.value for c in ws[HEADER_ROW]].index("Tổng cộng") + 1
    cat = load_catalogue().for_period("2021-Q3").table
    checked = 0
    for r in range(FIRST_ROW, ws.max_row + 1):
        if not ws.cell(r, 2).value:
            continue  # below the table
        code, got = ws.cell(r, 1).value, ws.cell(r, total_col).value
        row = cat.loc[cat["code"] == code].iloc[0]
        if row["kind"] in ("count", "money"):
            expected = wide[code].sum() if code in wide and wide[code].notna().any() else None
            assert got == expected, code
            checked += expected is not None
        elif row["aggregation"] == "recompute":
            both = wide[[row["numerator"], row["denominator"]]].dropna()
            assert got == pytest.approx(100 * both.iloc[:, 0].sum() / both.iloc[:, 1].sum()), code
            checked += 1
    assert checked > 30


@pytest.mark.parametrize(("args", "message"), [
    (["--area", "999", "--period", "2021-Q3"], "--area: unknown district code '999'"),
    (["--area", "4", "--period", "2021-Q3"], "--area: area '4': expected a district code (3 digits"),
    (["--area", "439", "--period", "2026-Q3"], "--area: district 439 has no unit valid in 2026-Q3"),
    (["--area", "42", "--period", "2021-Q5"], "--period: "),
])
def test_bad_area_or_period_exits_2_with_one_line(small, tmp_path, capsys, args, message):
    _, data = small
    out = tmp_path / "x.xlsx"
    assert main(["consolidate", *args, "-o", str(out), "--data-dir", str(data.root)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and message in err and "Traceback" not in err
    assert not out.exists()


def test_a_province_is_the_area_after_the_merger():
    area = area_units(load_registry(), "42", "2026-Q3")
    assert area.level == "province" and area.name == "Hà Tĩnh" and len(area.units) == 69


def test_the_index_links_the_area_first(tmp_path):
    from pipeline.batch.index import write_index

    (tmp_path / "2021-Q3" / "439-huong-son").mkdir(parents=True)
    (tmp_path / "2021-Q3" / "439-huong-son" / "tong-hop.xlsx").write_bytes(b"x")
    manifest = {
        "2021-Q3/area-439": {"kind": "area", "area": "439", "level": "district", "period": "2021-Q3",
                             "name": "Hương Sơn", "status": "ok", "units": 25, "reported": 3,
                             "files": {"xlsx": "2021-Q3/439-huong-son/tong-hop.xlsx"}},
        "2021-Q3/18133": {"commune": "18133", "period": "2021-Q3", "name": "Thị trấn Phố Châu", "status": "no_data",
                          "files": {}, "figures": {}, "error": None},
    }
    html = write_index(tmp_path, manifest).read_text(encoding="utf-8")
    link = html.index('href="2021-Q3/439-huong-son/tong-hop.xlsx"')
    assert link < html.index("<td>18133</td>") and "Huyện Hương Sơn" in html and "3/25" in html
    assert "0 báo cáo · 1 xã chưa gửi báo cáo" in html  # the area is not counted as a commune's report

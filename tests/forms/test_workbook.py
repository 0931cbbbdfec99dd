"""The fill-in form: its layout and protections, the previous period beside it, and the round trip."""

import shutil

import pytest
from openpyxl import load_workbook

from pipeline.cli import main
from pipeline.config import DataPaths
from pipeline.domain.catalogue import load_catalogue
from pipeline.forms.workbook import (
    COL_CODE,
    COL_LABEL,
    COL_NOTE,
    COL_PREVIOUS,
    COL_UNIT,
    COL_VALUE,
    FIRST_ROW,
    META_SHEET,
    SUPPLEMENTARY_TITLE,
    form_rows,
)
from pipeline.ingest import ingest
from pipeline.store import Store
from tests.helpers import SEED


@pytest.fixture(scope="module")
def form_with_history(tmp_path_factory):
    """The Sơn Phú form for 2021-Q4, after the seed (2021-Q3) was ingested."""
    root = tmp_path_factory.mktemp("form")
    data = DataPaths(root)
    data.raw.mkdir()
    shutil.copy(SEED, data.raw / SEED.name)
    ingest(None, data=data)
    path = root / "out" / "18217_2021-Q4.xlsx"
    assert main(["template", "--commune", "18217", "--period", "2021-Q4", "-o", str(path),
                 "--data-dir", str(root)]) == 0
    return path, data


def rows_by_code(ws):
    return {ws.cell(r, COL_CODE).value: r for r in range(FIRST_ROW, ws.max_row + 1) if ws.cell(r, COL_CODE).value}


def test_form_rows_follow_the_catalogue():
    rows = form_rows(load_catalogue(), period="2021-Q3")
    cat = load_catalogue().for_period("2021-Q3").table
    assert rows.loc[rows["row_type"] != "section", "code"].tolist() == cat["code"].tolist()
    section = rows.index[rows["row_type"] == "section"][0]
    assert rows.at[section, "label"] == SUPPLEMENTARY_TITLE and rows.at[section + 1, "code"] == "S.HS.NHAN_MOI"
    later = form_rows(load_catalogue(), period="2023-Q1").set_index("code")
    assert later.at["7.1.8.1", "label"].endswith("toàn trình")  # the catalogue version of the period


def test_layout_protection_and_validation(form_with_history):
    path, _ = form_with_history
    wb = load_workbook(path)
    ws = wb["Phụ lục 2B"]
    at = rows_by_code(ws)
    header = [ws.cell(r, c).value for r in range(1, FIRST_ROW) for c in range(1, 7) if ws.cell(r, c).value]
    assert "XÃ SƠN PHÚ" in header and any("QUÝ IV NĂM 2021" in str(h) for h in header)
    assert {"18217", "2021-Q4"} <= set(header)
    # locked codes and labels, unlocked values and notes, no password
    assert ws.protection.sheet and not ws.protection.password
    r = at["1.1.1"]
    assert ws.cell(r, COL_CODE).protection.locked and ws.cell(r, COL_LABEL).protection.locked
    assert not ws.cell(r, COL_VALUE).protection.locked and not ws.cell(r, COL_NOTE).protection.locked
    assert ws.cell(at["1.1"], COL_VALUE).protection.locked  # a heading takes no value
    assert ws.cell(r, COL_UNIT).value == "Nhiệm vụ"
    # validations by kind
    rules = {}
    for dv in ws.data_validations.dataValidation:
        for cell in str(dv.sqref).split():
            rules[cell] = dv
    count, percent, category = (rules[f"D{at[c]}"] for c in ("1.1.1", "3.4.3", "1.4.2"))
    assert (count.type, count.operator, count.formula1) == ("whole", "greaterThanOrEqual", "0")
    assert (percent.type, percent.operator, percent.formula1, percent.formula2) == ("decimal", "between", "0", "100")
    assert (category.type, category.formula1) == ("list", '"0,1,2"') and "Phát phiếu" in category.prompt
    assert ws.cell(at["1.4.2"], COL_UNIT).value.startswith("Trực tuyến = 0")  # the legend shown
    assert rules[f"D{at['S.NS.TY_LE_DU_TOAN']}"].operator == "greaterThanOrEqual"  # % of plan may pass 100
    # rows that do not apply to communes are greyed out, the others not
    assert ws.cell(at["3.4.1"], COL_LABEL).fill.fgColor.rgb.endswith("E7E6E6")
    assert not ws.cell(at["3.4.3"], COL_LABEL).fill.fgColor.rgb.endswith("E7E6E6")
    # the supplementary section, and the record of commune and period
    assert any(ws.cell(r, COL_LABEL).value == SUPPLEMENTARY_TITLE for r in range(FIRST_ROW, ws.max_row + 1))
    assert "S.NS.THU" in at
    meta = wb[META_SHEET]
    assert meta.sheet_state == "hidden"
    fields = {row[0]: row[1] for row in meta.iter_rows(values_only=True)}
    assert fields["commune_code"] == "18217" and fields["period"] == "2021-Q4"
    props = {p.name: p.value for p in wb.custom_doc_props.props}
    assert props["cchc_commune_code"] == "18217" and props["cchc_period"] == "2021-Q4"


def test_previous_period_shown_for_reference(form_with_history):
    path, _ = form_with_history
    ws = load_workbook(path)["Phụ lục 2B"]
    at = rows_by_code(ws)
    assert "2021-Q3" in ws.cell(FIRST_ROW - 2, COL_PREVIOUS).value
    assert ws.cell(at["1.1.1"], COL_PREVIOUS).value == 6
    assert ws.cell(at["7.1.8.3"], COL_PREVIOUS).value == 21.1
    assert ws.cell(at["1.4.2"], COL_PREVIOUS).value == "0 – Trực tuyến"
    assert ws.cell(at["S.NS.THU"], COL_PREVIOUS).value == 2590755750
    assert ws.cell(at["1.1.3"], COL_PREVIOUS).value is None  # blank stays blank


FILLED = {
    "1.1.1": 8, "1.1.2": "07", "1.3.1": 4, "1.3.2": 4, "1.4.1": 120, "1.4.2": 1, "1.5": 1, "2.1": 0,
    "3.1.3.c": 176, "3.2.1": 172, "3.3.3": 100, "3.4.3": 99.5, "4.2.1": 18, "4.2.2": 18,
    "7.1.1": "Đạt", "7.1.8.3": 25.4, "7.2.5.1": 480,
    "S.HS.NHAN_MOI": 500, "S.HS.DA_GIAI_QUYET": 498, "S.HS.DUNG_HEN": 496, "S.HS.QUA_HAN": 2,
    "S.NS.THU": 812500000, "S.NS.TY_LE_DU_TOAN": 112.5,
}


def test_filled_form_round_trips_without_warnings(form_with_history, tmp_path):
    path, _ = form_with_history
    wb = load_workbook(path)
    ws = wb["Phụ lục 2B"]
    at = rows_by_code(ws)
    for code, value in FILLED.items():
        ws.cell(at[code], COL_VALUE).value = value
    ws.cell(at["7.1.8.3"], COL_NOTE).value = "(Lũy kế 23,9%)"
    data = DataPaths(tmp_path)
    data.raw.mkdir()
    wb.save(data.raw / "filled.xlsx")  # the commune's own file name: the form names commune and period itself
    result = ingest(None, data=data)
    assert result.issues.empty, result.issues.to_dict("records")
    values = Store(data).read("values")
    assert set(values["commune_code"]) == {"18217"} and set(values["period"]) == {"2021-Q4"}
    got = values.set_index("indicator_code")
    expected = {c: (7 if v == "07" else v) for c, v in FILLED.items() if c != "7.1.1"}
    assert got["value"].dropna().to_dict() == pytest.approx(expected)
    assert got.at["7.1.1", "value_text"] == "Đạt"
    assert got.at["7.1.8.3", "cumulative_value"] == 23.9
    assert got.at["1.1.1", "source_row"] == at["1.1.1"]


def test_form_of_another_commune_and_a_tampered_form(tmp_path):
    path = tmp_path / "form.xlsx"
    assert main(["template", "--commune", "18133", "--period", "2022-6M", "-o", str(path),
                 "--data-dir", str(tmp_path)]) == 0
    wb = load_workbook(path)
    ws = wb["Phụ lục 2B"]
    ws.cell(rows_by_code(ws)["1.1.1"], COL_VALUE).value = 3
    data = DataPaths(tmp_path / "d")
    data.raw.mkdir(parents=True)
    wb.save(data.raw / "ok.xlsx")
    wb[META_SHEET]["B4"] = "2022-Q2"  # the hidden record now disagrees with the title
    wb.save(data.raw / "tampered.xlsx")
    result = ingest(None, data=data)
    values = Store(data).read("values")
    assert values[["commune_code", "period", "value"]].values.tolist() == [["18133", "2022-6M", 3]]
    error = result.issues.loc[result.issues["file"] == "tampered.xlsx"].iloc[0]
    assert "says 2022-6M but the form's hidden sheet says 2022-Q2" in error["message"]


def test_template_command_errors(tmp_path, capsys):
    assert main(["template", "--commune", "18217", "--period", "2021-Q3", "-o", str(tmp_path / "f.csv")]) == 2
    assert main(["template", "--commune", "99999", "--period", "2021-Q3", "-o", str(tmp_path / "f.xlsx")]) == 2
    assert "unknown commune code" in capsys.readouterr().err
    assert not (tmp_path / "f.xlsx").exists()


def test_an_empty_form_sent_back_is_a_warning_not_a_silent_nothing(tmp_path):
    data = DataPaths(tmp_path)
    data.raw.mkdir()
    assert main(["template", "--commune", "18217", "--period", "2021-Q3", "-o", str(data.raw / "f.xlsx"),
                 "--data-dir", str(tmp_path)]) == 0
    result = ingest(None, data=data)
    assert result.counts["values"] == 0 and result.ok
    assert result.issues["message"].tolist() == ["no values filled in"]


def test_template_of_a_successor_after_july_2025_has_the_period_s_catalogue(tmp_path):
    """Issue 14: ``cchc template`` for Xã Hương Sơn (18133 from 1/7/2025) in 2026-Q4: the unit of the period,
    the Nghị định 42/2022 rows ("toàn trình", "một phần"), and its own stored 2026-Q3 beside them; the same code
    in 2021-Q4 is Thị trấn Phố Châu with the levels 3 and 4 rows, and none of Xã Hương Sơn's values."""
    from devtools.sample import generate_district, write_long_csv

    data = DataPaths(tmp_path / "d")
    data.raw.mkdir(parents=True)
    write_long_csv(generate_district(communes=["18133"], periods=["2026-Q3"]), data.raw / "huong-son.csv")
    assert ingest(None, data=data).ok
    stored = Store(data).read("values").set_index("indicator_code")
    assert set(stored["commune_key"]) == {"18133@2025-07-01"}

    forms = {}
    for period in ("2026-Q4", "2021-Q4"):
        path = tmp_path / f"18133_{period}.xlsx"
        assert main(["template", "--commune", "18133", "--period", period, "-o", str(path),
                     "--data-dir", str(data.root)]) == 0
        forms[period] = load_workbook(path)["Phụ lục 2B"]
    new, old = forms["2026-Q4"], forms["2021-Q4"]
    assert new["A2"].value == "XÃ HƯƠNG SƠN" and "QUÝ IV NĂM 2026" in new["A5"].value
    assert old["A2"].value == "THỊ TRẤN PHỐ CHÂU"
    labels = {p: {ws.cell(r, COL_CODE).value: ws.cell(r, COL_LABEL).value for r in rows_by_code(ws).values()}
              for p, ws in forms.items()}
    assert labels["2026-Q4"]["7.1.8.1"] == "Tổng số TTHC cung cấp dịch vụ công trực tuyến toàn trình"
    assert labels["2026-Q4"]["7.1.8.2"] == "Tổng số TTHC cung cấp dịch vụ công trực tuyến một phần"
    assert labels["2026-Q4"]["7.1.8.4"] == "Tỷ lệ hồ sơ xử lý trực tuyến một phần"
    assert labels["2021-Q4"]["7.1.8.1"] == "Tổng số TTHC cung cấp trực tuyến mức độ 3"
    assert labels["2021-Q4"]["7.1.8.3"] == "Tỷ lệ hồ sơ xử lý trực tuyến mức độ 3"
    at = rows_by_code(new)
    for code in ("7.1.8.1", "7.1.8.4", "S.HS.NHAN_MOI", "4.2.1"):
        assert new.cell(at[code], COL_PREVIOUS).value == pytest.approx(stored.at[code, "value"]), code
    at = rows_by_code(old)
    assert all(old.cell(r, COL_PREVIOUS).value is None for r in at.values())  # Phố Châu: nothing stored

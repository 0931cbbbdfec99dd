import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from pipeline.cli import main
from pipeline.config import data_paths
from pipeline.store import Store
from tests.helpers import SEED


def test_ingest_then_export_csv(seed_data, capsys, tmp_path):
    assert main(["ingest", "--data-dir", str(seed_data.root)]) == 0
    out = capsys.readouterr().out
    assert "1 new submission(s) (46 values)" in out and "staff present (19)" in out
    target = tmp_path / "out" / "sonphu.csv"
    assert main(["export", "--data-dir", str(seed_data.root), "--period", "2021-Q3", "--commune", "18217",
                 "-o", str(target)]) == 0
    frame = pd.read_csv(target, dtype={"commune_code": str})
    for col in ["commune_code", "commune_name", "period", "indicator_code", "value", "cumulative_value", "unit",
                "source_file", "source_row"]:
        assert col in frame.columns
    row = frame.set_index("indicator_code").loc["S.NS.THU"]
    assert row["commune_name"] == "Xã Sơn Phú" and row["value"] == 2590755750 and row["unit"] == "đồng"
    assert "2590755750," in target.read_text()  # not 2.59e+09


def test_export_parquet(seed_data, tmp_path):
    main(["ingest", "--data-dir", str(seed_data.root)])
    target = tmp_path / "x.parquet"
    assert main(["export", "--data-dir", str(seed_data.root), "--period", "2021-Q3", "--format", "parquet",
                 "-o", str(target)]) == 0
    assert len(pd.read_parquet(target)) == 46


def test_exit_codes(seed_data, capsys):
    shutil.copy(SEED.parent.parent.parent / "tests" / "fixtures" / "malformed" / "bad_negative_count.csv",
                seed_data.raw)
    assert main(["ingest", "--data-dir", str(seed_data.root)]) == 1
    assert "ERROR" in capsys.readouterr().out
    assert main(["export", "--data-dir", str(seed_data.root), "--period", "2021-Q9"]) == 2
    assert main(["export", "--data-dir", str(seed_data.root), "--period", "2021-Q3", "--format", "parquet"]) == 2
    try:
        main(["frobnicate"])
    except SystemExit as exc:
        assert exc.code == 2


def test_catalogue_csv(capsys):
    assert main(["catalogue", "--format", "csv", "--period", "2021-Q3"]) == 0
    frame = pd.read_csv(pd.io.common.StringIO(capsys.readouterr().out), dtype=str)
    assert "S.HS.DUNG_HEN" in set(frame["code"]) and len(frame) == 158


def test_metrics_and_findings_commands(seed_data, capsys, tmp_path):
    main(["ingest", "--data-dir", str(seed_data.root)])
    capsys.readouterr()
    target = tmp_path / "m.csv"
    assert main(["metrics", "--data-dir", str(seed_data.root), "--period", "2021-Q3", "--commune", "18217",
                 "-o", str(target)]) == 0
    frame = pd.read_csv(target, dtype={"commune_code": str})
    for col in ["commune_code", "period", "metric", "value", "numerator", "denominator", "unit", "previous_value",
                "change", "yoy_value", "yoy_change", "target", "target_met"]:
        assert col in frame.columns
    row = frame.set_index("metric").loc["R.HS.DUNG_HEN"]
    assert (row["value"], row["numerator"], row["denominator"]) == (100, 490, 490)
    assert main(["findings", "--data-dir", str(seed_data.root), "--period", "2021-Q3"]) == 0
    out = capsys.readouterr().out
    assert "bưu chính công ích" in out and "(19 người)" in out


@pytest.mark.slow  # executes a notebook, renders a PDF
def test_render_command(seed_data, capsys, tmp_path):
    main(["ingest", "--data-dir", str(seed_data.root)])
    assert main(["render", "--commune", "18217", "--period", "2021-Q3", "--format", "html",
                 "--data-dir", str(seed_data.root), "--outputs-dir", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    html = tmp_path / "out" / "2021-Q3" / "18217-son-phu" / "report.html"
    assert str(html) in out and html.exists()
    assert not (html.parent / "report.pdf").exists()
    assert (html.parent / "checklist.html").exists() and "checklist items:" in out
    assert main(["render", "--commune", "18217", "--period", "2021-Q3", "--format", "docx",
                 "--data-dir", str(seed_data.root), "--outputs-dir", str(tmp_path / "out")]) == 2
    assert main(["render", "--commune", "99999", "--period", "2021-Q3",
                 "--data-dir", str(seed_data.root), "--outputs-dir", str(tmp_path / "out")]) == 2


def test_render_checklist_only(seed_data, capsys, tmp_path):
    """--checklist-only writes the analyst's checklist into the report's folder, without the notebook."""
    main(["ingest", "--data-dir", str(seed_data.root)])
    capsys.readouterr()
    assert main(["render", "--commune", "18217", "--period", "2021-Q3", "--checklist-only",
                 "--data-dir", str(seed_data.root), "--outputs-dir", str(tmp_path / "out")]) == 0
    folder = tmp_path / "out" / "2021-Q3" / "18217-son-phu"
    assert sorted(p.name for p in folder.iterdir()) == ["checklist.html"]
    out = capsys.readouterr().out
    assert str(folder / "checklist.html") in out and re.search(r"checklist items: \d+", out)
    assert "Xã Sơn Phú" in (folder / "checklist.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    (root / "raw").mkdir()
    shutil.copy(SEED, root / "raw" / SEED.name)
    assert main(["ingest", "--data-dir", str(root)]) == 0
    return root


def _one_line_error(capsys, *fragments: str) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in err, err
    return err


@pytest.mark.parametrize(("argv", "fragments"), [
    (["export", "--period", "2021-Q9"], ["--period: not a period id: '2021-Q9'"]),
    (["metrics", "--period", "Q3-2021"], ["--period: not a period id"]),
    (["findings", "--period", "2021-Q3", "--commune", "99999"], ["--commune: unknown commune code '99999'"]),
    (["render", "--commune", "18217", "--period", "2021-Q3", "--format", "html,docx"], ["--format: unknown format",
                                                                                       "html, pdf"]),
    (["render", "--commune", "18217", "--period", "2021-Q3", "--format", ","], ["--format"]),
    (["render", "--commune", "99999", "--period", "2021-Q3"], ["--commune: unknown commune code"]),
    (["render", "--commune", "18217", "--period", "2030-Q3"],
     ["--commune: commune code 18217 is not valid in 2030-Q3"]),
    (["template", "--commune", "18217", "--period", "2021-Q5", "-o", "f.xlsx"], ["--period"]),
    (["batch", "--period", "2021-Q3", "--format", "pdf,png"], ["--format: unknown format(s) ['png']"]),
    (["batch", "--period", "2021-Q3", "--communes", "18217,12345"], ["--commune: unknown commune code '12345'"]),
    (["batch", "--period", "2021-Q3", "--district", "999"], ["--district: unknown district code '999'"]),
    (["catalogue", "--period", "2021"], ["--period: not a period id"]),
    (["export", "--period", "2021-Q3", "--format", "parquet"], ["--format parquet needs -o FILE"]),
])
def test_wrong_usage_exits_2_with_one_line(ingested, capsys, argv, fragments):
    data = [] if argv[0] == "catalogue" else ["--data-dir", str(ingested)]
    assert main(argv + data) == 2
    _one_line_error(capsys, *fragments)


@pytest.mark.parametrize("command", [["metrics", "--period", "2021-Q3"], ["findings", "--period", "2021-Q3"],
                                     ["export", "--period", "2021-Q3"],
                                     ["render", "--commune", "18217", "--period", "2021-Q3"]])
def test_a_data_dir_missing_or_without_processed_data_is_wrong_usage(tmp_path, capsys, command):
    assert main(command + ["--data-dir", str(tmp_path / "nope")]) == 2
    _one_line_error(capsys, "--data-dir: no such directory", str(tmp_path / "nope"))
    (tmp_path / "empty").mkdir()
    assert main(command + ["--data-dir", str(tmp_path / "empty")]) == 2
    _one_line_error(capsys, "no processed data in", "run 'cchc ingest --data-dir")


def test_ingest_of_a_missing_path_or_dir_is_wrong_usage(tmp_path, capsys):
    assert main(["ingest", "--data-dir", str(tmp_path), str(tmp_path / "missing.csv")]) == 2
    _one_line_error(capsys, "no such file or directory", "missing.csv")
    assert main(["ingest", "--data-dir", str(tmp_path / "nope")]) == 2
    _one_line_error(capsys, "--data-dir: no such directory")


def test_a_truncated_table_is_an_error_naming_the_file(ingested, tmp_path, capsys):
    root = tmp_path / "data"
    shutil.copytree(ingested, root)
    table = Store(data_paths(root)).path("values")  # the version the pointer names
    table.write_bytes(table.read_bytes()[:300])
    for argv in (["export", "--period", "2021-Q3"], ["metrics", "--period", "2021-Q3"], ["ingest"]):
        assert main(argv + ["--data-dir", str(root)]) == 1
        _one_line_error(capsys, f"{table}: unreadable table, truncated or corrupt", "run 'cchc ingest' to rebuild")


def test_a_read_only_processed_dir_is_an_error_naming_it(tmp_path, capsys, monkeypatch):
    import errno
    import tempfile

    (tmp_path / "raw").mkdir()
    shutil.copy(SEED, tmp_path / "raw" / SEED.name)

    def read_only(prefix="", suffix="", dir=None, **kw):  # what a read-only directory answers (even to root)
        raise PermissionError(errno.EACCES, "Permission denied", str(Path(dir) / f"{prefix}x{suffix}"))

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    assert main(["ingest", "--data-dir", str(tmp_path)]) == 1
    _one_line_error(capsys, f"{tmp_path / 'processed'}: permission denied; make it writable")

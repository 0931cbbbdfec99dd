import shutil

import pandas as pd

from pipeline.cli import main
from tests.conftest import SEED


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
    shutil.copy(SEED.parent.parent.parent / "tests" / "fixtures" / "malformed" / "bad_negative_count.csv", seed_data.raw)
    assert main(["ingest", "--data-dir", str(seed_data.root)]) == 1
    assert "ERROR" in capsys.readouterr().out
    assert main(["export", "--data-dir", str(seed_data.root), "--period", "2021-Q9"]) == 1
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


def test_render_command(seed_data, capsys, tmp_path):
    main(["ingest", "--data-dir", str(seed_data.root)])
    assert main(["render", "--commune", "18217", "--period", "2021-Q3", "--format", "html",
                 "--data-dir", str(seed_data.root), "--outputs-dir", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    html = tmp_path / "out" / "2021-Q3" / "18217-son-phu" / "report.html"
    assert str(html) in out and html.exists()
    assert not (html.parent / "report.pdf").exists()
    assert main(["render", "--commune", "18217", "--period", "2021-Q3", "--format", "docx",
                 "--data-dir", str(seed_data.root), "--outputs-dir", str(tmp_path / "out")]) == 1
    assert main(["render", "--commune", "99999", "--period", "2021-Q3",
                 "--data-dir", str(seed_data.root), "--outputs-dir", str(tmp_path / "out")]) == 1

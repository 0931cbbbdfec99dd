import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from pipeline.cli import main
from pipeline.config import DataPaths, data_paths
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
    assert "còn chậm" in out and "(19 người)" in out  # a report finding and a checklist one (7.1.9 is blank: none)


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
    assert main(["render", "--commune", "18217", "--period", "2021-Q3", "--format", "odt",
                 "--data-dir", str(seed_data.root), "--outputs-dir", str(tmp_path / "out")]) == 2
    capsys.readouterr()
    assert main(["render", "--commune", "18217", "--period", "2021-Q3", "--format", "docx",
                 "--data-dir", str(seed_data.root), "--outputs-dir", str(tmp_path / "out")]) == 0
    word = html.parent / "report.docx"
    assert str(word) in capsys.readouterr().out and not html.exists()
    import docx

    text = "\n".join(p.text for p in docx.Document(str(word)).paragraphs)
    assert "I. KẾT QUẢ ĐẠT ĐƯỢC" in text and "Phụ lục 2B" in text
    assert main(["render", "--commune", "99999", "--period", "2021-Q3",
                 "--data-dir", str(seed_data.root), "--outputs-dir", str(tmp_path / "out")]) == 2


def test_render_draft(seed_data, capsys, tmp_path):
    """--draft renders the draft (DỰ THẢO, blank number); the same command without it, the report to sign."""
    main(["ingest", "--data-dir", str(seed_data.root)])
    common = ["--commune", "18217", "--period", "2021-Q3", "--format", "html", "--data-dir", str(seed_data.root),
              "--outputs-dir", str(tmp_path / "out")]
    html = tmp_path / "out" / "2021-Q3" / "18217-son-phu" / "report.html"
    assert main(["render", *common, "--draft"]) == 0
    text = html.read_text(encoding="utf-8")
    assert "DỰ THẢO" in text and "52/BC-UBND" not in text and 'class="generated draft-mark"' in text
    assert main(["render", *common]) == 0
    text = html.read_text(encoding="utf-8")
    assert "DỰ THẢO" not in text and "52/BC-UBND" in text and "draft-mark\"" not in text


def test_batch_draft_reaches_the_batch(ingested, monkeypatch, tmp_path):
    import pipeline.batch.run as batch_run
    from pipeline.batch.run import BatchResult

    calls = []
    monkeypatch.setattr(batch_run, "run_batch", lambda period, **kw: calls.append(kw) or BatchResult())
    common = ["--period", "2021-Q3", "--data-dir", str(ingested), "--outputs-dir", str(tmp_path / "out")]
    assert main(["batch", *common, "--draft"]) == 0 and main(["batch", *common]) == 0
    assert [kw["draft"] for kw in calls] == [True, False]


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
    (["render", "--commune", "18217", "--period", "2021-Q3", "--format", "html,odt"], ["--format: unknown format",
                                                                                      "html, pdf, docx"]),
    (["render", "--commune", "18217", "--period", "2021-Q3", "--format", ","], ["--format"]),
    (["render", "--commune", "99999", "--period", "2021-Q3"], ["--commune: unknown commune code"]),
    (["render", "--commune", "18217", "--period", "2030-Q3"],
     ["--commune: commune code 18217 is not valid in 2030-Q3"]),
    (["template", "--commune", "18217", "--period", "2021-Q5", "-o", "f.xlsx"], ["--period"]),
    (["batch", "--period", "2021-Q3", "--format", "pdf,png"], ["--format: unknown format(s) ['png']"]),
    (["batch", "--period", "2021-Q3", "--communes", "18217,12345"], ["--commune: unknown commune code '12345'"]),
    (["batch", "--period", "2021-Q3", "--district", "999"], ["--district: unknown district code '999'"]),
    (["batch", "--period", "2021-Q3", "--period", "2026-Q9"], ["--period: not a period id: '2026-Q9'"]),
    (["batch", "--period", "2021-Q3", "--period", "2026-Q3", "--communes", "18217"],
     ["--commune: commune code 18217 is not valid in 2026-Q3", "became part of Xã Hương Sơn (code 18133)"]),
    (["batch", "--period", "2025-Q3", "--province", "99"], ["--province: unknown province code '99'"]),
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


def test_batch_takes_several_periods_in_one_run(ingested, monkeypatch, tmp_path):
    """``make run`` is ``cchc batch --period 2021-Q3 --period 2026-Q3``: one run (one lock, one index) for both
    periods, in order, each once; a code given with --communes is looked up in each period (18133: Thị trấn Phố
    Châu in 2021-Q3, Xã Hương Sơn in 2026-Q3), and one period alone is still one Period with its units."""
    import re

    import pipeline.batch.run as batch_run
    from pipeline.batch.run import BatchResult

    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^PERIODS \?= 2021-Q3 2026-Q3$", makefile, re.M)
    assert "$(BIN)/cchc batch $(addprefix --period ,$(PERIODS))" in makefile

    calls = []
    monkeypatch.setattr(batch_run, "run_batch", lambda period, **kw: calls.append((period, kw)) or BatchResult())
    common = ["--data-dir", str(ingested), "--outputs-dir", str(tmp_path / "out")]
    assert main(["batch", "--period", "2026-Q3", "--period", "2021-Q3", "--period", "2021-Q3"] + common) == 0
    assert main(["batch", "--period", "2021-Q3", "--period", "2026-Q3", "--communes", "18133"] + common) == 0
    assert main(["batch", "--period", "2021-Q3", "--communes", "18133"] + common) == 0
    (both, kw), (named, kw_named), (one, kw_one) = calls
    assert [p.id for p in both] == ["2021-Q3", "2026-Q3"] and kw["communes"] is None
    assert [p.id for p in named] == ["2021-Q3", "2026-Q3"] and kw_named["communes"] == ["18133"]
    assert [p.id for p in one] == ["2021-Q3"] and [u.key for u in kw_one["communes"]] == ["18133@2019-12-15"]
    units = [batch_run._select(p, data=DataPaths(ingested), communes=kw_named["communes"], district=None)
             for p in named]
    assert [[u.full_name for u in us] for us in units] == [["Thị trấn Phố Châu"], ["Xã Hương Sơn"]]


@pytest.mark.parametrize(("commune", "name"), [
    ("18133", "Xã Hương Sơn"),  # a successor with its predecessors' history, but nothing of 2025-Q4 itself
    ("18163", "Xã Sơn Tiến"),  # nothing at all
])
def test_render_of_a_commune_without_data_says_so_and_writes_nothing(tmp_path, capsys, commune, name):
    from tests.helpers import ingested_rows, merger_rows

    data = ingested_rows(tmp_path / "data", merger_rows())
    outputs = tmp_path / "outputs"
    period = "2025-Q4" if commune == "18133" else "2025-Q3"
    label = "quý IV năm 2025" if commune == "18133" else "quý III năm 2025"
    assert main(["render", "--commune", commune, "--period", period, "--data-dir", str(data.root),
                 "--outputs-dir", str(outputs), "--format", "html"]) == 1
    _one_line_error(capsys, f"cchc: error: no data for {name} ({commune}) in {period} (chưa gửi báo cáo {label})",
                    "nothing rendered")
    assert not outputs.exists()


def test_registry_import_show_and_list(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    units = tmp_path / "don_vi.csv"
    units.write_text("Mã;Tên;Loại;Hiệu lực từ;Sáp nhập từ;Mã tỉnh\n18166;Sơn Mới;xã;01/01/2027;18160;42\n",
                     encoding="utf-8")
    assert main(["registry", "import", str(units), "--data-dir", str(data)]) == 0
    assert "1 unit(s) read, 1 added, 0 replaced" in capsys.readouterr().out
    assert main(["registry", "show", "18166", "--data-dir", str(data)]) == 0
    out = capsys.readouterr().out
    assert "18166 Xã Sơn Mới [18166@2027-01-01] 01/01/2027–nay; Hà Tĩnh (42)" in out
    assert "predecessors: Xã Sơn Hồng (18160@2025-07-01)" in out and "don_vi.csv row 2" in out
    assert main(["registry", "show", "18160", "--period", "2021-Q3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("18160 Xã Sơn Lĩnh [18160@2019-12-15]") and "successors: Xã Sơn Hồng" in out
    assert main(["registry", "list", "--period", "2026-Q3", "--province", "42", "--format", "csv"]) == 0
    listed = pd.read_csv(pd.io.common.StringIO(capsys.readouterr().out), dtype=str)
    assert len(listed) == 69 and "Xã Hương Sơn" in set(listed["name"])


def test_registry_import_of_a_malformed_file_names_the_row(tmp_path, capsys):
    units = tmp_path / "don_vi.csv"
    units.write_text("Mã,Tên,Loại,Hiệu lực từ,Mã tỉnh\n18166,Sơn Mới,xã,01/01/2027,42\n18167,Sơn Cũ,xã,2027,42\n",
                     encoding="utf-8")
    assert main(["registry", "import", str(units), "--data-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "don_vi.csv, row 3: column 'Hiệu lực từ': not a date; value '2027'" in err
    assert not (tmp_path / "registry").exists()
    assert main(["registry", "import", str(tmp_path / "none.csv"), "--data-dir", str(tmp_path)]) == 2


def test_export_of_a_province_lists_its_communes_with_data(tmp_path, capsys):
    """After 1/7/2025 the province is the area: `cchc export --province 42` lists Hà Tĩnh's communes that have
    figures for the period (three here), not Phường Ba Đình of Hà Nội, nor the province's other 66 units."""
    from tests.helpers import ingested_rows, merger_rows

    data = ingested_rows(tmp_path / "data", merger_rows() + [("00004", "2025-Q3", "S.HS.NHAN_MOI", 900)])
    assert main(["export", "--period", "2025-Q3", "--province", "42", "--data-dir", str(data.root)]) == 0
    frame = pd.read_csv(pd.io.common.StringIO(capsys.readouterr().out), dtype=str)
    assert sorted(set(frame["commune_name"])) == ["Xã Hương Sơn", "Xã Kim Hoa", "Xã Sơn Hồng"]
    assert main(["export", "--period", "2025-Q3", "--data-dir", str(data.root)]) == 0
    everyone = pd.read_csv(pd.io.common.StringIO(capsys.readouterr().out), dtype=str)
    assert "Phường Ba Đình" in set(everyone["commune_name"])


@pytest.fixture(scope="module")
def reporting(tmp_path_factory):
    from tests.helpers import reporting_area

    return reporting_area(tmp_path_factory.mktemp("status") / "data")


def _late_days(data: DataPaths, commune: str, period: str) -> int:
    """Days from the deadline (20th of the period's last month) to the day ``commune``'s first submission was
    ingested, in Vietnam's time, read from the store (the ingest time is the run's clock)."""
    from datetime import date

    subs = Store(data).read("submissions")
    first = subs.loc[(subs["commune_code"] == commune) & (subs["period"] == period), "ingested_at"].min()
    due = date(int(period[:4]), 3 * int(period[-1]), 20)
    return (first.tz_convert("Asia/Ho_Chi_Minh").date() - due).days


def test_status_lists_the_area_on_time_late_missing_and_resubmitted(reporting, capsys):
    argv = ["status", "--period", "2021-Q3", "--area", "439", "--data-dir", str(reporting.root)]
    assert main(argv + ["--format", "csv"]) == 0
    frame = pd.read_csv(pd.io.common.StringIO(capsys.readouterr().out), dtype=str, keep_default_na=False)
    assert len(frame) == 25 and set(frame["commune_code"].str[:3]) == {"181", "182"}  # Hương Sơn's 25 units
    rows = frame.set_index("commune_code")
    son_phu, pho_chau, tay_son = rows.loc["18217"], rows.loc["18133"], rows.loc["18136"]
    assert (son_phu["status"], son_phu["judged_on"], son_phu["date_source"], son_phu["days_late"]) == (
        "đúng hạn", "2021-09-14", "ngày trên văn bản", "0")
    assert son_phu["files"] == "000_9c1b2be0e2b3796f.txt" and son_phu["doc_date"] == "2021-09-14"
    # no date on a CSV: judged on the ingest time (this run, long after 20/09/2021), and said so
    assert (tay_son["status"], tay_son["date_source"]) == ("nộp muộn", "thời điểm nhập")
    assert int(tay_son["days_late"]) == _late_days(reporting, "18136", "2021-Q3") > 1000
    # the resubmission: the later file current, the earlier listed
    assert (pho_chau["resubmitted"], pho_chau["files"], pho_chau["superseded_files"]) == (
        "đã nộp lại", "pho-chau_v2.csv", "pho-chau_v1.csv")
    missing = frame.loc[frame["status"] == "chưa gửi báo cáo"]
    assert len(missing) == 22 and (missing["files"] == "").all() and (missing["days_late"] == "").all()
    assert (frame["deadline"] == "2021-09-20").all()

    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("district 439 Hương Sơn, 2021-Q3: due 20/09/2021 (6 days after the "
                                          "period's end, provinces.yaml); 25 unit(s): 3 sent (1 on time, 2 late), "
                                          "22 not sent, 1 resubmitted")
    line = next(x for x in out.splitlines() if x.strip().startswith("18217"))
    assert "Xã Sơn Phú" in line and "đúng hạn" in line and "14/09/2021" in line and "ngày trên văn bản" in line


def test_status_of_a_province_lists_its_units_only(reporting, capsys):
    assert main(["status", "--period", "2026-Q3", "--province", "42", "--format", "csv",
                 "--data-dir", str(reporting.root)]) == 0
    frame = pd.read_csv(pd.io.common.StringIO(capsys.readouterr().out), dtype=str, keep_default_na=False)
    assert len(frame) == 69 and "00004" not in set(frame["commune_code"])  # Ba Đình (Hà Nội) sent, elsewhere
    assert frame.loc[frame["commune_code"] == "18133", "status"].tolist() == ["nộp muộn"]
    assert (frame["status"] == "chưa gửi báo cáo").sum() == 68


@pytest.mark.parametrize(("argv", "fragment"), [
    (["--area", "439", "--period", "2026-Q3"], "districts ended on 30/6/2025: give the province code"),
    (["--area", "4", "--period", "2021-Q9"], "--period: not a period id"),
    (["--area", "43x", "--period", "2021-Q3"], "area '43x': expected a district code (3 digits"),
    (["--district", "999", "--period", "2021-Q3"], "unknown district code '999'"),
])
def test_status_of_a_wrong_area_or_period_exits_2_with_one_line(reporting, capsys, argv, fragment):
    assert main(["status", *argv, "--data-dir", str(reporting.root)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and fragment in err

"""The scheduled batch: incremental, fault-tolerant, locked, isolated, shareable, and on Dask."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import nbformat
import papermill as pm
import psutil
import pytest

from pipeline.batch.run import BatchLocked, batch_lock, read_manifest, run_batch
from pipeline.config import PROJECT_ROOT, DataPaths
from pipeline.render import engine
from tests.helpers import FIXTURES, SEED

pytestmark = pytest.mark.slow  # runs batches: worker processes, warm kernels, PDF, Dask

COMMUNES = ["18133", "18136", "18217"]
HTML = ("html",)


@pytest.fixture
def district(tmp_path):
    raw = tmp_path / "data" / "raw"
    raw.mkdir(parents=True)
    shutil.copy(SEED, raw / SEED.name)
    shutil.copy(FIXTURES / "metrics" / "two_communes.csv", raw / "two_communes.csv")
    return DataPaths(tmp_path / "data"), tmp_path / "outputs"


def _batch(data, outputs, **kw):
    kw.setdefault("communes", COMMUNES)
    kw.setdefault("formats", HTML)
    kw.setdefault("jobs", 0)  # in this process (the tests of the workers say jobs=2)
    return run_batch("2021-Q3", data=data, outputs_dir=outputs, progress=False, **kw)


def test_incremental_skip_and_selective_rerender(district, monkeypatch):
    import pipeline.batch.run as batch_run

    data, outputs = district
    first = _batch(data, outputs)
    assert sorted(r["commune"] for r in first.rendered) == COMMUNES and first.exit_code == 0
    made = {c: (outputs / "2021-Q3").glob(f"{c}-*/report.html") for c in COMMUNES}
    mtimes = {c: next(iter(p)).stat().st_mtime_ns for c, p in made.items()}

    # Nothing changed: no file is read again and no report is rendered (the rerun's cost, not its time).
    with monkeypatch.context() as m:
        m.setattr(batch_run, "render_job", lambda job: pytest.fail(f"rendered {job} although nothing changed"))
        m.setattr("pipeline.ingest.read_file", lambda *a, **k: pytest.fail("a file read again although unchanged"))
        second = _batch(data, outputs)
    assert not second.rendered and sorted(second.skipped) == [f"2021-Q3/{c}" for c in COMMUNES]

    # one commune's raw file changes (a figure that no other report shows): only that report is rendered
    csv = data.raw / "two_communes.csv"
    csv.write_text(csv.read_text(encoding="utf-8") + "18133,2021-Q3,1.1.1,9,\n", encoding="utf-8")
    third = _batch(data, outputs)
    assert [r["commune"] for r in third.rendered] == ["18133"]
    for c in ("18136", "18217"):
        assert next(iter((outputs / "2021-Q3").glob(f"{c}-*/report.html"))).stat().st_mtime_ns == mtimes[c]
    html = next(iter((outputs / "2021-Q3").glob("18133-*/report.html"))).read_text(encoding="utf-8")
    assert re.search(r'data-code="1\.1\.1">.*?<td class="value">9</td>', html, re.S)  # Phụ lục 2B's row

    forced = _batch(data, outputs, force=True)
    assert len(forced.rendered) == 3


def test_the_checklist_is_made_with_each_report_and_follows_the_previous_period(district, monkeypatch):
    """Each report gets its checklist, in the manifest (path and counts) and the index; a no-change rerun makes
    neither; a figure of the previous period alone (2021-Q2, blank in 2021-Q3) makes both again."""
    import pipeline.batch.run as batch_run

    data, outputs = district
    _batch(data, outputs, communes=["18133"])
    entry = read_manifest(outputs)["2021-Q3/18133"]
    page = outputs / entry["files"]["checklist"]
    assert page.name == "checklist.html" and page.parent == (outputs / entry["files"]["html"]).parent
    counts = entry["checklist"]
    assert counts["total"] == sum(v for k, v in counts.items() if k != "total") and counts["missing"] == 0
    index = (outputs / "index.html").read_text(encoding="utf-8")
    assert f'<a href="{entry["files"]["checklist"]}">{counts["total"]} mục</a>' in index

    with monkeypatch.context() as m:
        m.setattr(batch_run, "render_job", lambda job: pytest.fail(f"rendered {job} although nothing changed"))
        assert not _batch(data, outputs, communes=["18133"]).rendered

    csv = data.raw / "two_communes.csv"
    csv.write_text(csv.read_text(encoding="utf-8") + "18133,2021-Q2,1.4.1,50,\n", encoding="utf-8")
    again = _batch(data, outputs, communes=["18133"])
    assert [r["commune"] for r in again.rendered] == ["18133"]
    assert read_manifest(outputs)["2021-Q3/18133"]["checklist"]["missing"] == 1
    html = page.read_text(encoding="utf-8")
    assert "1.4.1</span> Số lượng phiếu khảo sát" in html and "chưa báo cáo" in html


def _rank(html: str, label: str) -> tuple[int, int]:
    """The commune's rank and group size in its report's rank table on the ratio ``label``."""
    row = re.search(rf"<tr><td>{re.escape(label)}</td><td class=\"value\">[^<]*</td>"
                    rf"<td class=\"value\">(\d+)/(\d+) xã có số liệu</td>",
                    html)
    assert row, f"no rank row for {label}"
    return int(row.group(1)), int(row.group(2))


def test_a_neighbours_change_of_a_key_ratio_rerenders_the_commune(district):
    """Stale report (issue 12): commune B's on-time dossiers change commune A's rank in the district on the
    on-time rate, so A's report is made again (it was skipped when only one ranking metric was hashed)."""
    from pipeline.batch.run import input_hashes
    from pipeline.domain.communes import load_registry
    from pipeline.domain.periods import Period

    data, outputs = district
    csv = data.raw / "two_communes.csv"
    text = csv.read_text(encoding="utf-8")
    csv.write_text(text.replace("18133,2021-Q3,S.HS.DUNG_HEN,100,", "18133,2021-Q3,S.HS.DUNG_HEN,90,"),
                   encoding="utf-8")
    label = "Tỷ lệ hồ sơ giải quyết trước hạn và đúng hạn"
    a, b = "18133", "18136"  # one district (Hương Sơn); A: 90 %, B: 100 % on time
    first = _batch(data, outputs, communes=[a, b])
    assert sorted(r["commune"] for r in first.rendered) == [a, b]
    report_a = next(iter((outputs / "2021-Q3").glob(f"{a}-*/report.html")))
    rank_before, of = _rank(report_a.read_text(encoding="utf-8"), label)
    period = Period.parse("2021-Q3")
    units = [load_registry().resolve(c, period) for c in (a, b)]
    before = input_hashes(units, period, data, formats=HTML)

    # only B's raw figure changes: 56 of 70 on time (80 %), now below A
    csv.write_text(csv.read_text(encoding="utf-8").replace("18136,2021-Q3,S.HS.DUNG_HEN,70,",
                                                           "18136,2021-Q3,S.HS.DUNG_HEN,56,"), encoding="utf-8")
    second = _batch(data, outputs, communes=[a, b])
    assert sorted(r["commune"] for r in second.rendered) == [a, b] and not second.skipped
    assert input_hashes(units, period, data, formats=HTML)[a] != before[a]
    assert _rank(report_a.read_text(encoding="utf-8"), label) == (rank_before - 1, of)


def test_index_lists_every_report(district):
    data, outputs = district
    _batch(data, outputs)
    index = (outputs / "index.html").read_text(encoding="utf-8")
    rows = re.findall(r'<tr data-status="(\w+)">(.*?)</tr>', index, flags=re.S)
    assert len(rows) == 3 and {s for s, _ in rows} == {"ok"}
    links = re.findall(r'href="([^"]+)"', index)
    assert len(links) == 6 and all(not link.startswith(("/", "http")) and (outputs / link).exists() for link in links)
    pages = sorted(link for link in links if link.endswith("/checklist.html"))
    assert [re.fullmatch(r"2021-Q3/(\d+)-[a-z-]+/checklist\.html", p)[1] for p in pages] == COMMUNES
    assert "Xã Sơn Phú" in index and 'id="filter"' in index
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:|//)""", index)


def test_several_periods_in_one_run_one_index(tmp_path, monkeypatch):
    """Issue 14 (``make run``): the seed's 2021-Q3 and the sample's 2026-Q3 in one run: one ingest, one index
    listing both periods, each report under the unit of its period (18133: Thị trấn Phố Châu in 2021-Q3, Xã Hương
    Sơn in 2026-Q3; 18160: Xã Sơn Lĩnh, then the new Xã Sơn Hồng); by default the communes with data in the period
    (18217 Sơn Phú, dissolved on 1/7/2025, is not in 2026-Q3).  Rendering is replaced by a stand-in here: what is
    checked is which reports the batch asks for and lists."""
    import pipeline.batch.run as batch_run
    from devtools.sample import generate_district, write_long_csv

    raw = tmp_path / "data" / "raw"
    raw.mkdir(parents=True)
    shutil.copy(SEED, raw / SEED.name)
    write_long_csv(generate_district(communes=["18133", "18160"], periods=["2021-Q3", "2026-Q3"]), raw / "sample.csv")
    data, outputs = DataPaths(tmp_path / "data"), tmp_path / "outputs"
    asked = []

    def stand_in(job):
        asked.append((job.period.id, job.commune.key))
        return {"key": job.key, "commune": job.commune.code, "period": job.period.id, "hash": job.inputs_hash,
                "status": "ok", "error": None, "detail": None, "attempts": 1, "seconds": 0.0, "pid": os.getpid(),
                "peak_rss_mb": 0.0, "kernel_peak_rss_mb": None, "directory": None, "files": {}}

    monkeypatch.setattr(batch_run, "render_job", stand_in)
    result = run_batch(["2026-Q3", "2021-Q3"], data=data, outputs_dir=outputs, progress=False, jobs=0, formats=HTML)
    assert result.exit_code == 0 and not result.failed
    assert asked == [("2021-Q3", "18133@2019-12-15"), ("2021-Q3", "18160@2019-12-15"),
                     ("2021-Q3", "18217@2019-12-15"), ("2026-Q3", "18133@2025-07-01"), ("2026-Q3", "18160@2025-07-01")]
    manifest = read_manifest(outputs)
    areas = {k: e for k, e in manifest.items() if e.get("kind") == "area"}
    assert {k: (e["name"], e["units"], e["reported"]) for k, e in areas.items()} == {
        "2021-Q3/area-439": ("Hương Sơn", 25, 3), "2026-Q3/area-42": ("Hà Tĩnh", 69, 2)}
    assert all((outputs / e["files"]["xlsx"]).is_file() for e in areas.values())
    # each area's summary report, the district's of 2021 and the province's of 2026, beside its workbook
    summaries = {k: e for k, e in manifest.items() if e.get("kind") == "summary"}
    assert {k: e["status"] for k, e in summaries.items()} == {"2021-Q3/area-439/summary": "ok",
                                                              "2026-Q3/area-42/summary": "ok"}
    assert (outputs / "2026-Q3" / "42-ha-tinh" / "summary.html").is_file()
    manifest = {k: e for k, e in manifest.items() if k not in areas and k not in summaries}
    made = {k: e for k, e in manifest.items() if e["status"] != "no_data"}
    assert {k: e["name"] for k, e in made.items()} == {
        "2021-Q3/18133": "Thị trấn Phố Châu", "2021-Q3/18160": "Xã Sơn Lĩnh", "2021-Q3/18217": "Xã Sơn Phú",
        "2026-Q3/18133": "Xã Hương Sơn", "2026-Q3/18160": "Xã Sơn Hồng"}
    # the other units of the areas with data (the district in 2021, the province in 2026) have not reported
    assert len(manifest) - len(made) == (25 - 3) + (69 - 2)
    assert manifest["2026-Q3/18133"]["synthetic"] and not manifest["2021-Q3/18217"]["synthetic"]
    received = {k: e["figures"]["S.HS.NHAN_MOI"] for k, e in made.items()}
    assert received["2026-Q3/18133"] > 3 * received["2021-Q3/18133"]  # five communes' dossiers, not Phố Châu's
    index = (outputs / "index.html").read_text(encoding="utf-8")
    rows = [r for r in re.findall(r'<tr data-status="(\w+)">(.*?)</tr>', index, flags=re.S) if r[0] != "no_data"]
    assert len(rows) == 5
    periods = [re.search(r"quý III năm (\d{4})", r).group(1) for _, r in rows]
    assert periods == ["2026", "2026", "2021", "2021", "2021"]  # both periods, the newest first
    assert "Xã Hương Sơn" in rows[0][1] and "Thị trấn Phố Châu" in rows[2][1]
    with batch_lock(outputs):  # released once the run ended
        pass

    again = run_batch(["2021-Q3", "2026-Q3"], data=data, outputs_dir=outputs, progress=False, jobs=0, formats=HTML)
    assert not again.rendered and sorted(again.skipped) == sorted(made)


def test_key_figures_are_the_stored_metrics_of_each_commune(district):
    from pipeline.domain.communes import load_registry
    from pipeline.metrics.compute import key_figures as declared
    from pipeline.store import Store

    data, outputs = district
    _batch(data, outputs)
    metrics, findings = Store(data).read("metrics"), Store(data).read("findings")
    manifest = read_manifest(outputs)
    for code in COMMUNES:
        key = load_registry().resolve(code, "2021-Q3").key  # by identity: 18133 also names Xã Hương Sơn of 2025
        mine = metrics.loc[(metrics["commune_key"] == key) & (metrics["period"] == "2021-Q3")].set_index("metric")
        figures = manifest[f"2021-Q3/{code}"]["figures"]
        for f in declared():
            expected = mine["value"].get(f.code)
            assert figures.get(f.code) == (None if expected is None or expected != expected else expected), (code, f)
        n = ((findings["commune_code"] == code) & (findings["period"] == "2021-Q3")).sum()
        assert figures["findings"] == n


def test_failing_report_among_good_ones(district, tmp_path, monkeypatch):
    data, outputs = district
    broken = nbformat.read(Path("notebooks/commune_report.ipynb"), as_version=4)
    broken.cells.insert(4, nbformat.v4.new_code_cell(
        'if commune == "18136":\n    raise RuntimeError("deliberate failure for 18136")'))
    broken_path = tmp_path / "broken.ipynb"
    nbformat.write(broken, broken_path)
    monkeypatch.setattr("pipeline.render.export.REPORT_NOTEBOOK", broken_path)
    result = _batch(data, outputs)
    assert result.exit_code == 1
    assert sorted(r["commune"] for r in result.rendered) == ["18133", "18217"]
    assert [(f["commune"], f["period"]) for f in result.failed] == [("18136", "2021-Q3")]
    assert "deliberate failure for 18136" in result.summary()
    failed_nb = next(iter((outputs / "2021-Q3").glob("18136-*.failed/report.ipynb")))
    assert "deliberate failure" in failed_nb.read_text(encoding="utf-8")  # the failing cell is kept and marked
    assert not list((outputs / "2021-Q3").glob("18136-*/report.html"))  # nothing half-made in outputs
    manifest = read_manifest(outputs)
    assert manifest["2021-Q3/18136"]["status"] == "failed"
    assert '<tr data-status="failed">' in (outputs / "index.html").read_text(encoding="utf-8")
    assert "deliberate failure" in (outputs / "logs" / "2021-Q3" / "18136.log").read_text(encoding="utf-8")
    # the message names the kept notebook where it is, relative to the outputs directory; no server path is shown
    kept = r"executed notebook kept in 2021-Q3/18136-[a-z-]+\.failed/report\.ipynb"
    assert re.search(kept, result.failed[0]["error"])
    for shared in ("index.html", "manifest.json"):
        assert str(tmp_path) not in (outputs / shared).read_text(encoding="utf-8")


def _in_warm_kernel(code: str, tmp_path: Path) -> str:
    """What ``code`` prints when run as a notebook in this process's warm kernel (the batch's engine)."""
    probe = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    probe.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    nbformat.write(probe, tmp_path / "probe.ipynb")
    out = pm.execute_notebook(str(tmp_path / "probe.ipynb"), str(tmp_path / "probe_out.ipynb"),
                              engine_name=engine.ENGINE_NAME, progress_bar=False)
    return out.cells[0].outputs[0]["text"]


def test_the_batch_s_kernel_writes_the_checklist_as_this_process_would(district, monkeypatch, tmp_path):
    """In the batch the warm kernel, which has just loaded the report's data, writes its checklist (a worker that
    loaded it again held ~100 MB more): the page and the counts equal those written in this process; a checklist
    that fails there fails the report with the kernel's error."""
    import pipeline.render.export as export
    from pipeline.report.checklist import write_checklist

    data, outputs = district
    in_process = export.write_checklist
    monkeypatch.setattr(export, "write_checklist", lambda *a, **k: pytest.fail("written outside the kernel"))
    result = _batch(data, outputs, communes=["18217"])
    assert result.exit_code == 0
    entry = read_manifest(outputs)["2021-Q3/18217"]
    here = tmp_path / "here"
    here.mkdir()
    assert in_process is write_checklist and write_checklist(here, commune="18217", period="2021-Q3",
                                                             data=data) == entry["checklist"]
    assert (here / "checklist.html").read_text(encoding="utf-8") == (outputs / entry["files"]["checklist"]).read_text(
        encoding="utf-8")
    from pipeline.domain.communes import Commune
    from pipeline.domain.periods import Period
    from pipeline.render import kernel

    kernel.warm_kernel()
    nowhere = Commune(code="99999", name="Không có", type="xã", district_code="439", district_name="Hương Sơn",
                      province_code="42", province_name="Hà Tĩnh", valid_from=date(2019, 12, 15), valid_to=None)
    with pytest.raises(export.RenderError, match="the checklist failed: .*99999"):
        export._checklist(here, nowhere, Period.parse("2021-Q3"), data, in_kernel=True, timeout=60)


def test_no_state_leaks_between_reports_in_one_worker(district, tmp_path):
    data, outputs = district
    result = _batch(data, outputs, communes=["18217", "18133"])
    assert {r["pid"] for r in result.rendered} == {__import__("os").getpid()}  # one worker, one kernel
    printed = _in_warm_kernel(
        "print(sorted(k for k in globals() if not k.startswith('_') "
        "and k not in ('In', 'Out', 'exit', 'quit', 'get_ipython', 'open')))",
        tmp_path)
    assert printed.strip() == "[]"  # the previous report's rd, commune, period are gone
    other = next(iter((outputs / "2021-Q3").glob("18133-*/report.html"))).read_text(encoding="utf-8")
    assert "Sơn Phú" not in other and "Nguyễn Quang Tỏa" not in other and "52/BC-UBND" not in other


def test_the_warm_kernel_keeps_its_libraries_out_of_the_garbage_collector(tmp_path):
    # Loaded once, kept for the kernel's life: frozen, so `%reset -f` and full collections between
    # reports do not walk pandas, matplotlib and the package again each time.
    frozen, loaded = _in_warm_kernel(
        "import gc, sys\n"
        "print(gc.get_freeze_count(), gc.get_threshold()[0] > 700 and 'pipeline.report.content' in sys.modules)",
        tmp_path).split()
    assert loaded == "True" and int(frozen) > 10_000


def test_a_second_run_waits_for_no_one(district, capsys):
    data, outputs = district
    from pipeline.cli import main

    with batch_lock(outputs):
        with pytest.raises(BatchLocked, match="another batch run is in progress"):
            _batch(data, outputs)
        assert main(["batch", "--period", "2021-Q3", "--communes", "18217", "--format", "html",
                     "--data-dir", str(data.root), "--outputs-dir", str(outputs)]) == 3
    assert "another batch run is in progress" in capsys.readouterr().err


def test_killed_batch_run_again_completes(district):
    data, outputs = district
    _batch(data, outputs, communes=["18217"])
    # as if killed mid-way: a half-built directory, and a report missing from the manifest
    stray = outputs / "2021-Q3" / ".18133-thi-tran-pho-chau.x1y2z3"
    stray.mkdir(parents=True)
    (stray / "report.ipynb").write_text("{", encoding="utf-8")
    result = _batch(data, outputs)
    assert sorted(r["commune"] for r in result.rendered) == ["18133", "18136"] and result.skipped == ["2021-Q3/18217"]
    assert not stray.exists()
    manifest = json.loads((outputs / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(manifest) == [f"2021-Q3/{c}" for c in COMMUNES]
    assert all((outputs / e["files"]["html"]).exists() and not Path(e["files"]["html"]).is_absolute()
               for e in manifest.values())


def _kernel_pids(scratch: Path) -> set[int]:
    """Kernels whose connection file is in ``scratch`` (the workers' TMPDIR): this test's, not those of
    other test runs on the same machine."""
    pids = set()
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes() if proc.name.isdigit() else b""
            if b"ipykernel_launcher" in cmdline and str(scratch).encode() in cmdline:
                pids.add(int(proc.name))
        except OSError:
            continue
    return pids


def test_process_pool_renders_and_leaves_no_kernel_behind(district, tmp_path, monkeypatch):
    data, outputs = district
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))  # the workers' temporary files go here
    result = _batch(data, outputs, jobs=2, formats=("html", "pdf"))
    assert result.exit_code == 0 and sorted(r["commune"] for r in result.rendered) == COMMUNES
    assert os.getpid() not in {r["pid"] for r in result.rendered}  # rendered in the pool's workers
    assert all((outputs / r["files"]["html"]).exists() for r in result.rendered)
    # each worker stopped and reaped its kernel before exiting (not left to notice its parent is gone)
    assert not _kernel_pids(scratch)
    assert not list(scratch.glob("weasyprint-*"))  # each worker removed its copy of the fonts


def test_dask_route(district):
    distributed = pytest.importorskip("distributed")
    data, outputs = district
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        result = _batch(data, outputs, communes=None, district="439", scheduler=cluster.scheduler_address)
    assert result.exit_code == 0 and sorted(r["commune"] for r in result.rendered) == COMMUNES
    assert {r["pid"] for r in result.rendered} != {os.getpid()}  # rendered in the cluster's worker
    assert next(iter((outputs / "2021-Q3").glob("18217-*/report.html"))).exists()
    # the district's summary report too, in the same worker
    entry = read_manifest(outputs)["2021-Q3/area-439/summary"]
    assert result.summaries == ["2021-Q3/area-439/summary"] and entry["status"] == "ok"
    assert entry["pid"] == result.rendered[0]["pid"] and (outputs / entry["files"]["html"]).is_file()


def test_a_dead_kernel_is_replaced(district):
    data, outputs = district
    _batch(data, outputs, communes=["18217"])
    from pipeline.render import kernel

    km = kernel.warm_kernel()
    km.provisioner.process.kill()  # the worker's kernel dies between two reports
    km.provisioner.process.wait()
    assert not km.is_alive()
    result = _batch(data, outputs, communes=["18217"], force=True)
    assert result.exit_code == 0 and [r["status"] for r in result.rendered] == ["ok"]
    assert kernel.warm_kernel() is not km and kernel.warm_kernel().is_alive()


# --------------------------------------------------------------------------- the batch survives its workers
NAMED = ("--communes", ",".join(COMMUNES))


def _run_cli(data, outputs, tmp_path, *extra, faults="", select=NAMED):
    """``cchc batch`` over COMMUNES (or ``select``) in 2 workers, as its own process (session) with the test hook
    ``CCHC_TEST_FAULTS``; every process it starts inherits ``CCHC_TEST_RUN`` (see ``_ours``)."""
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT), CCHC_TEST_FAULTS=faults, CCHC_TEST_RUN=str(tmp_path))
    cmd = [sys.executable, "-m", "pipeline.cli", "batch", "--period", "2021-Q3", *select,
           "--format", "html", "--jobs", "2", "--data-dir", str(data.root), "--outputs-dir", str(outputs), *extra]
    return subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def _ours(tmp_path) -> list[psutil.Process]:
    """Live processes (workers, kernels) started by a ``_run_cli`` of this test."""
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.status() != psutil.STATUS_ZOMBIE and proc.environ().get("CCHC_TEST_RUN") == str(tmp_path):
                found.append(proc)
        except psutil.Error:
            continue
    return found


def _none_left(tmp_path, within: float = 5.0) -> list[psutil.Process]:
    deadline = time.monotonic() + within
    while (left := _ours(tmp_path)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


@pytest.fixture(autouse=True)
def _kill_what_a_failed_test_left(tmp_path):
    yield
    for proc in _ours(tmp_path):
        proc.kill()


def _index_rows(outputs) -> dict[str, tuple[str, str]]:
    index = (outputs / "index.html").read_text(encoding="utf-8")
    rows = re.findall(r'<tr data-status="(\w+)">\s*<td>[^<]*</td><td>(\d+)</td>(.*?)</tr>', index, flags=re.S)
    return {code: (status, body) for status, code, body in rows}


def _finish(proc, timeout: float = 300) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    return proc.returncode, out, err


def test_a_worker_that_dies_is_replaced_and_its_report_tried_once_more(district, tmp_path):
    # 18133's first worker is killed (as by the out-of-memory killer): retried in a new worker, made.
    # 18136 kills every worker that takes it: failed with the reason after two attempts; 18217 is made.
    data, outputs = district
    code, out, err = _finish(_run_cli(data, outputs, tmp_path, faults="18133=kill-once,18136=kill"))
    assert code == 1, err
    assert "Traceback" not in err and "BrokenProcessPool" not in err
    manifest = read_manifest(outputs)
    assert {k: (e["status"], e["attempts"]) for k, e in manifest.items()} == {
        "2021-Q3/18133": ("ok", 2), "2021-Q3/18136": ("failed", 2), "2021-Q3/18217": ("ok", 1)}
    reason = "worker process died (killed by signal 9: out of memory?)"
    assert manifest["2021-Q3/18136"]["error"] == reason
    assert f"FAILED 18136 2021-Q3: {reason}" in out
    rows = _index_rows(outputs)  # the index is written, failures included
    assert {c: s for c, (s, _) in rows.items()} == {"18133": "ok", "18136": "failed", "18217": "ok"}
    assert reason in rows["18136"][1]
    assert all((outputs / e["files"]["html"]).exists() for e in manifest.values() if e["status"] == "ok")
    assert not list((outputs / "2021-Q3").glob(".*"))  # nothing half-built left by the killed workers
    assert not _none_left(tmp_path)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL], ids=lambda s: s.name)
def test_a_stopped_batch_leaves_no_worker_kernel_or_half_built_report(district, tmp_path, signum):
    # 18133's report hangs after its notebook ran (a half-built directory exists) while the batch is stopped
    data, outputs = district
    proc = _run_cli(data, outputs, tmp_path, faults="18133=slow")
    deadline = time.monotonic() + 180
    while not list((outputs / "2021-Q3").glob(".18133-*/report.ipynb")):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)
    assert len(_ours(tmp_path)) >= 3  # the batch, its workers and their kernels are running
    os.kill(proc.pid, signum)
    code, out, err = _finish(proc, timeout=60)
    assert not _none_left(tmp_path)  # within 5 s: no worker, no kernel goes on
    with batch_lock(outputs):  # released
        pass
    manifest = read_manifest(outputs)  # readable, and lists only reports that were made
    assert "2021-Q3/18133" not in manifest
    assert all((outputs / f).exists() for e in manifest.values() for f in e["files"].values())
    if signum == signal.SIGKILL:
        assert code == -signal.SIGKILL
        return  # no chance to clean up: the next run removes the half-built directory (test above)
    assert code == 128 + signum and "Traceback" not in err
    assert err.strip().splitlines()[-1] == (f"cchc: batch stopped by {signal.Signals(signum).name}: the reports made "
                                            "so far are kept, half-made ones removed; run it again to make the rest")
    assert not list((outputs / "2021-Q3").glob(".*"))  # the half-built directory is gone


def test_a_report_over_its_time_or_memory_bound_fails_and_the_others_are_made(district, tmp_path):
    # 18133 never finishes its HTML (the notebook bound --timeout does not cover it); 18136's kernel
    # takes memory without end; each is stopped, marked failed with the reason, and 18217 is made.
    data, outputs = district
    proc = _run_cli(data, outputs, tmp_path, "--report-timeout", "20", "--max-memory", "1500",
                    faults="18133=slow,18136=hog")
    code, out, err = _finish(proc)
    assert code == 1, err
    manifest = read_manifest(outputs)
    assert {k: (e["status"], e["error"]) for k, e in manifest.items()} == {
        "2021-Q3/18133": ("failed", "took longer than 20 s"), "2021-Q3/18136": ("failed", "used more than 1500 MB"),
        "2021-Q3/18217": ("ok", None)}
    assert manifest["2021-Q3/18136"]["peak_rss_mb"] > 1500
    rows = _index_rows(outputs)
    assert "took longer than 20 s" in rows["18133"][1] and "used more than 1500 MB" in rows["18136"][1]
    # the stopped report's executed notebook is kept for inspection, nothing is left half-built
    assert list((outputs / "2021-Q3").glob("18133-*.failed/report.ipynb"))
    assert not list((outputs / "2021-Q3").glob(".*"))
    assert not _none_left(tmp_path)


def test_messages_name_no_server_path(tmp_path):
    from pipeline.batch.run import Job, _shareable
    from pipeline.config import PACKAGE_DIR
    from pipeline.domain.communes import load_registry
    from pipeline.domain.periods import Period

    period = Period.parse("2021-Q3")
    job = Job(load_registry().resolve("18133", period), period, str(tmp_path / "data"), str(tmp_path / "out"),
              HTML, 300, "hash")
    text = (f"FileNotFoundError: '{tmp_path}/out/2021-Q3/18133-x/report.html', "
            f"'{tmp_path}/data/processed/values.parquet'\n"
            f'  File "{sys.prefix}/lib/python3.11/site-packages/pandas/io.py", line 3\n'
            f'  File "{PACKAGE_DIR}/render/export.py", line 7')
    assert _shareable(text, job) == (
        "FileNotFoundError: '2021-Q3/18133-x/report.html', 'DATA_DIR/processed/values.parquet'\n"
        '  File "<python>/lib/python3.11/site-packages/pandas/io.py", line 3\n'
        '  File "pipeline/render/export.py", line 7')


def test_the_batch_covers_the_areas_with_data_and_lists_who_has_not_reported(tmp_path):
    """2025-Q3, after the two-level government: three of the province's communes reported; the run covers the
    province (its registry units of the period), renders the three and lists the others as 'chưa gửi báo cáo'."""
    from pipeline.domain.communes import load_registry
    from tests.helpers import ingested_rows, merger_rows

    data = ingested_rows(tmp_path / "data", merger_rows())
    outputs = tmp_path / "outputs"
    result = run_batch("2025-Q3", data=data, outputs_dir=outputs, progress=False, formats=HTML, jobs=0)
    assert result.exit_code == 0 and not result.failed
    assert sorted(r["commune"] for r in result.rendered) == ["18133", "18160", "18223"]
    province = [u.code for u in load_registry().communes_in("2025-Q3") if u.province_code == "42"]
    assert sorted(k.split("/")[1] for k in result.no_data) == sorted(set(province) - {"18133", "18160", "18223"})
    assert "18163" in {k.split("/")[1] for k in result.no_data}  # Xã Sơn Tiến sent nothing
    manifest = read_manifest(outputs)
    assert manifest["2025-Q3/18163"]["status"] == "no_data"
    assert not (outputs / "2025-Q3" / "18163-son-tien").exists()
    assert "chưa gửi báo cáo" in result.summary() and "18163" in result.summary()
    index = (outputs / "index.html").read_text(encoding="utf-8")
    assert f"3 báo cáo · {len(result.no_data)} xã chưa gửi báo cáo" in index
    top = index[:index.index('<input type="search"')]  # the submission summary of the province, from the store
    assert f"Đã gửi: 3/{len(province)}" in top and f"Chưa gửi: {len(province) - 3}" in top
    assert "Xã Sơn Tiến" in top.split("Chưa gửi báo cáo:")[1]
    html = (outputs / manifest["2025-Q3/18133"]["files"]["html"]).read_text(encoding="utf-8")
    # the body (the appendix prints the catalogue's own labels: Phụ lục 2B's wording)
    body = html[html.index("</style>"):html.index('<section class="appendix')]
    assert "XÃ HƯƠNG SƠN" in body and "huyện" not in body.lower()
    assert ("Số liệu trước 1/7/2025 là tổng của thị trấn Phố Châu và các xã Sơn Ninh, Sơn Trung, Sơn Bằng, "
            "Sơn Phú.") in html


def test_a_predecessors_figure_changes_its_successors_report(tmp_path):
    """The successor's report reads its predecessors' figures (combined into its metrics): a change of one
    re-renders it, and only it."""
    from tests.helpers import ingested_rows, merger_rows

    rows = merger_rows()
    data = ingested_rows(tmp_path / "data", rows)
    outputs = tmp_path / "outputs"
    run_batch("2025-Q3", data=data, outputs_dir=outputs, progress=False, formats=HTML, jobs=0)
    changed = [(c, p, i, 51 if (c, p, i) == ("18175", "2024-Q3", "S.HS.NHAN_MOI") else v) for c, p, i, v in rows]
    assert changed != rows
    ingested_rows(tmp_path / "data", changed)  # Sơn Ninh's 2024-Q3 received: 50 → 51
    again = run_batch("2025-Q3", data=data, outputs_dir=outputs, progress=False, formats=HTML, jobs=0)
    assert [r["commune"] for r in again.rendered] == ["18133"]
    assert sorted(k.split("/")[1] for k in again.skipped) == ["18160", "18223"]


def test_a_batch_without_named_communes_renders_only_those_with_figures(district):
    """The registry holds every commune of the country: a batch over a district (or the whole registry) renders
    the communes that have figures for the period, never an empty report for each of the others."""
    data, outputs = district
    result = _batch(data, outputs, communes=None, district="439")
    assert sorted(r["commune"] for r in result.rendered) == COMMUNES  # the seed (18217) and the fixture's two
    assert len(result.no_data) == 25 - 3 and "2021-Q3/18160" in result.no_data
    assert "22 without data (chưa gửi báo cáo)" in result.summary()
    # the communes' reports, and the district's consolidated appendix (its folder named by the district's code)
    assert sorted(p.name.split("-")[0] for p in (outputs / "2021-Q3").iterdir() if p.is_dir()) == COMMUNES + ["439"]
    assert (outputs / "2021-Q3" / "439-huong-son" / "tong-hop.xlsx").is_file()
    everywhere = _batch(data, outputs, communes=None)  # the whole registry: 25 units valid in 2021-Q3
    assert not everywhere.rendered and sorted(k.split("/")[1] for k in everywhere.skipped) == COMMUNES


def test_a_draft_is_its_own_job(tmp_path, monkeypatch):
    """--draft is part of a report's hash (a draft and the report to sign are not the same output) and reaches the
    renderer."""
    import pipeline.render.export as export
    from pipeline.batch.run import Job, input_hashes, render_job
    from pipeline.domain.communes import load_registry
    from pipeline.domain.periods import Period
    from tests.helpers import ingested

    data = ingested(tmp_path / "d", "metrics/two_communes.csv")
    period = Period.parse("2021-Q3")
    units = [load_registry().resolve("18133", period)]
    final = input_hashes(units, period, data, formats=HTML)
    draft = input_hashes(units, period, data, formats=HTML, draft=True)
    assert final["18133"] != draft["18133"] and input_hashes(units, period, data, formats=HTML) == final
    seen = []

    def render_report(*args, **kwargs):
        seen.append(kwargs["draft"])
        raise export.RenderError("stop here")

    monkeypatch.setattr(export, "render_report", render_report)
    job = Job(units[0], period, str(data.root), str(tmp_path / "out"), HTML, 300, draft["18133"], draft=True)
    assert render_job(job)["error"] and seen[0] is True


def test_each_area_gets_its_consolidated_appendix_rewritten_only_when_its_values_change(district, monkeypatch):
    """A batch over the district writes ``2021-Q3/439-huong-son/tong-hop.xlsx``, lists it in the manifest and links it
    at the top of the index; a rerun with nothing changed does not write it again; a commune's changed figure does,
    with the new figure in its cell and in the total.  (Rendering is replaced by a stand-in: the appendix is what is
    checked.)"""
    from openpyxl import load_workbook

    import pipeline.batch.run as batch_run
    import pipeline.forms.consolidated as consolidated
    from pipeline.forms.consolidated import FIRST_ROW, HEADER_ROW, WIDE_SHEET

    def stand_in(job):
        return {"key": job.key, "commune": job.commune.code, "period": job.period.id, "hash": job.inputs_hash,
                "status": "ok", "error": None, "detail": None, "attempts": 1, "seconds": 0.0, "pid": os.getpid(),
                "peak_rss_mb": 0.0, "kernel_peak_rss_mb": None, "directory": None, "files": {}}

    monkeypatch.setattr(batch_run, "render_job", stand_in)
    data, outputs = district
    _batch(data, outputs, communes=None, district="439")
    path = outputs / "2021-Q3" / "439-huong-son" / "tong-hop.xlsx"
    entry = read_manifest(outputs)["2021-Q3/area-439"]
    assert entry["files"] == {"xlsx": "2021-Q3/439-huong-son/tong-hop.xlsx"} and entry["reported"] == 3
    index = (outputs / "index.html").read_text(encoding="utf-8")
    assert index.index('href="2021-Q3/439-huong-son/tong-hop.xlsx"') < index.index('<table id="reports">')
    made = path.stat().st_mtime_ns

    with monkeypatch.context() as m:
        m.setattr(consolidated, "write_consolidated", lambda *a, **k: pytest.fail("rewritten although unchanged"))
        _batch(data, outputs, communes=None, district="439")
    assert path.stat().st_mtime_ns == made

    def cell(code: str, header: str):
        ws = load_workbook(path)[WIDE_SHEET]
        col = next(c for c in range(1, ws.max_column + 1) if header in (ws.cell(HEADER_ROW, c).value or ""))
        row = next(r for r in range(FIRST_ROW, ws.max_row + 1) if ws.cell(r, 1).value == code)
        return ws.cell(row, col).value

    csv = data.raw / "two_communes.csv"
    csv.write_text(csv.read_text(encoding="utf-8") + "18133,2021-Q3,1.1.1,9,\n", encoding="utf-8")
    _batch(data, outputs, communes=None, district="439")
    assert path.stat().st_mtime_ns != made
    assert cell("1.1.1", "(18133)") == 9
    others = [cell("1.1.1", f"({c})") for c in ("18136", "18217")]
    assert cell("1.1.1", "Tổng cộng") == 9 + sum(v for v in others if v is not None)


def test_each_areas_summary_is_rendered_after_its_communes_and_again_only_when_an_input_changes(district,
                                                                                                 monkeypatch):
    """The batch over the district renders ``2021-Q3/439-huong-son/summary.html`` beside ``tong-hop.xlsx`` (manifest
    key ``2021-Q3/area-439/summary``; the index links it before the communes); a rerun with nothing changed does not
    render it again; one commune's changed figure does, with the new total.  (The communes' rendering is replaced by
    a stand-in: the summary is what is checked.)"""
    import pipeline.batch.run as batch_run

    def stand_in(job):
        return {"key": job.key, "commune": job.commune.code, "period": job.period.id, "hash": job.inputs_hash,
                "status": "ok", "error": None, "detail": None, "attempts": 1, "seconds": 0.0, "pid": os.getpid(),
                "peak_rss_mb": 0.0, "kernel_peak_rss_mb": None, "directory": None, "files": {}}

    def plan_total(html: str) -> str:
        return re.search(r"Số nhiệm vụ đề ra trong kế hoạch</td><td class=\"value\">([^<]*)<", html).group(1)

    monkeypatch.setattr(batch_run, "render_job", stand_in)
    data, outputs = district
    key = "2021-Q3/area-439/summary"
    first = _batch(data, outputs, communes=None, district="439")
    path = outputs / "2021-Q3" / "439-huong-son" / "summary.html"
    assert first.summaries == [key] and path.is_file() and (path.parent / "tong-hop.xlsx").is_file()
    entry = read_manifest(outputs)[key]
    assert entry["files"] == {"html": "2021-Q3/439-huong-son/summary.html"} and entry["status"] == "ok"
    assert plan_total(path.read_text(encoding="utf-8")) == "6"  # only the seed's Sơn Phú reports 1.1.1
    index = (outputs / "index.html").read_text(encoding="utf-8")
    assert (index.index('href="2021-Q3/439-huong-son/summary.html"') < index.index("tong-hop.xlsx")
            < index.index('<table id="reports">'))
    made = path.stat().st_mtime_ns

    again = _batch(data, outputs, communes=None, district="439")
    assert again.summaries == [] and path.stat().st_mtime_ns == made

    csv = data.raw / "two_communes.csv"
    csv.write_text(csv.read_text(encoding="utf-8") + "18136,2021-Q3,1.1.1,7,\n", encoding="utf-8")
    changed = _batch(data, outputs, communes=None, district="439")
    assert changed.summaries == [key]
    assert plan_total(path.read_text(encoding="utf-8")) == "13"  # 6 + 7


def test_the_areas_summary_is_rendered_by_a_worker_beside_the_communes(district):
    """The district's summary report is a job for the pool (a worker's warm kernel, not this process), with its
    manifest entry as before; its workbook is written meanwhile; a rerun with nothing changed makes neither."""
    data, outputs = district
    result = _batch(data, outputs, communes=None, district="439", jobs=2)
    assert result.exit_code == 0 and sorted(r["commune"] for r in result.rendered) == COMMUNES
    key = "2021-Q3/area-439/summary"
    entry = read_manifest(outputs)[key]
    assert result.summaries == [key] and entry["pid"] != os.getpid()  # made in a worker, as the communes' reports
    assert os.getpid() not in {r["pid"] for r in result.rendered}
    shown = ("kind", "area", "level", "period", "name", "status", "error", "rendered", "files")
    assert {k: entry[k] for k in shown} == {
        "kind": "summary", "area": "439", "level": "district", "period": "2021-Q3", "name": "Hương Sơn",
        "status": "ok", "error": None, "rendered": True, "files": {"html": "2021-Q3/439-huong-son/summary.html"}}
    assert entry["hash"] and entry["made_at"] and entry["kernel_peak_rss_mb"]  # measured in the worker's kernel
    summary = outputs / entry["files"]["html"]
    assert "HƯƠNG SƠN" in summary.read_text(encoding="utf-8")
    assert (summary.parent / "summary.ipynb").is_file() and not list(summary.parent.glob(".*"))
    workbook = read_manifest(outputs)["2021-Q3/area-439"]
    assert workbook["status"] == "ok" and (outputs / workbook["files"]["xlsx"]).is_file()
    made = summary.stat().st_mtime_ns, (outputs / workbook["files"]["xlsx"]).stat().st_mtime_ns

    again = _batch(data, outputs, communes=None, district="439", jobs=2)
    assert not again.rendered and again.summaries == [] and again.exit_code == 0
    assert (summary.stat().st_mtime_ns, (outputs / workbook["files"]["xlsx"]).stat().st_mtime_ns) == made
    assert read_manifest(outputs)[key]["hash"] == entry["hash"]


def test_the_areas_summary_is_queued_before_the_communes(district, monkeypatch):
    """It reads only the store, so it goes first (the longest job first packs the workers best)."""
    import pipeline.batch.run as batch_run

    order = []

    def commune(job):
        order.append(job.key)
        return {"key": job.key, "commune": job.commune.code, "period": job.period.id, "hash": job.inputs_hash,
                "status": "ok", "error": None, "detail": None, "attempts": 1, "seconds": 0.0, "pid": os.getpid(),
                "peak_rss_mb": 0.0, "kernel_peak_rss_mb": None, "directory": None, "files": {}}

    def summary(job):
        order.append(job.key)
        return batch_run._outcome(job, error=None, detail=None, attempts=1, seconds=0.0, peak_rss_mb=None,
                                  kernel_peak_rss_mb=None)

    monkeypatch.setattr(batch_run, "render_job", commune)
    monkeypatch.setattr(batch_run, "render_summary_job", summary)
    data, outputs = district
    result = _batch(data, outputs, communes=None, district="439")
    assert order == ["2021-Q3/area-439/summary"] + [f"2021-Q3/{c}" for c in COMMUNES]
    assert result.summaries == ["2021-Q3/area-439/summary"]


def test_a_failing_summary_is_recorded_and_the_communes_are_made(district, tmp_path, monkeypatch):
    """A notebook error in the summary: its entry is failed (no hash: tried again next run), its executed notebook
    kept, its log written, the batch exits 1 with the communes made; mended, the next run makes only it."""
    data, outputs = district
    broken = nbformat.read(Path("notebooks/summary_report.ipynb"), as_version=4)
    broken.cells.insert(3, nbformat.v4.new_code_cell('raise RuntimeError("deliberate failure of the summary")'))
    nbformat.write(broken, tmp_path / "broken.ipynb")
    with monkeypatch.context() as m:
        m.setattr("pipeline.render.export.SUMMARY_NOTEBOOK", tmp_path / "broken.ipynb")
        result = _batch(data, outputs, communes=None, district="439")
    assert result.exit_code == 1 and sorted(r["commune"] for r in result.rendered) == COMMUNES
    assert [(f["commune"], f["period"]) for f in result.failed] == [("area-439", "2021-Q3")]
    assert "deliberate failure of the summary" in result.failed[0]["error"] and result.summaries == []
    assert "FAILED area-439 2021-Q3" in result.summary()
    entry = read_manifest(outputs)["2021-Q3/area-439/summary"]
    assert entry["status"] == "failed" and entry["hash"] is None and not entry["rendered"]
    folder = outputs / "2021-Q3" / "439-huong-son"
    assert "deliberate failure" in (folder / "summary.failed.ipynb").read_text(encoding="utf-8")
    assert not (folder / "summary.html").exists() and (folder / "tong-hop.xlsx").is_file()
    log = outputs / "logs" / "2021-Q3" / "area-439.summary.log"
    assert "deliberate failure of the summary" in log.read_text(encoding="utf-8")

    mended = _batch(data, outputs, communes=None, district="439")
    assert mended.exit_code == 0 and not mended.rendered and mended.summaries == ["2021-Q3/area-439/summary"]
    assert (folder / "summary.html").is_file() and not (folder / "summary.failed.ipynb").exists()


def test_a_summary_whose_worker_dies_fails_alone(district, tmp_path):
    """The summary's worker is killed on each attempt: it is tried once more, then failed with the reason, and
    nothing of it is left half-built; the communes are made."""
    data, outputs = district
    code, out, err = _finish(_run_cli(data, outputs, tmp_path, faults="area-439.summary=kill",
                                      select=("--district", "439")))
    assert code == 1, err
    manifest = read_manifest(outputs)
    reason = "worker process died (killed by signal 9: out of memory?)"
    summary = manifest["2021-Q3/area-439/summary"]
    assert (summary["status"], summary["error"], summary["attempts"], summary["hash"]) == ("failed", reason, 2, None)
    assert f"FAILED area-439 2021-Q3: {reason}" in out
    assert {k: e["status"] for k, e in manifest.items() if e.get("commune") in COMMUNES} == dict.fromkeys(
        [f"2021-Q3/{c}" for c in COMMUNES], "ok")
    assert manifest["2021-Q3/area-439"]["status"] == "ok"  # the workbook
    assert not list((outputs / "2021-Q3").glob("*/.*")) and not list((outputs / "2021-Q3").glob(".*"))
    assert not _none_left(tmp_path)


def test_a_batch_stopped_during_the_summary_leaves_nothing_half_built(district, tmp_path):
    """SIGTERM while the summary's HTML is being made (its notebook has run): workers and kernels stop, the
    half-built summary is removed, the manifest lists no summary."""
    data, outputs = district
    proc = _run_cli(data, outputs, tmp_path, faults="area-439.summary=slow", select=("--district", "439"))
    deadline = time.monotonic() + 180
    while not list((outputs / "2021-Q3").glob("439-*/.summary.*/summary.ipynb")):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGTERM)
    code, out, err = _finish(proc, timeout=60)
    assert code == 128 + signal.SIGTERM and "Traceback" not in err
    assert not _none_left(tmp_path)
    assert "2021-Q3/area-439/summary" not in read_manifest(outputs)
    assert not list((outputs / "2021-Q3").glob("*/.*")) and not list((outputs / "2021-Q3").glob(".*"))
    assert not list((outputs / "2021-Q3").glob("439-*/summary.*"))

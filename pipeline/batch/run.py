"""The scheduled batch: ingest what changed, recompute metrics, render every selected report
(warm kernels, in parallel, or on a Dask cluster), skip what has not changed, rebuild the index.
Selected: the communes named, or else every commune of the registry valid in the period (of a district) that
has figures for it (:func:`with_data`; the registry holds the whole country).

Which communes: those asked for (``communes``, a ``district`` or a ``province``), else every unit of the
comparison areas that have data in the period (the districts before 1/7/2025, the provinces after, of the units
that reported): a national registry's other provinces are not the run's concern.  Each area of such a run (not of
named communes) also gets its consolidated appendix ``{period}/{area_code}-{slug}/tong-hop.xlsx``
(:mod:`pipeline.forms.consolidated`), rewritten only when its inputs hash changes (the area's communes' values of
the period, its units, the code that writes it), written on a thread of the main process while the workers
render; the manifest lists it under ``period/area-CODE``.  Its summary report (:class:`SummaryJob`, manifest key
``period/area-CODE/summary``) is a job for the workers like a commune's report, queued before them: it reads only
the processed store (:data:`pipeline.report.inputs.SUMMARY_REPORT`), not their reports.  A unit of the run with
nothing stored for the period is not rendered: the manifest and the index list it as not reported (status
``no_data``, "Chưa gửi báo cáo").

Incremental rule: a report (with its analyst's checklist, rendered beside it) is rendered again only when
the content hash of its inputs changed: what the report and the checklist declare they read
(:data:`pipeline.report.inputs.COMMUNE_REPORT` and :data:`~pipeline.report.inputs.CHECKLIST`: their slices of
the processed tables, and the code, notebook, templates, phrase files, fonts and catalogue that make them)
and its parameters.
The manifest ``outputs/manifest.json`` keeps each report's hash, status and key figures; it is
rewritten (atomically) after every report, so a killed batch resumes where it stopped.  Paths in the
manifest, the messages and the index are relative to the outputs directory.

Local workers are watched (:mod:`pipeline.batch.workers`): a worker that dies is replaced and its report
tried once more; a report over its time or memory bound is stopped and marked failed; SIGINT and
SIGTERM stop the workers and their kernels, remove half-built report directories and end the batch
with :class:`BatchStopped`.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pandas as pd
from filelock import FileLock

from .. import config
from ..config import MAX_MEMORY_MB, PACKAGE_DIR, REPORT_TIMEOUT, DataPaths
from ..domain.areas import Area
from ..domain.communes import Commune, load_registry
from ..domain.periods import Period
from ..errors import BatchLocked, BatchStopped, CchcError  # noqa: F401 - BatchLocked, BatchStopped: importable here too
from ..locks import hold
from .workers import Failure, Limits, WorkerPool

MANIFEST = "manifest.json"
LOCK = ".cchc-batch.lock"
#: Manifest status of a unit of the run with nothing stored for the period (chưa gửi báo cáo).
NO_DATA = "no_data"
#: Not-reported units named one by one in the summary (the index lists them all).
_LISTED = 20
#: An area's manifest key is ``period/area-CODE``; its consolidated appendix is this file in its folder.
AREA_PREFIX = "area-"
CONSOLIDATED_FILE = "tong-hop.xlsx"
#: An area's summary report's manifest key is ``period/area-CODE/summary`` (its files beside the appendix).
SUMMARY_KEY = "summary"


@dataclass
class Job:
    """One report to make; ``commune`` and ``period`` were parsed once, where the batch was asked for."""

    commune: Commune
    period: Period
    data_root: str
    outputs_dir: str
    formats: tuple[str, ...]
    timeout: int
    inputs_hash: str
    key: str = ""
    draft: bool = False  # rendered as a draft (cchc batch --draft)

    def __post_init__(self) -> None:
        self.key = f"{self.period.id}/{self.commune.code}"

    @property
    def name(self) -> str:
        """How the test hook, the log file and the progress line name it: the commune's code."""
        return self.commune.code


@dataclass
class SummaryJob:
    """An area's summary report to make (:func:`pipeline.render.export.render_summary`), in a worker beside the
    communes' reports: it reads only the processed store (:data:`pipeline.report.inputs.SUMMARY_REPORT`), never
    their outputs, so it is queued first (the longest report first packs the workers best)."""

    area: Area
    period: Period
    data_root: str
    outputs_dir: str
    formats: tuple[str, ...]  # the summary's formats among the batch's (:data:`pipeline.render.export.SUMMARY_FORMATS`)
    timeout: int
    inputs_hash: str
    key: str = ""

    def __post_init__(self) -> None:
        self.key = f"{self.period.id}/{AREA_PREFIX}{self.area.code}/{SUMMARY_KEY}"

    @property
    def name(self) -> str:
        """How the test hook, the log file and the progress line name it: ``area-CODE.summary``."""
        return f"{AREA_PREFIX}{self.area.code}.{SUMMARY_KEY}"


@dataclass
class BatchResult:
    rendered: list[dict] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)
    no_data: list[str] = field(default_factory=list)  # "period/code" of the units that have not reported
    summaries: list[str] = field(default_factory=list)  # the areas' summary reports rendered in this run (keys)
    ingest_errors: int = 0
    seconds: float = 0.0
    index: Path | None = None

    @property
    def exit_code(self) -> int:
        return 1 if self.failed or self.ingest_errors else 0

    def summary(self) -> str:
        lines = [f"batch: {len(self.rendered)} rendered, {len(self.skipped)} unchanged (skipped), "
                 f"{len(self.failed)} failed, {len(self.no_data)} without data (chưa gửi báo cáo), "
                 f"{len(self.summaries)} area summaries rendered in {self.seconds:.1f} s"]
        for f in self.failed:
            lines.append(f"  FAILED {f['commune']} {f['period']}: {f['error']}")
        if self.no_data:
            shown = ", ".join(k.split("/")[1] for k in self.no_data[:_LISTED])
            more = f" and {len(self.no_data) - _LISTED} more (see the index)" if len(self.no_data) > _LISTED else ""
            lines.append(f"  no data (chưa gửi báo cáo) {self.no_data[0].split('/')[0]}: {shown}{more}; not rendered")
        if self.ingest_errors:
            lines.append(f"  {self.ingest_errors} input error(s) at ingest: "
                         "see `cchc ingest` or processed/ingest_report")
        if self.index:
            lines.append(f"index: {self.index}")
        return "\n".join(lines)


# --------------------------------------------------------------------------- lock and manifest
@contextmanager
def batch_lock(outputs_dir: Path):
    """Hold the outputs directory's lock, or raise :class:`BatchLocked` at once.

    ``filelock`` (as the store's lock), so it works on Windows too; who holds it is written beside the lock
    (a locked file cannot be read on Windows)."""
    outputs_dir.mkdir(parents=True, exist_ok=True)
    path = outputs_dir / LOCK
    refused = lambda holder: BatchLocked(  # noqa: E731
        f"another batch run is in progress ({holder or 'unknown'}); this one exits")
    # A new lock object each time: a second batch in this process is refused too.
    with hold(FileLock(path), path.with_name(LOCK + ".owner"), refused=refused,
              note=f"pid {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S')}"):
        yield


def read_manifest(outputs_dir: Path) -> dict:
    path = outputs_dir / MANIFEST
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return {}  # a damaged manifest only costs a full re-render


def write_manifest(outputs_dir: Path, manifest: dict) -> None:
    from ..store import atomic_file

    with atomic_file(outputs_dir / MANIFEST) as tmp:
        tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")


# --------------------------------------------------------------------------- input hashes
def code_fingerprint() -> str:
    """Hash of the files that make a report besides its data, as the report declares them
    (:data:`pipeline.report.inputs.COMMUNE_REPORT`): the package code it runs, notebook, templates, fonts."""
    from ..report.inputs import COMMUNE_REPORT

    return COMMUNE_REPORT.files_fingerprint()


def read_inputs(data: DataPaths) -> dict[str, pd.DataFrame]:
    """The stored tables the report and its checklist read (:data:`pipeline.report.inputs.RENDERED`), by name."""
    from ..report.inputs import RENDERED, SUMMARY_REPORT
    from ..store import Store

    store = Store(data)
    return {name: store.read(name) for name in dict.fromkeys(t for d in (*RENDERED, SUMMARY_REPORT) for t in d.tables)}


def input_hashes(units: list[Commune], period: Period, data: DataPaths, *, formats: tuple[str, ...],
                 tables: dict[str, pd.DataFrame] | None = None, draft: bool = False) -> dict[str, str]:
    """The content hash of each report's inputs, by commune code: the slices of the stored tables (``tables``, read
    from ``data`` when not given) and the files the report and its checklist declare they read
    (:data:`pipeline.report.inputs.RENDERED`), its formats and whether it is a draft."""
    from ..report.inputs import job_hashes

    tables = read_inputs(data) if tables is None else tables
    return job_hashes(tables, units, period, load_registry(data), salt=",".join(formats) + ("|draft" if draft else ""))


def key_figures(metrics: pd.DataFrame, findings: pd.DataFrame, units: list[Commune], period: Period) -> dict:
    """Each report's key figures (``key_figures`` in ratios.yaml) and its number of findings, by commune code;
    one pass over each table, whatever the number of communes."""
    from ..metrics.compute import key_figures as declared

    codes = [f.code for f in declared()]
    rows = metrics.loc[(metrics["period"] == period.id) & metrics["metric"].isin(codes)]
    found = findings.loc[findings["period"] == period.id, "commune_key"].value_counts()
    by_key: dict[str, dict] = {}
    for r in rows.itertuples():
        by_key.setdefault(r.commune_key, {})[r.metric] = None if pd.isna(r.value) else float(r.value)
    return {u.code: {**by_key.get(u.key, {}), "findings": int(found.get(u.key, 0))} for u in units}


# --------------------------------------------------------------------------- the worker side
def run_job(job: Job | SummaryJob) -> dict:
    """The task every route runs, wherever it runs (a local worker through :func:`render_in_worker`, a Dask worker,
    this process with ``jobs=0``): a commune's report or an area's summary report, by the job's type."""
    return render_summary_job(job) if isinstance(job, SummaryJob) else render_job(job)


def render_job(job: Job) -> dict:
    """Render one commune's report (in whatever process runs this); never raises for a report's own failure."""
    from ..render import engine
    from ..render.export import render_report

    started = time.time()
    result, error, detail, attempts = _in_warm_kernel(
        lambda: render_report(job.commune, job.period, data=DataPaths(Path(job.data_root)),
                              outputs_dir=Path(job.outputs_dir), formats=job.formats, draft=job.draft,
                              engine_name=engine.ENGINE_NAME, timeout=job.timeout))
    outputs = Path(job.outputs_dir)
    return _outcome(job, error=error, detail=detail, attempts=attempts, seconds=time.time() - started,
                    peak_rss_mb=_peak_rss_mb(), kernel_peak_rss_mb=engine.kernel_peak_rss_mb(), made={
                        "directory": _relative(result.directory, outputs) if result else None,
                        "files": {k: _relative(v, outputs) for k, v in result.files.items()} if result else {},
                        "checklist": result.checklist if result else None})


def render_summary_job(job: SummaryJob) -> dict:
    """Render one area's summary report (in whatever process runs this, in its warm kernel); never raises for the
    report's own failure."""
    from ..render import engine
    from ..render.export import render_summary

    started = time.time()
    _, error, detail, attempts = _in_warm_kernel(
        lambda: render_summary(job.area, job.period, data=DataPaths(Path(job.data_root)),
                               outputs_dir=Path(job.outputs_dir), formats=job.formats,
                               engine_name=engine.ENGINE_NAME, timeout=job.timeout))
    return _outcome(job, error=error, detail=detail, attempts=attempts, seconds=time.time() - started,
                    peak_rss_mb=_peak_rss_mb(), kernel_peak_rss_mb=engine.kernel_peak_rss_mb())


def _in_warm_kernel(render: Callable[[], object]) -> tuple[object, str | None, str | None, int]:
    """Call ``render()`` (one report, executed in this process's warm kernel) and return ``(its result or None,
    error, detail for the log, attempts)``; a report whose kernel died is tried once more in a fresh kernel."""
    from ..render import engine  # noqa: F401 - registers the warm-kernel engine in this process
    from ..render.export import RenderError

    attempt, error, detail, result = 0, None, None, None
    while attempt < 2:
        attempt += 1
        try:
            result = render()
            error = detail = None
            break
        except RenderError as exc:
            error = str(exc)
            if not _kernel_died(exc):
                break
            engine.shutdown()  # a dead kernel: start a fresh one and try once more
        except Exception as exc:  # noqa: BLE001 - one report's failure must not stop the batch
            error = f"{type(exc).__name__}: {exc}"
            if "Dead" in type(exc).__name__ and attempt < 2:
                engine.shutdown()
                continue
            detail = traceback.format_exc(limit=3)  # for the log
            break
    return result, error, detail, attempt


def _outcome(job: Job | SummaryJob, *, error: str | None, detail: str | None, attempts: int, seconds: float,
             peak_rss_mb: float | None, kernel_peak_rss_mb: float | None, pid: int | None = None,
             made: dict | None = None) -> dict:
    """What a job's run reports (its manifest entry, with ``key`` and the log's ``detail``): a commune's report
    with ``made`` (its directory, files and checklist counts), an area's summary with its entry's fields
    (:func:`summary_entry`; ``rendered``: made in this run)."""
    common = {"key": job.key, "period": job.period.id, "hash": job.inputs_hash,
              "status": "ok" if error is None else "failed", "error": _shareable(error, job),
              "detail": _shareable(detail, job), "attempts": attempts, "seconds": round(seconds, 3),
              "pid": os.getpid() if pid is None else pid, "peak_rss_mb": peak_rss_mb,
              "kernel_peak_rss_mb": kernel_peak_rss_mb}
    if isinstance(job, SummaryJob):
        entry = summary_entry(job.area, job.period, job.formats, Path(job.outputs_dir), job.inputs_hash)
        return {**entry, **common, "rendered": error is None}
    return {**common, "commune": job.commune.code,
            **(made or {"directory": None, "files": {}, "checklist": None})}


def _relative(path: Path, outputs_dir: Path) -> str:
    """``path`` relative to the outputs directory, as the manifest and the index keep it."""
    return Path(os.path.relpath(Path(path).resolve(), Path(outputs_dir).resolve())).as_posix()


def _shareable(text: str | None, job: Job | SummaryJob) -> str | None:
    """``text`` without the server's absolute paths (the outputs directory, with its logs, may be served on the
    web): outputs relative to the outputs directory, data as DATA_DIR/, source files (in a traceback) relative
    to the project or to Python's installation."""
    if not text:
        return text
    roots = ((job.outputs_dir, ""), (job.data_root, "DATA_DIR/"), (sys.prefix, "<python>/"),
             (sys.base_prefix, "<python>/"), (str(PACKAGE_DIR.parent), ""))
    for root, shown in roots:
        for form in {str(Path(root)), str(Path(root).resolve())}:
            text = text.replace(form.rstrip(os.sep) + os.sep, shown)
    return text


def render_in_worker(job: Job | SummaryJob, attempt: int) -> dict:
    """The task of a local batch worker: :func:`run_job`, after the test hook (``CCHC_TEST_FAULTS``) if set.

    ``attempt`` is 2 when the worker that had this report first died.
    """
    inject_fault(job, attempt)
    outcome = run_job(job)
    outcome["attempts"] += attempt - 1
    return outcome


#: Python the kernel runs for the ``hog`` fault: take 16 MB at a time (up to 4 GB, a safety stop).
_HOG = ("import time\nhoard = []\nwhile len(hoard) < 256:\n    hoard.append(b'x' * (16 << 20))\n"
        "    time.sleep(0.02)\ntime.sleep(3600)")


def inject_fault(job: Job | SummaryJob, attempt: int) -> None:
    """Test hook, in batch workers only: ``CCHC_TEST_FAULTS="18133=kill-once,18136=slow"`` makes the worker
    that renders a listed commune (or area summary, by its :attr:`SummaryJob.name`: ``area-439.summary=kill``)
    misbehave, so that the tests can watch the batch survive it.

    ``kill-once``: the worker kills itself (SIGKILL, as the out-of-memory killer does) on the first
    attempt; ``kill``: on every attempt; ``slow``: the report's HTML conversion never ends (the
    notebook has run, so a half-built report directory exists); ``hog``: the kernel takes memory
    until it is stopped.
    """
    faults = dict(item.split("=", 1) for item in config.TEST_FAULTS.split(",") if "=" in item)
    fault = faults.get(job.name)
    if fault is None:
        return
    if fault == "kill" or (fault == "kill-once" and attempt == 1):
        os.kill(os.getpid(), signal.SIGKILL)
    elif fault == "slow":
        from ..render import export as render

        def stalled(*args, **kwargs):
            while True:
                time.sleep(1)

        render.notebook_to_html = stalled
    elif fault == "hog":
        from ..render import kernel

        kernel.warm_kernel()
        kernel.execute(_HOG, timeout=None)


def _kernel_died(exc: BaseException) -> bool:
    cause = exc.__cause__
    return cause is not None and "Dead" in type(cause).__name__


def _peak_rss_mb() -> float:
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _worker_init() -> None:
    """Launch the kernel first, and while it boots, load and warm up the rendering side; return once
    the kernel has warmed up too (a report's time bound then counts the report, not the worker's start)."""
    from ..render import export as render
    from ..render import kernel

    try:
        kernel.warm_kernel(wait=False)
        # nbformat imports jsonschema, whose optional IRI checker compiles a grammar for ~0.7 s at import;
        # notebook schemas use no IRI format, so a worker goes without it.
        sys.modules.setdefault("rfc3987_syntax", None)
        from ..render import engine  # noqa: F401 - registers the warm-kernel engine (papermill imports are slow)

        render.warm_up()
        kernel.settle()
        kernel.warm_kernel()  # a kernel that died while booting is started again (and warmed up)
        kernel.execute("pass", 120)  # answered once the kernel's warm-up has run
    except BaseException:  # a worker that cannot start leaves nothing behind (kernel, font copy)
        kernel.shutdown()
        render.release()
        raise
    atexit.register(_worker_exit)  # registered last, so it runs first


def _worker_exit() -> None:
    """A pool worker's last act: stop its kernel, then leave without tearing the interpreter down.

    By the time ``atexit`` runs, the worker has returned its last result and multiprocessing has
    done its own clean-up; freeing a few hundred MB of objects one by one only delayed the end of
    the batch (~0.3 s).
    """
    from ..render import export as render
    from ..render import kernel

    kernel.shutdown()
    render.release()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


# --------------------------------------------------------------------------- the batch
def run_batch(period: str | Period | list[str | Period], *, data: DataPaths, outputs_dir: Path,
              communes: list[str | Commune] | None = None,
              district: str | None = None, province: str | None = None, jobs: int = 1,
              formats: tuple[str, ...] = ("html", "pdf"), draft: bool = False,
              force: bool = False, scheduler: str | None = None, timeout: int = 300,
              report_timeout: float | None = REPORT_TIMEOUT, max_memory_mb: float | None = MAX_MEMORY_MB,
              progress: bool | None = None) -> BatchResult:
    """Run the whole pipeline for one period or several (``period`` a list: one lock, one ingest, one
    metrics run, one pool of workers and one index for all); see the module docstring.

    The communes of each period: ``communes`` (units, or codes looked up in each period), or the units of
    district ``district`` valid in the period, or by default every unit valid in the period that has stored
    values for it (after this run's ingest): with the national registry, a period of the sample is its
    communes, not the country's.

    ``jobs`` local worker processes render the reports, each report bounded by ``report_timeout``
    seconds and ``max_memory_mb`` (worker and kernel; ``None``: unbounded).  ``jobs=0`` renders in
    this process, without those bounds (for debugging and tests).  SIGINT or SIGTERM (in the main
    thread) stops the batch with :class:`BatchStopped`.

    ``period`` and ``communes`` may be given as text (codes): they are parsed and looked up here, once,
    and travel on as :class:`Period` and :class:`Commune`.  Without ``communes``, ``district`` or ``province``,
    the run covers the comparison areas with data in the period (see the module docstring).
    """
    from ..ingest import ingest
    from ..metrics.compute import ensure_metrics
    from ..report.inputs import units_with_data
    from ..store import Store
    from .index import write_index

    started = time.time()
    periods = sorted({Period.parse(x) for x in (period if isinstance(period, (list, tuple)) else [period])})
    if not periods:
        raise CchcError("no period to run the batch for")
    outputs_dir = Path(outputs_dir).resolve()
    result = BatchResult()
    chosen = bool(communes or district or province)  # else: the areas with data, known once this run has ingested
    units = ({p: _select(p, data=data, communes=communes, district=district, province=province) for p in periods}
             if chosen else {})
    local = not scheduler and jobs >= 1
    limits = Limits(seconds=report_timeout or None, memory_mb=max_memory_mb or None)
    with batch_lock(outputs_dir), Store(data).lock(), stop_on_signals():
        pool = writer = None
        try:
            # Start the workers at once when some report has never been made (they warm up meanwhile);
            # otherwise only once the input hashes say there is work.
            # (By default the communes are known after the ingest: start at once if a period was never made.)
            known = read_manifest(outputs_dir)
            unmade = (any(f"{p.id}/{u.code}" not in known for p in periods for u in units[p]) if chosen
                      else any(not any(k.startswith(f"{p.id}/") for k in known) for p in periods))
            if local and (force or unmade):
                pool = WorkerPool(jobs, initializer=_worker_init, limits=limits)
            for p in periods:
                _clean_leftovers(outputs_dir / p.id)
            ingested = ingest(None, data=data, skip_unchanged=not force)
            result.ingest_errors = ingested.errors
            metrics_out = ensure_metrics(data, force=force)
            tables = read_inputs(data)
            manifest = read_manifest(outputs_dir)
            todo, summaries, figures, by_key, workbooks = [], [], {}, {}, {}
            for p in periods:
                reported = units_with_data(tables, p)
                group = units[p] if chosen else _areas_with_data(p, reported, data)
                # Each area of the run (not of named communes): its summary report, a job for the workers queued
                # before the communes' (it reads only the store, not their reports, and is the longest: started
                # first, it packs the workers best), and its workbook, written by this process meanwhile.
                for area in _areas_of(group, p, data, district=district, province=province) if not communes else ():
                    key = f"{p.id}/{AREA_PREFIX}{area.code}"
                    workbooks[key] = consolidate_area(area, p, tables=tables, metrics=metrics_out["metrics"],
                                                      outputs_dir=outputs_dir, known=manifest.get(key), force=force)
                    job = summary_job(area, p, data=data, outputs_dir=outputs_dir, formats=formats, timeout=timeout,
                                      tables=tables)
                    if summary_unchanged(job, manifest.get(job.key), force=force):
                        manifest[job.key] = {**manifest[job.key], "rendered": False}
                    else:
                        summaries.append(job)
                for unit in group:
                    if unit.key not in reported:  # nothing stored: no report of nothing
                        key = f"{p.id}/{unit.code}"
                        result.no_data.append(key)
                        manifest[key] = {"commune": unit.code, "period": p.id, "name": unit.full_name,
                                         "status": NO_DATA, "hash": None, "error": None, "files": {},
                                         "directory": None, "figures": {}, "synthetic": False,
                                         "made_at": time.strftime("%Y-%m-%d %H:%M:%S")}
                with_data = [u for u in group if u.key in reported]
                hashes = input_hashes(with_data, p, data, formats=formats, tables=tables, draft=draft)
                for unit in with_data:
                    key = f"{p.id}/{unit.code}"
                    by_key[key] = unit
                    entry = manifest.get(key, {})
                    done = (entry.get("status") == "ok" and entry.get("hash") == hashes[unit.code]
                            and all((outputs_dir / f).exists() for f in entry.get("files", {}).values()))
                    if done and not force:
                        result.skipped.append(key)
                        continue
                    todo.append(Job(unit, p, str(data.root), str(outputs_dir), formats, timeout, hashes[unit.code],
                                    draft=draft))
                by_code = key_figures(metrics_out["metrics"], metrics_out["findings"], with_data, p)
                figures.update({f"{p.id}/{code}": value for code, value in by_code.items()})
            todo = summaries + todo
            if local and todo and pool is None:
                pool = WorkerPool(jobs, initializer=_worker_init, limits=limits)
            # The workbooks are written on a thread while the reports are rendered elsewhere (this process only
            # waits for their outcomes meanwhile); after them when they are rendered here (jobs=0).
            writer = ThreadPoolExecutor(1, thread_name_prefix="cchc-workbook") if pool or scheduler else None
            written = {key: writer.submit(write) for key, write in workbooks.items()} if writer else {}
            for _ in _drain(todo, pool=pool, scheduler=scheduler, progress=progress, manifest=manifest,
                            outputs_dir=outputs_dir, units=by_key, figures=figures, metrics=metrics_out["metrics"],
                            result=result):
                pass
            if pool is not None:
                pool.close()  # each worker stops its kernel as it exits
                pool = None
            for key, write in workbooks.items():
                manifest[key] = written[key].result() if writer else write()
            if writer is not None:
                writer.shutdown()
                writer = None
        except BaseException:
            # Stopped (a signal) or broken: no worker or kernel may outlive the batch, nor go on writing.
            if pool is not None:
                pool.close(kill=True)
            if writer is not None:  # a workbook being written is finished (atomically), the others not started
                writer.shutdown(wait=True, cancel_futures=True)
            for p in periods:
                _clean_leftovers(outputs_dir / p.id)
            raise
        for key in result.skipped:  # key figures may be refreshed cheaply
            manifest[key]["figures"] = figures[key]
        write_manifest(outputs_dir, manifest)
        result.index = write_index(outputs_dir, manifest, status=_submission_status(manifest, data))
    result.seconds = time.time() - started
    return result


def _submission_status(manifest: dict, data: DataPaths) -> list[dict]:
    """The index's submission summary of the periods and areas of the manifest's units, from the store."""
    from ..errors import UnknownCommuneError
    from ..metrics.submissions import status_blocks

    registry, units = load_registry(data), {}
    for entry in manifest.values():
        if "commune" not in entry:  # an area's consolidated appendix or summary: its communes have entries of their own
            continue
        try:
            units.setdefault(entry["period"], []).append(registry.resolve(entry["commune"], entry["period"]))
        except UnknownCommuneError:  # a report of an earlier run whose unit the registry no longer holds
            continue
    return status_blocks(data, units)


@contextmanager
def stop_on_signals():
    """Turn SIGINT and SIGTERM into :class:`BatchStopped` (once: a second signal during the clean-up is
    ignored, so that the clean-up ends).  Only the main thread receives signals; elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    stopping: list[int] = []

    def stop(signum, frame):
        if not stopping:
            stopping.append(signum)
            raise BatchStopped(signum)

    previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _drain(todo, *, pool, scheduler, progress, manifest, outputs_dir, units, figures, metrics, result):
    """Record each outcome as it arrives: log, manifest (atomically), result.  ``units`` and ``figures`` are
    keyed as the manifest is (``period/code``: a code may be two units in two periods); an area's summary
    report has its own entry (``period/area-CODE/summary``)."""
    for outcome in _execute(todo, pool=pool, scheduler=scheduler, progress=progress,
                            on_lost=partial(_discard_partial, outputs_dir)):
        key = outcome["key"]
        summary = outcome.get("kind") == "summary"
        made_at = time.strftime("%Y-%m-%d %H:%M:%S")
        if summary:
            outcome["made_at"] = made_at if outcome["status"] == "ok" else None
        else:
            unit = units[key]
            outcome |= {"name": unit.full_name, "made_at": made_at, "figures": figures[key],
                        "synthetic": _synthetic(metrics, unit, Period.parse(outcome["period"]))}
        _write_log(outputs_dir, outcome, made_at)
        if outcome["status"] != "ok":
            outcome["hash"] = None  # a failed report is tried again next time
            result.failed.append({"commune": f"{AREA_PREFIX}{outcome['area']}", "period": outcome["period"],
                                  "error": outcome["error"]} if summary else outcome)
        elif summary:
            result.summaries.append(key)
        else:
            result.rendered.append(outcome)
        manifest[outcome["key"]] = {k: v for k, v in outcome.items() if k not in ("key", "detail")}
        write_manifest(outputs_dir, manifest)
        yield outcome


def _clean_leftovers(period_dir: Path) -> None:
    """Remove half-built report directories a killed run left behind, and in an area's folder a half-built summary
    (``.summary.*``) or workbook (``.tong-hop.xlsx.*``) (we hold the lock)."""
    import shutil

    if not period_dir.is_dir():
        return
    for path in period_dir.iterdir():
        if path.name.startswith(".") and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
    for path in (*period_dir.glob("*/.summary.*"), *period_dir.glob(f"*/.{CONSOLIDATED_FILE}.*")):
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def _discard_partial(outputs_dir: Path, job: Job | SummaryJob) -> None:
    """What a killed worker left of ``job``'s report: an executed notebook is kept in ``{name}.failed/``
    (as for any failed report; a summary's as ``summary.failed.ipynb`` in its area's folder), anything else is
    removed.  The lock is ours and the report no one else's."""
    import shutil

    if isinstance(job, SummaryJob):
        folder = area_dir(outputs_dir, job.period, job.area)
        for path in folder.glob(".summary.*"):
            if (path / "summary.ipynb").is_file():
                os.replace(path / "summary.ipynb", folder / "summary.failed.ipynb")
            shutil.rmtree(path, ignore_errors=True)
        return
    period_dir = outputs_dir / job.period.id
    for path in period_dir.glob(f".{job.commune.code}-*"):
        name, _, suffix = path.name[1:].rpartition(".")
        if not suffix.startswith("old-") and (path / "report.ipynb").is_file():
            failed = period_dir / f"{name}.failed"
            shutil.rmtree(failed, ignore_errors=True)
            os.replace(path, failed)
        else:
            shutil.rmtree(path, ignore_errors=True)


def _failed_outcome(job: Job | SummaryJob, failure: Failure) -> dict:
    """The outcome of a report whose worker died or was stopped."""
    return _outcome(job, error=failure.reason, detail=None, attempts=failure.attempts, seconds=failure.seconds,
                    pid=failure.pid, peak_rss_mb=failure.peak_rss_mb, kernel_peak_rss_mb=None)


def _select(period: Period, *, data: DataPaths, communes: list[str | Commune] | None, district: str | None,
            province: str | None = None) -> list[Commune] | None:
    """The units asked for; None when the run is to cover the areas with data (:func:`_areas_with_data`)."""
    registry = load_registry(data)
    if communes:
        return [c if isinstance(c, Commune) else registry.resolve(c, period) for c in communes]
    if not district and not province:
        return None
    units = [u for u in registry.communes_in(period, district_code=district)
             if province is None or u.province_code == province]
    if not units:
        where = f" in district {district}" if district else f" in province {province}"
        raise CchcError(f"no commune valid in {period.id}{where}")
    return units


def _areas_with_data(period: Period, reported: set[str], data: DataPaths) -> list[Commune]:
    """Every unit valid in ``period`` of the comparison areas (district before 1/7/2025, province after) of the
    units that have data in it, ordered by code.  (The registry holds every commune of the country, most of which
    send nothing here: a batch covers the areas it has data for.)"""
    from ..domain.areas import comparison_group

    registry = load_registry(data)
    units = registry.communes_in(period)
    areas = {comparison_group(u, period) for u in units if u.key in reported}
    if not areas:
        raise CchcError(f"no data for {period.id}: no commune has reported (chưa có xã nào gửi báo cáo); "
                        "ingest the reports first, or give --communes")
    return [u for u in units if comparison_group(u, period) in areas]


def _areas_of(group: list[Commune], period: Period, data: DataPaths, *, district: str | None = None,
              province: str | None = None) -> list:
    """The areas of the run: the district or province asked for, else the comparison areas
    (:func:`pipeline.domain.areas.comparison_group`) of the run's units, by code."""
    from ..domain.areas import area_units, comparison_group

    registry = load_registry(data)
    if district or province:
        return [area_units(registry, district or province, period)]
    codes = sorted({comparison_group(u, period) for u in group})
    return [area_units(registry, code.split(":", 1)[1], period) for code in codes]


def area_dir(outputs_dir: Path, period: Period, area) -> Path:
    """The area's folder (:func:`pipeline.render.export.area_dir`; imported here only when needed)."""
    from ..render.export import area_dir as folder

    return folder(outputs_dir, period, area)


def consolidate_area(area: Area, period: Period, *, tables: dict[str, pd.DataFrame], metrics: pd.DataFrame,
                     outputs_dir: Path, known: dict | None, force: bool = False) -> Callable[[], dict]:
    """The function that writes ``tong-hop.xlsx`` (:mod:`pipeline.forms.consolidated`) of ``area`` unless its
    inputs are unchanged (the area's communes' values of the period, its units and the code and words that write
    it), and returns its manifest entry (key ``period/area-CODE``).  What it writes is taken here: a thread may run
    it while this process goes on."""
    import hashlib

    from ..domain.catalogue import load_catalogue
    from ..fingerprint import imported_modules, source_fingerprint
    from ..forms.consolidated import commune_values, write_consolidated

    catalogue = load_catalogue()
    cv = commune_values(tables["values"], metrics, area, period, catalogue)
    h = hashlib.sha256()
    h.update(cv.drop(columns=[c for c in ("submission_id",) if c in cv]).to_csv(index=False).encode())
    h.update("|".join(f"{u.key}={u.full_name}" for u in area.units).encode())
    h.update(source_fingerprint(imported_modules([PACKAGE_DIR / "forms" / "consolidated.py"])).encode())
    digest = h.hexdigest()
    target = area_dir(outputs_dir, period, area) / CONSOLIDATED_FILE
    entry = {"kind": "area", "area": area.code, "level": area.level, "period": period.id, "name": area.name,
             "status": "ok", "hash": digest, "files": {"xlsx": _relative(target, outputs_dir)},
             "units": len(area.units), "reported": int(cv["commune_key"].nunique())}
    unchanged = not force and known and known.get("hash") == digest and target.exists()

    def write() -> dict:
        if unchanged:
            return {**entry, "made_at": known.get("made_at")}
        write_consolidated(cv, area, period, catalogue, target)
        return {**entry, "made_at": time.strftime("%Y-%m-%d %H:%M:%S")}

    return write


def summary_entry(area: Area, period: Period, formats: tuple[str, ...], outputs_dir: Path, digest: str | None) -> dict:
    """The manifest entry of ``area``'s summary report (key ``period/area-CODE/summary``) before it is made: its
    files (``summary.html``, ``summary.pdf`` in the area's folder, as ``formats`` ask), its hash."""
    folder = area_dir(outputs_dir, period, area)
    files = {f: _relative(folder / f"summary.{f}", outputs_dir) for f in formats}
    return {"kind": "summary", "area": area.code, "level": area.level, "period": period.id, "name": area.name,
            "hash": digest, "files": files, "status": "ok", "error": None, "rendered": False}


def summary_job(area: Area, period: Period, *, data: DataPaths, outputs_dir: Path, formats: tuple[str, ...],
                timeout: int, tables: dict[str, pd.DataFrame]) -> SummaryJob:
    """The job of the office's summary report of ``area`` (:func:`render_summary_job`), with the hash of what it
    declares it reads (:data:`pipeline.report.inputs.SUMMARY_REPORT`: its units' metrics of the period, the
    previous period, last year and the trend's quarters, findings, submissions, and its code and files) and its
    formats (those of the batch it is made in: :data:`pipeline.render.export.SUMMARY_FORMATS`)."""
    from ..render.export import SUMMARY_FORMATS
    from ..report.inputs import SUMMARY_REPORT

    shown = tuple(f for f in formats if f in SUMMARY_FORMATS) or ("html",)
    digest = SUMMARY_REPORT.area_hash(tables, area, period, load_registry(data), salt=",".join(shown))
    return SummaryJob(area, period, str(data.root), str(outputs_dir), shown, timeout, digest)


def summary_unchanged(job: SummaryJob, known: dict | None, *, force: bool = False) -> bool:
    """Whether ``job``'s summary need not be made again: ``known`` (its manifest entry) succeeded with the same
    hash and its files are there."""
    entry = summary_entry(job.area, job.period, job.formats, Path(job.outputs_dir), job.inputs_hash)
    return (not force and bool(known) and known.get("hash") == job.inputs_hash and known.get("status") == "ok"
            and all((Path(job.outputs_dir) / f).exists() for f in entry["files"].values()))


def _synthetic(metrics: pd.DataFrame, commune: Commune, period: Period) -> bool:
    rows = metrics.loc[(metrics["commune_key"] == commune.key) & (metrics["period"] == period.id)]
    return bool(rows["synthetic"].any())


def _label(outcome: dict) -> str:
    """A job's name in its log file's name and its progress line: the commune's code, or ``area-CODE.summary``."""
    return outcome.get("commune") or f"{AREA_PREFIX}{outcome['area']}.{SUMMARY_KEY}"


def _write_log(outputs_dir: Path, outcome: dict, made_at: str) -> None:
    log = outputs_dir / "logs" / outcome["period"] / f"{_label(outcome)}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a", encoding="utf-8") as fh:
        fh.write(f"{made_at} {outcome['status']} {outcome['seconds']:.2f}s pid={outcome['pid']} "
                 f"attempts={outcome['attempts']} peak_rss={outcome['peak_rss_mb']}MB\n")
        for text in (outcome["error"], outcome.get("detail")):
            if text:
                fh.write(text.rstrip() + "\n")


def _execute(todo: list[Job | SummaryJob], *, pool: WorkerPool | None, scheduler: str | None, progress: bool | None,
             on_lost):
    """Yield each job's outcome (:func:`run_job`) as it completes: in process, in the local workers, or on Dask."""
    if not todo:
        return
    bar = _progress(len(todo), progress)
    try:
        if scheduler:
            from distributed import Client
            from distributed import as_completed as dask_completed

            with Client(scheduler) as client:
                futures = client.map(run_job, todo, pure=False)
                job_of = dict(zip(futures, todo))
                for future in dask_completed(futures):
                    try:
                        outcome = future.result()
                    except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker: this report failed, not the batch
                        failure = Failure(f"{type(exc).__name__}: {exc}", 1, 0.0, 0, None)
                        outcome = _failed_outcome(job_of[future], failure)
                    bar(outcome)
                    yield outcome
        elif pool is None:
            for job in todo:
                outcome = run_job(job)
                bar(outcome)
                yield outcome
        else:
            for job, value in pool.run(todo, render_in_worker, on_lost=on_lost):
                outcome = _failed_outcome(job, value) if isinstance(value, Failure) else value
                bar(outcome)
                yield outcome
    finally:
        bar(None)


def _progress(total: int, enabled: bool | None):
    """A tqdm bar on a terminal, plain lines otherwise."""
    tty = sys.stderr.isatty() if enabled is None else enabled
    done = [0]
    if tty:
        from tqdm import tqdm

        bar = tqdm(total=total, unit="report", file=sys.stderr)

        def update(outcome):
            if outcome is None:
                bar.close()
            else:
                bar.update(1)
                bar.set_postfix_str(f"{outcome['period']} {_label(outcome)} {outcome['status']}")
        return update

    def line(outcome):
        if outcome is not None:
            done[0] += 1
            print(f"[{done[0]}/{total}] {outcome['period']} {_label(outcome)} {outcome['status']} "
                  f"{outcome['seconds']:.1f}s", file=sys.stderr, flush=True)
    return line

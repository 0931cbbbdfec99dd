"""Ingest: raw files in, typed and validated tables in the processed store.

One entry point, :func:`ingest`, picks the reader by content (not only by
extension), validates, and stores.  One bad file never stops the others;
every problem is an issue naming file, row, indicator, value and what was
expected.  Raw files are only ever read.

Readers, one module each: reports as text or Markdown (:mod:`.report_text`),
Word reports (:mod:`.docx`, through the same report logic), Excel workbooks
with Phụ lục 2B or the long layout (:mod:`.xlsx`), long CSV
(:mod:`.long_csv`), each registered with how it recognises its input in
:mod:`.registry` (refusals in :mod:`.refusals`).  :mod:`.detect` checks Office containers, finds the
appendix's columns and settles commune and period (document header, then
sheet or file name such as ``18217_2021-Q3.xlsx``, then explicit fields).
Encrypted Office files, old binary ``.xls``/``.doc``, PDF, zip bombs and
files above the size or cell limits are refused with a message saying what
was expected.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from ..config import DataPaths
from ..domain.catalogue import Catalogue, load_catalogue
from ..domain.communes import Registry, load_registry
from ..errors import InputError
from ..store import Store, apply_submissions
from . import docx, long_csv, refusals, report_text, xlsx  # noqa: F401 - each registers its readers
from .base import Extract, read_bytes, sha256
from .registry import Source, pick
from .validate import (
    coerce_values,
    cross_checks,
    duplicate_values,
    future_period_problem,
    issue,
    issues_frame,
    shrinking_submission,
)

_SKIP_NAMES = ("readme", ".")


@dataclass
class IngestResult:
    """What an ingest run did."""

    run_id: str
    files: int
    files_rejected: int
    counts: dict[str, int]
    issues: pd.DataFrame
    skipped: int = 0

    @property
    def errors(self) -> int:
        return int((self.issues["severity"] == "error").sum())

    @property
    def warnings(self) -> int:
        return int((self.issues["severity"] == "warning").sum())

    @property
    def ok(self) -> bool:
        return self.errors == 0

    def summary(self) -> str:
        c = self.counts
        return (
            f"ingest {self.run_id}: {self.files} file(s) read, {self.files_rejected} rejected"
            + (f", {self.skipped} unchanged file(s) skipped" if self.skipped else "") + "; "
            f"{c['new']} new submission(s) ({c['values']} values), {c['unchanged']} unchanged, "
            f"{c['superseded']} superseded"
            + "".join(f", {c[k]} {k}" for k in ("withdrawn", "replaced", "restored") if c.get(k)) + "; "
            f"{self.errors} error(s), {self.warnings} warning(s)"
        )


def discover(paths: list[Path]) -> list[Path]:
    """Input files under ``paths`` (recursively), skipping hidden files and READMEs."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += [p for p in path.rglob("*") if (p.is_file() or _points_outside(p, path))
                      and not any(part.startswith(".") for part in p.relative_to(path).parts)]
        elif path.exists():
            found.append(path)
        else:
            raise InputError("no such file or directory", file=str(path), expected="an existing path")
    return sorted({p for p in found if not p.name.lower().startswith(_SKIP_NAMES)})


def _points_outside(path: Path, root: Path) -> bool:
    """A symbolic link (to a file or a directory) leading out of ``root``: listed, so that it is refused aloud."""
    return path.is_symlink() and not path.resolve().is_relative_to(root.resolve())


def read_file(path: Path, *, display: str, catalogue: Catalogue, registry: Registry) -> tuple[Extract, bytes]:
    """Read one file with the reader its content calls for (the first of :data:`.registry.READERS` that
    recognises it)."""
    data = read_bytes(path, display=display)
    source = Source(data, name=path.name, display=display)
    return pick(source).read(source, catalogue=catalogue, registry=registry), data


def _holding_the_data_lock(func):
    """Run ``func`` holding the data directory's writers' lock (a second writer gets ``DataLocked``)."""
    @functools.wraps(func)
    def locked(paths, *, data: DataPaths, **options):
        with Store(data).lock():
            return func(paths, data=data, **options)
    return locked


@_holding_the_data_lock
def ingest(paths: list[Path] | None, *, data: DataPaths, catalogue: Catalogue | None = None,
           registry: Registry | None = None, skip_unchanged: bool = False) -> IngestResult:
    """Ingest ``paths`` (default: everything under ``data.raw``) into the store, in one transaction.

    With ``skip_unchanged``, a file whose name, size and modification time match a file read
    before without errors is not read again (the scheduled batch uses this; re-reading it would
    change nothing anyway, since submissions are identified by their content).

    For each commune and period the current submission is that of the newest file holding one
    (modification time, then file name; see :func:`pipeline.store.apply_submissions`).  Only a run
    over the whole of ``raw/`` (no ``paths``, or ``raw/`` itself) treats files gone from it as removed.
    """
    catalogue = catalogue or load_catalogue()
    registry = registry or load_registry(data)
    run_at = pd.Timestamp.now(tz="UTC").floor("us")
    run_id = run_at.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    files = discover(paths or [data.raw])
    files.sort(key=lambda p: (_mtime(p), str(p)))
    roots = [p for p in (paths or [data.raw]) if p.is_dir()]
    store = Store(data)
    known = store.read("files")
    clean_before = set(zip(known.loc[known["status"] == "ok", "file"], known.loc[known["status"] == "ok", "size"],
                           known.loc[known["status"] == "ok", "mtime_ns"]))
    stored = store.read("submissions")
    current = {(r.commune_key, r.period): r for r in stored.loc[stored["status"] == "current"].itertuples(index=False)}
    issues: list[pd.DataFrame] = []
    values, narratives, documents, subs, seen = [], [], [], [], []
    rejected = skipped = 0
    for path in files:
        display = _display(path, data)
        try:
            stat = path.stat()
        except FileNotFoundError:
            rejected += 1
            issues.append(issues_frame([_disappeared(display)]))
            continue
        if skip_unchanged and (display, stat.st_size, stat.st_mtime_ns) in clean_before:
            skipped += 1
            continue
        seen.append({"file": display, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "run_id": run_id,
                     "status": "rejected"})
        # One file's reading, checking and formatting: whatever goes wrong is that file's error, never the run's.
        try:
            file_issues, parts = _one_file(path, display=display, roots=roots, catalogue=catalogue, registry=registry,
                                           run_at=run_at, current=current)
        except InputError as exc:
            rejected += 1
            issues.append(issues_frame([issue(exc.message, file=exc.file or display, row=exc.row,
                                              indicator_code=exc.indicator or "", value=exc.value,
                                              expected=exc.expected or "")]))
            continue
        except FileNotFoundError:
            rejected += 1
            issues.append(issues_frame([_disappeared(display)]))
            continue
        except OSError as exc:
            rejected += 1
            issues.append(issues_frame([issue(f"cannot read the file: {exc.strerror or exc}", file=display,
                                              expected="a readable file (check its permissions)")]))
            continue
        except Exception as exc:  # noqa: BLE001 - a bug met on one file must not cost the other files
            rejected += 1
            issues.append(issues_frame([issue(
                f"unexpected error while reading this file ({type(exc).__name__}: {exc}); nothing stored from it",
                file=display, expected="a file the ingest can read; please report this error with the file")]))
            continue
        issues += file_issues
        seen[-1]["status"] = "ok" if not any((f["severity"] == "error").any() for f in file_issues) else "errors"
        v, n, d, s = parts
        values.append(v); narratives.append(n); documents.append(d); subs.append(s)
    all_issues = _frames(issues, issues_frame([]))
    removed = _removed(known, store.read("submissions"), files, data=data) if _whole_raw(paths, data) else set()
    if not seen and not removed:  # every file unchanged since it was stored: nothing to do
        nothing = dict.fromkeys(("new", "unchanged", "superseded", "withdrawn", "replaced", "restored", "values"), 0)
        return IngestResult(run_id, 0, 0, nothing, all_issues, skipped)
    in_raw = {_display(p, data) for p in files if p.resolve().is_relative_to(data.raw.resolve())}
    read = pd.DataFrame(seen, columns=["file", "size", "mtime_ns", "run_id", "status"])
    counts = apply_submissions(
        store,
        values=_frames(values, store.read("values")), narratives=_frames(narratives, store.read("narratives")),
        documents=_frames(documents, store.read("documents")), submissions=_frames(subs, store.read("submissions")),
        issues=all_issues, run_id=run_id, run_at=run_at,
        files=read.assign(in_raw=read["file"].isin(in_raw)), removed=removed,
    )
    return IngestResult(run_id, len(files) - skipped, rejected, counts, all_issues, skipped)


def _whole_raw(paths: list[Path] | None, data: DataPaths) -> bool:
    """A run over the whole of ``raw/``: only such a run may take a missing file as removed."""
    return not paths or all(Path(p).resolve() == data.raw.resolve() for p in paths)


def _removed(known: pd.DataFrame, subs: pd.DataFrame, found: list[Path], *, data: DataPaths) -> set[str]:
    """Files of ``raw/`` read or stored before and gone now (files given from outside ``raw/`` never are)."""
    present = {_display(p, data) for p in found}
    outside = set(known.loc[known["in_raw"].eq(False), "file"])
    # Rows written before ``in_raw`` existed: a relative name is one under raw/.
    candidates = set(known["file"]) | set(subs.loc[subs["status"].isin(["current", "superseded"]), "source_file"])
    return {f for f in candidates - present - outside if not Path(f).is_absolute()}


def _one_file(path: Path, *, display: str, roots: list[Path], catalogue: Catalogue, registry: Registry,
              run_at: pd.Timestamp, current: dict) -> tuple[list[pd.DataFrame], tuple]:
    """Read, type and check one file: ``(issues, (values, narratives, documents, submissions))``.

    ``current`` maps (commune unit, period) to the current submission (stored, or read earlier in this run);
    it is updated with this file's submissions.
    """
    _refuse_outside_link(path, roots, display=display)
    extract, raw = read_file(path, display=display, catalogue=catalogue, registry=registry)
    extract, future = _drop_future_periods(extract)
    typed, bad = _coerce(extract.values, catalogue)
    typed, dup = duplicate_values(typed)
    file_issues = [issues_frame(extract.issues), future, bad, dup, cross_checks(typed)]
    submitted_at = pd.Timestamp(path.stat().st_mtime, unit="s", tz="UTC").floor("us")
    v, n, d, s = _submissions(typed, extract, registry=registry, file_sha=sha256(raw), submitted_at=submitted_at,
                              run_at=run_at)
    shrink = []
    for sub in s.itertuples(index=False):
        old = current.get((sub.commune_key, sub.period))
        if old is not None and old.submission_id != sub.submission_id and sub.submitted_at >= old.submitted_at:
            hit = shrinking_submission(commune=sub.commune_code, period=sub.period, new_file=display,
                                       new_count=sub.n_values, old_file=old.source_file, old_count=old.n_values)
            if hit:
                shrink.append(hit)
        if old is None or sub.submitted_at >= old.submitted_at:
            current[(sub.commune_key, sub.period)] = sub
    file_issues.append(issues_frame(shrink))
    return file_issues, (v, n, d, s)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0  # gone since it was found: the loop reports it


def _disappeared(display: str) -> dict:
    return issue("the file disappeared while reading (deleted or moved during the ingest)", file=display,
                 expected="the file left in place until the ingest is over; run the ingest again")


def _refuse_outside_link(path: Path, roots: list[Path], *, display: str) -> None:
    """A symbolic link under an input directory that points outside it is not followed."""
    for root in roots:
        try:
            path.relative_to(root)
        except ValueError:
            continue
        target = path.resolve()
        if not target.is_relative_to(root.resolve()):
            raise InputError(f"symbolic link pointing outside {root.name}/ (to {target}): not followed", file=display,
                             expected=f"the file itself copied into {root.name}/")


def _drop_future_periods(extract: Extract) -> tuple[Extract, pd.DataFrame]:
    """Rows for a period that starts after today are errors and are not stored."""
    today = _today()
    periods = set(extract.values["period"]) | set(extract.narratives["period"]) | set(extract.documents["period"])
    records, future = [], []
    for period in sorted(str(p) for p in periods if p == p and p):
        problem = future_period_problem(period, today=today)
        if problem:
            future.append(period)
            rows = extract.values.loc[extract.values["period"] == period, "source_row"]
            records.append(issue(problem, file=extract.file, row=int(rows.min()) if len(rows) else None, value=period,
                                 expected="a period that has already begun; nothing of it is stored"))
    if future:
        keep = lambda f: f.loc[~f["period"].isin(future)].reset_index(drop=True)  # noqa: E731
        extract = Extract(file=extract.file, values=keep(extract.values), narratives=keep(extract.narratives),
                          documents=keep(extract.documents), issues=extract.issues)
    return extract, issues_frame(records)


def _today() -> date:
    return date.today()


def _display(path: Path, data: DataPaths) -> str:
    listed = (Path(os.path.normpath(path.absolute())), Path(os.path.normpath(data.raw.absolute())))
    for where, raw in (listed, (path.resolve(), data.raw.resolve())):
        try:  # the name under raw/ as listed (a link keeps its own name; "raw/../raw/a.csv" is "a.csv"), else resolved
            return str(where.relative_to(raw))
        except ValueError:
            continue
    return str(path)


def _frames(frames: list[pd.DataFrame], empty: pd.DataFrame) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else empty.iloc[0:0]


def _coerce(raw: pd.DataFrame, catalogue: Catalogue) -> tuple[pd.DataFrame, pd.DataFrame]:
    typed, bad = [], []
    for period, group in raw.groupby("period", sort=True):
        t, b = coerce_values(group, catalogue.for_period(period))
        typed.append(t); bad.append(b)
    if not typed:
        return coerce_values(raw, catalogue)
    return pd.concat(typed, ignore_index=True), pd.concat(bad, ignore_index=True)


def _submissions(typed: pd.DataFrame, extract: Extract, *, registry: Registry, file_sha: str,
                 submitted_at: pd.Timestamp, run_at: pd.Timestamp):
    """Split one file's rows into submissions (one per commune unit and period), with ids."""
    keys = pd.concat([typed[["commune_code", "period"]], extract.narratives[["commune_code", "period"]],
                      extract.documents[["commune_code", "period"]]]).drop_duplicates()
    unit_key = {(c, p): registry.resolve(c, p).key for c, p in keys.itertuples(index=False)}
    out_v, out_n, out_d, out_s = [], [], [], []
    for (commune, period), ckey in unit_key.items():
        pick = lambda f: f.loc[(f["commune_code"] == commune) & (f["period"] == period)]  # noqa: E731, B023 - used in this iteration
        v, n, d = pick(typed), pick(extract.narratives), pick(extract.documents)
        content = {
            "v": v[["indicator_code", "value", "value_text", "cumulative_value", "note", "synthetic"]]
                 .astype(str).values.tolist(),
            "n": n[["heading", "text"]].astype(str).values.tolist(),
            "d": d.drop(columns=["source_file"]).astype(str).values.tolist(),
            "k": [ckey, period],
        }
        sid = hashlib.sha256(json.dumps(content, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:20]
        synthetic = bool(v["synthetic"].any()) if len(v) else bool(d["synthetic"].any()) if len(d) else False
        out_v.append(v.drop(columns=["raw_value"]).assign(commune_key=ckey, submission_id=sid,
                                                          submitted_at=submitted_at,
                                                          ingested_at=run_at, synthetic=v["synthetic"].astype(bool)))
        out_n.append(n.assign(commune_key=ckey, submission_id=sid))
        out_d.append(d.assign(commune_key=ckey, submission_id=sid))
        out_s.append({"submission_id": sid, "commune_code": commune, "commune_key": ckey, "period": period,
                      "source_file": extract.file, "file_sha256": file_sha, "submitted_at": submitted_at,
                      "ingested_at": run_at, "status": "current", "superseded_by": None, "n_values": len(v),
                      "synthetic": synthetic})
    cat = lambda frames: pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()  # noqa: E731
    return cat(out_v), cat(out_n), cat(out_d), pd.DataFrame(out_s)

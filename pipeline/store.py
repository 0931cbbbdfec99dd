"""The processed store: the only module that knows the storage layout.

``data/processed/`` holds typed Parquet tables, each with a declared schema
checked on write:

``values``              current indicator values, one row per commune, period, indicator
``values_history``      every time values left ``values`` (superseded, withdrawn, changed), with when and why
``narratives``          report text by section, for the report to reuse
``narratives_history``  narrative rows that left ``narratives`` (and older files' narrative, kept to restore)
``documents``           header facts of ingested reports (number, date, signer, ...)
``documents_history``   header facts that left ``documents``
``submissions``         every (file, submission) pair stored, with its status and why it last changed
``ingest_report``       the problems found in each file by the latest run that read it
``files``               the files read, with size and time (the batch skips unchanged ones)
``metrics``, ``findings``, ``scores``  the metrics stage
``ranks``, ``group_stats``  the metrics stage: each commune's rank in its comparison group, and the group's
                        distribution (what a report needs from its group, in a fixed number of rows)

**One transaction per run.**  A table is never overwritten: each write makes a
new version file (``values.000012.parquet``) and the pointer file
``_current.json`` names the current version of every table.  A run's tables
become visible together when the pointer is replaced (``os.replace``), or not
at all: a crash before leaves the pointer, hence the previous state, intact.
Versions no longer named by the current or the previous pointer, and the
temporary files of killed runs, are removed by the next writer.  A data
directory written before the pointer existed (plain ``values.parquet``) is read
as it is and migrated by the first write.

**One writer at a time.**  Writers hold ``processed/.write.lock`` (a
:class:`filelock.FileLock`); a second writer gets :class:`DataLocked` at once.
Readers need no lock: they read the version the pointer names.

Nothing here ever writes under ``raw/``.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from filelock import FileLock

from .config import DataPaths
from .errors import DataLocked, SchemaError, StoreError
from .locks import hold

_STR = pa.string()
_TS = pa.timestamp("us", tz="UTC")

SCHEMAS: dict[str, pa.Schema] = {
    "values": pa.schema([
        ("commune_code", _STR), ("commune_key", _STR), ("period", _STR), ("indicator_code", _STR),
        ("value", pa.float64()), ("value_text", _STR), ("cumulative_value", pa.float64()),
        ("unit", _STR), ("note", _STR), ("source_file", _STR), ("source_row", pa.int64()),
        ("raw_text", _STR), ("synthetic", pa.bool_()), ("submission_id", _STR),
        ("submitted_at", _TS), ("ingested_at", _TS),
    ]),
    "narratives": pa.schema([
        ("commune_code", _STR), ("commune_key", _STR), ("period", _STR), ("seq", pa.int64()),
        ("part", _STR), ("number", _STR), ("area", _STR), ("heading", _STR), ("text", _STR),
        ("source_file", _STR), ("source_row", pa.int64()), ("submission_id", _STR), ("text_rows", _STR),
    ]),
    "documents": pa.schema([
        ("commune_code", _STR), ("commune_key", _STR), ("period", _STR), ("issuing_body", _STR),
        ("issuer_name", _STR), ("doc_number", _STR), ("place", _STR), ("doc_date", pa.date32()),
        ("title", _STR), ("subject", _STR), ("recipients", _STR), ("signer_role", _STR),
        ("signer_title", _STR), ("signer_name", _STR), ("synthetic", pa.bool_()),
        ("source_file", _STR), ("submission_id", _STR),
    ]),
    "submissions": pa.schema([
        ("submission_id", _STR), ("commune_code", _STR), ("commune_key", _STR), ("period", _STR),
        ("source_file", _STR), ("file_sha256", _STR), ("submitted_at", _TS), ("ingested_at", _TS),
        ("status", _STR), ("superseded_by", _STR), ("n_values", pa.int64()), ("synthetic", pa.bool_()),
        ("reason", _STR), ("changed_at", _TS),
    ]),
    "ingest_report": pa.schema([
        ("run_id", _STR), ("run_at", _TS), ("file", _STR), ("row", pa.int64()), ("severity", _STR),
        ("indicator_code", _STR), ("value", _STR), ("expected", _STR), ("message", _STR),
    ]),
}
_F = pa.float64()
SCHEMAS["metrics"] = pa.schema(
    [(c, _STR) for c in ("commune_code", "commune_key", "period", "metric", "label", "kind", "unit")]
    + [("value", _F), ("numerator", _F), ("denominator", _F), ("reason", _STR), ("origin", _STR),
       ("previous_period", _STR), ("previous_value", _F), ("change", _F), ("change_unit", _STR), ("change_pct", _F),
       ("yoy_period", _STR), ("yoy_value", _F), ("yoy_change", _F), ("yoy_change_pct", _F),
       ("cumulative_value", _F), ("reported_cumulative", _F), ("target", _F), ("target_op", _STR),
       ("target_met", pa.bool_()), ("target_gap", _F), ("target_source", _STR), ("target_kind", _STR),
       ("synthetic", pa.bool_()), ("summed_from", _STR)]
)
SCHEMAS["findings"] = pa.schema([
    ("severity", _STR), ("commune_code", _STR), ("commune_key", _STR), ("period", _STR), ("metric", _STR),
    ("finding", _STR), ("value", _F), ("expected", _STR), ("message", _STR), ("audience", _STR),
])
SCHEMAS["scores"] = pa.schema([
    ("commune_code", _STR), ("commune_key", _STR), ("period", _STR), ("score", _F), ("max_score", _F),
    ("missing", _STR), ("score_pct", _F),
])
SCHEMAS["ranks"] = pa.schema([
    ("group", _STR), ("commune_code", _STR), ("commune_key", _STR), ("period", _STR), ("metric", _STR),
    ("value", _F), ("rank", pa.int64()), ("of", pa.int64()), ("synthetic", pa.bool_()),
])
SCHEMAS["group_stats"] = pa.schema([
    ("group", _STR), ("period", _STR), ("metric", _STR), ("band", pa.int64()), ("band_from", _F), ("band_to", _F),
    ("communes", pa.int64()), ("of", pa.int64()), ("median", _F), ("minimum", _F), ("maximum", _F),
    ("synthetic_units", pa.int64()),
    ("unit_types", _STR),
])
SCHEMAS["files"] = pa.schema([
    ("file", _STR), ("size", pa.int64()), ("mtime_ns", pa.int64()), ("run_id", _STR), ("status", _STR),
    ("in_raw", pa.bool_()),
])
_LEFT = [pa.field("superseded_at", _TS), pa.field("superseded_by", _STR), pa.field("reason", _STR)]
for _name in ("values", "narratives", "documents"):
    SCHEMAS[f"{_name}_history"] = pa.schema(list(SCHEMAS[_name]) + _LEFT)
#: The tables the metrics stage writes (its own transaction); the others are the ingest's.
METRICS_TABLES = ("metrics", "findings", "scores", "ranks", "group_stats")


def empty(name: str) -> pd.DataFrame:
    """An empty frame with the columns and dtypes of table ``name``."""
    return SCHEMAS[name].empty_table().to_pandas()


def conform(frame: pd.DataFrame, name: str) -> pa.Table:
    """Check ``frame`` against the declared schema of ``name`` and convert it.

    Missing or extra columns, or values that do not convert to the declared
    type, raise :class:`SchemaError`.
    """
    schema = SCHEMAS[name]
    missing = [f for f in schema.names if f not in frame.columns]
    extra = [c for c in frame.columns if c not in schema.names]
    if missing or extra:
        raise SchemaError(f"table {name}: missing columns {missing}, unexpected columns {extra}")
    try:
        return pa.Table.from_pandas(frame[schema.names], schema=schema, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as exc:
        raise SchemaError(f"table {name}: {exc}") from exc


@contextmanager
def atomic_file(path: Path, *, mode: int = 0o644):
    """Yield a temporary path beside ``path``; on success it replaces ``path`` (readers see the old
    file or the new one, never half of one), on failure it is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


#: Rows per Parquet row group: a reader of a few periods (:meth:`Store.read`) holds one group at a time, not the
#: whole table.
ROW_GROUP_ROWS = 16_384


def write_atomic(table: pa.Table, path: Path) -> None:
    """Write a Parquet file atomically."""
    with atomic_file(path) as tmp:
        pq.write_table(table, tmp, row_group_size=ROW_GROUP_ROWS)


#: The pointer naming each table's current version file.
POINTER = "_current.json"
#: The writers' lock (held by ingest, the metrics stage and the batch).
LOCK = ".write.lock"
_VERSION_FILE = re.compile(r"^(?P<name>[a-z_]+)(?:\.\d+)?\.parquet$")
_LOCKS: dict[tuple[int, str], FileLock] = {}
_LOCKS_GUARD = threading.Lock()


def _lock_for(path: Path) -> FileLock:
    """One lock object per process and path: re-entrant in its thread, exclusive between threads and processes."""
    key = (os.getpid(), str(path.resolve()))  # a forked child must not inherit its parent's hold
    with _LOCKS_GUARD:
        if key not in _LOCKS:
            _LOCKS[key] = FileLock(path, thread_local=True)
        return _LOCKS[key]


def _read_periods(path: Path, wanted: pa.Array) -> pa.Table:
    """The rows of the Parquet file ``path`` whose ``period`` is in ``wanted``, read a row group at a time."""
    import pyarrow.compute as pc

    with pq.ParquetFile(path) as file:
        batches = [b.filter(pc.is_in(b.column("period"), value_set=wanted))
                   for b in file.iter_batches(batch_size=ROW_GROUP_ROWS)]
        return pa.Table.from_batches(batches, schema=file.schema_arrow)


def _upgrade(table: pa.Table, name: str, path: Path) -> pa.Table:
    """``table`` with the declared schema of ``name``: columns added since it was written come as nulls."""
    schema = SCHEMAS[name]
    if table.schema.equals(schema, check_metadata=False):
        return table
    stored = table.schema
    if set(stored.names) <= set(schema.names) and all(stored.field(n).type == schema.field(n).type
                                                       for n in stored.names):
        return pa.Table.from_arrays([table.column(f.name) if f.name in stored.names else pa.nulls(len(table), f.type)
                                     for f in schema], schema=schema)
    raise SchemaError(f"{path}: stored schema differs from the declared one; re-ingest into a fresh data directory")


class Store:
    """Read and write the processed tables of one data directory.

    Reads go through the pointer (no lock needed); writes go through :meth:`transaction`,
    which holds the writers' lock and switches the pointer once at the end.
    """

    def __init__(self, paths: DataPaths):
        self.paths = paths
        self.dir = paths.processed

    # ------------------------------------------------------------------ reading
    def pointer(self) -> dict:
        """The current pointer: ``tables`` (name → version file), ``meta``, ``generation``.

        A directory written before the pointer existed reads as generation 0 naming its plain files.
        """
        path = self.dir / POINTER
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            tables = {n: f"{n}.parquet" for n in SCHEMAS if (self.dir / f"{n}.parquet").exists()}
            return {"generation": 0, "tables": tables, "previous": {}, "meta": {}}
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise SchemaError(f"{path}: unreadable pointer ({exc})") from exc

    def path(self, name: str) -> Path:
        """The current version file of table ``name`` (it does not exist when the table was never written)."""
        if name not in SCHEMAS:
            raise SchemaError(f"unknown table {name!r}")
        return self.dir / self.pointer()["tables"].get(name, f"{name}.parquet")

    def read(self, name: str, *, periods: Iterable[str] | None = None) -> pd.DataFrame:
        """Table ``name`` (empty with its columns when not written yet); ``periods``: only its rows of those periods
        (filtered while reading, so a reader of a few periods does not hold the whole table)."""
        if name not in SCHEMAS:
            raise SchemaError(f"unknown table {name!r}")
        wanted = None
        if periods is not None and "period" in SCHEMAS[name].names:
            wanted = pa.array(sorted(set(periods)), type=pa.string())
        for _ in range(3):
            file = self.pointer()["tables"].get(name)
            if file is None:
                return empty(name)
            path = self.dir / file
            try:
                table = pq.read_table(path) if wanted is None else _read_periods(path, wanted)
            except FileNotFoundError:
                continue  # cleaned up by a writer between reading the pointer and the file: read the pointer again
            except (pa.ArrowException, OSError) as exc:  # truncated or corrupt: name the file, say what to do
                raise StoreError(f"{path}: unreadable table, truncated or corrupt "
                                 f"({' '.join(str(exc).split())[:200]}); "
                                 f"move {self.dir} aside and run 'cchc ingest' to rebuild it from raw/") from None
            return _upgrade(table, name, path).to_pandas()
        raise SchemaError(f"{path}: named by {self.dir / POINTER} but missing")

    def meta(self, key: str) -> str | None:
        """A value stored with the tables (e.g. the fingerprint of the metrics' inputs)."""
        return self.pointer().get("meta", {}).get(key)

    # ------------------------------------------------------------------ writing
    @contextmanager
    def lock(self):
        """Hold the writers' lock of this data directory, or raise :class:`DataLocked` at once.

        Re-entrant in one thread (the batch holds it around ingest and metrics)."""
        if self.dir.resolve().is_relative_to(self.paths.raw.resolve()):
            raise SchemaError("refusing to write processed tables under raw/")
        self.dir.mkdir(parents=True, exist_ok=True)
        path = self.dir / LOCK
        owner = path.with_name(LOCK + ".owner")
        command = " ".join(Path(a).name if i == 0 else a for i, a in enumerate(sys.argv[:2]))
        note = f"pid {os.getpid()} ({command}) since {pd.Timestamp.now(tz='UTC'):%Y-%m-%d %H:%M:%S} UTC"
        with hold(_lock_for(path), owner, refused=lambda holder: DataLocked(str(path), holder), note=note) as first:
            if first:
                self.clean()
            yield

    @contextmanager
    def transaction(self):
        """Hold the lock and yield a :class:`Transaction`; its writes become visible together on success."""
        with self.lock():
            tx = Transaction(self)
            try:
                yield tx
            except BaseException:
                tx.discard()
                raise
            tx.commit()

    def write(self, name: str, frame: pd.DataFrame) -> None:
        """Write one table (a transaction of its own)."""
        with self.transaction() as tx:
            tx.write(name, frame)

    def clean(self) -> None:
        """Remove temporary files of killed runs and versions the pointer no longer names (hold the lock).

        The previous pointer's versions are kept, for a reader that read the pointer just before the switch.
        """
        if not self.dir.exists():
            return
        has_pointer = (self.dir / POINTER).exists()
        pointer = self.pointer()
        keep = set(pointer["tables"].values()) | set(pointer.get("previous", {}).values())
        for entry in os.scandir(self.dir):
            name = entry.name
            match = _VERSION_FILE.match(name)
            if (name.startswith(".") and name.endswith(".tmp")) or (
                    has_pointer and ((match and match["name"] in SCHEMAS and name not in keep)
                                     or name == "metrics.inputs")):  # the old stamp: the pointer holds it now
                Path(entry.path).unlink(missing_ok=True)


class Transaction:
    """The writes of one run: each table goes to a new version file; :meth:`commit` switches the pointer."""

    def __init__(self, store: Store):
        self.store = store
        self.base = store.pointer()
        self.generation = int(self.base.get("generation", 0)) + 1
        self.written: dict[str, str] = {}
        self.meta: dict[str, str] = {}

    def write(self, name: str, frame: pd.DataFrame) -> None:
        """Stage table ``name`` (unchanged content is not written again)."""
        table = conform(frame, name)
        if name not in self.written:
            current = self.store.path(name)
            if current.exists() and _upgrade(pq.read_table(current), name, current).equals(table):
                return
        path = self.store.dir / f"{name}.{self.generation:06d}.parquet"
        write_atomic(table, path)
        self.written[name] = path.name

    def set_meta(self, key: str, value: str) -> None:
        self.meta[key] = value

    def commit(self) -> bool:
        """Switch the pointer to the new versions (one ``os.replace``); False when nothing changed."""
        meta = self.base.get("meta", {})
        if not self.written and all(meta.get(k) == v for k, v in self.meta.items()):
            return False
        pointer = {"format": 1, "generation": self.generation,
                   "written_at": pd.Timestamp.now(tz="UTC").isoformat(),
                   "tables": {**self.base["tables"], **self.written}, "previous": self.base["tables"],
                   "meta": {**meta, **self.meta}}
        with atomic_file(self.store.dir / POINTER) as tmp:
            tmp.write_text(json.dumps(pointer, indent=1, sort_keys=True), encoding="utf-8")
        _fsync_dir(self.store.dir)
        self.written.clear()
        self.store.clean()
        return True

    def discard(self) -> None:
        """Remove the versions written so far (the pointer still names the previous ones)."""
        for file in self.written.values():
            (self.store.dir / file).unlink(missing_ok=True)
        self.written.clear()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


#: Statuses of a submission its file still holds (the others: ``replaced``, ``withdrawn``).
LIVE = ("current", "superseded")
_PAIR = ["source_file", "submission_id"]


def apply_submissions(
    store: Store, *, values: pd.DataFrame, narratives: pd.DataFrame, documents: pd.DataFrame,
    submissions: pd.DataFrame, issues: pd.DataFrame, run_id: str, run_at: pd.Timestamp,
    files: pd.DataFrame, removed: frozenset[str] | set[str] = frozenset(),
) -> dict[str, int]:
    """Store what the files read say now, in one transaction.

    ``values``, ``narratives``, ``documents`` and ``submissions`` are this run's reads; ``files`` the
    files read (``status`` ok/errors: their content is exactly this read; ``rejected``: they keep what
    they said before); ``removed`` the files gone from ``raw/`` (a full scan only).  A submission is one
    file's rows for one commune unit and period, identified by a hash of its content.  Rules:

    - **current** is, for each commune and period, the submission of the newest file holding one
      (file modification time, then file name), whatever was stored before: reverting a file restores
      its values, removing a file restores the previous file's;
    - a submission a file still holds but which a newer file beats is ``superseded``; one its file no
      longer holds is ``replaced`` (file edited) or ``withdrawn`` (file removed from ``raw/``); each row
      of ``submissions`` says ``reason`` and ``changed_at`` of its last change;
    - values leaving ``values`` go to ``values_history`` with when, by what and why, every time;
      an older file's values go there on arrival, so that they can come back;
    - narrative and header facts are those of the newest file that carries them;
    - ``ingest_report`` keeps, for each file, the issues of the latest run that read it.

    Returns counts: ``new``, ``unchanged``, ``superseded``, ``withdrawn``, ``replaced``, ``restored``, ``values``.
    """
    with store.transaction() as tx:
        read_now = set(files.loc[files["status"].isin(["ok", "errors"]), "file"])
        seen = set(files["file"]) | set(removed)
        old = store.read("submissions")
        fresh = submissions.drop_duplicates(_PAIR).assign(reason=None, changed_at=run_at)
        subs, counts, why = _settle_submissions(old, fresh, read_now=read_now, removed=set(removed), run_at=run_at)
        live = subs.loc[subs["status"].isin(LIVE)]
        for name, frame, sort in (("values", values, ["period", "commune_code", "indicator_code"]),
                                  ("narratives", narratives, ["period", "commune_code", "seq"]),
                                  ("documents", documents, ["period", "commune_code"])):
            current, history, added = _settle_table(
                name, live=live, fresh=frame, current=store.read(name), history=store.read(f"{name}_history"),
                why=why, run_at=run_at)
            tx.write(f"{name}_history", history)
            tx.write(name, current.sort_values(sort, kind="stable"))
            if name == "values":
                counts["values"] = added
        tx.write("submissions", subs)
        report = store.read("ingest_report")
        tx.write("ingest_report", _concat([report.loc[~report["file"].isin(seen)],
                                           issues.assign(run_id=run_id, run_at=run_at)]))
        known = store.read("files")
        known = _concat([known.loc[~known["file"].isin(seen)], *([files] if files is not None else [])])
        tx.write("files", known.sort_values("file", kind="stable"))
    return counts


def _settle_submissions(old: pd.DataFrame, fresh: pd.DataFrame, *, read_now: set[str], removed: set[str],
                        run_at: pd.Timestamp) -> tuple[pd.DataFrame, dict[str, int], dict[tuple, str]]:
    """Every (file, submission) row with its new status; counts; why each pair is where it is now."""
    # Which submissions each file held before this run (one per file, commune and period: the newest read).
    before = old.loc[old["status"].isin(LIVE)].sort_values("ingested_at", kind="stable")
    before = before.drop_duplicates(["source_file", "commune_key", "period"], keep="last")
    held_before = set(zip(before["source_file"], before["submission_id"]))
    still = before.loc[~before["source_file"].isin(read_now | removed)]
    live = pd.concat([still[_PAIR + ["commune_key", "period", "submitted_at"]],
                      fresh[_PAIR + ["commune_key", "period", "submitted_at"]]], ignore_index=True)
    newest = live.sort_values(["submitted_at", "source_file"], kind="stable").drop_duplicates(
        ["commune_key", "period"], keep="last")
    winner = {(k, p): (f, s) for k, p, f, s in zip(newest["commune_key"], newest["period"],
                                                   newest["source_file"], newest["submission_id"])}
    live_pairs = set(zip(live["source_file"], live["submission_id"]))
    fresh_pairs = set(zip(fresh["source_file"], fresh["submission_id"]))

    # Rows: the old ones, refreshed from this run's read where the file still holds them; then new pairs.
    subs = old.copy()
    old_pairs = list(zip(subs["source_file"], subs["submission_id"]))
    reread = fresh.set_index(_PAIR)
    hit = [p in fresh_pairs for p in old_pairs]
    if any(hit):
        upd = reread.loc[[p for p in old_pairs if p in fresh_pairs]]
        for col in ("submitted_at", "file_sha256", "n_values", "synthetic", "commune_code"):
            subs.loc[hit, col] = upd[col].to_numpy()
    known = set(old_pairs)
    unseen = [p not in known for p in zip(fresh["source_file"], fresh["submission_id"])]
    subs = pd.concat([subs, fresh.loc[unseen].assign(status=None, superseded_by=None)], ignore_index=True)

    counts = {"new": 0, "unchanged": 0, "superseded": 0, "withdrawn": 0, "replaced": 0, "restored": 0, "values": 0}
    counts["unchanged"] = len(fresh_pairs & held_before)
    counts["new"] = len(fresh_pairs - held_before)
    why: dict[tuple, str] = {}
    status, by, reason, changed = [], [], [], []
    for row in subs.itertuples(index=False):
        pair = (row.source_file, row.submission_id)
        was, was_by = row.status, row.superseded_by
        new, new_by, text = was, was_by, row.reason
        if pair in live_pairs:
            win_file, win_id = winner[(row.commune_key, row.period)]
            if (win_file, win_id) == pair:
                new, new_by = "current", None
                text = ("newest file for this commune and period" if was is None else
                        f"restored: {row.source_file} holds it again" if was in ("replaced", "withdrawn") else
                        "restored: newest file present for this commune and period" if was != "current" else text)
                if was is not None and was != "current":
                    counts["restored"] += 1
            else:
                new, new_by = "superseded", win_id
                text = f"older than {win_file}" if was is None else f"superseded by newer file {win_file}"
                counts["superseded"] += was != "superseded"
        elif was in LIVE and row.source_file in removed:
            new, new_by, text = "withdrawn", None, f"{row.source_file} no longer in raw/"
            counts["withdrawn"] += 1
        elif was in LIVE:  # its file is still there but no longer holds it (or an older read left by old code)
            new, new_by, text = "replaced", None, f"{row.source_file} changed and no longer holds it"
            counts["replaced"] += 1
        same = new == was and (new_by == was_by or (pd.isna(new_by) and pd.isna(was_by)))
        status.append(new); by.append(new_by); reason.append(text)
        changed.append(row.changed_at if same else run_at)
        why[pair] = text
    subs = subs.assign(status=status, superseded_by=by, reason=reason,
                       changed_at=pd.to_datetime(pd.Series(changed, dtype="object"), utc=True))
    return subs, counts, why


def _settle_table(name: str, *, live: pd.DataFrame, fresh: pd.DataFrame, current: pd.DataFrame,
                  history: pd.DataFrame, why: dict[tuple, str],
                  run_at: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """The new current rows of table ``name`` and its history, from the live submissions.

    Values come from the newest live submission of each commune and period; narrative and header facts
    from the newest that has some.  Rows come from the current table when already there, else from this
    run's read, else from the history (the latest copy of that file's submission).
    """
    timed = name == "values"  # values carry the file's time: a touched file's rows are refreshed
    def pair_of(frame: pd.DataFrame) -> pd.Series:
        return pd.Series(list(zip(frame["source_file"], frame["submission_id"])), index=frame.index, dtype="object")

    cols = list(SCHEMAS[name].names)
    fresh = fresh[cols] if len(fresh) else empty(name)
    if len(history):
        latest = history["superseded_at"] == history.groupby(_PAIR)["superseded_at"].transform("max")
        archived = history.loc[latest, cols]
    else:
        archived = empty(name)
    has_rows = set(pair_of(fresh)) | set(pair_of(current)) | set(pair_of(archived))
    order = live.sort_values(["submitted_at", "source_file"], ascending=False, kind="stable")
    if not timed:
        order = order.loc[[p in has_rows for p in pair_of(order)]]
    chosen = order.drop_duplicates(["commune_key", "period"])
    chosen_at = dict(zip(pair_of(chosen), chosen["submitted_at"]))
    winner = {(k, p): (f, s) for k, p, f, s in zip(chosen["commune_key"], chosen["period"],
                                                   chosen["source_file"], chosen["submission_id"])}

    cur_pairs = pair_of(current)
    keep = cur_pairs.map(lambda p: p in chosen_at)
    if timed and len(current):
        keep &= current["submitted_at"].to_numpy() == cur_pairs.map(lambda p: chosen_at.get(p, pd.NaT)).to_numpy()
    kept = set(cur_pairs[keep])
    fr_pairs = pair_of(fresh)
    from_fresh = fresh.loc[fr_pairs.map(lambda p: p in chosen_at and p not in kept).astype(bool)]
    got = kept | set(fr_pairs[fr_pairs.map(lambda p: p in chosen_at)])
    ar_pairs = pair_of(archived)
    from_archive = archived.loc[ar_pairs.map(lambda p: p in chosen_at and p not in got).astype(bool)]
    if timed and len(from_archive):
        at = pair_of(from_archive).map(chosen_at).astype(current["submitted_at"].dtype)
        from_archive = from_archive.assign(submitted_at=at)  # the file's time now (it may have been touched)
    new_current = _concat([current.loc[keep.astype(bool)], from_fresh, from_archive])

    # Rows leaving the table (not those of a submission that stays and is only re-read) go to history.
    leaving = current.loc[~keep.astype(bool) & ~cur_pairs.map(lambda p: p in chosen_at).astype(bool)]
    moves = []
    if len(leaving):
        lw = pair_of(leaving)
        win = [winner.get((k, p), (None, None)) for k, p in zip(leaving["commune_key"], leaving["period"])]
        moves.append(leaving.assign(superseded_at=run_at, superseded_by=[w[1] for w in win],
                                    reason=[why.get(pr) or (f"replaced by {w[0]}" if w[0] else "no file holds it")
                                            for pr, w in zip(lw, win)]))
    # This run's reads that are not current here are archived, so that they can come back.
    stored = set(pair_of(archived)) | set(pair_of(leaving))
    spare = fresh.loc[fr_pairs.map(lambda p: p not in chosen_at and p not in stored).astype(bool)]
    if len(spare):
        win = [winner.get((k, p), (None, None)) for k, p in zip(spare["commune_key"], spare["period"])]
        moves.append(spare.assign(superseded_at=run_at, superseded_by=[w[1] for w in win],
                                  reason=[why.get(pr, "") for pr in pair_of(spare)]))
    if moves:
        history = _concat([history, *moves])
    return new_current, history, len(from_fresh) + len(from_archive)


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)] or frames[:1]
    return pd.concat(frames, ignore_index=True)


def write_frame_atomic(frame: pd.DataFrame, path: Path, *, fmt: str) -> None:
    """Write an exported frame (csv or parquet) atomically to ``path``."""
    with atomic_file(path) as tmp:
        if fmt == "parquet":
            frame.to_parquet(tmp, index=False)
        else:
            from .cells import neutralise_frame  # a note "=HYPERLINK(…)" must not become a live formula

            neutralise_frame(frame).to_csv(tmp, index=False, encoding="utf-8", float_format="%.15g")

"""The processed store: the only module that knows the storage layout.

``data/processed/`` holds typed Parquet tables, each with a declared schema
checked on write:

``values``          current indicator values, one row per commune, period, indicator
``values_history``  values superseded by a later submission (never deleted)
``narratives``      report text by section, for the report to reuse
``documents``       header facts of ingested reports (number, date, signer, ...)
``submissions``     every (file, commune, period) submission ever stored, with its status
``ingest_report``   problems found by every ingest run

Writes are atomic: a table is written to a temporary file in the same
directory and renamed over the old one, so a crash never leaves a
half-written table.  Nothing here ever writes under ``raw/``.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .config import DataPaths
from .errors import SchemaError, StoreError

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
        ("source_file", _STR), ("source_row", pa.int64()), ("submission_id", _STR),
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
       ("target_met", pa.bool_()), ("target_gap", _F), ("target_source", _STR), ("synthetic", pa.bool_())]
)
SCHEMAS["findings"] = pa.schema([
    ("severity", _STR), ("commune_code", _STR), ("commune_key", _STR), ("period", _STR), ("metric", _STR),
    ("finding", _STR), ("value", _F), ("expected", _STR), ("message", _STR),
])
SCHEMAS["scores"] = pa.schema([
    ("commune_code", _STR), ("commune_key", _STR), ("period", _STR), ("score", _F), ("max_score", _F),
    ("missing", _STR), ("score_pct", _F),
])
SCHEMAS["files"] = pa.schema([
    ("file", _STR), ("size", pa.int64()), ("mtime_ns", pa.int64()), ("run_id", _STR), ("status", _STR),
])
SCHEMAS["values_history"] = SCHEMAS["values"].append(pa.field("superseded_at", _TS)).append(
    pa.field("superseded_by", _STR)
)


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


def write_atomic(table: pa.Table, path: Path) -> None:
    """Write a Parquet file atomically."""
    with atomic_file(path) as tmp:
        pq.write_table(table, tmp)


class Store:
    """Read and write the processed tables of one data directory."""

    def __init__(self, paths: DataPaths):
        self.paths = paths
        self.dir = paths.processed

    def path(self, name: str) -> Path:
        if name not in SCHEMAS:
            raise SchemaError(f"unknown table {name!r}")
        return self.dir / f"{name}.parquet"

    def read(self, name: str) -> pd.DataFrame:
        """Table ``name`` (empty with its columns when not written yet)."""
        path = self.path(name)
        if not path.exists():
            return empty(name)
        try:
            table = pq.read_table(path)
        except (pa.ArrowException, OSError) as exc:  # truncated or corrupt: name the file, say what to do
            raise StoreError(f"{path}: unreadable table, truncated or corrupt ({' '.join(str(exc).split())[:200]}); "
                             f"move {self.dir} aside and run 'cchc ingest' to rebuild it from raw/") from None
        if not table.schema.equals(SCHEMAS[name], check_metadata=False):
            raise SchemaError(f"{path}: stored schema differs from the declared one; re-ingest into a fresh data directory")
        return table.to_pandas()

    def write(self, name: str, frame: pd.DataFrame) -> None:
        if self.dir.resolve().is_relative_to(self.paths.raw.resolve()):
            raise SchemaError("refusing to write processed tables under raw/")
        write_atomic(conform(frame, name), self.path(name))


def _key(frame: pd.DataFrame) -> pd.Series:
    return frame["commune_key"].astype(str) + "|" + frame["period"].astype(str)


def apply_submissions(
    store: Store, *, values: pd.DataFrame, narratives: pd.DataFrame, documents: pd.DataFrame,
    submissions: pd.DataFrame, issues: pd.DataFrame, run_id: str, run_at: pd.Timestamp,
) -> dict[str, int]:
    """Store new submissions, superseding older ones for the same commune and period.

    A submission is one file's rows for one commune unit and period, identified
    by a hash of its content.  Rules:

    - a submission already stored (same hash) changes nothing: re-ingest is idempotent;
    - otherwise the most recently submitted one (file modification time) becomes
      current; the one it replaces moves, values and all, to ``values_history``;
    - narrative and header facts are replaced only by a submission that has them.

    Returns counts: ``new``, ``unchanged``, ``superseded``, ``values``.
    """
    old_subs = store.read("submissions")
    cur_values, history = store.read("values"), store.read("values_history")
    cur_narr, cur_docs = store.read("narratives"), store.read("documents")
    known = set(old_subs["submission_id"])
    subs = old_subs.copy()
    moved: list[pd.DataFrame] = []
    counts = {"new": 0, "unchanged": 0, "superseded": 0, "values": 0}
    # This run's submissions that are current so far, by id (a later one in the same run may replace them).
    pending: dict[str, tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]] = {}
    records: list[dict] = []
    for sub in submissions.sort_values(["submitted_at", "source_file"], kind="stable").itertuples(index=False):
        if sub.submission_id in known:
            counts["unchanged"] += 1
            continue
        known.add(sub.submission_id)
        counts["new"] += 1
        mine = values.loc[values["submission_id"] == sub.submission_id]
        all_subs = pd.concat([subs, pd.DataFrame(records)], ignore_index=True) if records else subs
        current = all_subs.loc[(all_subs["status"] == "current") & (all_subs["commune_key"] == sub.commune_key)
                               & (all_subs["period"] == sub.period)]
        record = sub._asdict() | {"status": "current", "superseded_by": None}
        if len(current) and current["submitted_at"].max() > sub.submitted_at:
            # An older file arriving late: keep it, but only as history.
            record |= {"status": "superseded", "superseded_by": current["submission_id"].iloc[0]}
            moved.append(mine.assign(superseded_at=run_at, superseded_by=record["superseded_by"]))
            counts["superseded"] += 1
        else:
            old_ids = set(current["submission_id"])
            if old_ids:
                subs.loc[subs["submission_id"].isin(old_ids), ["status", "superseded_by"]] = ["superseded", sub.submission_id]
                for r in records:
                    if r["submission_id"] in old_ids:
                        r.update(status="superseded", superseded_by=sub.submission_id)
                gone = cur_values["submission_id"].isin(old_ids)
                moved.append(cur_values.loc[gone].assign(superseded_at=run_at, superseded_by=sub.submission_id))
                cur_values = cur_values.loc[~gone]
                for old in old_ids & pending.keys():
                    moved.append(pending[old][0].assign(superseded_at=run_at, superseded_by=sub.submission_id))
                counts["superseded"] += len(old_ids)
                key = f"{sub.commune_key}|{sub.period}"
                has_narr = (narratives["submission_id"] == sub.submission_id).any()
                has_docs = (documents["submission_id"] == sub.submission_id).any()
                if has_narr:
                    cur_narr = cur_narr.loc[_key(cur_narr) != key]
                if has_docs:
                    cur_docs = cur_docs.loc[_key(cur_docs) != key]
                for old in old_ids & pending.keys():
                    v, n, d = pending.pop(old)
                    if not has_narr and len(n):
                        cur_narr = _concat([cur_narr, n])  # narrative kept until a submission brings its own
                    if not has_docs and len(d):
                        cur_docs = _concat([cur_docs, d])
            pending[sub.submission_id] = (mine, narratives.loc[narratives["submission_id"] == sub.submission_id],
                                          documents.loc[documents["submission_id"] == sub.submission_id])
        records.append(record)
    subs = pd.concat([subs, pd.DataFrame(records)], ignore_index=True) if records else subs
    add_values = [p[0] for p in pending.values()]
    add_narr = [p[1] for p in pending.values()]
    add_docs = [p[2] for p in pending.values()]
    counts["values"] = sum(len(v) for v in add_values)

    if counts["new"]:
        history = _concat([history, *moved]).drop_duplicates(["submission_id", "indicator_code"], keep="first")
        store.write("values_history", history)
        order = ["period", "commune_code", "indicator_code"]
        store.write("values", _concat([cur_values, *add_values]).sort_values(order, kind="stable"))
        store.write("narratives", _concat([cur_narr, *add_narr]).sort_values(["period", "commune_code", "seq"], kind="stable"))
        store.write("documents", _concat([cur_docs, *add_docs]).sort_values(["period", "commune_code"], kind="stable"))
        store.write("submissions", subs)
    if len(issues) or not store.path("ingest_report").exists():
        report = store.read("ingest_report")
        store.write("ingest_report", _concat([report, issues.assign(run_id=run_id, run_at=run_at)]))
    return counts


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

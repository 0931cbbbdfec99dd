"""The processed store: schemas, atomic writes, idempotent re-ingest, supersession with history."""

import os

import pandas as pd
import pyarrow.parquet as pq
import pytest

from pipeline.errors import SchemaError
from pipeline.ingest import ingest
from pipeline.store import SCHEMAS, Store, conform

CSV_HEADER = "commune_code,period,indicator_code,value,note\n"


def _write(path, text, mtime):
    path.write_text(text, encoding="utf-8")
    os.utime(path, (mtime, mtime))


def test_tables_have_their_declared_schema(seed_data):
    ingest(None, data=seed_data)
    for name in ("values", "narratives", "documents", "submissions", "ingest_report"):
        stored = pq.read_schema(Store(seed_data).path(name))
        assert stored.remove_metadata().equals(SCHEMAS[name]), name


def test_conform_rejects_a_frame_off_schema():
    with pytest.raises(SchemaError, match="missing columns"):
        conform(pd.DataFrame({"commune_code": ["1"]}), "values")


def test_reingest_changes_nothing(seed_data):
    ingest(None, data=seed_data)
    store = Store(seed_data)
    before = {n: store.path(n).read_bytes() for n in ("values", "narratives", "documents", "submissions", "values_history")}
    result = ingest(None, data=seed_data)
    assert result.counts["new"] == 0 and result.counts["unchanged"] == 1
    after = {n: store.path(n).read_bytes() for n in before}
    assert before == after


def test_resubmission_supersedes_and_keeps_history(data_dir):
    raw = data_dir.raw
    _write(raw / "q3_first.csv", CSV_HEADER + "18133,2021-Q3,1.1.1,6,\n18133,2021-Q3,1.1.2,4,\n", 1_600_000_000)
    ingest(None, data=data_dir)
    _write(raw / "q3_fixed.csv", CSV_HEADER + "18133,2021-Q3,1.1.1,6,\n18133,2021-Q3,1.1.2,5,\n", 1_600_000_100)
    result = ingest(None, data=data_dir)
    assert result.counts == {"new": 1, "unchanged": 1, "superseded": 1, "withdrawn": 0, "restored": 0, "values": 2}
    store = Store(data_dir)
    current = store.read("values").set_index("indicator_code")
    assert current.at["1.1.2", "value"] == 5 and set(current["source_file"]) == {"q3_fixed.csv"}
    history = store.read("values_history").set_index("indicator_code")
    assert history.at["1.1.2", "value"] == 4 and set(history["source_file"]) == {"q3_first.csv"}
    subs = store.read("submissions").set_index("source_file")
    assert subs.at["q3_first.csv", "status"] == "superseded"
    assert subs.at["q3_first.csv", "superseded_by"] == subs.at["q3_fixed.csv", "submission_id"]
    # and running again is a no-op
    assert ingest(None, data=data_dir).counts["new"] == 0


def test_an_older_file_arriving_late_goes_to_history(data_dir):
    raw = data_dir.raw
    _write(raw / "new.csv", CSV_HEADER + "18133,2021-Q3,1.1.1,7,\n", 1_600_000_100)
    ingest(None, data=data_dir)
    _write(raw / "old.csv", CSV_HEADER + "18133,2021-Q3,1.1.1,6,\n", 1_600_000_000)
    ingest(None, data=data_dir)
    store = Store(data_dir)
    assert store.read("values")["value"].tolist() == [7]
    assert store.read("values_history")["value"].tolist() == [6]


def test_other_communes_are_untouched_by_a_resubmission(data_dir):
    raw = data_dir.raw
    _write(raw / "all.csv", CSV_HEADER + "18133,2021-Q3,1.1.1,6,\n18136,2021-Q3,1.1.1,3,\n", 1_600_000_000)
    ingest(None, data=data_dir)
    _write(raw / "all.csv", CSV_HEADER + "18133,2021-Q3,1.1.1,6,\n18136,2021-Q3,1.1.1,4,\n", 1_600_000_100)
    result = ingest(None, data=data_dir)
    assert result.counts["new"] == 1 and result.counts["unchanged"] == 1
    assert Store(data_dir).read("values").set_index("commune_code")["value"].to_dict() == {"18133": 6, "18136": 4}


def test_interrupted_write_leaves_the_old_table(seed_data, monkeypatch):
    ingest(None, data=seed_data)
    store = Store(seed_data)
    before = store.path("values").read_bytes()
    (seed_data.raw / "more.csv").write_text(CSV_HEADER + "18133,2021-Q3,1.1.1,6,\n", encoding="utf-8")

    def crash(table, where, **kwargs):
        with open(where, "wb") as fh:
            fh.write(b"PAR1 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", crash)
    with pytest.raises(OSError, match="disk full"):
        ingest(None, data=seed_data)
    assert store.path("values").read_bytes() == before
    assert not [p for p in store.dir.iterdir() if p.name.endswith(".tmp")]
    monkeypatch.undo()
    result = ingest(None, data=seed_data)  # a re-run completes the work
    assert result.counts["new"] == 1
    assert set(store.read("values")["commune_code"]) == {"18133", "18217"}


def test_raw_files_are_never_written(seed_data):
    raw = seed_data.raw / "000_9c1b2be0e2b3796f.txt"
    before = (raw.read_bytes(), raw.stat().st_mtime_ns)
    ingest(None, data=seed_data)
    assert (raw.read_bytes(), raw.stat().st_mtime_ns) == before
    assert sorted(p.name for p in seed_data.raw.iterdir()) == [raw.name]


def test_skip_unchanged_files(data_dir):
    raw = data_dir.raw
    _write(raw / "a.csv", CSV_HEADER + "18133,2021-Q3,1.1.1,6,\n", 1_600_000_000)
    _write(raw / "bad.csv", CSV_HEADER + "18133,2021-Q3,1.1.2,-1,\n", 1_600_000_000)
    ingest(None, data=data_dir, skip_unchanged=True)
    again = ingest(None, data=data_dir, skip_unchanged=True)
    assert again.skipped == 1 and again.files == 1  # the clean file is skipped; the one with errors is read again
    assert not again.ok
    _write(raw / "a.csv", CSV_HEADER + "18133,2021-Q3,1.1.1,7,\n", 1_600_000_100)
    changed = ingest(None, data=data_dir, skip_unchanged=True)
    assert changed.counts["new"] == 1
    assert Store(data_dir).read("values").set_index("indicator_code").at["1.1.1", "value"] == 7


def test_two_files_for_one_commune_in_the_same_run(seed_data):
    """The newer file wins; the older one's values go to history, not beside the new ones."""
    from tests.conftest import SEED

    seed = seed_data.raw / SEED.name
    os.utime(seed, (1_600_000_000, 1_600_000_000))
    _write(seed_data.raw / "correction.csv", CSV_HEADER + "18217,2021-Q3,1.1.1,7,\n", 1_600_000_100)
    result = ingest(None, data=seed_data)
    assert result.counts["superseded"] == 1
    store = Store(seed_data)
    values = store.read("values")
    assert values[["indicator_code", "value"]].values.tolist() == [["1.1.1", 7]]
    assert len(store.read("values_history")) == 46
    assert len(store.read("narratives"))  # the narrative stays until a submission brings its own
    assert ingest(None, data=seed_data).counts["new"] == 0

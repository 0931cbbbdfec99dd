"""The processed store: schemas, one transaction per run, current = what raw/ says now, one writer at a time."""

import os
import shutil

import pandas as pd
import pyarrow.parquet as pq
import pytest

from pipeline.config import DataPaths
from pipeline.errors import SchemaError
from pipeline.ingest import ingest
from pipeline.store import METRICS_TABLES, ROW_GROUP_ROWS, SCHEMAS, Store, conform

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
    before = {n: store.path(n).read_bytes()
              for n in ("values", "narratives", "documents", "submissions", "values_history")}
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
    assert result.counts == {"new": 1, "unchanged": 1, "superseded": 1, "withdrawn": 0, "replaced": 0, "restored": 0,
                             "values": 2}
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
    (raw / "new.csv").unlink()  # the older file's values come back from the history (it is not read again)
    assert ingest(None, data=data_dir, skip_unchanged=True).counts == {
        "new": 0, "unchanged": 0, "superseded": 0, "withdrawn": 1, "replaced": 0, "restored": 1, "values": 1}
    assert store.read("values")[["value", "source_file"]].values.tolist() == [[6, "old.csv"]]


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
    from tests.helpers import SEED

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


# --------------------------------------------------------------------------- one transaction per run
INGEST_TABLES = ("values", "values_history", "narratives", "narratives_history", "documents", "documents_history",
                 "submissions", "ingest_report", "files")


def _comparable(store: Store, name: str) -> pd.DataFrame:
    """Table ``name`` without run timestamps and ids, in a fixed order."""
    frame = store.read(name).drop(columns=["ingested_at", "run_id", "run_at", "changed_at", "superseded_at"],
                                  errors="ignore")
    return frame.sort_values(list(frame.columns[:6]), kind="stable").reset_index(drop=True)


def _rebuilt(raw, root) -> Store:
    """A fresh data directory ingesting a copy of ``raw`` (times kept)."""
    fresh = DataPaths(root)
    shutil.copytree(raw, fresh.raw)
    ingest(None, data=fresh)
    return Store(fresh)


def test_a_crash_between_table_writes_leaves_the_previous_state(seed_data, monkeypatch, tmp_path):
    import pipeline.store as store_module
    from tests.helpers import SEED

    os.utime(seed_data.raw / SEED.name, (1_600_000_000, 1_600_000_000))
    ingest(None, data=seed_data)
    store = Store(seed_data)
    before = {n: store.read(n) for n in INGEST_TABLES}
    pointer = (store.dir / "_current.json").read_bytes()
    _write(seed_data.raw / "more.csv", CSV_HEADER + "18133,2021-Q3,1.1.1,6,\n18217,2021-Q3,1.1.1,9,\n", 1_600_000_100)
    written = []
    real = store_module.write_atomic

    def full_disk_at_the_third_table(table, path):
        if len(written) == 2:
            raise OSError("disk full")
        real(table, path)
        written.append(path.name)

    monkeypatch.setattr(store_module, "write_atomic", full_disk_at_the_third_table)
    with pytest.raises(OSError, match="disk full"):
        ingest(None, data=seed_data)
    assert [w.split(".")[0] for w in written] == ["values_history", "values"]  # two tables were written
    assert (store.dir / "_current.json").read_bytes() == pointer
    for name in INGEST_TABLES:
        pd.testing.assert_frame_equal(store.read(name), before[name], obj=name)
    named = set(store.pointer()["tables"].values()) | set(store.pointer()["previous"].values())
    assert {p.name for p in store.dir.glob("*.parquet")} <= named  # the half-run's versions are gone
    monkeypatch.undo()

    result = ingest(None, data=seed_data)
    assert result.counts["new"] == 2 and result.counts["superseded"] == 1
    values = store.read("values")
    assert not values.duplicated(["commune_key", "period", "indicator_code"]).any()
    clean = _rebuilt(seed_data.raw, tmp_path / "clean")
    for name in ("values", "narratives", "documents"):
        pd.testing.assert_frame_equal(_comparable(store, name), _comparable(clean, name), obj=name)
    status = lambda s: s.read("submissions").set_index("source_file")["status"].sort_index()  # noqa: E731
    pd.testing.assert_series_equal(status(store), status(clean))
    assert len(store.read("values_history")) == len(clean.read("values_history")) == 46  # the seed's, once


def test_metrics_are_stored_in_one_transaction(seed_data, monkeypatch):
    import pipeline.store as store_module
    from pipeline.metrics.compute import metrics_up_to_date, run_metrics

    ingest(None, data=seed_data)
    run_metrics(seed_data)
    store = Store(seed_data)
    before = {n: store.read(n) for n in METRICS_TABLES}
    stamp = store.meta("metrics.inputs")
    _write(seed_data.raw / "more.csv", CSV_HEADER + "18133,2021-Q3,1.1.1,6,\n", 1_900_000_000)
    ingest(None, data=seed_data)
    assert not metrics_up_to_date(seed_data)
    real = store_module.write_atomic

    def fail_after_the_first(table, path):
        if not path.name.startswith("metrics."):
            raise OSError("disk full")
        real(table, path)

    monkeypatch.setattr(store_module, "write_atomic", fail_after_the_first)
    with pytest.raises(OSError, match="disk full"):
        run_metrics(seed_data)
    assert store.meta("metrics.inputs") == stamp
    for name, frame in before.items():
        pd.testing.assert_frame_equal(store.read(name), frame, obj=name)
    monkeypatch.undo()
    run_metrics(seed_data)
    assert metrics_up_to_date(seed_data) and "18133" in set(store.read("metrics")["commune_code"])


def test_a_data_directory_of_the_old_layout_is_read_and_migrated(seed_data):
    """Plain ``values.parquet`` etc. with the schemas before ``reason``/``in_raw`` existed, no pointer."""
    ingest(None, data=seed_data)
    store = Store(seed_data)
    expected = store.read("values")
    dropped = {"submissions": ["reason", "changed_at"], "files": ["in_raw"], "values_history": ["reason"]}
    for name, file in store.pointer()["tables"].items():
        if name.endswith("_history") and name != "values_history":
            (store.dir / file).unlink()
            continue
        table = pq.read_table(store.dir / file)
        table = table.drop_columns(dropped.get(name, []))
        (store.dir / file).unlink()
        pq.write_table(table, store.dir / f"{name}.parquet")
    (store.dir / "_current.json").unlink()

    pd.testing.assert_frame_equal(store.read("values"), expected)  # read as it is
    assert store.read("submissions")["reason"].isna().all()
    assert ingest(None, data=seed_data).counts["unchanged"] == 1
    _write(seed_data.raw / "more.csv", CSV_HEADER + "18133,2021-Q3,1.1.1,6,\n", 1_900_000_000)
    ingest(None, data=seed_data)
    assert (store.dir / "_current.json").exists()
    assert set(store.read("values")["commune_code"]) == {"18133", "18217"}
    assert "values.parquet" in store.pointer()["previous"].values()  # kept one switch, for readers
    _write(seed_data.raw / "more.csv", CSV_HEADER + "18133,2021-Q3,1.1.1,7,\n", 1_900_000_100)
    ingest(None, data=seed_data)
    named = set(store.pointer()["tables"].values()) | set(store.pointer()["previous"].values())
    assert not (store.dir / "values.parquet").exists()  # migrated; plain files of unchanged tables stay named
    assert {p.name for p in store.dir.glob("*.parquet")} == named


def test_temporary_files_of_a_killed_run_are_removed_by_the_next_writer(seed_data):
    ingest(None, data=seed_data)
    store = Store(seed_data)
    leftovers = [store.dir / ".values.000007.parquet.x1y2.tmp", store.dir / "values.000099.parquet",
                 store.dir / ".submissions.000003.parquet.abc.tmp"]
    for path in leftovers:
        path.write_bytes(b"PAR1 half a file")
    mine = store.dir / "notes.txt"  # not the store's: left alone
    mine.write_text("keep", encoding="utf-8")
    ingest(None, data=seed_data)
    assert not [p for p in leftovers if p.exists()]
    assert mine.exists() and len(store.read("values")) == 46


# --------------------------------------------------------------------------- current = what raw/ says now
def test_a_reverted_file_restores_its_values(data_dir):
    raw = data_dir.raw
    a = CSV_HEADER + "18133,2021-Q3,1.1.1,6,\n"
    _write(raw / "q3.csv", a, 1_600_000_000)
    ingest(None, data=data_dir)
    _write(raw / "q3.csv", CSV_HEADER + "18133,2021-Q3,1.1.1,60,\n", 1_600_000_100)
    ingest(None, data=data_dir)
    _write(raw / "q3.csv", a, 1_600_000_200)
    result = ingest(None, data=data_dir)
    assert result.counts["restored"] == 1 and "1 restored" in result.summary()
    store = Store(data_dir)
    assert store.read("values")["value"].tolist() == [6]
    subs = store.read("submissions").set_index("submission_id")
    first = store.read("values")["submission_id"].iloc[0]
    assert subs.at[first, "status"] == "current" and subs.at[first, "reason"] == "restored: q3.csv holds it again"
    assert (subs["status"] == "replaced").sum() == 1
    history = store.read("values_history")
    assert history[["value", "reason"]].values.tolist() == [
        [6, "q3.csv changed and no longer holds it"], [60, "q3.csv changed and no longer holds it"]]
    assert history["superseded_at"].is_monotonic_increasing


def test_a_file_whose_rows_are_all_refused_says_its_values_left(data_dir):
    raw = data_dir.raw
    _write(raw / "q3.csv", CSV_HEADER + "18133,2021-Q3,1.1.1,6,\n", 1_600_000_000)
    ingest(None, data=data_dir)
    _write(raw / "q3.csv", CSV_HEADER + "18133,2021-Q3,1.1.1,sáu,\n", 1_600_000_100)  # read, but refused
    result = ingest(None, data=data_dir)
    assert result.errors == 1 and result.counts["replaced"] == 1 and "1 replaced" in result.summary()
    assert Store(data_dir).read("values").empty


def test_a_path_through_dot_dot_keeps_the_files_own_name(data_dir):
    raw = data_dir.raw
    _write(raw / "q3.csv", CSV_HEADER + "18133,2021-Q3,1.1.1,6,\n", 1_600_000_000)
    ingest(None, data=data_dir)
    again = ingest([raw / ".." / "raw"], data=data_dir)  # the whole of raw/, spelled another way
    assert again.counts["withdrawn"] == 0
    ingest([raw / ".." / "raw" / "q3.csv"], data=data_dir)
    store = Store(data_dir)
    assert store.read("values")["source_file"].tolist() == ["q3.csv"]
    assert set(store.read("submissions")["source_file"]) == {"q3.csv"}


def test_removing_a_misplaced_file_restores_the_real_one(seed_data):
    from tests.helpers import SEED

    os.utime(seed_data.raw / SEED.name, (1_600_000_000, 1_600_000_000))
    ingest(None, data=seed_data)
    store = Store(seed_data)
    real = store.read("values")
    misplaced = seed_data.raw / "18217_2021-Q3_wrong_commune.csv"
    _write(misplaced, CSV_HEADER + "18217,2021-Q3,1.1.1,999,\n", 1_600_000_100)
    ingest(None, data=seed_data)
    assert store.read("values")["value"].tolist() == [999]
    misplaced.unlink()
    result = ingest(None, data=seed_data)
    assert result.counts["withdrawn"] == 1 and "1 withdrawn" in result.summary()
    pd.testing.assert_frame_equal(store.read("values").drop(columns="ingested_at"), real.drop(columns="ingested_at"))
    subs = store.read("submissions").set_index("source_file")
    assert subs.at[misplaced.name, "status"] == "withdrawn"
    assert subs.at[misplaced.name, "reason"] == f"{misplaced.name} no longer in raw/"
    assert subs.at[SEED.name, "status"] == "current"
    assert misplaced.name not in set(store.read("files")["file"])
    assert len(store.read("narratives")) and len(store.read("documents"))


def test_only_a_scan_of_the_whole_raw_directory_withdraws(data_dir, tmp_path):
    raw = data_dir.raw
    _write(raw / "a.csv", CSV_HEADER + "18133,2021-Q3,1.1.1,6,\n", 1_600_000_000)
    _write(raw / "b.csv", CSV_HEADER + "18136,2021-Q3,1.1.1,3,\n", 1_600_000_000)
    outside = tmp_path / "elsewhere.csv"
    _write(outside, CSV_HEADER + "18145,2021-Q3,1.1.1,4,\n", 1_600_000_000)
    ingest(None, data=data_dir)
    ingest([outside], data=data_dir)
    (raw / "b.csv").unlink()
    _write(raw / "a.csv", CSV_HEADER + "18133,2021-Q3,1.1.1,7,\n", 1_600_000_100)
    ingest([raw / "a.csv"], data=data_dir)  # explicit paths: b.csv is not taken as removed
    store = Store(data_dir)
    assert store.read("values").set_index("commune_code")["value"].to_dict() == {"18133": 7, "18136": 3, "18145": 4}
    result = ingest(None, data=data_dir)  # the whole of raw/: b.csv is gone; the file from outside stays
    assert result.counts["withdrawn"] == 1
    assert store.read("values").set_index("commune_code")["value"].to_dict() == {"18133": 7, "18145": 4}


@pytest.mark.parametrize("skip_unchanged", [True, False], ids=["incremental", "full-reread"])
@pytest.mark.slow  # many ingests
def test_runs_after_edits_reverts_and_removals_equal_a_rebuild(seed_data, tmp_path, skip_unchanged):
    from tests.helpers import SEED

    raw = seed_data.raw
    os.utime(raw / SEED.name, (1_500_000_000, 1_500_000_000))
    first = CSV_HEADER + "18133,2021-Q3,1.1.1,6,\n18136,2021-Q3,1.1.1,3,\n"
    steps = [
        lambda: (_write(raw / "a.csv", first, 1_600_000_100),
                 _write(raw / "b.csv", CSV_HEADER + "18133,2021-Q2,1.1.1,1,\n", 1_600_000_200)),
        lambda: _write(raw / "a.csv", CSV_HEADER + "18133,2021-Q3,1.1.1,7,\n", 1_600_000_300),  # 18136 dropped
        lambda: (_write(raw / "misplaced.csv", CSV_HEADER + "18136,2021-Q3,1.1.1,99,\n18133,2021-Q2,1.1.1,50,\n"
                        "18217,2021-Q3,1.1.1,5,\n", 1_600_000_400)),
        lambda: _write(raw / "a.csv", first, 1_600_000_500),  # reverted, and newer than misplaced.csv
        lambda: (raw / "misplaced.csv").unlink(),
        lambda: os.utime(raw / "b.csv", (1_600_000_600, 1_600_000_600)),  # touched only
        lambda: (raw / "a.csv").unlink(),
    ]
    store = Store(seed_data)
    for i, step in enumerate(steps):
        step()
        ingest(None, data=seed_data, skip_unchanged=skip_unchanged)
        rebuilt = _rebuilt(raw, tmp_path / f"rebuild{i}")
        for name in ("values", "narratives", "documents"):
            pd.testing.assert_frame_equal(_comparable(store, name), _comparable(rebuilt, name), obj=f"step {i}: {name}")
        current = store.read("submissions").query("status == 'current'")
        pd.testing.assert_frame_equal(_comparable(rebuilt, "submissions").query("status == 'current'")
                                      .drop(columns=["reason"]).reset_index(drop=True),
                                      current.drop(columns=["ingested_at", "changed_at", "reason"])
                                      .sort_values(list(current.columns[:6])).reset_index(drop=True),
                                      obj=f"step {i}: current submissions")
    values = store.read("values")
    assert values.loc[values["commune_code"] == "18133", "value"].tolist() == [1]  # b.csv's 2021-Q2
    assert len(values.loc[values["commune_code"] == "18217"]) == 46  # the seed again, misplaced.csv gone


def test_the_ingest_report_keeps_each_files_latest_issues(data_dir):
    raw = data_dir.raw
    _write(raw / "bad.csv", CSV_HEADER + "18133,2021-Q3,1.1.2,-1,\n", 1_600_000_000)
    _write(raw / "good.csv", CSV_HEADER + "18136,2021-Q3,1.1.1,3,\n", 1_600_000_000)
    first = ingest(None, data=data_dir)
    second = ingest(None, data=data_dir)
    report = Store(data_dir).read("ingest_report")
    assert len(report) == len(first.issues) == len(second.issues) == 1
    assert set(report["run_id"]) == {second.run_id}
    _write(raw / "bad.csv", CSV_HEADER + "18133,2021-Q3,1.1.2,1,\n", 1_600_000_100)
    ingest(None, data=data_dir)
    assert Store(data_dir).read("ingest_report").empty


# --------------------------------------------------------------------------- one writer at a time
def _hold_the_lock(data):
    """Hold the data directory's lock in another thread until the returned event is set."""
    import threading

    held, release = threading.Event(), threading.Event()

    def holder():
        with Store(data).lock():
            held.set()
            release.wait(30)

    thread = threading.Thread(target=holder)
    thread.start()
    assert held.wait(30)
    return release, thread


def test_a_second_writer_is_refused_with_exit_3(seed_data, capsys):
    from pipeline.cli import main
    from pipeline.errors import DataLocked
    from pipeline.metrics.compute import run_metrics

    release, thread = _hold_the_lock(seed_data)
    try:
        assert main(["ingest", "--data-dir", str(seed_data.root)]) == 3
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and str(seed_data.processed / ".write.lock") in err
        assert "another run is writing" in err and f"pid {os.getpid()}" in err
        with pytest.raises(DataLocked):
            run_metrics(seed_data)
        outputs = seed_data.root / "outputs"  # the batch holds the data lock for its whole run
        assert main(["batch", "--period", "2021-Q3", "--data-dir", str(seed_data.root), "--outputs-dir", str(outputs),
                     "--communes", "18217", "--format", "html"]) == 3
        assert ".write.lock" in capsys.readouterr().err
    finally:
        release.set()
        thread.join()
    assert not Store(seed_data).path("values").exists()  # nothing was written by the refused run
    assert main(["ingest", "--data-dir", str(seed_data.root)]) == 0


def test_two_ingests_at_once_lose_nothing(data_dir):
    """Two real processes on one data directory: each run is stored, or refused (exit 3) and stored on retry."""
    import subprocess
    import sys

    from pipeline.config import PROJECT_ROOT

    files = []
    for i, code in enumerate(("18133", "18136", "18145", "18148")):
        path = data_dir.raw / f"{code}.csv"
        _write(path, CSV_HEADER + f"{code},2021-Q3,1.1.1,{i + 1},\n", 1_600_000_000 + i)
        files.append(path)
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}

    def cchc(*paths):
        return subprocess.Popen([sys.executable, "-m", "pipeline.cli", "ingest", *map(str, paths), "--data-dir",
                                 str(data_dir.root)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)

    runs = [cchc(*files[:2]), cchc(*files[2:])]
    outcomes = [(run.wait(120), run.communicate()) for run in runs]
    stored = set(Store(data_dir).read("values")["commune_code"])
    for (code, (_out, err)), batch in zip(outcomes, (files[:2], files[2:])):
        assert code in (0, 3), err
        if code == 0:
            assert {p.stem for p in batch} <= stored  # a run that said it succeeded is stored
        else:
            assert ".write.lock" in err
            assert cchc(*batch).wait(120) == 0  # retried once the other has finished
    assert set(Store(data_dir).read("values")["commune_code"]) == {"18133", "18136", "18145", "18148"}


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.slow  # hypothesis: many ingests
def test_random_edits_reverts_and_removals_equal_a_rebuild(data_dir, tmp_path, seed):
    """Random sequences of writes (older or newer, the same content in two files, reverts) and removals:
    after every run, incremental (unchanged files skipped), the store says what a rebuild says."""
    import random

    from pipeline.domain.catalogue import load_catalogue
    from pipeline.domain.communes import load_registry

    rng = random.Random(seed)
    opts = {"catalogue": load_catalogue(), "registry": load_registry()}
    contents = ["18133,2021-Q3,1.1.1,1,\n", "18133,2021-Q3,1.1.1,2,\n18136,2021-Q3,1.1.1,3,\n",
                "18136,2021-Q3,1.1.1,4,\n", "18133,2021-Q3,1.1.1,2,\n18136,2021-Q3,1.1.1,5,\n"]
    store = Store(data_dir)
    for step in range(10):
        name = rng.choice(["a.csv", "b.csv", "c.csv"])
        if rng.random() < 0.25:
            (data_dir.raw / name).unlink(missing_ok=True)
        else:  # a unique time, older or newer than the others
            _write(data_dir.raw / name, CSV_HEADER + rng.choice(contents),
                   1_600_000_000 + rng.randrange(10) * 1000 + step)
        ingest(None, data=data_dir, skip_unchanged=True, **opts)
        fresh = DataPaths(tmp_path / f"rebuild{step}")
        shutil.copytree(data_dir.raw, fresh.raw)
        ingest(None, data=fresh, **opts)
        for table in ("values", "narratives", "documents"):
            pd.testing.assert_frame_equal(_comparable(store, table), _comparable(Store(fresh), table),
                                          obj=f"step {step}: {table}")
        pair = ["source_file", "submission_id"]
        current = lambda s: s.read("submissions").query("status == 'current'")[pair].sort_values(pair)  # noqa: E731, B023 - used in this iteration
        assert current(store).values.tolist() == current(Store(fresh)).values.tolist(), f"step {step}"


def test_reading_some_periods_gives_their_rows_as_the_whole_table_does(tmp_path):
    """``Store.read(name, periods=…)`` (a report's loader) returns exactly the rows of those periods, in the table's
    order, across row groups; the files are written in row groups of ``ROW_GROUP_ROWS`` rows (a reader of a few
    periods holds one group at a time)."""
    store = Store(DataPaths(tmp_path))
    n = 2 * ROW_GROUP_ROWS + 5
    periods = [f"202{i % 3}-Q{i % 4 + 1}" for i in range(n)]
    frame = pd.DataFrame({c: None for c in SCHEMAS["scores"].names}, index=range(n)).assign(
        commune_code="18217", commune_key="18217@2019-12-15", period=periods, score=[float(i) for i in range(n)],
        max_score=10.0, missing="", score_pct=0.0)
    store.write("scores", frame)
    assert pq.ParquetFile(store.path("scores")).num_row_groups == 3
    whole = store.read("scores")
    wanted = ("2021-Q2", "2020-Q1")
    some = store.read("scores", periods=wanted)
    expected = whole.loc[whole["period"].isin(wanted)].reset_index(drop=True)
    assert len(some) == len(expected) > ROW_GROUP_ROWS / 3
    pd.testing.assert_frame_equal(some, expected)
    assert store.read("scores", periods=()).empty and list(store.read("scores", periods=()).columns) == list(whole)

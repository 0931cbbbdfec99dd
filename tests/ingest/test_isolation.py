"""One file's trouble is that file's error: a bug, a vanished file, a link out of raw/, a thin replacement."""

import importlib
import os
import shutil

import pandas as pd
import pytest

from pipeline.ingest import ingest
from pipeline.store import Store
from tests.helpers import SEED

ingest_module = importlib.import_module("pipeline.ingest")
HEADER = "commune_code,period,indicator_code,value,note\n"


def _csv(path, rows: list[str], mtime: int | None = None):
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


@pytest.mark.parametrize("module, stage", [("pipeline.ingest.long_csv", "parse_long_csv"),  # the reader
                                           ("pipeline.ingest", "cross_checks")])  # a check after it
def test_an_unexpected_exception_is_the_files_error_and_the_run_goes_on(data_dir, monkeypatch, module, stage):
    _csv(data_dir.raw / "a.csv", ["18133,2021-Q3,1.1.1,6,"])
    _csv(data_dir.raw / "b.csv", ["18136,2021-Q3,1.1.1,7,"])
    shutil.copy(SEED, data_dir.raw / SEED.name)
    owner = importlib.import_module(module)
    real = getattr(owner, stage)

    def broken(*args, **kwargs):
        frame = args[0] if args and isinstance(args[0], pd.DataFrame) else None
        if kwargs.get("display") == "b.csv" or (frame is not None and (frame["source_file"] == "b.csv").any()):
            raise TypeError("unsupported operand type(s) for +: 'NoneType' and 'str'")
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, stage, broken)
    result = ingest(None, data=data_dir)
    errors = result.issues.loc[result.issues["severity"] == "error"]
    assert errors["file"].tolist() == ["b.csv"]
    assert "unexpected error while reading this file (TypeError: unsupported operand" in errors["message"].iloc[0]
    assert errors["expected"].iloc[0]
    values = Store(data_dir).read("values")
    assert sorted(set(values["source_file"])) == [SEED.name, "a.csv"]
    assert result.files_rejected == 1 and not result.ok


def test_a_file_deleted_during_the_ingest_is_an_error_and_the_run_goes_on(data_dir, monkeypatch):
    _csv(data_dir.raw / "a.csv", ["18133,2021-Q3,1.1.1,6,"])
    _csv(data_dir.raw / "gone.csv", ["18136,2021-Q3,1.1.1,7,"])
    real = ingest_module.read_file

    def deleting(path, **kwargs):
        if path.name == "gone.csv":
            path.unlink()  # another process moves it away between listing and reading
        return real(path, **kwargs)

    monkeypatch.setattr(ingest_module, "read_file", deleting)
    result = ingest(None, data=data_dir)
    errors = result.issues.loc[result.issues["severity"] == "error"]
    assert errors["file"].tolist() == ["gone.csv"]
    assert "disappeared while reading" in errors["message"].iloc[0]
    assert Store(data_dir).read("values")["source_file"].tolist() == ["a.csv"]


def test_a_symlink_out_of_raw_is_refused_not_followed(data_dir, tmp_path_factory):
    outside = tmp_path_factory.mktemp("elsewhere") / "secret.csv"
    _csv(outside, ["18136,2021-Q3,1.1.1,7,"])
    (data_dir.raw / "link.csv").symlink_to(outside)
    (data_dir.raw / "linked_dir").symlink_to(outside.parent, target_is_directory=True)
    inside = _csv(data_dir.raw / "a.csv", ["18133,2021-Q3,1.1.1,6,"])
    (data_dir.raw / "alias.csv").symlink_to(inside)  # a link that stays inside raw/ is fine
    result = ingest(None, data=data_dir)
    errors = result.issues.loc[result.issues["severity"] == "error"]
    message = errors.set_index("file")["message"]
    assert sorted(message.index) == ["link.csv", "linked_dir"]
    assert message.str.contains("symbolic link pointing outside raw/").all()
    assert f"(to {outside})" in message["link.csv"] and f"(to {outside.parent})" in message["linked_dir"]
    values = Store(data_dir).read("values")
    assert "18136" not in set(values["commune_code"])


def test_a_thin_replacement_of_a_full_submission_is_loud(data_dir):
    rows = ["18133,2021-Q3,1.1.1,6,", "18133,2021-Q3,1.1.2,5,", "18133,2021-Q3,1.3.1,4,", "18133,2021-Q3,1.3.2,4,"]
    _csv(data_dir.raw / "full.csv", rows, mtime=1_600_000_000)
    assert ingest(None, data=data_dir).warnings == 0
    _csv(data_dir.raw / "fix.csv", ["18133,2021-Q3,1.1.2,6,"], mtime=1_600_000_100)
    result = ingest([data_dir.raw / "fix.csv"], data=data_dir)
    warned = result.issues.loc[result.issues["message"].str.contains("replaces")]
    assert len(warned) == 1 and warned.iloc[0]["severity"] == "warning" and warned.iloc[0]["file"] == "fix.csv"
    message = warned.iloc[0]["message"]
    assert "carries 1 value(s) and replaces 'full.csv', which carries 4" in message
    # the rule itself is unchanged: the newer file is current
    assert Store(data_dir).read("values")["source_file"].tolist() == ["fix.csv"]


def test_a_replacement_of_about_the_same_size_is_quiet(data_dir):
    _csv(data_dir.raw / "full.csv", ["18133,2021-Q3,1.1.1,6,", "18133,2021-Q3,1.1.2,5,"], mtime=1_600_000_000)
    _csv(data_dir.raw / "fix.csv", ["18133,2021-Q3,1.1.1,6,", "18133,2021-Q3,1.1.2,6,"], mtime=1_600_000_100)
    result = ingest(None, data=data_dir)
    assert not result.issues["message"].str.contains("replaces").any()

"""Shared fixtures: the seed report and throw-away data directories."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.config import PROJECT_ROOT, DataPaths

SEED = PROJECT_ROOT / "data" / "raw" / "000_9c1b2be0e2b3796f.txt"
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def data_dir(tmp_path: Path) -> DataPaths:
    """An empty data directory with ``raw/``."""
    (tmp_path / "raw").mkdir()
    return DataPaths(tmp_path)


@pytest.fixture
def seed_data(data_dir: DataPaths) -> DataPaths:
    """A data directory whose ``raw/`` holds the seed report only."""
    shutil.copy(SEED, data_dir.raw / SEED.name)
    return data_dir


def assert_clear_error(issues, name: str, expected: tuple) -> None:
    """``name`` got an error whose message contains ``expected[0]``, naming row, indicator and value
    where ``expected`` gives them (``None``: not checked), and saying what was expected."""
    message, row, indicator, value = expected
    errors = issues.loc[(issues["file"] == name) & (issues["severity"] == "error")]
    assert len(errors), f"no error for {name}"
    hit = errors.loc[errors["message"].str.contains(message, regex=False)]
    assert len(hit), errors["message"].tolist()
    first = hit.iloc[0]
    assert first["expected"], "the error says what was expected"
    if row is not None:
        assert first["row"] == row
    if indicator is not None:
        assert first["indicator_code"] == indicator
    if value is not None:
        assert first["value"] == value

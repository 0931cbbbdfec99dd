"""Shared fixtures: the seed report and throw-away data directories."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.config import DataPaths
from tests.helpers import SEED


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

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


@pytest.fixture(scope="session")
def seed_report(tmp_path_factory):
    """The report data of Sơn Phú 2021-Q3 from the seed alone (ingested and computed once per session)."""
    from pipeline.ingest import ingest
    from pipeline.metrics.compute import run_metrics
    from pipeline.report.content import load

    root = tmp_path_factory.mktemp("seed_report")
    (root / "raw").mkdir()
    shutil.copy(SEED, root / "raw" / SEED.name)
    data = DataPaths(root)
    ingest(None, data=data)
    run_metrics(data)
    return load(commune="18217", period="2021-Q3", data=data)

"""Paths and settings: the one place that knows where things live.

Every directory is derived from the project root, or from ``--data-dir`` /
``CCHC_DATA_DIR`` when given.  Nothing else in the package builds paths from
the working directory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(__file__).resolve().parent
CATALOGUE_DIR = PACKAGE_DIR / "domain" / "catalogue"
TEMPLATES_DIR = PACKAGE_DIR / "report" / "templates"
FONTS_DIR = PACKAGE_DIR / "report" / "fonts"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"

#: Default data directory (holds ``raw/`` and ``processed/``).
DEFAULT_DATA_DIR = Path(os.environ.get("CCHC_DATA_DIR", PROJECT_ROOT / "data"))
DEFAULT_OUTPUTS_DIR = Path(os.environ.get("CCHC_OUTPUTS_DIR", PROJECT_ROOT / "outputs"))
#: An office's own Word template for ``--format docx`` (its styles, page setup and letterhead; its body is
#: dropped): unset, the styles are made by :mod:`pipeline.report.docx` on python-docx's default document.
DOCX_TEMPLATE = Path(os.environ["CCHC_DOCX_TEMPLATE"]) if os.environ.get("CCHC_DOCX_TEMPLATE") else None

#: Input limits (a hostile or broken file must not exhaust the machine).
MAX_INPUT_BYTES = int(os.environ.get("CCHC_MAX_INPUT_BYTES", 50 * 1024 * 1024))
MAX_INPUT_ROWS = int(os.environ.get("CCHC_MAX_INPUT_ROWS", 2_000_000))
#: Cells of a workbook (sum over sheets of each used range) or of a Word document's tables.
MAX_INPUT_CELLS = int(os.environ.get("CCHC_MAX_INPUT_CELLS", 2_000_000))

#: Bounds on one report in a batch worker (``cchc batch --report-timeout`` / ``--max-memory``): wall-clock
#: seconds for the whole report (notebook, HTML, PDF) and resident memory of the worker and its kernel, in MB.
REPORT_TIMEOUT = float(os.environ.get("CCHC_REPORT_TIMEOUT", 600))
MAX_MEMORY_MB = float(os.environ.get("CCHC_MAX_MEMORY_MB", 2048))
#: Test hook, read by batch workers only: ``CODE=FAULT[,CODE=FAULT]`` makes the worker that renders commune
#: CODE misbehave (see ``pipeline.batch.run.inject_fault``).  Never set it outside tests.
TEST_FAULTS = os.environ.get("CCHC_TEST_FAULTS", "")


@dataclass(frozen=True)
class DataPaths:
    """The directories of one data directory."""

    root: Path

    @property
    def raw(self) -> Path:
        return self.root / "raw"

    @property
    def processed(self) -> Path:
        return self.root / "processed"

    @property
    def registry(self) -> Path:
        """An office's own units and links (``cchc registry import``), merged over the bundled registry."""
        return self.root / "registry"

    @property
    def registry_file(self) -> Path:
        return self.registry / "units.csv"


def data_paths(data_dir: str | os.PathLike[str] | None = None) -> DataPaths:
    """Return the paths of ``data_dir`` (default: the project's ``data/``)."""
    return DataPaths(Path(data_dir) if data_dir is not None else DEFAULT_DATA_DIR)

"""Write the project's notebooks from their cell sources (without outputs).

The notebooks are thin: a ``parameters`` cell and calls into ``pipeline``.
Edit here, run ``python scripts/build_notebooks.py``, commit the .ipynb files.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def _notebook(cells: list) -> nbformat.NotebookNode:
    nb = new_notebook(cells=cells)
    for cell in cells:  # papermill's parameter inspection expects every cell to carry a tags list
        cell.metadata.setdefault("tags", [])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def ingest_notebook() -> nbformat.NotebookNode:
    params = new_code_cell(
        'data_dir: str = ""  # directory holding raw/ and processed/ (empty: the project data/)\n'
        'period: str = ""  # show only this period, e.g. 2021-Q3 (empty: all periods)'
    )
    params.metadata["tags"] = ["parameters"]
    return _notebook([
        new_markdown_cell("# Ingest\n\nReads every file under `raw/`, validates it and stores typed tables in "
                          "`processed/`. Re-running changes nothing unless a raw file changed."),
        params,
        new_code_cell(
            "import pandas as pd\n\n"
            "from pipeline.communes import load_registry\n"
            "from pipeline.config import data_paths\n"
            "from pipeline.ingest import ingest\n"
            "from pipeline.store import Store\n"
            "from pipeline.summaries import issues_by_file, stored_overview\n\n"
            "pd.set_option(\"display.max_rows\", 200)\n"
            "paths = data_paths(data_dir or None)\n"
            "result = ingest(None, data=paths)\n"
            "print(result.summary())"
        ),
        new_markdown_cell("## Ingest report\n\nEvery problem found in this run: file, row, indicator, value and what was expected."),
        new_code_cell("issues_by_file(result.issues)"),
        new_code_cell("result.issues"),
        new_markdown_cell("## What is stored"),
        new_code_cell("store = Store(paths)\nstored_overview(store.read(\"values\"), load_registry(), period=period or None)"),
    ])


def main() -> None:
    NOTEBOOKS.mkdir(exist_ok=True)
    nbformat.write(ingest_notebook(), NOTEBOOKS / "01_ingest.ipynb")


if __name__ == "__main__":
    main()

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
    for number, cell in enumerate(cells):
        cell.id = f"cell-{number:02d}"  # stable ids: rebuilding changes nothing
        cell.metadata.setdefault("tags", [])  # papermill's parameter inspection expects a tags list
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
            "from pipeline.domain.communes import load_registry\n"
            "from pipeline.config import data_paths\n"
            "from pipeline.ingest import ingest\n"
            "from pipeline.store import Store\n"
            "from pipeline.metrics.summaries import issues_by_file, stored_overview\n\n"
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


def trends_notebook() -> nbformat.NotebookNode:
    params = new_code_cell(
        'period: str = "2021-Q3"  # reporting period, e.g. 2021-Q3, 2021-6M\n'
        'district: str = "439"  # district code (439: Hương Sơn)\n'
        'commune: str = "18217"  # commune to follow in detail (empty: none)\n'
        'data_dir: str = ""  # directory holding raw/ and processed/ (empty: the project data/)'
    )
    params.metadata["tags"] = ["parameters"]
    return _notebook([
        new_markdown_cell("# Xu hướng CCHC của huyện\n\nTrends, ratios, targets and findings of a district's communes. "
                          "Run `01_ingest` first (or `cchc ingest`)."),
        params,
        new_code_cell(
            "%matplotlib inline\n"
            "import pandas as pd\n\n"
            "from pipeline.report import charts\n"
            "from pipeline.domain.communes import load_registry\n"
            "from pipeline.config import data_paths\n"
            "from pipeline.metrics.compute import rollup, run_metrics\n"
            "from pipeline.metrics.summaries import district_table, findings_table, key_ratio_table\n\n"
            "pd.set_option(\"display.max_rows\", 200)\n"
            "registry = load_registry()\n"
            "out = run_metrics(data_paths(data_dir or None), registry=registry)\n"
            "metrics, findings = out[\"metrics\"], out[\"findings\"]\n"
            "roll = rollup(metrics, registry)\n"
            "quarters = charts.last_quarters(period, 8)\n"
            "focus = registry.resolve(commune, period).key if commune else None"
        ),
        new_markdown_cell("## Toàn huyện\n\nCounts add up across communes; ratios are recomputed from the summed "
                          "numerators and denominators, never averaged."),
        new_code_cell('district_table(roll, period=period, district_code=district, metrics_to_show=['
                      '"S.HS.NHAN_MOI", "S.HS.DA_GIAI_QUYET", "R.HS.DUNG_HEN", "R.DVC.MUC_3_4", "R.KH.HOAN_THANH", '
                      '"R.NV.DUNG_HAN", "R.NS.DU_TOAN"])'),
        new_code_cell('charts.district_trend(roll.loc[roll["district_code"] == district], metric="R.HS.DUNG_HEN", periods=quarters)'),
        new_code_cell('charts.district_trend(roll.loc[roll["district_code"] == district], metric="R.DVC.MUC_3_4", periods=quarters)'),
        new_markdown_cell("## Xếp hạng các xã\n\nKey ratios and each commune's rank in the district (1 = best)."),
        new_code_cell("key_ratio_table(metrics, registry, period=period, district_code=district)"),
        new_code_cell('charts.commune_ranking(metrics, {u.key: u.name for u in registry}, period=period, '
                      'metric="R.HS.DUNG_HEN", highlight=focus)'),
        new_markdown_cell("## Xã được chọn"),
        new_code_cell("charts.dossier_trend(metrics, commune_key=focus, period=period) if focus else None"),
        new_code_cell("charts.rate_against_target(metrics, commune_key=focus, period=period) if focus else None"),
        new_markdown_cell("## Tồn tại, hạn chế (findings)"),
        new_code_cell("findings_table(findings, registry, period=period, district_code=district)"),
    ])


def report_notebook() -> nbformat.NotebookNode:
    params = new_code_cell(
        'commune: str = "18217"  # commune code (mã đơn vị hành chính); 18217 is Xã Sơn Phú\n'
        'period: str = "2021-Q3"  # reporting period id: 2021-Q3, 2021-6M, 2021-9M, 2021-Y\n'
        'data_dir: str = ""  # directory holding raw/ and processed/ (empty: the project data/)'
    )
    params.metadata["tags"] = ["parameters"]
    show = lambda name: new_code_cell(f"report.{name}(rd)")  # noqa: E731
    return _notebook([
        new_markdown_cell("# Báo cáo CCHC của xã\n\nThe commune report. Run as-is in JupyterLab, or through "
                          "`cchc render` / papermill. Only the HTML outputs below go into the rendered report."),
        params,
        new_code_cell("from pipeline.report import content as report\nfrom pipeline.config import data_paths\n\n"
                      "rd = report.load(commune=commune, period=period, data=data_paths(data_dir or None))"),
        show("header_html"), show("results_html"), show("assessment_html"), show("closing_html"),
        show("charts_html"), show("appendix_html"),
    ])


def main() -> None:
    NOTEBOOKS.mkdir(exist_ok=True)
    nbformat.write(ingest_notebook(), NOTEBOOKS / "01_ingest.ipynb")
    nbformat.write(trends_notebook(), NOTEBOOKS / "02_trends.ipynb")
    nbformat.write(report_notebook(), NOTEBOOKS / "commune_report.ipynb")


if __name__ == "__main__":
    main()

"""Notebooks run as-is through papermill and stay thin (no definitions, no outputs committed)."""

import json
import shutil

import nbformat
import papermill as pm
import pytest

from pipeline.config import NOTEBOOKS_DIR
from pipeline.store import Store

NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_thin_and_clean(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert sum("parameters" in c.metadata.get("tags", []) for c in code) == 1
    params = pm.inspect_notebook(str(path))  # what `papermill --help-notebook` shows
    assert params and all(p["help"] for p in params.values())
    for cell in code:
        assert not cell.get("outputs") and not cell.get("execution_count")
        assert not any(line.lstrip().startswith(("def ", "class ", "for ", "while ")) for line in cell.source.splitlines())


def test_ingest_notebook_runs_with_papermill(seed_data, tmp_path):
    out = tmp_path / "out.ipynb"
    pm.execute_notebook(str(NOTEBOOKS_DIR / "01_ingest.ipynb"), str(out),
                        parameters={"data_dir": str(seed_data.root), "period": "2021-Q3"}, progress_bar=False)
    text = json.dumps(nbformat.read(out, as_version=4).cells, ensure_ascii=False)
    assert "1 new submission(s) (46 values)" in text
    assert "Xã Sơn Phú" in text
    assert len(Store(seed_data).read("values")) == 46


def test_trends_notebook_runs_and_shows_charts(seed_data, tmp_path):
    from pipeline.ingest import ingest
    from tests.conftest import FIXTURES

    shutil.copy(FIXTURES / "metrics" / "two_communes.csv", seed_data.raw)
    ingest(None, data=seed_data)
    out = tmp_path / "trends.ipynb"
    pm.execute_notebook(str(NOTEBOOKS_DIR / "02_trends.ipynb"), str(out),
                        parameters={"data_dir": str(seed_data.root), "period": "2021-Q3", "commune": "18217"},
                        progress_bar=False)
    nb = nbformat.read(out, as_version=4)
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) >= 4  # district trends, ranking, the commune's dossiers and online rate
    text = json.dumps(nb.cells, ensure_ascii=False)
    assert "Xã Sơn Phú" in text and "postal_not_used" in text and "staff_above_quota" in text


def test_render_passes_exactly_the_report_notebooks_parameters(seed_data):
    from pipeline.domain.communes import load_registry
    from pipeline.domain.periods import Period
    from pipeline.render.export import REPORT_NOTEBOOK, notebook_parameters

    period = Period.parse("2021-Q3")
    passed = notebook_parameters(load_registry().resolve("18217", period), period, seed_data)
    declared = pm.inspect_notebook(str(REPORT_NOTEBOOK))
    assert sorted(passed) == sorted(declared) == ["commune", "data_dir", "period"]  # no unused output_dir

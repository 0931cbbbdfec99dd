"""The committed notebooks are the source analysts edit (in JupyterLab): each is a clean, thin source
that runs as-is through papermill; ``02_trends`` shows the stored findings ``cchc findings`` prints."""

import ast
import io
import json
import shutil
from contextlib import redirect_stdout

import nbformat
import pandas as pd
import papermill as pm
import pytest
from IPython.core.inputtransformer2 import TransformerManager

from pipeline.config import NOTEBOOKS_DIR, PROJECT_ROOT
from pipeline.store import Store

pytestmark = pytest.mark.slow  # executes notebooks in kernels

NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
#: Definitions and loops belong in ``pipeline/``: a notebook is a thin sequence of calls.
NOT_IN_A_NOTEBOOK = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.For, ast.AsyncFor, ast.While)


def source_problems(nb: nbformat.NotebookNode) -> list[str]:
    """What keeps ``nb`` from being a committable notebook source (empty: nothing)."""
    problems = []
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        problems.append(f"not a valid notebook: {exc.message}")
    if nb.metadata.get("kernelspec", {}).get("name") != "python3":
        problems.append("kernelspec is not python3 (cchc render and papermill start that kernel)")
    if "papermill" in nb.metadata:
        problems.append("an executed copy (papermill metadata) was saved over the source")
    code = [(number, cell) for number, cell in enumerate(nb.cells) if cell.cell_type == "code"]
    for number, cell in code:
        tags = cell.metadata.get("tags", [])
        if cell.get("outputs") or cell.get("execution_count") is not None:
            problems.append(f"cell {number} holds outputs or an execution count")
        if "injected-parameters" in tags:
            problems.append(f"cell {number} holds parameters papermill injected")
        try:
            tree = ast.parse(TransformerManager().transform_cell(cell.source))
        except SyntaxError as exc:
            problems.append(f"cell {number} is not Python: {exc.msg}")
            continue
        defined = sorted({type(n).__name__ for n in ast.walk(tree) if isinstance(n, NOT_IN_A_NOTEBOOK)})
        if defined:
            problems.append(f"cell {number} defines or loops ({', '.join(defined)}): that belongs in pipeline/")
    params = [(number, cell) for number, cell in code if "parameters" in cell.metadata.get("tags", [])]
    if len(params) != 1:
        return problems + [f"{len(params)} cells tagged 'parameters' (expected exactly one)"]
    number, cell = params[0]
    if number != code[0][0]:
        problems.append(f"the parameters cell (cell {number}) is not the first code cell")
    lines = [line for line in cell.source.splitlines() if line.strip()]
    for line in lines:
        try:
            statement = ast.parse(line).body
        except SyntaxError:
            statement = []
        typed = (len(statement) == 1 and isinstance(statement[0], ast.AnnAssign) and statement[0].value is not None
                 and isinstance(statement[0].target, ast.Name))
        if not typed or "  # " not in line or not line.split("  # ", 1)[1].strip():
            problems.append(f"parameter line {line!r} is not `name: type = default  # what it is`")
    return problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebook_is_a_clean_thin_source(path):
    nb = nbformat.read(path, as_version=4)
    assert source_problems(nb) == [], (
        f"{path.relative_to(PROJECT_ROOT)}: clear outputs before committing (JupyterLab: Edit > Clear Outputs of All "
        f"Cells, then save; or jupyter nbconvert --clear-output --inplace {path.relative_to(PROJECT_ROOT)})")
    params = pm.inspect_notebook(str(path))  # what `papermill --help-notebook` shows
    assert params and all(p["help"] and p["inferred_type_name"] != "None" for p in params.values())


def _report_source() -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS_DIR / "commune_report.ipynb", as_version=4)


def _with_outputs(nb):
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", text="hello")]
    nb.cells[2].execution_count = 3
    return nb


def _with(code: str, *, at: int = 3, tags: tuple[str, ...] = ()):
    def change(nb):
        cell = nbformat.v4.new_code_cell(code)
        cell.metadata["tags"] = list(tags)
        nb.cells.insert(at, cell)
        return nb
    return change


def _with_parameter(line: str):
    def change(nb):
        nb.cells[1].source += "\n" + line
        return nb
    return change


def _executed_copy(nb):
    nb.metadata["papermill"] = {"parameters": {"commune": "18217"}}
    return nb


def _other_kernel(nb):
    nb.metadata["kernelspec"]["name"] = "cchc-venv"
    return nb


@pytest.mark.parametrize("change, problem", [
    (_with_outputs, "holds outputs"),
    (_with("def share(x):\n    return x / 2"), "FunctionDef"),
    (_with("class Row:\n    pass"), "ClassDef"),
    (_with("for code in ['18217']:\n    print(code)"), "For"),
    (_with("rate = lambda x: x * 100"), "Lambda"),
    (_with('district: str = "439"  # a second parameters cell', tags=("parameters",)), "2 cells tagged"),
    (_with('commune = "18217"', at=1, tags=("injected-parameters",)), "papermill injected"),
    (_with_parameter('district = "439"  # no type'), "not `name: type"),
    (_with_parameter('district: str = "439"'), "not `name: type"),
    (_with('x = 1', at=1), "not the first code cell"),
    (_executed_copy, "executed copy"),
    (_other_kernel, "kernelspec"),
], ids=["outputs", "def", "class", "loop", "lambda", "two-parameters-cells", "injected", "untyped-parameter",
        "parameter-without-comment", "code-before-parameters", "executed-copy", "other-kernel"])
def test_a_notebook_that_is_not_a_clean_source_is_caught(change, problem):
    assert source_problems(_report_source()) == []
    problems = source_problems(change(_report_source()))
    assert any(problem in p for p in problems), problems


def test_ingest_notebook_runs_with_papermill(seed_data, tmp_path):
    out = tmp_path / "out.ipynb"
    pm.execute_notebook(str(NOTEBOOKS_DIR / "01_ingest.ipynb"), str(out),
                        parameters={"data_dir": str(seed_data.root), "period": "2021-Q3"}, progress_bar=False)
    text = json.dumps(nbformat.read(out, as_version=4).cells, ensure_ascii=False)
    assert "1 new submission(s) (46 values)" in text
    assert "Xã Sơn Phú" in text
    assert len(Store(seed_data).read("values")) == 46


def _district(seed_data):
    """The seed report and two more communes of district 439, ingested (metrics not computed yet)."""
    from pipeline.ingest import ingest
    from tests.helpers import FIXTURES

    shutil.copy(FIXTURES / "metrics" / "two_communes.csv", seed_data.raw)
    ingest(None, data=seed_data)
    return seed_data


def _run_trends(data, tmp_path) -> nbformat.NotebookNode:
    out = tmp_path / "trends.ipynb"
    pm.execute_notebook(str(NOTEBOOKS_DIR / "02_trends.ipynb"), str(out),
                        parameters={"data_dir": str(data.root), "period": "2021-Q3", "district": "439",
                                    "commune": "18217"}, progress_bar=False)
    return nbformat.read(out, as_version=4)


def test_trends_notebook_runs_and_shows_charts(seed_data, tmp_path):
    from pipeline.metrics.compute import metrics_up_to_date

    data = _district(seed_data)
    assert not metrics_up_to_date(data)
    nb = _run_trends(data, tmp_path)
    assert metrics_up_to_date(data)  # out-of-date metrics were computed and stored, as the CLI does it
    images = [o for c in nb.cells if c.cell_type == "code"
              for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) >= 4  # district trends, ranking, the commune's dossiers and online rate
    text = json.dumps(nb.cells, ensure_ascii=False)
    assert "Xã Sơn Phú" in text and "tasks_late" in text and "staff_above_quota" in text


_SHOWN = ["severity", "commune_code", "metric", "finding", "message"]


def _table_shown(nb: nbformat.NotebookNode, tag: str) -> pd.DataFrame:
    """The table the cell tagged ``tag`` displayed, as text."""
    cell = next(c for c in nb.cells if tag in c.metadata.get("tags", []))
    html = next(o["data"]["text/html"] for o in cell.outputs if "text/html" in o.get("data", {}))
    table = pd.read_html(io.StringIO(html), keep_default_na=False, converters=dict.fromkeys(_SHOWN, str))[0]
    return table[_SHOWN].map(lambda text: " ".join(text.split()))


def _cchc_findings(data, *args: str) -> pd.DataFrame:
    from pipeline.cli import main

    printed = io.StringIO()
    with redirect_stdout(printed):
        assert main(["findings", "--period", "2021-Q3", "--format", "csv", "--data-dir", str(data.root), *args]) == 0
    table = pd.read_csv(io.StringIO(printed.getvalue()), dtype=str, keep_default_na=False)
    return table[_SHOWN].map(lambda text: " ".join(text.split()))


def test_trends_notebook_shows_the_stored_findings_cchc_findings_prints(seed_data, tmp_path):
    from pipeline.metrics.compute import ensure_metrics, metrics_up_to_date

    data = _district(seed_data)
    findings = ensure_metrics(data)["findings"]
    # mark the stored findings of Sơn Phú: a fresh recomputation would not show the mark
    mark = (findings["period"] == "2021-Q3") & (findings["commune_code"] == "18217")
    assert mark.sum() >= 2
    Store(data).write("findings",
                      findings.assign(message=findings["message"].where(~mark, findings["message"] + " [as stored]")))
    assert metrics_up_to_date(data)

    nb = _run_trends(data, tmp_path)
    district, commune = _table_shown(nb, "findings"), _table_shown(nb, "commune-findings")
    pd.testing.assert_frame_equal(district, _cchc_findings(data))  # every commune of the fixture is in district 439
    pd.testing.assert_frame_equal(commune, _cchc_findings(data, "--commune", "18217"))
    assert len(district) > len(commune) == mark.sum()
    assert commune["message"].str.endswith("[as stored]").all()
    assert not district.loc[district["commune_code"] != "18217", "message"].str.contains("as stored").any()


def test_render_passes_exactly_the_report_notebooks_parameters(seed_data):
    from pipeline.domain.communes import load_registry
    from pipeline.domain.periods import Period
    from pipeline.render.export import REPORT_NOTEBOOK, notebook_parameters

    period = Period.parse("2021-Q3")
    passed = notebook_parameters(load_registry().resolve("18217", period), period, seed_data)
    declared = pm.inspect_notebook(str(REPORT_NOTEBOOK))
    assert sorted(passed) == sorted(declared) == ["commune", "data_dir", "draft", "period"]  # no unused output_dir


def test_the_summary_render_passes_exactly_the_summary_notebooks_parameters(seed_data):
    from pipeline.domain.areas import area_units
    from pipeline.domain.communes import load_registry
    from pipeline.domain.periods import Period
    from pipeline.render.export import SUMMARY_NOTEBOOK, summary_parameters

    period = Period.parse("2021-Q3")
    passed = summary_parameters(area_units(load_registry(), "439", period), period, seed_data)
    declared = pm.inspect_notebook(str(SUMMARY_NOTEBOOK))
    assert sorted(passed) == sorted(declared) == ["area", "data_dir", "period"]

"""The ``cchc_warm`` papermill engine, found by papermill through its entry point."""

import json
import subprocess
import sys
import textwrap
import tomllib

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from pipeline.config import PROJECT_ROOT


def _entry_points_dir(tmp_path):
    """A directory holding the project's declared entry points as an installed distribution would (the test
    environment's install may predate them)."""
    declared = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]["entry-points"]
    info = tmp_path / "site" / "cchc_entry_points_under_test-0.dist-info"
    info.mkdir(parents=True)
    info.joinpath("entry_points.txt").write_text(
        "".join(f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in eps.items()) for group, eps in declared.items()))
    info.joinpath("METADATA").write_text("Metadata-Version: 2.1\nName: cchc-entry-points-under-test\nVersion: 0\n")
    return info.parent


def _run(script: str, tmp_path, *args) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": f"{PROJECT_ROOT}:{_entry_points_dir(tmp_path)}", "PATH": "/usr/bin:/bin",
           "HOME": str(tmp_path)}
    return subprocess.run([sys.executable, *(["-c", textwrap.dedent(script)] if script else []), *args],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_the_entry_point_names_the_engine():
    declared = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]["entry-points"]
    assert declared["papermill.engine"] == {"cchc_warm": "pipeline.render.entry:WarmKernelEngine"}


@pytest.mark.parametrize("first", ["papermill.engines", "pipeline.render.engine"])
def test_papermill_loads_the_engine_whichever_module_is_imported_first(tmp_path, first):
    # papermill loads entry points while papermill.engines imports, and pipeline.render.engine imports it
    run = _run(f"""
        import importlib
        importlib.import_module({first!r})
        from papermill.engines import papermill_engines
        from pipeline.render.engine import WarmKernelEngine
        engine = papermill_engines.get_engine("cchc_warm")
        from pipeline.render import entry
        assert engine.execute_notebook.__self__ is WarmKernelEngine, engine
        assert entry.WarmKernelEngine.nb_kernel_name.__self__ is WarmKernelEngine
        print("ok")
    """, tmp_path)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr


@pytest.mark.slow  # starts a kernel
def test_papermill_command_line_runs_a_notebook_with_cchc_warm(tmp_path):
    notebook = tmp_path / "in.ipynb"
    kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(new_notebook(cells=[new_code_cell("print(6 * 7)")], metadata={"kernelspec": kernelspec}), notebook)
    run = _run("", tmp_path, "-m", "papermill", str(notebook), str(tmp_path / "out.ipynb"), "--engine", "cchc_warm")
    assert run.returncode == 0, run.stderr
    out = json.loads((tmp_path / "out.ipynb").read_text())
    assert "".join(out["cells"][0]["outputs"][0]["text"]) == "42\n"

"""The package layout: development tooling stays out of the installed package, and the package data
globs of pyproject.toml ship every non-Python file the package holds."""

import ast
import tomllib
from pathlib import Path

from pipeline.config import PACKAGE_DIR, PROJECT_ROOT


def test_nothing_in_the_package_imports_devtools():
    offenders = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            offenders += [f"{path.relative_to(PROJECT_ROOT)}: {n}" for n in names if n.split(".")[0] == "devtools"]
    assert offenders == []


def test_package_data_globs_ship_every_data_file():
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    globs = project["tool"]["setuptools"]["package-data"]["pipeline"]
    shipped = {p for g in globs for p in PACKAGE_DIR.glob(g) if p.is_file()}
    data = {p for p in PACKAGE_DIR.rglob("*") if p.is_file() and p.suffix not in {".py", ".pyc"}
            and "__pycache__" not in p.parts}
    assert data, "the package holds its catalogue, templates and fonts"
    assert sorted(Path(p).relative_to(PACKAGE_DIR) for p in data - shipped) == []


def test_the_package_holds_no_development_tooling():
    assert not (PACKAGE_DIR / "sample.py").exists() and not (PACKAGE_DIR / "office_writer.py").exists()
    assert (PROJECT_ROOT / "devtools" / "sample.py").is_file()
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    assert project["tool"]["setuptools"]["packages"]["find"]["include"] == ["pipeline*"]


def test_the_paths_docs_architecture_names_exist():
    import re

    text = (PROJECT_ROOT / "docs" / "architecture.md").read_text()
    named = set(re.findall(r"\b((?:pipeline|tests|scripts|notebooks|devtools)/[\w./{}<>-]*[\w>])", text))
    named = {n.split(":")[0] for n in named if not set("{<*") & set(n)}
    assert len(named) > 30
    assert sorted(n for n in named if not (PROJECT_ROOT / n).exists()) == []

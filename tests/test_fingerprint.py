"""Source fingerprints: what a stored result or a report was made by (pipeline/fingerprint.py)."""

from pipeline.config import PACKAGE_DIR
from pipeline.fingerprint import imported_modules, source_files, source_fingerprint
from pipeline.report.inputs import COMMUNE_REPORT


def _names(paths):
    return {p.relative_to(PACKAGE_DIR).as_posix() for p in paths if p.is_relative_to(PACKAGE_DIR)}


def test_the_report_code_is_what_it_imports_and_nothing_else():
    used = _names(imported_modules(COMMUNE_REPORT.code))
    assert {"report/content.py", "report/charts.py", "render/export.py", "metrics/compute.py", "domain/periods.py",
            "store.py", "__init__.py"} <= used
    assert not used & {"batch/run.py", "batch/index.py", "cli.py", "ingest/xlsx.py", "forms/workbook.py"}
    files = _names(source_files([*imported_modules(COMMUNE_REPORT.code), *COMMUNE_REPORT.files]))
    assert "report/templates/report/charts.html.j2" in files and "domain/catalogue/ratios.yaml" in files


def test_the_metrics_code_follows_its_imports():
    used = _names(imported_modules([PACKAGE_DIR / "metrics"]))
    assert {"metrics/findings.py", "ingest/validate.py", "domain/catalogue/__init__.py"} <= used
    assert "report/content.py" not in used


def test_a_changed_byte_changes_the_fingerprint(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n", encoding="utf-8")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "a.pyc").write_bytes(b"cache")
    before = source_fingerprint([tmp_path], root=tmp_path)
    (tmp_path / "__pycache__" / "a.pyc").write_bytes(b"other cache")
    assert source_fingerprint([tmp_path], root=tmp_path) == before
    (tmp_path / "a.py").write_text("x = 2\n", encoding="utf-8")
    assert source_fingerprint([tmp_path], root=tmp_path) != before

"""One exception hierarchy: every exception the package defines lives in pipeline/errors.py, under CchcError."""

import ast
import inspect

from pipeline import errors
from pipeline.config import PACKAGE_DIR


def test_exceptions_are_defined_in_errors_py_only():
    elsewhere = []
    for path in PACKAGE_DIR.rglob("*.py"):
        if path.name == "errors.py" and path.parent == PACKAGE_DIR:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                    (b.id if isinstance(b, ast.Name) else getattr(b, "attr", "")).endswith(("Error", "Exception",
                                                                                             "Interrupt", "Locked"))
                    for b in node.bases):
                elsewhere.append(f"{path.relative_to(PACKAGE_DIR)}:{node.lineno} {node.name}")
    assert not elsewhere


def test_every_error_is_a_cchc_error_but_a_stop():
    defined = [c for _, c in inspect.getmembers(errors, inspect.isclass)
               if issubclass(c, BaseException) and c.__module__ == errors.__name__]
    assert {c.__name__ for c in defined if not issubclass(c, errors.CchcError)} == {"BatchStopped"}
    assert not issubclass(errors.BatchStopped, Exception)  # passes every `except Exception`, as Ctrl-C does


def test_old_import_paths_still_work():
    from pipeline.batch.run import BatchLocked, BatchStopped
    from pipeline.domain.numbers import NumberFormatError, UnitOnlyError
    from pipeline.render.export import RenderError

    assert (BatchLocked, BatchStopped, NumberFormatError, UnitOnlyError, RenderError) == (
        errors.BatchLocked, errors.BatchStopped, errors.NumberFormatError, errors.UnitOnlyError, errors.RenderError)

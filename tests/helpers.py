"""What several test modules share: the seed report, the fixture directory, the seed's expected figures,
an assertion on clear errors and the Office writers.  Test modules import from here (or use the fixtures of
``conftest.py``), never from one another."""

from __future__ import annotations

import shutil
from pathlib import Path

from pipeline.config import PROJECT_ROOT, DataPaths

SEED = PROJECT_ROOT / "data" / "raw" / "000_9c1b2be0e2b3796f.txt"
FIXTURES = Path(__file__).parent / "fixtures"


def ingested(root: Path, *fixtures: str) -> DataPaths:
    """A data directory at ``root`` whose ``raw/`` holds ``fixtures`` (paths under ``tests/fixtures/``),
    ingested without errors."""
    from pipeline.ingest import ingest

    (root / "raw").mkdir(parents=True)
    for name in fixtures:
        shutil.copy(FIXTURES / name, root / "raw")
    data = DataPaths(root)
    assert ingest(None, data=data).ok
    return data

#: The seed's Phụ lục 2B values and the figures its narrative states.
SEED_APPENDIX = {
    "1.1.1": 6, "1.1.2": 6, "1.3.1": 6, "1.3.2": 1, "1.4.2": 0, "1.5": 0,
    "2.1": 0, "2.2": 0, "2.3": 0, "2.4": 0, "2.5": 0,
    "3.1.3.c": 175, "3.2.1": 172, "3.2.2": 58, "3.3.1": 3, "3.3.3": 100, "3.3.4": 100,
    "3.4.3": 100, "3.4.4": 100, "3.4.5": 100,
    "4.2.1": 18, "4.2.2": 19, "4.2.3": 1,
    "7.1.6.1.c": 100, "7.1.6.2.b": 90, "7.1.8.1": 58, "7.1.8.2": 56, "7.1.8.3": 21.1,
    "7.2.1": 2, "7.2.3.2": 150, "7.2.3.3": 0, "7.2.3.4": 150, "7.2.3.5": 150, "7.2.4.2": 70,
    "7.2.5.1": 490, "7.2.5.2": 490, "7.2.5.3": 100,
}
SEED_NARRATIVE = {
    "S.HS.NHAN_MOI": 491, "S.HS.DA_GIAI_QUYET": 490, "S.HS.DUNG_HEN": 490, "S.HS.KY_TRUOC": 1,
    "S.HS.TRA_LAI": 1, "S.HS.QUA_HAN": 0,
    "S.NS.THU": 2590755750, "S.NS.TY_LE_DU_TOAN": 145.15, "S.NS.THU_TAI_XA": 218600750,
}


def assert_clear_error(issues, name: str, expected: tuple) -> None:
    """``name`` got an error whose message contains ``expected[0]``, naming row, indicator and value
    where ``expected`` gives them (``None``: not checked), and saying what was expected."""
    message, row, indicator, value = expected
    errors = issues.loc[(issues["file"] == name) & (issues["severity"] == "error")]
    assert len(errors), f"no error for {name}"
    hit = errors.loc[errors["message"].str.contains(message, regex=False)]
    assert len(hit), errors["message"].tolist()
    first = hit.iloc[0]
    assert first["expected"], "the error says what was expected"
    if row is not None:
        assert first["row"] == row
    if indicator is not None:
        assert first["indicator_code"] == indicator
    if value is not None:
        assert first["value"] == value


def load_script():
    """The Office writers (also behind scripts/make_office_seed.py)."""
    from devtools import office_writer

    return office_writer


def synthetic_report(values: dict, texts: dict, metrics: list | None = None, findings: list | None = None, *,
                     commune: str = "18217", period: str = "2021-Q3"):
    """A commune's report data (Sơn Phú 2021-Q3 by default) with only ``values`` (code: value) in its appendix,
    ``texts`` (area: text) as its own text, ``metrics`` (rows: metric, value, …) and ``findings`` (rows)."""
    import pandas as pd

    from pipeline.domain.communes import load_registry
    from pipeline.domain.periods import Period
    from pipeline.report.content import ReportData

    unit = load_registry().resolve(commune, period)
    vals = pd.DataFrame({"indicator_code": list(values), "value": [float(v) for v in values.values()],
                         "value_text": None, "cumulative_value": float("nan"), "raw_text": "", "source_row": 1,
                         "synthetic": True})
    rows = [{"commune_key": unit.key, "period": period, "numerator": float("nan"), "denominator": float("nan"),
             "target": float("nan"), "target_met": pd.NA, "label": m["metric"], **m} for m in metrics or []]
    columns = ["commune_key", "period", "metric", "label", "kind", "value", "numerator", "denominator", "target",
               "target_met", "target_kind"]
    frame = pd.DataFrame(rows, columns=columns + sorted({k for r in rows for k in r} - set(columns)))
    narr = pd.DataFrame({"area": list(texts), "text": list(texts.values()), "heading": "", "number": ""})
    found = pd.DataFrame(findings or [], columns=["finding", "metric", "message", "audience"])
    return ReportData(commune=unit, period=Period.parse(period), values=vals, metrics=frame, findings=found,
                      narratives=narr)

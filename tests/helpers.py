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

def _long_csv(path: Path, rows) -> Path:
    """Write ``rows`` (commune code, period, indicator code, value; a value ``None`` is left out) as a long CSV."""
    lines = ["commune_code,period,indicator_code,value"]
    lines += [f"{code},{period},{indicator},{value}" for code, period, indicator, value in rows if value is not None]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_long_csv(path: Path, commune: str, periods: dict[str, dict[str, float | None]]) -> Path:
    """A long CSV at ``path`` with ``commune``'s values by period (``{period: {indicator: value}}``;
    None: the row is left out)."""
    return _long_csv(path, [(commune, period, code, value) for period, values in periods.items()
                            for code, value in values.items()])


def ingested_rows(root: Path, rows: list[tuple[str, str, str, object]], *, name: str = "rows.csv") -> DataPaths:
    """A data directory at ``root`` whose ``raw/`` holds ``rows`` (commune code, period, indicator code, value;
    a value ``None`` is not written) as one long CSV, ingested without errors."""
    from pipeline.ingest import ingest

    _long_csv(root / "raw" / name, rows)
    data = DataPaths(root)
    result = ingest(None, data=data)
    assert result.ok, result.issues.loc[result.issues["severity"] == "error", "message"].tolist()
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


#: Hương Sơn's five predecessors in 2024-Q3 (Xã Hương Sơn 18133@2025-07-01 ← Phố Châu 18133, Sơn Ninh 18175,
#: Sơn Trung 18187, Sơn Bằng 18190, Sơn Phú 18217): received, resolved, on time, TTHC in force, online level
#: 3–4, budget revenue (Sơn Phú gives none), survey form (a category), online rate (a percentage alone).
MERGER_2024_Q3 = {
    #        S.HS.NHAN_MOI, S.HS.DA_GIAI_QUYET, S.HS.DUNG_HEN, 3.1.3.c, 3.2.2, S.NS.THU, 1.4.2, 7.1.8.3
    "18133": (100, 90, 85, 175, 58, 1_000_000, 0, 20),
    "18175": (50, 40, 40, 170, 50, 2_000_000, 1, 30),
    "18187": (30, 30, 27, 170, 40, 3_000_000, 0, 10),
    "18190": (20, 20, 20, 165, 45, 4_000_000, 1, 40),
    "18217": (60, 60, 54, 175, 58, None, 0, 21),
}
MERGER_CODES = ("S.HS.NHAN_MOI", "S.HS.DA_GIAI_QUYET", "S.HS.DUNG_HEN", "3.1.3.c", "3.2.2", "S.NS.THU", "1.4.2",
                "7.1.8.3")


def merger_rows() -> list[tuple[str, str, str, object]]:
    """Long rows across the 1/7/2025 merger, small enough to check by hand.

    - 2024-Q3: :data:`MERGER_2024_Q3` (sums: received 260, resolved 240, on time 226, TTHC 855, online 251;
      revenue blank: Sơn Phú gave none); Sơn Hồng 18139 (received 40) and Sơn Lĩnh 18160 (received 15), the
      predecessors of Xã Sơn Hồng 18160@2025-07-01; Kim Hoa 18211 (7), Sơn Hàm 18214 (11) and Sơn Trường
      18223 (13), Hàm Trường 18223@2025-01-01 being Sơn Hàm + Sơn Trường and Xã Kim Hoa 18223@2025-07-01
      Kim Hoa + Hàm Trường.
    - 2025-Q1: Kim Hoa 18211 (20) and Hàm Trường 18223 (30); 2025-Q2: Kim Hoa (21) and Hàm Trường (31).
    - 2025-Q3: Xã Hương Sơn 18133 (received 300, resolved 280, on time 270; 4 tasks assigned, 3 on time;
      revenue 12 000 000),
      Xã Sơn Hồng 18160 (received 70, resolved 70, on time 63), Xã Kim Hoa 18223 (received 44, resolved 40, on
      time 40).
    - 2026-Q3: Xã Hương Sơn 18133 (received 330, resolved 300, on time 291).
    """
    rows = []
    for code, figures in MERGER_2024_Q3.items():
        rows += [(code, "2024-Q3", ind, v) for ind, v in zip(MERGER_CODES, figures)]
    for code, received in (("18139", 40), ("18160", 15), ("18211", 7), ("18214", 11), ("18223", 13)):
        rows += [(code, "2024-Q3", "S.HS.NHAN_MOI", received), (code, "2024-Q3", "S.HS.DA_GIAI_QUYET", received),
                 (code, "2024-Q3", "S.HS.DUNG_HEN", received)]
    rows += [("18211", "2025-Q1", "S.HS.NHAN_MOI", 20), ("18223", "2025-Q1", "S.HS.NHAN_MOI", 30),
             ("18211", "2025-Q2", "S.HS.NHAN_MOI", 21), ("18223", "2025-Q2", "S.HS.NHAN_MOI", 31)]
    rows += [("18133", "2025-Q3", "1.3.1", 4), ("18133", "2025-Q3", "1.3.2", 3),
             ("18133", "2025-Q3", "S.NS.THU", 12_000_000)]
    for code, period, (received, resolved, on_time) in (
            ("18133", "2025-Q3", (300, 280, 270)), ("18160", "2025-Q3", (70, 70, 63)),
            ("18223", "2025-Q3", (44, 40, 40)), ("18133", "2026-Q3", (330, 300, 291))):
        rows += [(code, period, "S.HS.NHAN_MOI", received), (code, period, "S.HS.DA_GIAI_QUYET", resolved),
                 (code, period, "S.HS.DUNG_HEN", on_time)]
    return rows


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


def reporting_area(root: Path) -> DataPaths:
    """A data directory at ``root`` for submission tracking, ingested in one run: for 2021-Q3 in district 439 the
    seed (Sơn Phú 18217, dated 14/09/2021), Phố Châu (18133) sent twice (``pho-chau_v1.csv``, then
    ``pho-chau_v2.csv`` with a later modification time: the resubmission), Tây Sơn (18136) one long CSV (no date
    on it); for 2026-Q3 Hương Sơn (18133, province 42) and Ba Đình of Hà Nội (00004, another province)."""
    import os

    from pipeline.ingest import ingest

    raw = root / "raw"
    raw.mkdir(parents=True)
    shutil.copy(SEED, raw / SEED.name)
    for name, commune, period, value, mtime in [
        ("pho-chau_v1.csv", "18133", "2021-Q3", 4, 1_631_700_000),  # 15/09/2021
        ("pho-chau_v2.csv", "18133", "2021-Q3", 5, 1_632_500_000),  # 24/09/2021
        ("tay-son.csv", "18136", "2021-Q3", 7, 1_631_700_000),
        ("huong-son_2026.csv", "18133", "2026-Q3", 8, 1_758_000_000),
        ("ba-dinh_2026.csv", "00004", "2026-Q3", 9, 1_758_000_000),
    ]:
        path = write_long_csv(raw / name, commune, {period: {"1.1.1": value}})
        os.utime(path, (mtime, mtime))
    data = DataPaths(root)
    result = ingest(None, data=data)
    assert result.ok, result.issues.loc[result.issues["severity"] == "error", "message"].tolist()
    return data

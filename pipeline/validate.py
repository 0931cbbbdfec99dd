"""Validation of extracted values: kinds, ranges, legends and cross-indicator checks.

Functions take frames and return new frames; every problem becomes a row of
an *issues* frame with the columns of :data:`ISSUE_COLUMNS`.
"""

from __future__ import annotations

import pandas as pd

from .catalogue import Catalogue, parse_legend
from .numbers import NumberFormatError, parse_decimal

ISSUE_COLUMNS = ["file", "row", "severity", "indicator_code", "value", "expected", "message"]


def issue(
    message: str, *, file: str = "", row: int | None = None, severity: str = "error",
    indicator_code: str = "", value: object = "", expected: str = "",
) -> dict:
    """One issue record (``severity`` is ``"error"`` or ``"warning"``)."""
    return {
        "file": file, "row": row, "severity": severity, "indicator_code": indicator_code,
        "value": "" if value is None else str(value), "expected": expected, "message": message,
    }


def issues_frame(records: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records, columns=ISSUE_COLUMNS)
    return frame.astype({"row": "Int64"})


def _expected(row: pd.Series) -> str:
    kind = row["kind"]
    if kind == "count":
        return "a whole number ≥ 0"
    if kind == "category":
        legend = parse_legend(row["legend"])
        return "one of " + ", ".join(f"{k} ({v})" for k, v in legend.items())
    if kind == "percent":
        hi = row["max_value"]
        return "a percentage between 0 and 100" if hi == hi else "a percentage ≥ 0"
    if kind == "money":
        return "an amount in đồng ≥ 0"
    if kind == "score":
        return "a score ≥ 0"
    return "text"


def coerce_values(raw: pd.DataFrame, catalogue: Catalogue) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Turn raw value texts into typed values, checking kind and range.

    ``raw`` has at least ``indicator_code``, ``raw_value``, ``source_file``,
    ``source_row``.  Returns ``(values, issues)``: ``values`` gains ``value``
    (float, for numeric kinds), ``value_text`` (text kind) and ``unit``; rows
    that fail are left out of ``values`` and reported in ``issues``.  A blank
    raw value is dropped without complaint: blank is not zero.
    """
    records, keep, numbers, texts, units = [], [], [], [], []
    for row in raw.itertuples(index=False):
        text = "" if row.raw_value is None else str(row.raw_value).strip()
        where = {"file": row.source_file, "row": row.source_row, "indicator_code": row.indicator_code, "value": text}
        if row.indicator_code not in catalogue:
            records.append(issue("unknown indicator code", expected="a code of the indicator catalogue (cchc catalogue)", **where))
            keep.append(False); numbers.append(None); texts.append(None); units.append("")
            continue
        cat = catalogue.get(row.indicator_code)
        units.append(cat["unit"] if cat["kind"] != "category" else "")
        if text == "":
            keep.append(False); numbers.append(None); texts.append(None)
            continue
        if cat["kind"] == "heading":
            records.append(issue("a heading row takes no value", expected="a blank cell", **where))
            keep.append(False); numbers.append(None); texts.append(None)
            continue
        if cat["kind"] == "text":
            keep.append(True); numbers.append(None); texts.append(text)
            continue
        try:
            number = parse_decimal(text)
        except NumberFormatError:
            records.append(issue("not a number", expected=_expected(cat), **where))
            keep.append(False); numbers.append(None); texts.append(None)
            continue
        problem = _range_problem(number, cat)
        if problem:
            records.append(issue(problem, expected=_expected(cat), **where))
            keep.append(False); numbers.append(None); texts.append(None)
            continue
        keep.append(True); numbers.append(float(number)); texts.append(None)
    typed = raw.assign(value=numbers, value_text=texts, unit=units)
    values = typed.loc[keep].reset_index(drop=True)
    values = values.astype({"value": "float64"})
    return values, issues_frame(records)


def _range_problem(number, cat: pd.Series) -> str | None:
    kind = cat["kind"]
    if kind in ("count", "category") and number != number.to_integral_value():
        return "not a whole number"
    lo, hi = cat["min_value"], cat["max_value"]
    if lo == lo and number < lo:
        return f"below the minimum {lo:g}"
    if hi == hi and number > hi:
        return f"above the maximum {hi:g}"
    if kind == "category" and int(number) not in parse_legend(cat["legend"]):
        return "not a code of the legend"
    return None


#: Pairs (smaller, larger, message): a value of the first above the second is contradictory.
CROSS_CHECKS = [
    ("4.2.2", "4.2.1", "staff present ({a:g}) above the quota ({b:g})"),
    ("1.3.2", "1.3.1", "assigned tasks done on time ({a:g}) above tasks assigned ({b:g})"),
    ("1.1.2", "1.1.1", "plan tasks done ({a:g}) above plan tasks set ({b:g})"),
    ("S.HS.DUNG_HEN", "S.HS.DA_GIAI_QUYET", "dossiers resolved on time ({a:g}) above dossiers resolved ({b:g})"),
    ("S.HS.QUA_HAN", "S.HS.DA_GIAI_QUYET", "dossiers resolved late ({a:g}) above dossiers resolved ({b:g})"),
    ("S.HS.DANG_QUA_HAN", "S.HS.DANG_GIAI_QUYET", "dossiers in progress past due ({a:g}) above dossiers in progress ({b:g})"),
    ("3.2.2", "3.1.3.c", "level 3–4 TTHC on the portal ({a:g}) above commune TTHC in force ({b:g})"),
    ("7.1.8.1", "3.1.3.c", "level 3 online TTHC ({a:g}) above commune TTHC in force ({b:g})"),
    ("7.2.5.1", "S.HS.DA_GIAI_QUYET", "dossiers handled by the ISO procedure ({a:g}) above dossiers resolved ({b:g})"),
    ("S.NS.THU_TAI_XA", "S.NS.THU", "revenue collected at the commune ({a:g}) above total revenue ({b:g})"),
]


def cross_checks(values: pd.DataFrame) -> pd.DataFrame:
    """Warnings for figures that contradict each other within one commune and period.

    These are reported, never corrected: the figures stay as submitted.
    """
    records = []
    for (commune, period), group in values.groupby(["commune_code", "period"], sort=True):
        by_code = group.drop_duplicates("indicator_code", keep="last").set_index("indicator_code")
        for small, large, template in CROSS_CHECKS:
            if small in by_code.index and large in by_code.index:
                a, b = by_code.at[small, "value"], by_code.at[large, "value"]
                if a == a and b == b and a > b:
                    src = by_code.loc[small]
                    records.append(issue(
                        f"{commune} {period}: " + template.format(a=a, b=b), severity="warning",
                        file=src["source_file"], row=src["source_row"], indicator_code=small, value=f"{a:g}",
                        expected=f"at most {large} = {b:g}",
                    ))
        if {"S.HS.TRUOC_HAN", "S.HS.DUNG_HAN", "S.HS.DUNG_HEN"} <= set(by_code.index):
            early, on_time, both = (by_code.at[c, "value"] for c in ("S.HS.TRUOC_HAN", "S.HS.DUNG_HAN", "S.HS.DUNG_HEN"))
            if early + on_time != both:
                src = by_code.loc["S.HS.DUNG_HEN"]
                records.append(issue(
                    f"{commune} {period}: early ({early:g}) + on time ({on_time:g}) ≠ early or on time ({both:g})",
                    severity="warning", file=src["source_file"], row=src["source_row"],
                    indicator_code="S.HS.DUNG_HEN", value=f"{both:g}", expected=f"{early + on_time:g}",
                ))
    return issues_frame(records)

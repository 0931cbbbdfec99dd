"""Validation of extracted values: kinds, ranges, legends and cross-indicator checks.

Functions take frames and return new frames; every problem becomes a row of
an *issues* frame with the columns of :data:`ISSUE_COLUMNS`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..domain.catalogue import Catalogue, parse_legend
from ..domain.numbers import NumberFormatError, UnitOnlyError, parse_decimal
from ..domain.words import load_words
from ..errors import WordsError

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


#: Largest plausible figure of each kind: a commune counting 10^13 dossiers is a typing or unit error.
PLAUSIBLE_MAX = {"count": 1e12, "category": 1e12, "percent": 1e6, "score": 1e6, "money": 1e15}
_FRACTION_MARK = (",", ".")


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
            records.append(issue("unknown indicator code",
                                 expected="a code of the indicator catalogue (cchc catalogue)",
                                 **where))
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
        except UnitOnlyError:
            records.append(issue("no number, only a unit (unit and value columns swapped?)",
                                 expected=_expected(cat) + " in the value column "
                                 f"(unit {cat['unit']!r} in its own column)",
                                 **where))
            keep.append(False); numbers.append(None); texts.append(None)
            continue
        except NumberFormatError:
            records.append(issue("not a number", expected=_expected(cat), **where))
            keep.append(False); numbers.append(None); texts.append(None)
            continue
        problem = _range_problem(number, cat)
        if problem:
            limit = PLAUSIBLE_MAX.get(cat["kind"])
            most = f" up to 10^{len(str(int(limit))) - 1}" if problem.startswith("implausibly") else ""
            records.append(issue(problem, expected=_expected(cat) + most, **where))
            keep.append(False); numbers.append(None); texts.append(None)
            continue
        fraction = any(m in text for m in _FRACTION_MARK) and "%" not in text  # "0,5", not "0,5 %"
        if cat["kind"] == "percent" and 0 < number < 1 and fraction:
            whole = _vn(float(number) * 100)
            records.append(issue(f"percentage {text} is below 1 %: is this {whole} % or {text} %?",
                                 severity="warning", expected="the percentage as a number from 0 to 100 "
                                 f"(stored as written; correct the file if {whole} % was meant)", **where))
        keep.append(True); numbers.append(float(number)); texts.append(None)
    typed = raw.assign(value=numbers, value_text=texts, unit=units)
    values = typed.loc[keep].reset_index(drop=True)
    values = values.astype({"value": "float64"})
    return values, issues_frame(records)


def _range_problem(number, cat: pd.Series) -> str | None:
    kind = cat["kind"]
    limit = PLAUSIBLE_MAX.get(kind)
    if limit is not None and abs(number) > limit:
        return f"implausibly large: above 10^{len(str(int(limit))) - 1} for a {kind} (a typing or unit error?)"
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


#: The cross-checks: pairs of figures where the first must not be above the second, with their messages.
CHECKS_FILE = Path(__file__).with_name("checks.yaml")
_PAIR_FIELDS = {"smaller", "larger", "en", "vi"}


def cross_check_pairs() -> list[tuple[str, str, str, str]]:
    """``(smaller, larger, English message, Vietnamese message)`` of each check of ``checks.yaml``, in order."""
    pairs = load_words(CHECKS_FILE).groups("pairs")
    for name, pair in pairs.items():
        if pair.keys() != _PAIR_FIELDS:
            raise WordsError(f"{CHECKS_FILE.name}: pairs.{name} needs exactly {', '.join(sorted(_PAIR_FIELDS))}")
    return [(p["smaller"], p["larger"], p["en"], p["vi"]) for p in pairs.values()]


def contradictions(values: pd.DataFrame) -> pd.DataFrame:
    """Pairs of figures that contradict each other, one row per hit.

    Columns: ``commune_code, commune_key, period, indicator_code, other_code, value, other_value,
    message, message_vi, source_file, source_row``.
    """
    keys = ["commune_code", "commune_key", "period"] if "commune_key" in values else ["commune_code", "period"]
    rows = values.drop_duplicates(keys + ["indicator_code"], keep="last")
    wide = rows.pivot(index=keys, columns="indicator_code", values="value")
    src = rows.set_index(keys + ["indicator_code"])[["source_file", "source_row"]]
    out = []
    for small, large, en, vi in cross_check_pairs():
        if small in wide and large in wide:
            hit = wide.loc[wide[small] > wide[large], [small, large]]
            for idx, (a, b) in hit.iterrows():
                idx = idx if isinstance(idx, tuple) else (idx,)
                file, row = src.loc[idx + (small,)]
                out.append(dict(zip(keys, idx)) | {
                    "indicator_code": small, "other_code": large, "value": a, "other_value": b,
                    "message": en.format(a=f"{a:g}", b=f"{b:g}"), "message_vi": vi.format(a=_vn(a), b=_vn(b)),
                    "source_file": file, "source_row": row})
    parts = ["S.HS.TRUOC_HAN", "S.HS.DUNG_HAN", "S.HS.DUNG_HEN"]
    say = load_words(CHECKS_FILE)
    if all(c in wide for c in parts):
        total = wide[parts[0]] + wide[parts[1]]
        hit = wide.loc[total.notna() & wide[parts[2]].notna() & (total != wide[parts[2]])]
        for idx, r in hit.iterrows():
            idx = idx if isinstance(idx, tuple) else (idx,)
            file, row = src.loc[idx + (parts[2],)]
            early, on_time, both = r[parts[0]], r[parts[1]], r[parts[2]]
            out.append(dict(zip(keys, idx)) | {
                "indicator_code": parts[2], "other_code": f"{parts[0]}+{parts[1]}", "value": both,
                "other_value": early + on_time,
                "message": say("early_plus_on_time.en", early=f"{early:g}", on_time=f"{on_time:g}", both=f"{both:g}"),
                "message_vi": say("early_plus_on_time.vi", early=_vn(early), on_time=_vn(on_time), both=_vn(both)),
                "source_file": file, "source_row": row})
    cols = keys + ["indicator_code", "other_code", "value", "other_value", "message", "message_vi",
                   "source_file", "source_row"]
    return pd.DataFrame(out, columns=cols)


def _vn(x: float) -> str:
    from ..domain.formatting import format_number

    return format_number(x)


def cross_checks(values: pd.DataFrame) -> pd.DataFrame:
    """Warnings for figures that contradict each other within one commune and period.

    These are reported, never corrected: the figures stay as submitted.
    """
    hits = contradictions(values)
    records = [
        issue(f"{r.commune_code} {r.period}: {r.message}", severity="warning", file=r.source_file, row=r.source_row,
              indicator_code=r.indicator_code, value=f"{r.value:g}",
              expected=f"at most {r.other_code} = {r.other_value:g}")
        for r in hits.itertuples()
    ]
    return issues_frame(records)


def duplicate_values(values: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One indicator written twice in one submission (commune, period, file).

    The same value twice is kept once, with a warning.  Two different values are an error naming both rows and
    both values, and *neither* is stored: the pipeline does not guess which one the commune meant.
    ``values`` has ``commune_code, period, indicator_code, value, value_text, raw_value, source_file,
    source_row``; returns ``(values kept, issues)``.
    """
    keys = ["commune_code", "period", "indicator_code"]
    if values.empty:
        return values, issues_frame([])
    dup = values.duplicated(keys, keep=False)
    if not dup.any():
        return values, issues_frame([])
    records, drop = [], []
    for (commune, period, code), group in values.loc[dup].groupby(keys, sort=False):
        shown = [str(v) for v in group["raw_value"]]
        rows = [int(r) for r in group["source_row"]]
        listed = ", ".join(f"{v!r} (row {r})" for v, r in zip(shown, rows))
        last = group.iloc[-1]
        same = group[["value", "value_text"]].astype(str).nunique().max() == 1
        where = {"file": last["source_file"], "row": rows[-1], "indicator_code": code, "value": shown[-1]}
        if same:
            records.append(issue(f"duplicate row: {commune} {period} {code} written {len(group)} times with the same "
                                 f"value, {listed}; stored once (row {rows[0]})", severity="warning",
                                 expected="one row per commune, period and indicator", **where))
            drop += list(group.index[1:])
        else:
            records.append(issue(f"duplicate row: {commune} {period} {code} has {len(group)} different values in one "
                                 f"submission, {listed}; none of them is stored",
                                 expected="one value per commune, period and indicator (delete the wrong row)",
                                 **where))
            drop += list(group.index)
    return values.drop(index=drop).reset_index(drop=True), issues_frame(records)


def shrinking_submission(*, commune: str, period: str, new_file: str, new_count: int, old_file: str,
                         old_count: int, ratio: float = 0.5) -> dict | None:
    """A warning when a submission replacing another carries far fewer values (fewer than ``ratio`` of them).

    >>> shrinking_submission(commune="18217", period="2021-Q3", new_file="fix.csv", new_count=1,
    ...                      old_file="full.xlsx", old_count=52)["severity"]
    'warning'
    """
    if old_count <= 0 or new_count >= ratio * old_count:
        return None
    return issue(f"{commune} {period}: this submission carries {new_count} value(s) and replaces {old_file!r}, "
                 f"which carries {old_count}; the {old_count - new_count} value(s) not in {new_file!r} will no longer "
                 "be current", file=new_file, severity="warning", value=str(new_count),
                 expected=f"a full submission (about {old_count} values), or a correction meant to replace all of "
                          f"{old_file!r}")


def future_period_problem(period: str, *, today) -> str | None:
    """Why a period cannot be reported yet (it starts after ``today``), or ``None``."""
    from ..domain.periods import Period

    p = Period.parse(period)
    if p.start > today:
        return (f"period {p.id} starts on {p.start:%d/%m/%Y}, after today ({today:%d/%m/%Y}): no report can cover "
                "a period that has not begun (a mistyped year?)")
    return None

"""Findings: the problems a report should raise, each with a sentence for "Tồn tại hạn chế".

Pure functions of the metrics table (and of the stored values for the checks that need them).
Columns: ``severity`` (cao / trung bình / thấp), ``commune_code``, ``commune_key``, ``period``,
``metric``, ``finding`` (a stable code), ``value``, ``expected``, ``message`` (Vietnamese), ``audience``
(``report``: the commune's report prints it under "Tồn tại, hạn chế"; ``checklist``: only the analyst's
checklist lists it), by kind of finding (``findings.yaml``, ``audience``).

A blank is never a finding: a rule fires on reported figures only.  A target counts only where one applies
to the period (``targets.yaml``: its validity and kind); a check of the project's own (``kiem_tra``) is
judged by the rules below, never reported as a missed chỉ tiêu.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..domain.formatting import format_number, format_percent
from ..domain.periods import Period
from ..domain.words import load_words
from ..errors import WordsError
from ..ingest.validate import contradictions

FINDING_COLUMNS = ["severity", "commune_code", "commune_key", "period", "metric", "finding", "value", "expected",
                   "message", "audience"]
AUDIENCES = ("report", "checklist")
HIGH, MEDIUM, LOW = "cao", "trung bình", "thấp"
_POSTAL = ["7.1.9.1", "7.1.9.2", "7.1.9.3"]
_TOLERANCE = {"percent": 0.01, "count": 0.0, "money": 0.0, "score": 0.01}
#: The sentence of each kind of finding.
WORDS_FILE = Path(__file__).with_name("findings.yaml")


def words(key: str, /, **params: object) -> str:
    """The sentence ``key`` of ``findings.yaml`` with its parameters filled in."""
    return load_words(WORDS_FILE)(key, **params)


def audience() -> dict[str, str]:
    """Who reads each kind of finding: ``{"target_missed": "report", "staff_above_quota": "checklist", …}``."""
    out = load_words(WORDS_FILE).section("audience")
    bad = {k: v for k, v in out.items() if v not in AUDIENCES}
    if bad:
        raise WordsError(f"{WORDS_FILE.name}: audience must be one of {AUDIENCES}: {bad}")
    return out


def _rows(frame: pd.DataFrame, **fixed) -> list[dict]:
    return [{**{c: r.get(c) for c in FINDING_COLUMNS if c in r}, **fixed} for r in frame.to_dict("records")]


def find_problems(metrics: pd.DataFrame, values: pd.DataFrame) -> pd.DataFrame:
    """Every finding for every commune and period in ``metrics``."""
    out: list[dict] = []
    m = metrics
    wide = m.pivot_table(index=["commune_code", "commune_key", "period"], columns="metric", values="value",
                         aggfunc="first")

    # Targets missed: a target that applies to the period (its validity), not a check of the project's own.
    missed = m.loc[m["target_met"].eq(False) & m["target_kind"].isin(["chi_tieu", "lo_trinh"])]
    quoted = _quoted_targets()
    for r in missed.to_dict("records"):
        text = quoted.get((r["metric"], r["target_source"]), "")
        out.append({**_base(r), "severity": MEDIUM, "finding": "target_missed", "value": r["value"],
                    "expected": f"{r['target_op']} {r['target']:g}",
                    "message": words("target_missed", label=r["label"], period=_period(r["period"]),
                                     value=format_percent(r["value"]), target=format_percent(r["target"]),
                                     what=words(f"target_what.{r['target_kind']}"),
                                     reference=words("target_reference", text=text) if text else "")})

    # Plan tasks not all done.
    plan = m.loc[(m["metric"] == "R.KH.HOAN_THANH") & m["value"].lt(100)]
    for r in plan.to_dict("records"):
        out.append({**_base(r), "severity": LOW, "finding": "plan_incomplete", "value": r["value"],
                    "expected": ">= 100",
                    "message": words("plan_incomplete", done=format_number(r["numerator"]), year=r["period"][:4],
                                     planned=format_number(r["denominator"]), rate=format_percent(r["value"]))})

    # Assigned tasks late (with those done late, where reported, as the cause).
    late = m.loc[(m["metric"] == "R.NV.DUNG_HAN") & m["value"].lt(100)]
    done_late = wide["1.3.3"] if "1.3.3" in wide else pd.Series(dtype=float)
    for r in late.to_dict("records"):
        n_late = done_late.get((r["commune_code"], r["commune_key"], r["period"]))
        cause = words("tasks_late_cause", late=format_number(n_late)) if n_late is not None and n_late > 0 else ""
        out.append({**_base(r), "severity": MEDIUM, "finding": "tasks_late", "value": r["value"], "expected": ">= 100",
                    "message": words("tasks_late", assigned=format_number(r["denominator"]),
                                     on_time=format_number(r["numerator"]), cause=cause)})

    # Staff above quota.
    staff = m.loc[(m["metric"] == "R.BC.CO_MAT") & m["value"].gt(100)]
    for r in staff.to_dict("records"):
        out.append({**_base(r), "severity": MEDIUM, "finding": "staff_above_quota", "value": r["numerator"],
                    "expected": f"<= {r['denominator']:g}",
                    "message": words("staff_above_quota", present=format_number(r["numerator"]),
                                     quota=format_number(r["denominator"]))})

    # Overdue dossiers.
    for code, what in load_words(WORDS_FILE).section("overdue").items():
        if code in wide:
            hit = wide[code].loc[lambda s: s > 0]
            for (commune, key, period), value in hit.items():
                out.append({"commune_code": commune, "commune_key": key, "period": period, "metric": code,
                            "severity": HIGH, "finding": "overdue_dossiers", "value": value, "expected": "0",
                            "message": words("overdue_dossiers", count=format_number(value), what=what,
                                             period=_period(period))})

    # Postal public service (7.1.9) not in use: a quarter that reports 7.1.9.x, all of them 0.  A quarter
    # that leaves them blank has said nothing (blank is not zero): no finding.
    postal = values.loc[values["period"].str.contains("-Q") & values["indicator_code"].isin(_POSTAL)
                        & values["value"].notna()]
    for (code, key, period), rows in postal.groupby(["commune_code", "commune_key", "period"]):
        if not (rows["value"] > 0).any():
            out.append({"commune_code": code, "commune_key": key, "period": period, "metric": "7.1.9",
                        "severity": MEDIUM, "finding": "postal_not_used", "value": 0.0,
                        "expected": "7.1.9.x > 0", "message": words("postal_not_used")})

    # Figures that contradict each other (staff above quota has its own finding above).
    hits = contradictions(values)
    for r in hits.loc[hits["indicator_code"] != "4.2.2"].to_dict("records"):
        out.append({**_base(r), "metric": r["indicator_code"], "severity": HIGH, "finding": "contradiction",
                    "value": r["value"], "expected": f"<= {r['other_code']} = {r['other_value']:g}",
                    "message": words("contradiction", period=_period(r["period"]), check=r["message_vi"])})

    # A reported total that disagrees with its reported parts (ratios.yaml, sums).
    from .compute import sum_mismatches

    for r in sum_mismatches(values).to_dict("records"):
        out.append({**_base(r), "metric": r["indicator_code"], "severity": MEDIUM, "finding": "parts_mismatch",
                    "value": r["value"], "expected": f"= {r['parts']} = {format_number(r['parts_sum'])}",
                    "message": words("parts_mismatch", period=_period(r["period"]), code=r["indicator_code"],
                                     value=format_number(r["value"]), parts=r["parts"],
                                     parts_sum=format_number(r["parts_sum"]))})

    # Reported cumulative that does not match the quarters.
    cum = m.loc[m["reported_cumulative"].notna() & m["cumulative_value"].notna()]
    tol = pd.to_numeric(cum["kind"].map(_TOLERANCE), errors="coerce").fillna(0.01)
    bad = cum.loc[(cum["reported_cumulative"] - cum["cumulative_value"]).abs() > tol + 1e-9]
    for r in bad.to_dict("records"):
        out.append({**_base(r), "severity": MEDIUM, "finding": "cumulative_mismatch", "value": r["reported_cumulative"],
                    "expected": format_number(r["cumulative_value"]),
                    "message": words("cumulative_mismatch", code=r["metric"],
                                     reported=format_number(r["reported_cumulative"]),
                                     computed=format_number(r["cumulative_value"]))})
    return _frame(out)


def aggregate_mismatches(base: pd.DataFrame) -> pd.DataFrame:
    """Reported 6M/9M/Y figures that differ from the ones computed from the quarters."""
    both = base.loc[base["origin"].eq("reported") & base["computed_value"].notna()]
    bad = both.loc[(both["value"] - both["computed_value"]).abs() > 0.005]
    out = [{"commune_code": r["commune_code"], "commune_key": r["commune_key"], "period": r["period"],
            "metric": r["indicator_code"], "severity": MEDIUM, "finding": "aggregate_mismatch", "value": r["value"],
            "expected": format_number(r["computed_value"]),
            "message": words("aggregate_mismatch", period=_period(r["period"]), code=r["indicator_code"],
                             value=format_number(r["value"]), computed=format_number(r["computed_value"]))}
           for r in bad.to_dict("records")]
    return _frame(out)


def _quoted_targets() -> dict[tuple[str, str], str]:
    """The legal wording of the targets that quote it (``text`` in targets.yaml), by metric and source."""
    from .compute import load_targets

    t = load_targets()
    return {(r.metric, r.source): r.text for r in t.itertuples() if r.text}


def _base(r: dict) -> dict:
    return {"commune_code": r["commune_code"], "commune_key": r["commune_key"], "period": r["period"],
            "metric": r.get("metric")}


def _period(period: str) -> str:
    return Period.parse(period).label_vi


def _frame(rows: list[dict]) -> pd.DataFrame:
    who = audience()
    unknown = {r["finding"] for r in rows} - set(who)
    if unknown:
        raise WordsError(f"{WORDS_FILE.name}: no audience for the findings {sorted(unknown)} (report or checklist)")
    frame = pd.DataFrame([{**r, "audience": who[r["finding"]]} for r in rows], columns=FINDING_COLUMNS)
    order = {HIGH: 0, MEDIUM: 1, LOW: 2}
    frame = frame.assign(value=pd.to_numeric(frame["value"], errors="coerce"), expected=frame["expected"].astype(str))
    return frame.sort_values(["period", "commune_code", "severity", "finding"],
                             key=lambda s: s.map(order) if s.name == "severity" else s,
                             kind="stable").reset_index(drop=True)

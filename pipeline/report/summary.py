"""The compiling office's report of its area (``notebooks/summary_report.ipynb``): its communes' figures together.

Before 1/7/2025 the district's Phòng Nội vụ reports on the communes of its huyện, after it the province's Sở Nội vụ
on those of its tỉnh (the issuer, signer and Nơi nhận: ``office*`` in ``catalogue/provinces.yaml``).  The report,
in the Nghị định 30 form of the commune report (its header and closing templates and CSS):

- part I, the area's totals of the key figures by rule (counts summed over the communes that reported them; ratios
  recomputed from the summed numerators and denominators of the communes that gave both, never averaged), beside
  the previous period's and the same period last year's, computed the same way over the units of those periods;
- the communes side by side on the key figures with their ranks (blank stays blank and is not ranked);
- the communes below a target that applies in the period, and by how many percentage points;
- the problems the communes' checks found, by kind (how many communes, which);
- who has not reported and who reported late (:func:`pipeline.metrics.submissions.submission_status`);
- the charts: the on-time rate per commune, sorted, with the target line where one applies, and the area's trend.

The functions below are pure over the frames of :class:`SummaryData`; :func:`load` reads them through the
declaration :data:`pipeline.report.inputs.SUMMARY_REPORT` (the batch's hash follows the same declaration).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import numpy as np
import pandas as pd
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ..config import TEMPLATES_DIR, DataPaths
from ..domain.areas import Area, area_units, settings
from ..domain.catalogue import load_catalogue
from ..domain.communes import Commune, Registry, load_registry
from ..domain.formatting import format_number, format_percent
from ..domain.periods import Period, last_quarters
from ..errors import NoDataError, UnknownCommuneError
from ..metrics.area import area_totals
from ..metrics.compute import PREDECESSORS, key_ratios, load_ratios
from . import charts
from .content import Html, draft_date, metric_label, next_phrase, province_place
from .words import has, words

#: The key figures of part I, in order: counts (summed) and the ratios recomputed from them.
KEY_FIGURES = ("S.HS.NHAN_MOI", "S.HS.DA_GIAI_QUYET", "S.HS.DUNG_HEN", "R.HS.DUNG_HEN", "3.2.2", "R.DVC.MUC_3_4",
               "1.1.1", "1.1.2", "R.KH.HOAN_THANH", "S.NS.THU", "R.NS.DU_TOAN")
#: The ratio the comparison chart and the trend show.
ON_TIME = "R.HS.DUNG_HEN"
#: The dossiers the trend shows beside the on-time rate.
RECEIVED, RESOLVED = "S.HS.NHAN_MOI", "S.HS.DA_GIAI_QUYET"
#: Quarters of the area's trend.
TREND_QUARTERS = 8


@dataclass
class SummaryData:
    """Everything one area's summary report for one period is made of."""

    area: Area
    period: Period
    metrics: pd.DataFrame  # the area's units (each under its own identity) over the periods read
    findings: pd.DataFrame  # the area's units, the period
    status: pd.DataFrame  # submission_status of the area's units in the period
    deadline: date
    units: dict[str, tuple[Commune, ...]] = field(default_factory=dict)  # the area's units by period id read

    @property
    def names(self) -> dict[str, str]:
        return {u.key: u.full_name for us in self.units.values() for u in us}


# --------------------------------------------------------------------------- loading
def area_periods(period: Period) -> tuple[str, ...]:
    """The periods the summary reads: the period, the previous one, the same one last year and the trend's
    quarters."""
    shown = {p.id for p in last_quarters(period, TREND_QUARTERS)}
    return tuple(sorted(shown | {period.id, period.previous().id, period.same_period_last_year().id}))


def units_by_period(registry: Registry, area: Area, periods: tuple[str, ...]) -> dict[str, tuple[Commune, ...]]:
    """The area's units in each period (a period in which the area has none, e.g. a district after 1/7/2025: none)."""
    out = {}
    for pid in periods:
        try:
            out[pid] = area_units(registry, area.code, pid).units
        except UnknownCommuneError:
            out[pid] = ()
    return out


def load(*, area: str | Area, period: str | Period, data: DataPaths) -> SummaryData:
    """Read what the summary of ``area`` (a district code before 1/7/2025, a province code) for ``period`` needs:
    the slices :data:`pipeline.report.inputs.SUMMARY_REPORT` declares, and the submissions' status."""
    from ..metrics.compute import run_metrics
    from ..metrics.submissions import area_status
    from ..store import Store
    from .content import _read
    from .inputs import SUMMARY_REPORT

    p = Period.parse(period)
    registry = load_registry(data)
    a = area if isinstance(area, Area) else area_units(registry, area, p)
    store = Store(data)
    if not store.path("metrics").exists():
        run_metrics(data)
    tables = {name: _read(store, name, periods=SUMMARY_REPORT.periods_read(name, p)) for name in SUMMARY_REPORT.tables}
    read = SUMMARY_REPORT.select_area(tables, a, p, registry)
    if read["metrics"].loc[read["metrics"]["period"] == p.id].empty:
        raise NoDataError(f"no data for {a.level} {a.name} ({a.code}) in {p.id}: none of its {len(a.units)} units "
                          "has figures stored for the period (ingest their reports first)")
    info, status = area_status(data, p, area=a)
    return SummaryData(area=a, period=p, metrics=read["metrics"], findings=read["findings"], status=status,
                       deadline=info["deadline"], units=units_by_period(registry, a, area_periods(p)))


# --------------------------------------------------------------------------- figures
def area_figures(metrics: pd.DataFrame, units: tuple[Commune, ...] | list[Commune], period: str | Period, *,
                 codes: tuple[str, ...] = KEY_FIGURES) -> pd.DataFrame:
    """The area's total of each of ``codes`` in ``period`` over ``units``, one row each (in order).

    A Phụ lục 2B or report-text figure by its catalogue rule (:func:`pipeline.metrics.area.area_totals`: counts
    summed over the communes that reported them, blank when none did); a ratio (``R.``) recomputed as
    100 × Σ numerator / Σ denominator over the communes that gave both (a zero sum leaves it blank).  Columns
    ``code``, ``value``, ``numerator``, ``denominator``, ``communes`` (how many communes it covers), ``unit``.
    Each unit counts once, under its own identity (figures combined from predecessors are left out).
    """
    p = Period.parse(period)
    keys = {u.key for u in units}
    m = metrics.loc[(metrics["period"] == p.id) & metrics["commune_key"].isin(keys)]
    if "origin" in m:
        m = m.loc[m["origin"] != PREDECESSORS]
    catalogue = load_catalogue()
    table = catalogue.for_period(p)
    values = m.loc[m["metric"].isin(table.table["code"])].rename(columns={"metric": "indicator_code"})
    totals = area_totals(values, list(units), p, catalogue).set_index("code")
    ratios = {r.code: r for r in load_ratios()}
    rows = []
    for code in codes:
        if code in ratios:
            r = m.loc[(m["metric"] == code) & m["numerator"].notna() & m["denominator"].notna()]
            num, den = (float(r["numerator"].sum()), float(r["denominator"].sum())) if len(r) else (np.nan, np.nan)
            value = 100 * num / den if len(r) and den else np.nan
            rows.append({"code": code, "value": value, "numerator": num, "denominator": den, "communes": len(r),
                         "unit": "%"})
        elif code in totals.index:
            t = totals.loc[code]
            rows.append({"code": code, "value": t["total"], "numerator": np.nan, "denominator": np.nan,
                         "communes": int(t["communes"]), "unit": str(table.get(code)["unit"])})
        else:  # not in the catalogue version of the period
            rows.append({"code": code, "value": np.nan, "numerator": np.nan, "denominator": np.nan, "communes": 0,
                         "unit": ""})
    return pd.DataFrame(rows, columns=["code", "value", "numerator", "denominator", "communes", "unit"])


def _fmt(value: float, unit: str) -> str:
    if pd.isna(value):
        return ""
    return format_percent(value, decimals=2) if unit == "%" else format_number(value)


def _change(now: float, before: float, unit: str) -> str:
    """"tăng 3,5 điểm phần trăm", "giảm 12", "không đổi", or "" when either is blank."""
    if pd.isna(now) or pd.isna(before):
        return ""
    diff = now - before
    if abs(diff) < 1e-9:
        return words("summary.change.same")
    what = words("summary.change.points") if unit == "%" else ""
    key = "summary.change.up" if diff > 0 else "summary.change.down"
    return words(key, amount=format_number(abs(diff), max_decimals=2), unit=what).rstrip()


def totals_rows(sd: SummaryData) -> list[dict]:
    """Part I's table: each key figure's total in the period, the previous period and the same period last year
    (each over the area's units of that period), and the changes (ratios in percentage points)."""
    p = sd.period
    now = area_figures(sd.metrics, sd.units.get(p.id, sd.area.units), p).set_index("code")
    prev_p, year_p = p.previous(), p.same_period_last_year()
    prev = area_figures(sd.metrics, sd.units.get(prev_p.id, ()), prev_p).set_index("code")
    year = area_figures(sd.metrics, sd.units.get(year_p.id, ()), year_p).set_index("code")
    rows = []
    for code in KEY_FIGURES:
        unit = now.at[code, "unit"] or prev.at[code, "unit"]
        v, pv, yv = now.at[code, "value"], prev.at[code, "value"], year.at[code, "value"]
        parts = ""
        if unit == "%" and not pd.isna(v):
            parts = words("summary.totals.parts", numerator=format_number(now.at[code, "numerator"]),
                          denominator=format_number(now.at[code, "denominator"]))
        rows.append({"code": code, "label": metric_label(code, p, _ratio_label(code)), "unit": unit,
                     "value": _fmt(v, unit), "parts": parts, "communes": int(now.at[code, "communes"]),
                     "previous": _fmt(pv, unit), "previous_change": _change(v, pv, unit),
                     "year_ago": _fmt(yv, unit), "year_change": _change(v, yv, unit)})
    return rows


def _ratio_label(code: str) -> str:
    return next((r.label for r in load_ratios() if r.code == code), code)


def totals_sentences(sd: SummaryData) -> list[str]:
    """The office's sentences on the area's dossiers (the on-time rate with its parts)."""
    p = sd.period
    units = sd.units.get(p.id, sd.area.units)
    f = area_figures(sd.metrics, units, p).set_index("code")
    out = []
    if not pd.isna(f.at[RECEIVED, "value"]):
        out.append(words("summary.totals.dossiers", period=p.label_vi, communes=int(f.at[RECEIVED, "communes"]),
                         units=len(units), received=format_number(f.at[RECEIVED, "value"]),
                         resolved=_fmt(f.at[RESOLVED, "value"], "")))
    if not pd.isna(f.at[ON_TIME, "value"]):
        out.append(words("summary.totals.on_time", on_time=format_number(f.at[ON_TIME, "numerator"]),
                         resolved=format_number(f.at[ON_TIME, "denominator"]),
                         rate=format_percent(f.at[ON_TIME, "value"], decimals=2),
                         communes=int(f.at[ON_TIME, "communes"])))
    return out


def commune_rows(sd: SummaryData) -> list[dict]:
    """The table of the communes (every unit of the area in the period, by code): dossiers received and each key
    ratio with its rank among the communes that have it (1 = best; ties share the best rank; blank: not ranked)."""
    p = sd.period
    units = sd.units.get(p.id, sd.area.units)
    m = sd.metrics.loc[sd.metrics["period"] == p.id]
    if "origin" in m:
        m = m.loc[m["origin"] != PREDECESSORS]
    value = m.set_index(["commune_key", "metric"])["value"]
    value = value[~value.index.duplicated()]
    ranks = {}
    for r in key_ratios():
        s = pd.Series({u.key: value.get((u.key, r.code), np.nan) for u in units}, dtype=float).dropna()
        if r.higher_is_better is not None and len(s):
            ranks[r.code] = (s.rank(method="min", ascending=not r.higher_is_better).astype(int), len(s))
    rows = []
    for u in units:
        cells = []
        for r in key_ratios():
            v = value.get((u.key, r.code), np.nan)
            rank, of = ranks.get(r.code, (pd.Series(dtype=int), 0))
            cells.append({"value": _fmt(v, "%"), "rank": f"{int(rank[u.key])}/{of}" if u.key in rank.index else ""})
        rows.append({"code": u.code, "name": u.full_name,
                     "received": _fmt(value.get((u.key, RECEIVED), np.nan), ""), "cells": cells})
    return rows


def ratio_heads(period: Period) -> list[str]:
    """The heads of the communes' table: each key ratio's short name (``summary.short_heads``), else its label."""
    keys = {r.code: f"summary.short_heads.{r.code}" for r in key_ratios()}  # codes hold dots: keys of several parts
    return [words(keys[r.code]) if has(keys[r.code]) else metric_label(r.code, period, r.label) for r in key_ratios()]


def below_target(sd: SummaryData) -> list[dict]:
    """The communes below each target that applies in the period (the metrics stage's ``target``, valid in the
    period only), by metric: the target, its kind, and each commune's value and gap (percentage points for a
    rate).  A metric without an applicable target is not listed."""
    p = sd.period
    keys = {u.key: u for u in sd.units.get(p.id, sd.area.units)}
    m = sd.metrics.loc[(sd.metrics["period"] == p.id) & sd.metrics["commune_key"].isin(keys)]
    if "origin" in m:
        m = m.loc[m["origin"] != PREDECESSORS]
    m = m.loc[m["target"].notna() & m["value"].notna() & m["target_met"].eq(False).fillna(False).astype(bool)]
    out = []
    for metric, rows in m.groupby("metric", sort=False):
        first = rows.iloc[0]
        unit = str(first["unit"]) if pd.notna(first["unit"]) else ""
        gap_word = words("summary.change.points") if unit == "%" else ""
        side = "over" if first["target_op"] == "<=" else "short"  # above a ceiling, or below a floor
        communes = [{"name": keys[r.commune_key].full_name, "value": _fmt(r.value, unit),
                     "gap": words(f"summary.gap.{side}", amount=format_number(abs(r.target_gap), max_decimals=2),
                                  unit=gap_word).strip()}
                    for r in rows.assign(_size=rows["target_gap"].abs()).sort_values("_size", ascending=False,
                                                                                      kind="stable").itertuples()]
        out.append({"metric": metric, "label": metric_label(metric, p, str(first["label"])),
                    "what": words(f"summary.target_kind.{first['target_kind']}"),
                    "target": _fmt(first["target"], unit), "source": str(first["target_source"] or ""),
                    "communes": communes})
    return out


def finding_groups(sd: SummaryData) -> list[dict]:
    """The problems the communes' checks found in the period (both audiences), by kind: how many communes and
    which, most communes first."""
    p = sd.period
    keys = {u.key: u for u in sd.units.get(p.id, sd.area.units)}
    f = sd.findings.loc[(sd.findings["period"] == p.id) & sd.findings["commune_key"].isin(keys)]
    out = []
    for kind, rows in f.groupby("finding", sort=False):
        communes = sorted({keys[k].code for k in rows["commune_key"]})
        names = [keys[k].full_name for k in dict.fromkeys(sorted(rows["commune_key"], key=lambda k: keys[k].code))]
        label = words(f"summary.finding_kinds.{kind}") if has(f"summary.finding_kinds.{kind}") else str(kind)
        out.append({"kind": kind, "label": label, "count": len(communes), "names": ", ".join(names)})
    return sorted(out, key=lambda g: -g["count"])


def submission_lists(sd: SummaryData) -> dict:
    """Who has not reported and who reported late (with the day judged and the days late), and the counts, as the
    report prints them."""
    from ..metrics.submissions import counts

    s = sd.status
    missing = s.loc[s["status"] == _status("missing")]
    late = s.loc[s["status"] == _status("late")]
    n = counts(s)
    late_lines = [words("summary.submissions.late_item", name=r.name,
                        date=pd.Timestamp(r.judged_on).strftime("%d/%m/%Y") if pd.notna(r.judged_on) else "",
                        days=int(r.days_late) if pd.notna(r.days_late) else "")
                  for r in late.itertuples()]
    return {"missing": list(missing["name"]), "late_names": list(late["name"]), "late": late_lines, "counts": n,
            "summary": words("summary.submissions.summary", deadline=sd.deadline.strftime("%d/%m/%Y"), **{
                k: n[k] for k in ("units", "sent", "on_time", "late", "missing")}),
            "sample_line": words("summary.submissions.sample", sample=n["sample"]) if n["sample"] else "",
            "missing_line": (words("summary.submissions.missing", names=", ".join(missing["name"]))
                             if len(missing) else words("summary.submissions.all_sent")),
            "late_head": words("summary.submissions.late")}


def _status(key: str) -> str:
    from ..metrics.findings import words as finding_words

    return finding_words(f"submission_status.{key}")


# --------------------------------------------------------------------------- charts
def on_time_by_commune(sd: SummaryData):
    """The sorted chart of the on-time rate per commune in the period, with the target line where one applies."""
    p = sd.period
    keys = {u.key for u in sd.units.get(p.id, sd.area.units)}
    m = sd.metrics.loc[(sd.metrics["period"] == p.id) & (sd.metrics["metric"] == ON_TIME)
                       & sd.metrics["commune_key"].isin(keys)]
    if "origin" in m:
        m = m.loc[m["origin"] != PREDECESSORS]
    target = m["target"].dropna()
    kind = m.loc[m["target"].notna(), "target_kind"]
    return charts.communes_sorted(m, sd.names, metric=ON_TIME, label=metric_label(ON_TIME, p, _ratio_label(ON_TIME)),
                                  period=p, target=float(target.iloc[0]) if len(target) else None,
                                  target_kind=str(kind.iloc[0]) if len(kind) else None)


def trend_frame(sd: SummaryData) -> pd.DataFrame:
    """The area's on-time rate (recomputed from summed parts) and dossiers received and resolved over the last
    quarters, one row per quarter (``period``, ``rate``, ``received``, ``resolved``; blank where none reported)."""
    rows = []
    for pid in [q.id for q in last_quarters(sd.period, TREND_QUARTERS)]:
        f = area_figures(sd.metrics, sd.units.get(pid, ()), pid, codes=(RECEIVED, RESOLVED, ON_TIME))
        f = f.set_index("code")["value"]
        rows.append({"period": pid, "rate": f[ON_TIME], "received": f[RECEIVED], "resolved": f[RESOLVED]})
    return pd.DataFrame(rows, columns=["period", "rate", "received", "resolved"])


def charts_parts(sd: SummaryData) -> list[dict]:
    out = []
    for fig in (on_time_by_commune(sd), charts.area_trend(trend_frame(sd), area=area_place(sd.area))):
        if fig is not None:
            out.append({"title": charts.title(fig), "uri": charts.to_data_uri(fig)})
    return out


# --------------------------------------------------------------------------- HTML
def area_place(area: Area) -> str:
    """"huyện Hương Sơn", "tỉnh Hà Tĩnh"."""
    if area.level == "district":
        return words("unit.district", name=area.name)
    return province_place(area.name)


def subject(sd: SummaryData) -> str:
    return words("summary.subject", period=sd.period.label_vi, area=area_place(sd.area))


def header_parts(sd: SummaryData) -> dict:
    s = settings(sd.period, sd.area.units[0].province_code)
    upper = area_place(sd.area).upper()
    line1, line2 = (x.replace("{AREA}", upper) for x in s.office)
    return dict(body_line1=line1, body_line2=line2, doc_number="", number_blank=words("summary.number_blank"),
                place=sd.area.name, date_text=draft_date(sd.deadline),
                issuing_body=f"{line1} - {line2}", subject=subject(sd), notice=_notice(sd),
                notice_label=words("notice.label"), draft_banner="", draft_legend_label="", draft_legend="")


def _notice(sd: SummaryData) -> str:
    synthetic = sd.metrics["synthetic"].fillna(False).astype(bool) if "synthetic" in sd.metrics else pd.Series()
    return words("summary.sample_notice") if bool(synthetic.any()) else ""


def closing_parts(sd: SummaryData) -> dict:
    s = settings(sd.period, sd.area.units[0].province_code)
    line1, line2 = (x.replace("{AREA}", area_place(sd.area).upper()) for x in s.office)
    signer = list(s.office_signer)
    return dict(recipients=list(s.office_recipients), committee=line2.capitalize(),
                own_closing=[words("summary.closing", period=sd.period.label_vi, area=area_place(sd.area),
                                   next=next_phrase(sd.period))],
                signer_role=signer[0], signer_title=signer[1] if len(signer) > 1 else "", signer_name="")


class _Rd:
    """What the commune report's header and closing templates read of their ``rd``."""

    def __init__(self, period: Period):
        self.period, self.draft = period, False


@lru_cache(maxsize=1)
def _env() -> Environment:
    loader = ChoiceLoader([FileSystemLoader(TEMPLATES_DIR / "summary"), FileSystemLoader(TEMPLATES_DIR / "report")])
    env = Environment(loader=loader, autoescape=select_autoescape(default=True), undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = format_number
    return env


def _render(template: str, **context) -> Html:
    return Html(_env().get_template(template).render(**context))


def header_html(sd: SummaryData) -> Html:
    """The Nghị định 30 header of the office, title "BÁO CÁO" and the subject line."""
    return _render("header.html.j2", rd=_Rd(sd.period), **header_parts(sd))


def body_html(sd: SummaryData) -> Html:
    """Parts I–IV: the totals, the communes, the targets and problems, the submissions, the charts."""
    return _render("body.html.j2", w=_section("summary.parts"), period=sd.period.label_vi, place=area_place(sd.area),
                   sentences=totals_sentences(sd), totals=totals_rows(sd), heads=ratio_heads(sd.period),
                   communes=commune_rows(sd), targets=below_target(sd), findings=finding_groups(sd),
                   submissions=submission_lists(sd), figures=charts_parts(sd),
                   previous=sd.period.previous().label_vi, year_ago=sd.period.same_period_last_year().label_vi)


def _section(prefix: str) -> dict[str, str]:
    from .words import section

    return section(prefix)


def closing_html(sd: SummaryData) -> Html:
    """The closing sentence, the office's Nơi nhận and signature block."""
    return _render("closing.html.j2", rd=_Rd(sd.period), **closing_parts(sd))


def document_title(area: Area, period: Period) -> str:
    """The page's title: "Báo cáo tổng hợp CCHC quý III năm 2021 - huyện Hương Sơn"."""
    return words("summary.document_title", period=period.label_vi, area=area_place(area))

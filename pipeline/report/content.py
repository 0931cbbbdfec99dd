"""The commune report: what it says, built from the stored tables.

:func:`load` gathers one commune's data for one period (the only I/O here);
the ``*_html`` functions turn it into the report's parts, each an escaped HTML
fragment (:class:`Html`, which notebooks display as HTML).  Every figure is a
stored value or a metric computed by a rule stated in :mod:`pipeline.metrics.compute`;
a blank stays blank.  Text that came from a raw file is always escaped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ..config import TEMPLATES_DIR, DataPaths
from ..domain.catalogue import load_catalogue, parse_legend
from ..domain.communes import Commune, load_registry
from ..domain.formatting import (
    format_money,
    format_number,
    format_official_date,
    format_percent,
    format_short_date,
)
from ..domain.periods import Period
from ..store import Store
from . import charts
from .inputs import COMMUNE_REPORT, TREND_QUARTERS, ReportInputs
from .words import has, section, words

TEMPLATES = TEMPLATES_DIR


def areas() -> list[tuple[str, str]]:
    """The reform areas of part I, in order: ``[("1", "Công tác chỉ đạo, ..."), ...]``."""
    return list(section("areas").items())


class Html:
    """An HTML fragment (already escaped); notebooks display it as HTML.

    Its plain-text form is a one-line summary, so a notebook carries the fragment once (as
    ``text/html``), not twice.
    """

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = str(text)

    def _repr_html_(self) -> str:
        return self.text

    def __html__(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"<HTML fragment, {len(self.text):,} characters>"

    def __eq__(self, other: object) -> bool:
        return str(other) == self.text

    def __contains__(self, item: str) -> bool:
        return item in self.text


@dataclass(frozen=True)
class SampleData:
    """Which of the figures a report shows are sample (synthetic) figures, not a unit's real ones."""

    own: bool = False  # this commune's figures of the period
    earlier: bool = False  # its earlier periods (trend charts, comparisons with earlier periods)
    others: bool = False  # other communes (the rank table and ranking chart)

    def __bool__(self) -> bool:
        return self.own or self.earlier or self.others


@dataclass
class ReportData:
    """Everything one commune's report for one period is made of."""

    commune: Commune
    period: Period
    values: pd.DataFrame  # this commune and period, current values
    metrics: pd.DataFrame  # this commune over its trend periods, and its district's communes on the key ratios
    findings: pd.DataFrame  # this commune and period
    narratives: pd.DataFrame  # this commune and period
    document: dict = field(default_factory=dict)  # header facts of the ingested report, if any
    sample: SampleData = field(default_factory=SampleData)  # which figures shown are sample figures

    @property
    def key(self) -> str:
        return self.commune.key

    def value(self, code: str) -> float | None:
        rows = self.values.loc[self.values["indicator_code"] == code, "value"]
        return float(rows.iloc[0]) if len(rows) and pd.notna(rows.iloc[0]) else None

    def metric(self, code: str, period: str | None = None) -> pd.Series | None:
        m = self.metrics
        rows = m.loc[(m["commune_key"] == self.key) & (m["period"] == (period or self.period.id))
                     & (m["metric"] == code)]
        return rows.iloc[0] if len(rows) else None

    def narrative(self, area: str) -> list[dict]:
        rows = self.narratives.loc[self.narratives["area"] == area]
        return [{"heading": r.heading, "number": r.number, "paragraphs": [p for p in r.text.split("\n") if p.strip()]}
                for r in rows.itertuples()]


def load(*, commune: str | Commune, period: str | Period, data: DataPaths,
         inputs: ReportInputs = COMMUNE_REPORT) -> ReportData:
    """Read what the report of ``commune`` for ``period`` needs from the processed store: exactly the
    slices its declaration (:data:`pipeline.report.inputs.COMMUNE_REPORT`) names, nothing else.

    ``commune`` and ``period`` may be given as text (a notebook's parameters): they are parsed here, once.
    """
    from ..metrics.compute import run_metrics

    p = Period.parse(period)
    registry = load_registry()
    unit = commune if isinstance(commune, Commune) else registry.resolve(commune, p)
    store = Store(data)
    if not store.path("metrics").exists():
        run_metrics(data)
    read = inputs.select({name: _read(store, name) for name in inputs.tables}, unit, p, registry)
    mine, doc, group = read["values"], read["documents"], read["group_metrics"]
    # The commune's metrics over its periods, and the district's other communes on the key ratios.
    metrics = pd.concat([read["metrics"], group.loc[group["commune_key"] != unit.key]], ignore_index=True)
    return ReportData(
        commune=unit, period=p, values=mine, metrics=metrics, findings=read["findings"],
        narratives=read["narratives"], document=doc.iloc[0].to_dict() if len(doc) else {},
        sample=sample_data(mine, metrics, commune_key=unit.key, period=p),
    )


def sample_data(values: pd.DataFrame, metrics: pd.DataFrame, *, commune_key: str, period: Period) -> SampleData:
    """What is synthetic among a report's figures: its own values of ``period``, its earlier periods' metrics,
    the other communes' metrics."""
    synthetic = metrics["synthetic"].fillna(False).astype(bool)
    mine = metrics["commune_key"] == commune_key
    return SampleData(own=bool(values["synthetic"].fillna(False).astype(bool).any()),
                      earlier=bool((synthetic & mine & (metrics["period"] != period.id)).any()),
                      others=bool((synthetic & ~mine).any()))


def _read(store: Store, name: str) -> pd.DataFrame:
    """A processed table, read once per version of its file (a batch kernel renders many reports)."""
    path = store.path(name)
    stat = path.stat() if path.exists() else None
    return _read_version(str(store.paths.root), name, stat.st_mtime_ns if stat else 0, stat.st_size if stat else 0)


@lru_cache(maxsize=16)
def _read_version(root: str, name: str, mtime_ns: int, size: int) -> pd.DataFrame:
    """Keyed by the file's identity; the frame is shared, so callers only ever filter it (never mutate)."""
    return Store(DataPaths(Path(root))).read(name)


# --------------------------------------------------------------------------- words
def subject_line(period: Period) -> str:
    """"Tình hình thực hiện công tác Cải cách hành chính trong quý III, phương hướng nhiệm vụ quý IV năm 2021"."""
    if period.is_quarter:
        nxt = period.next()
        if nxt.year == period.year:
            return words("subject.quarter", quarter=period.phrase_vi, next_quarter=nxt.phrase_vi, year=period.year)
        return words("subject.year_end_quarter", period=period.label_vi, next_period=nxt.label_vi)
    if period.kind == "6M":
        return words("subject.6M", year=period.year)
    if period.kind == "9M":
        return words("subject.9M", year=period.year)
    return words("subject.Y", year=period.year, next_year=period.year + 1)


def next_phrase(period: Period) -> str:
    """What section III plans for: "quý IV năm 2021", "6 tháng cuối năm 2021", "năm 2022"."""
    if period.is_quarter:
        return period.next().label_vi
    if period.kind == "6M":
        return words("next_period.6M", year=period.year)
    if period.kind == "9M":
        return words("next_period.9M", year=period.year)
    return words("next_period.Y", next_year=period.year + 1)


def _change_words(change: float, unit: str, *, points: bool) -> str:
    if change != change:  # NaN
        return ""
    if change == 0:
        return words("change.none")
    verb = words("change.up") if change > 0 else words("change.down")
    amount = format_number(abs(change))
    if points:
        return words("change.points", verb=verb, amount=amount)
    return words("change.amount", verb=verb, amount=amount, unit=unit).rstrip()


def comparison_sentence(rd: ReportData, metric: str, *, noun: str, unit: str = "") -> str:
    """"So với quý II năm 2021, <noun> tăng 12 hồ sơ (2,5%); so với cùng kỳ năm 2020, giảm 3 hồ sơ (0,6%)."""
    row = rd.metric(metric)
    if row is None:
        return ""
    points = row["kind"] == "percent"
    parts = []
    for prefix in ("previous", "yoy"):
        period_id = row["previous_period" if prefix == "previous" else "yoy_period"]
        value = row[f"{prefix}_value"]
        change = row["change" if prefix == "previous" else "yoy_change"]
        pct = row["change_pct" if prefix == "previous" else "yoy_change_pct"]
        against = words(f"comparison.against.{prefix}", period=Period.parse(period_id).label_vi)
        if pd.isna(value):
            parts.append(words("comparison.no_data", against=against))
            continue
        text = _change_words(change, unit, points=points)
        if not points and pd.notna(pct) and change != 0:
            text = words("change.with_percent", change=text, percent=format_number(abs(pct)))
        parts.append(words("comparison.clause", against=against, noun=noun, change=text))
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "." if text else ""


def _n(rd: ReportData, code: str) -> str:
    return format_number(rd.value(code))


def _ratio(rd: ReportData, code: str) -> str:
    row = rd.metric(code)
    return format_percent(row["value"]) if row is not None and pd.notna(row["value"]) else ""


def area_sentences(rd: ReportData, area: str) -> list[str]:
    """Sentences generated from the data for one reform area (only figures that exist).

    The words are ``words.yaml``'s ``area<n>`` phrases; a sentence is its first phrase followed by
    the clauses whose figures exist.
    """
    v, out = rd.value, []
    when = words("when", period=rd.period.phrase_vi if rd.period.is_quarter else rd.period.label_vi)
    if area == "1":
        if v("1.1.1") is not None:
            s = words("area1.plan", count=_n(rd, "1.1.1"))
            if v("1.1.2") is not None:
                s += words("area1.plan_done", count=_n(rd, "1.1.2"))
                if _ratio(rd, "R.KH.HOAN_THANH"):
                    s += words("area1.plan_rate", rate=_ratio(rd, "R.KH.HOAN_THANH"))
            out.append(s + ".")
        if v("1.3.1") is not None:
            s = words("area1.assigned", count=_n(rd, "1.3.1"))
            if v("1.3.2") is not None:
                s += words("area1.assigned_on_time", count=_n(rd, "1.3.2"))
                if _ratio(rd, "R.NV.DUNG_HAN"):
                    s += words("area1.assigned_rate", rate=_ratio(rd, "R.NV.DUNG_HAN"))
            if v("1.3.3"):
                s += words("area1.assigned_late", count=_n(rd, "1.3.3"))
            out.append(s + ".")
        if v("1.4.1") is not None or v("1.4.2") is not None:
            s = words("area1.survey")
            if v("1.4.1") is not None:
                s += words("area1.survey_forms", count=_n(rd, "1.4.1"))
            if v("1.4.2") is not None:
                s += words("area1.survey_how", how=_legend(rd, "1.4.2").lower())
            out.append(s + ".")
        if v("1.5") is not None:
            out.append(words("area1.dialogue") if v("1.5") else words("area1.no_dialogue"))
    elif area in ("2", "5"):
        labels = section(f"area{area}.labels")
        items = [words(f"area{area}.item", label=label, count=_n(rd, code)) for code, label in labels.items()
                 if v(code) is not None]
        if items:
            out.append(words(f"area{area}.sentence", items="; ".join(items)))
    elif area == "3":
        if v("3.1.3.c") is not None:
            s = words("area3.in_force", count=_n(rd, "3.1.3.c"))
            if v("3.2.1") is not None:
                s += words("area3.published", count=_n(rd, "3.2.1"), rate=_ratio(rd, "R.TTHC.CONG_KHAI"))
            if v("3.2.2") is not None:
                s += words("area3.level_3_4", count=_n(rd, "3.2.2"), rate=_ratio(rd, "R.DVC.MUC_3_4"))
            out.append(s + ".")
        flows = []
        if v("S.HS.NHAN_MOI") is not None:
            flows.append(words("area3.received", count=_n(rd, "S.HS.NHAN_MOI")))
        if v("S.HS.KY_TRUOC") is not None:
            flows.append(words("area3.carried_over", count=_n(rd, "S.HS.KY_TRUOC")))
        if v("S.HS.DA_GIAI_QUYET") is not None:
            s = words("area3.resolved", count=_n(rd, "S.HS.DA_GIAI_QUYET"))
            if v("S.HS.DUNG_HEN") is not None:
                s += words("area3.resolved_on_time", count=_n(rd, "S.HS.DUNG_HEN"))
                if _ratio(rd, "R.HS.DUNG_HEN"):
                    s += words("area3.on_time_rate", rate=_ratio(rd, "R.HS.DUNG_HEN"))
            flows.append(s)
        if v("S.HS.DANG_GIAI_QUYET") is not None:
            flows.append(words("area3.in_progress", count=_n(rd, "S.HS.DANG_GIAI_QUYET")))
        if v("S.HS.TRA_LAI") is not None:
            flows.append(words("area3.returned", count=_n(rd, "S.HS.TRA_LAI")) if v("S.HS.TRA_LAI")
                         else words("area3.none_returned"))
        if v("S.HS.QUA_HAN") is not None:
            flows.append(words("area3.late", count=_n(rd, "S.HS.QUA_HAN")) if v("S.HS.QUA_HAN")
                         else words("area3.none_late"))
        if flows:
            out.append(words("area3.flows", when=when, flows=", ".join(flows)))
            out.append(comparison_sentence(rd, "S.HS.NHAN_MOI", noun=words("area3.received_noun"),
                                           unit=words("area3.received_unit")))
            if rd.metric("R.HS.DUNG_HEN") is not None and pd.notna(rd.metric("R.HS.DUNG_HEN")["value"]):
                out.append(comparison_sentence(rd, "R.HS.DUNG_HEN", noun=words("area3.on_time_noun")))
        elif v("3.4.3") is not None:
            out.append(words("area3.on_time_appendix", rate=format_percent(v("3.4.3"))))
    elif area == "4":
        if v("4.2.1") is not None or v("4.2.2") is not None:
            s = words("area4.staff")
            if v("4.2.1") is not None:
                s += words("area4.quota", count=_n(rd, "4.2.1"))
            if v("4.2.2") is not None:
                s += words("area4.present", count=_n(rd, "4.2.2"))
            if v("4.2.3") is not None:
                s += words("area4.contract", count=_n(rd, "4.2.3"))
            out.append(s + ".")
    elif area == "7":
        if v("7.1.8.1") is not None or v("7.1.8.2") is not None:
            s = words("area7.online", count=_n(rd, "7.1.8.1"))
            if v("7.1.8.2") is not None:
                s += words("area7.online_level_4", count=_n(rd, "7.1.8.2"))
            out.append(s + ".")
        if v("7.1.8.3") is not None:
            s = words("area7.online_rate", rate=format_percent(v("7.1.8.3")))
            cum = rd.values.loc[rd.values["indicator_code"] == "7.1.8.3", "cumulative_value"]
            if len(cum) and pd.notna(cum.iloc[0]):
                s += words("area7.online_cumulative", rate=format_percent(cum.iloc[0]))
            out.append(s + ".")
        if v("7.1.6.2.b") is not None:
            out.append(words("area7.electronic", rate=format_percent(v("7.1.6.2.b"))))
        if v("7.2.3.4") is not None or v("7.2.5.1") is not None:
            s = words("area7.iso")
            if v("7.2.3.4") is not None:
                s += words("area7.iso_procedures", count=_n(rd, "7.2.3.4"))
            if v("7.2.5.1") is not None:
                s += words("area7.iso_dossiers", count=_n(rd, "7.2.5.1"))
                if v("7.2.5.3") is not None:
                    s += words("area7.iso_rate", rate=format_percent(v("7.2.5.3")))
            out.append(s + ".")
    elif area == "8":
        if v("S.NS.THU") is not None:
            s = words("area8.revenue", period=rd.period.label_vi, amount=format_money(v("S.NS.THU")))
            if v("S.NS.TY_LE_DU_TOAN") is not None:
                s += words("area8.of_plan", rate=format_percent(v("S.NS.TY_LE_DU_TOAN")))
            elif _ratio(rd, "R.NS.DU_TOAN"):
                s += words("area8.of_plan", rate=_ratio(rd, "R.NS.DU_TOAN"))
            if v("S.NS.DU_TOAN") is not None:
                s += words("area8.plan", amount=format_money(v("S.NS.DU_TOAN")))
            out.append(s + ".")
        if v("S.NS.THU_TAI_XA") is not None:
            out.append(words("area8.at_commune", amount=format_money(v("S.NS.THU_TAI_XA"))))
    return [s for s in out if s]


def _legend(rd: ReportData, code: str) -> str:
    legend = parse_legend(load_catalogue().for_period(rd.period).get(code)["legend"])
    return legend.get(int(rd.value(code)), format_number(rd.value(code)))


def strengths(rd: ReportData) -> list[str]:
    """Strengths the data supports (targets met, all dossiers on time, no overdue dossiers)."""
    out = []
    row = rd.metric("R.HS.DUNG_HEN")
    if row is not None and row["value"] == 100:
        out.append(words("strengths.all_on_time", count=format_number(row["denominator"])))
    if rd.value("S.HS.QUA_HAN") == 0 and rd.value("S.HS.DANG_QUA_HAN") in (0, None):
        out.append(words("strengths.none_late"))
    here = rd.metrics.loc[(rd.metrics["commune_key"] == rd.key) & (rd.metrics["period"] == rd.period.id)]
    for r in here.loc[here["target_met"].eq(True) & ~here["metric"].isin(["R.BC.CO_MAT"])].itertuples():
        out.append(words("strengths.target_met", label=r.label, value=format_percent(r.value),
                         target=format_percent(r.target)))
    return out


def proposed_tasks(rd: ReportData) -> list[str]:
    """Next-period tasks keyed to the findings (used when the commune wrote none)."""
    for_finding = section("tasks.for_finding")
    seen, out = set(), []
    for finding in rd.findings["finding"]:
        task = for_finding.get(finding)
        if task and task not in seen:
            seen.add(task)
            out.append(task)
    out.append(words("tasks.always"))
    return out


# --------------------------------------------------------------------------- HTML parts
@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES / "report"), autoescape=select_autoescape(default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = format_number
    env.filters["pct"] = format_percent
    return env


def _render(template: str, **context) -> Html:
    return Html(_env().get_template(template).render(**context))


def report_date(rd: ReportData) -> date:
    """The report's date: the commune's document date, else the last day of the period."""
    doc_date = rd.document.get("doc_date") or rd.period.end
    if isinstance(doc_date, pd.Timestamp):
        doc_date = doc_date.date()
    return doc_date if isinstance(doc_date, date) and not pd.isna(doc_date) else rd.period.end


def committee(unit: Commune) -> str:
    """"UBND xã Sơn Phú", "UBND thị trấn Phố Châu": the people's committee, by the unit's type."""
    return words("unit.committee", unit=unit.type, name=unit.name)


def _units_word(types: set[str]) -> str:
    """The unit words of ``types`` in the order xã, phường, thị trấn: "xã", "xã, thị trấn"."""
    return ", ".join(t for t in words("unit.types").split(", ") if t in types)


def _others(rd: ReportData) -> set[str]:
    """The unit types of the other communes whose figures the report shows."""
    by_key = {u.key: u.type for u in load_registry()}
    keys = set(rd.metrics.loc[rd.metrics["commune_key"] != rd.key, "commune_key"])
    return {by_key[k] for k in keys if k in by_key}


def notice(rd: ReportData) -> str:
    """The sentence saying which figures shown are sample figures ("" when none is)."""
    sample = rd.sample
    if sample.own:
        return words("notice.own")
    units = _units_word(_others(rd))
    if sample.earlier and sample.others:
        return words("notice.earlier_and_others", units=units)
    if sample.earlier:
        return words("notice.earlier")
    if sample.others:
        return words("notice.others", units=units)
    return ""


def header_html(rd: ReportData) -> Html:
    """The Nghị định 30/2020 header, title and subject line (and the sample-data notice)."""
    doc = rd.document
    doc_date = report_date(rd)
    return _render(
        "header.html.j2", rd=rd,
        body_line1=words("header.issuer"),
        body_line2=rd.commune.full_name.upper(),
        doc_number=doc.get("doc_number") or "",
        place=doc.get("place") or rd.commune.name,
        date_text=format_official_date(doc_date),
        subject=doc.get("subject") or subject_line(rd.period),
        notice=notice(rd), notice_label=words("notice.label"),
    )


def results_html(rd: ReportData) -> Html:
    """Part I: results by reform area, generated sentences first, then the commune's own text."""
    parts = [{"number": n, "title": t, "sentences": area_sentences(rd, n), "own": rd.narrative(n)} for n, t in areas()]
    preamble = rd.narrative("mo_dau")
    return _render("results.html.j2", rd=rd, areas=parts, preamble=preamble)


def assessment_html(rd: ReportData) -> Html:
    """Part II (strengths; shortcomings from the findings and the commune's text) and part III (tasks)."""
    own_tasks = rd.narrative("nhiem_vu")
    return _render(
        "assessment.html.j2", rd=rd, strengths=strengths(rd), own_strengths=rd.narrative("uu_diem"),
        findings=rd.findings["message"].tolist(), own_shortcomings=rd.narrative("ton_tai"),
        own_tasks=own_tasks, tasks=[] if any(s["paragraphs"] for s in own_tasks) else proposed_tasks(rd),
        next_phrase=next_phrase(rd.period),
    )


def closing_html(rd: ReportData) -> Html:
    """The closing sentence, nơi nhận and the signature block."""
    doc = rd.document
    recipients = ([r for r in (doc.get("recipients") or "").split("\n") if r]
                  or list(section("closing.recipients").values()))
    own = [p for s in rd.narrative("ket_luan") for p in s["paragraphs"]]
    return _render(
        "closing.html.j2", rd=rd, recipients=recipients, committee=committee(rd.commune),
        own_closing=own,
        signer_role=doc.get("signer_role") or words("closing.signer_role"),
        signer_title=doc.get("signer_title") or words("closing.signer_title"),
        signer_name=doc.get("signer_name") or "",
        next_phrase=next_phrase(rd.period),
    )


def metric_label(code: str, period: Period, default: str = "") -> str:
    """The name of ``code`` in the terms of the catalogue version in force in ``period``: a Phụ lục 2B row's
    label, or a ratio's label (``words.yaml`` ``ratio_labels``, by version, else ``default``)."""
    cat = load_catalogue().for_period(period)
    if code in cat:
        return str(cat.get(code)["label"])
    key = f"ratio_labels.{cat.table['version'].max()}.{code}"
    return words(key) if has(key) else default


def _group(rd: ReportData) -> str:
    """The communes the report compares with, as a place: "huyện Hương Sơn" (else the province)."""
    if rd.commune.district_code:
        return words("unit.district", name=rd.commune.district_name)
    return words("unit.province", name=rd.commune.province_name)


def attached_line(rd: ReportData) -> str:
    """"(Kèm theo Báo cáo số 52/BC-UBND ngày 14/9/2021 của UBND xã Sơn Phú)", under each appendix's title."""
    number = rd.document.get("doc_number") or words("appendix.blank_number").replace(" ", "\u00a0")
    return words("appendix.attached", number=number, date=format_short_date(report_date(rd)),
                 committee=committee(rd.commune))


def _appendix_head(rd: ReportData, numeral: str, title: str) -> dict:
    return {"label": words("appendix.label", numeral=numeral), "title": title, "attached": attached_line(rd)}


def _figure(fig) -> dict:
    return {"title": charts.title(fig), "uri": charts.to_data_uri(fig)}


def charts_html(rd: ReportData, *, numeral: str = "I") -> Html | None:
    """The appendix of the commune's trend charts (dossiers, online services, budget), as SVG images in data:
    URLs (self-contained; one image node each keeps PDF layout fast).  A chart with no figure to draw is
    named in a sentence instead; ``None`` when no chart has one."""
    labels = {c: metric_label(c, rd.period) for c in ("R.DVC.MUC_3_4", "7.1.8.3")}
    figures = {
        "dossier_trend": charts.dossier_trend(rd.metrics, commune_key=rd.key, period=rd.period, n=TREND_QUARTERS),
        "rate_against_target": charts.rate_against_target(rd.metrics, commune_key=rd.key, period=rd.period,
                                                          n=TREND_QUARTERS, labels=labels),
        "budget_against_plan": charts.budget_against_plan(rd.metrics, commune_key=rd.key, period=rd.period),
    }
    if all(fig is None for fig in figures.values()):
        return None
    head = _appendix_head(rd, numeral, words("appendix.charts", commune=rd.commune.full_name.upper()))
    return _render("charts.html.j2", head=head, figures=[_figure(f) for f in figures.values() if f is not None],
                   missing=[words("appendix.no_chart", caption=charts.caption(name))
                            for name, f in figures.items() if f is None])


def ranks_html(rd: ReportData, *, numeral: str = "I") -> Html | None:
    """The appendix of the commune's place among the communes it is compared with: the rank table on the key
    ratios and the chart of all communes on one of them; ``None`` when there is neither."""
    from ..metrics.compute import ranking_chart_ratio

    registry = load_registry()
    names = {u.key: u.name for u in registry}
    group_of = {u.key: u.district_code for u in registry}
    group = rd.metrics.loc[rd.metrics["commune_key"].map(group_of) == rd.commune.district_code] \
        if rd.commune.district_code else rd.metrics
    ratio = ranking_chart_ratio()
    fig = charts.commune_ranking(group, names, period=rd.period, metric=ratio.code, highlight=rd.key,
                                 label=metric_label(ratio.code, rd.period, ratio.label))
    ranks = district_ranks(rd)
    if fig is None and not ranks:
        return None
    head = _appendix_head(rd, numeral, words("appendix.ranks", commune=rd.commune.full_name.upper(),
                                             group=_group(rd).upper(), period=rd.period.label_vi.upper()))
    return _render("ranks.html.j2", head=head, ranks=ranks, figure=_figure(fig) if fig is not None else None,
                   note=words("appendix.ranks_note", units=_units_word(_others(rd) | {rd.commune.type})))


def district_ranks(rd: ReportData) -> list[dict]:
    """The commune's rank among its district's communes on each key ratio (1 = best)."""
    from ..metrics.compute import key_ratios, rank_communes

    if not rd.commune.district_code:
        return []
    key = key_ratios()
    ranks = rank_communes(rd.metrics, load_registry(), period=rd.period.id, metrics_to_rank=[r.code for r in key])
    mine = ranks.loc[(ranks["commune_code"] == rd.commune.code) & (ranks["district_code"] == rd.commune.district_code)]
    by_metric = {r.metric: r for r in mine.itertuples()}
    return [{"label": metric_label(k.code, rd.period, k.label), "value": format_percent(by_metric[k.code].value),
             "rank": by_metric[k.code].rank, "of": by_metric[k.code].of} for k in key if k.code in by_metric]


def _legend_lines(unit: str, legend: str) -> list[str]:
    """A category row's unit as one line per item ("Trực tuyến = 0", ...), in the order the form prints them."""
    items = parse_legend(legend)
    ordered = sorted(items.items(), key=lambda kv: (unit.find(kv[1]) if kv[1] in unit else len(unit), kv[0]))
    return [f"{label} = {code}" for code, label in ordered]


def appendix_rows(rd: ReportData) -> list[dict]:
    """Every Phụ lục 2B row of the period's catalogue version, with the stored value and note (blank stays blank).

    A row the form prints without a number (a code ending in a letter: "3.1.3.c") is one of the rows that break
    its parent down: the first of them reads "Trong đó" in the STT column, over all of them (``stt_rows``;
    0: the cell above covers this row).
    """
    cat = load_catalogue().for_period(rd.period).table
    cat = cat.loc[cat["section"] != "S"]
    stored = rd.values.set_index("indicator_code")
    rows = []
    for r in cat.itertuples():
        value = stored["value"].get(r.code) if r.code in stored.index else None
        text_value = stored["value_text"].get(r.code) if r.code in stored.index else None
        note = stored["note"].get(r.code) if r.code in stored.index else ""
        sub = r.code[-1].isalpha()
        legend = r.legend if isinstance(r.legend, str) and r.legend else ""
        rows.append({
            "code": r.code if not sub else "", "full_code": r.code, "label": r.label, "unit": r.unit,
            "unit_lines": _legend_lines(r.unit, legend) if legend else [r.unit] if r.unit else [],
            "value": text_value if isinstance(text_value, str) and text_value else format_number(value),
            "note": note or "", "section": r.parent == "", "heading": r.kind == "heading",
            "depth": r.code.count("."), "sub": sub, "stt_rows": 1,
        })
    for i, row in enumerate(rows):
        if row["sub"] and (i == 0 or not rows[i - 1]["sub"]):
            run = 1
            while i + run < len(rows) and rows[i + run]["sub"]:
                rows[i + run]["stt_rows"] = 0
                run += 1
            row["code"], row["stt_rows"] = words("appendix.sub_rows"), run
    return rows


def supplementary_rows(rd: ReportData) -> list[dict]:
    """The figures outside Phụ lục 2B (dossiers, budget: the report's text or a portal export), numbered."""
    cat = load_catalogue().for_period(rd.period).table
    rows = []
    for r in cat.loc[cat["section"] == "S"].itertuples():
        value = rd.value(r.code)
        if value is not None:
            rows.append({"number": len(rows) + 1, "label": r.label, "unit": r.unit, "value": format_number(value)})
    return rows


def supplementary_html(rd: ReportData, *, numeral: str = "I") -> Html | None:
    """The appendix of the dossier and budget figures (outside the form); ``None`` when there are none."""
    rows = supplementary_rows(rd)
    if not rows:
        return None
    head = _appendix_head(rd, numeral, words("appendix.supplementary", period=rd.period.label_vi.upper()))
    return _render("supplementary.html.j2", head=head, rows=rows)


def appendix_html(rd: ReportData) -> Html:
    """Phụ lục 2B: every row, STT, label, unit, value, note; section rows bold."""
    title = words("appendix.title", period=rd.period.label_vi.upper(), commune=rd.commune.full_name.upper())
    head = {"label": words("appendix.label", numeral="2B"), "title": title, "attached": attached_line(rd)}
    return _render("appendix.html.j2", head=head, rows=appendix_rows(rd))


#: The appendices after Phụ lục 2B, in order; each is numbered I, II, ... when it has something to show.
NUMBERED_APPENDICES = (supplementary_html, charts_html, ranks_html)
_NUMERALS = ("I", "II", "III", "IV", "V", "VI")


def appendices_html(rd: ReportData) -> Html:
    """Everything after the signature: Phụ lục 2B, then the numbered appendices, each on a new page."""
    parts = [appendix_html(rd)]
    for make in NUMBERED_APPENDICES:
        part = make(rd, numeral=_NUMERALS[len(parts) - 1])
        if part is not None:
            parts.append(part)
    return Html("\n".join(str(p) for p in parts))


def warm_up() -> None:
    """Compile the templates and draw one chart, so that a kernel's first report is not its slowest."""
    env = _env()
    for name in env.list_templates():
        env.get_template(name)
    periods = charts.last_quarters("2021-Q3", 2)
    tiny = pd.DataFrame({"commune_key": "x", "metric": ["S.HS.NHAN_MOI", "R.HS.DUNG_HEN"] * 2,
                         "period": [periods[0]] * 2 + [periods[1]] * 2, "value": [1.0, 100.0, 2.0, 100.0]})
    charts.to_data_uri(charts.dossier_trend(tiny, commune_key="x", period=periods[1], n=2))

"""The commune report: what it says, built from the stored tables.

:func:`load` gathers one commune's data for one period (the only I/O here);
the ``*_html`` functions turn it into the report's parts, each an escaped HTML
fragment (:class:`Html`, which notebooks display as HTML).  Every figure is a
stored value or a metric computed by a rule stated in :mod:`pipeline.metrics.compute`;
a blank stays blank.  Text that came from a raw file is always escaped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ..config import TEMPLATES_DIR, DataPaths
from ..domain.catalogue import load_catalogue, parse_legend
from ..domain.communes import Commune, load_registry
from ..domain.formatting import format_money, format_number, format_official_date, format_percent
from ..domain.periods import Period
from ..domain.text import match_key
from ..store import Store
from . import agreement, charts
from .inputs import COMMUNE_REPORT, TREND_QUARTERS, ReportInputs
from .words import section, words

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
    synthetic: bool = False

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
        # any synthetic figure shown (this commune's, or a district commune's in the ranking) gets the notice
        synthetic=bool(mine["synthetic"].any() or metrics["synthetic"].fillna(False).astype(bool).any()),
    )


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
    """"So với quý II năm 2021, <noun> tăng 12 hồ sơ (2,5%); so với cùng kỳ năm 2020, giảm 3 hồ sơ (0,6%)."."""
    row = rd.metric(metric)
    if row is None:
        return ""
    points = row["kind"] == "percent"
    if row["change"] == 0 and row["yoy_change"] == 0:
        text = words("comparison.unchanged", noun=noun, previous=Period.parse(row["previous_period"]).label_vi,
                     year=Period.parse(row["yoy_period"]).year)
        return text[0].upper() + text[1:] + "."
    parts, named = [], False
    for prefix in ("previous", "yoy"):
        period = Period.parse(row["previous_period" if prefix == "previous" else "yoy_period"])
        value = row[f"{prefix}_value"]
        change = row["change" if prefix == "previous" else "yoy_change"]
        pct = row["change_pct" if prefix == "previous" else "yoy_change_pct"]
        against = (words("comparison.against.previous", period=period.label_vi) if prefix == "previous"
                   else words("comparison.against.yoy", year=period.year))
        if pd.isna(value):
            parts.append(words("comparison.no_data", against=against))
            continue
        text = _change_words(change, unit, points=points)
        if not points and pd.notna(pct) and change != 0:
            text = words("change.with_percent", change=text, percent=format_number(abs(pct)))
        parts.append(words("comparison.clause_same_noun", against=against, change=text) if named
                     else words("comparison.clause", against=against, noun=noun, change=text))
        named = True
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "." if text else ""


def _n(rd: ReportData, code: str) -> str:
    return format_number(rd.value(code))


def _ratio(rd: ReportData, code: str) -> str:
    row = rd.metric(code)
    return format_percent(row["value"]) if row is not None and pd.notna(row["value"]) else ""


class _Voice:
    """What the commune's own text of one area already says, and what it disagrees with.

    A figure is *speakable* (a generated sentence may state it) when it is not disputed
    (:mod:`pipeline.report.agreement`) and the area's text does not already state it: the value was read
    from this text (its stored ``raw_text`` is in it), or the text holds the same number in any style
    (counts of 10 and more, and percentages: a small count like "6" is too common in running text to be
    taken for the figure), or, for a zero, a sentence names its topic with "không"/"chưa".
    """

    def __init__(self, rd: ReportData, area: str, disputed: frozenset[str], *, text: list[str] | None = None):
        self.rd, self.area, self.disputed = rd, area, disputed
        self.sentences = agreement.sentences(rd, area) if text is None else text
        self.text = "\n".join(self.sentences)
        self._key = match_key(self.text)

    def _value(self, code: str) -> tuple[float | None, bool]:
        if code.startswith("R."):
            row = self.rd.metric(code)
            return (float(row["value"]) if row is not None and pd.notna(row["value"]) else None), True
        catalogue = load_catalogue().for_period(self.rd.period)
        return self.rd.value(code), code in catalogue and catalogue.get(code)["kind"] == "percent"

    def stated(self, code: str) -> bool:
        raw = self.rd.values.loc[self.rd.values["indicator_code"] == code, "raw_text"]
        if len(raw) and isinstance(raw.iloc[0], str) and raw.iloc[0].strip() and match_key(raw.iloc[0]) in self._key:
            return True
        value, percent = self._value(code)
        if value is None:
            return False
        if value == 0 and agreement.names(self.sentences, code, negated=True):
            return True
        if not percent and abs(value) < 10:
            return False
        return agreement.states_value(self.text, value, percent=percent)

    def about(self, code: str) -> bool:
        """Whether the text states the figure or names its topic (where a sentence about it belongs)."""
        return self.stated(code) or bool(agreement.names(self.sentences, code))

    def speakable(self, *codes: str) -> bool:
        return not any(c in self.disputed for c in codes) and not any(self.stated(c) for c in codes)


class _Line(str):
    """A generated sentence and the codes it speaks of."""

    codes: tuple[str, ...]

    def __new__(cls, text: str, codes: tuple[str, ...] = ()):
        line = super().__new__(cls, text)
        line.codes = tuple(codes)
        return line


def _sentence(voice: _Voice, first: tuple[str, tuple[str, ...]], *clauses: tuple[str, tuple[str, ...]]) -> _Line:
    """``first`` (the subject, with the figures it needs) and the clauses whose figures may be stated."""
    text, codes = first
    if not voice.speakable(*codes):
        return _Line("")
    kept = [(t, cs) for t, cs in clauses if t and voice.speakable(*cs)]
    return _Line(text + "".join(t for t, _ in kept) + ".", codes + tuple(c for _, cs in kept for c in cs))


def disputed(rd: ReportData) -> frozenset[str]:
    """The codes the report prints no generated sentence on (the commune's text disagrees with them)."""
    return agreement.disputed_codes(agreement.disagreements(rd))


def area_sentences(rd: ReportData, area: str, *, skip: frozenset[str] | None = None) -> list[str]:
    """Sentences generated from the data for one reform area, in the commune's register.

    Only figures that exist, that the commune's text of the area does not already state and that it
    does not disagree with (``skip``: the disputed codes, by default :func:`disputed`); zeros are said in
    one sentence.  The words are ``words.yaml``'s ``area<n>`` phrases.
    """
    return [text for text, _ in area_statements(rd, area, skip=skip)]


def area_statements(rd: ReportData, area: str, *, skip: frozenset[str] | None = None
                    ) -> list[tuple[str, tuple[str, ...]]]:
    """:func:`area_sentences` with the codes each sentence is about (to place it beside the commune's words)."""
    voice = _Voice(rd, area, disputed(rd) if skip is None else skip)
    v, out = rd.value, []
    committee = rd.commune.committee
    when = words("when", period=rd.period.label_vi)
    if area == "1":
        if v("1.1.1") is not None and v("1.1.2") is not None:
            rate = _ratio(rd, "R.KH.HOAN_THANH")
            out.append(_sentence(
                voice, (words("area1.plan", year=rd.period.year, committee=committee, count=_n(rd, "1.1.1"))
                        + words("area1.plan_done", count=_n(rd, "1.1.2")), ("1.1.1", "1.1.2", "R.KH.HOAN_THANH")),
                (words("area1.plan_rate", rate=rate) if rate else "", ())))
        if v("1.3.1") is not None and v("1.3.2") is not None:
            out.append(_sentence(
                voice, (words("area1.assigned", count=_n(rd, "1.3.1"))
                        + words("area1.assigned_on_time", committee=committee, count=_n(rd, "1.3.2")),
                        ("1.3.1", "1.3.2", "R.NV.DUNG_HAN")),
                (words("area1.assigned_late", count=_n(rd, "1.3.3")) if v("1.3.3") else "", ("1.3.3",))))
        if v("1.4.1") is not None or v("1.4.2") is not None:
            out.append(_sentence(
                voice, (words("area1.survey", when=when, committee=committee), ("1.4.1", "1.4.2")),
                (words("area1.survey_forms", count=_n(rd, "1.4.1")) if v("1.4.1") else "", ("1.4.1",)),
                (words("area1.survey_how", how=_legend(rd, "1.4.2").lower()) if v("1.4.2") is not None else "",
                 ("1.4.2",))))
        if v("1.5") is not None:
            out.append(_sentence(voice, (words("area1.dialogue" if v("1.5") else "area1.no_dialogue", when=when,
                                               committee=committee).rstrip("."), ("1.5",))))
    elif area in ("2", "5"):
        codes = [c for c in section(f"area{area}.items") if v(c) is not None and voice.speakable(c)]
        items = section(f"area{area}.items")  # each takes {count} (tests/domain/test_words.py reads them here)
        done = [items[c].format(count=_n(rd, c)) for c in codes if v(c)]
        zeros = section(f"area{area}.zero")
        nothing = [zeros[c] for c in codes if not v(c) and c in zeros]
        if done:
            out.append(_Line(words(f"area{area}.sentence", when=when, committee=committee, items="; ".join(done)),
                             tuple(c for c in codes if v(c))))
        if nothing:
            out.append(_Line(words(f"area{area}.zero_sentence", when=when, committee=committee,
                                   items=", ".join(nothing)), tuple(c for c in codes if not v(c))))
    elif area == "3":
        if v("3.1.3.c") is not None:
            out.append(_sentence(
                voice, (words("area3.in_force", count=_n(rd, "3.1.3.c")), ("3.1.3.c",)),
                (words("area3.published", count=_n(rd, "3.2.1"), rate=_ratio(rd, "R.TTHC.CONG_KHAI"))
                 if v("3.2.1") is not None else "", ("3.2.1", "R.TTHC.CONG_KHAI")),
                (words("area3.level_3_4", count=_n(rd, "3.2.2"), rate=_ratio(rd, "R.DVC.MUC_3_4"))
                 if v("3.2.2") is not None else "", ("3.2.2", "R.DVC.MUC_3_4"))))
        out.extend(_dossier_sentences(rd, voice, when=when, committee=committee))
    elif area == "4":
        if v("4.2.1") is not None or v("4.2.2") is not None:
            out.append(_sentence(
                voice, (words("area4.staff"), ()),
                (words("area4.quota", count=_n(rd, "4.2.1")) if v("4.2.1") is not None else "", ("4.2.1",)),
                (words("area4.present", count=_n(rd, "4.2.2")) if v("4.2.2") is not None else "", ("4.2.2",)),
                (words("area4.contract", count=_n(rd, "4.2.3")) if v("4.2.3") else "", ("4.2.3",))))
            if out[-1] == words("area4.staff") + ".":
                out.pop()
    elif area == "7":
        if v("7.1.8.1") is not None:
            out.append(_sentence(
                voice, (words("area7.online", count=_n(rd, "7.1.8.1")), ("7.1.8.1",)),
                (words("area7.online_level_4", count=_n(rd, "7.1.8.2")) if v("7.1.8.2") is not None else "",
                 ("7.1.8.2",))))
        if v("7.1.8.3") is not None:
            cum = rd.values.loc[rd.values["indicator_code"] == "7.1.8.3", "cumulative_value"]
            out.append(_sentence(
                voice, (words("area7.online_rate", when=when, rate=format_percent(v("7.1.8.3"))), ("7.1.8.3",)),
                (words("area7.online_cumulative", rate=format_percent(cum.iloc[0]))
                 if len(cum) and pd.notna(cum.iloc[0]) else "", ())))
        if v("7.1.6.2.b") is not None:
            out.append(_sentence(voice, (words("area7.electronic", rate=format_percent(v("7.1.6.2.b"))).rstrip("."),
                                         ("7.1.6.2.b",))))
        if v("7.2.3.4") is not None or v("7.2.5.1") is not None:
            out.append(_sentence(
                voice, (words("area7.iso", committee=committee), ()),
                (words("area7.iso_procedures", count=_n(rd, "7.2.3.4")) if v("7.2.3.4") is not None else "",
                 ("7.2.3.4",)),
                (words("area7.iso_dossiers", count=_n(rd, "7.2.5.1")) if v("7.2.5.1") is not None else "",
                 ("7.2.5.1",)),
                (words("area7.iso_rate", rate=format_percent(v("7.2.5.3")))
                 if v("7.2.5.1") is not None and v("7.2.5.3") is not None else "", ("7.2.5.3",))))
            if out[-1] == words("area7.iso", committee=committee) + ".":
                out.pop()
    elif area == "8":
        if v("S.NS.THU") is not None:
            rate = format_percent(v("S.NS.TY_LE_DU_TOAN")) if v("S.NS.TY_LE_DU_TOAN") is not None \
                else _ratio(rd, "R.NS.DU_TOAN")
            out.append(_sentence(
                voice, (words("area8.revenue", period=rd.period.label_vi, amount=format_money(v("S.NS.THU"))),
                        ("S.NS.THU",)),
                (words("area8.of_plan", rate=rate) if rate else "", ("S.NS.TY_LE_DU_TOAN",)),
                (words("area8.plan", amount=format_money(v("S.NS.DU_TOAN"))) if v("S.NS.DU_TOAN") is not None
                 else "", ("S.NS.DU_TOAN",))))
        if v("S.NS.THU_TAI_XA") is not None:
            out.append(_sentence(voice, (words("area8.at_commune", unit=rd.commune.unit_word,
                                               amount=format_money(v("S.NS.THU_TAI_XA"))).rstrip("."),
                                         ("S.NS.THU_TAI_XA",))))
    return [(str(line), line.codes) for line in out if line]


def _dossier_sentences(rd: ReportData, voice: _Voice, *, when: str, committee: str) -> list[_Line]:
    """Area 3's dossier flow ("Trong quý III năm 2021, UBND xã tiếp nhận 492 hồ sơ (mới 491, kỳ trước chuyển
    qua 1), …") and its comparisons; received in all = new + carried over, when both are reported."""
    v, ok, flows = rd.value, voice.speakable, []
    new, carried = v("S.HS.NHAN_MOI"), v("S.HS.KY_TRUOC")
    if new is not None and carried is not None and ok("S.HS.NHAN_MOI", "S.HS.KY_TRUOC"):
        flows.append(words("area3.received_total", count=format_number(new + carried), new=format_number(new),
                           carried=format_number(carried)))
    else:
        if new is not None and ok("S.HS.NHAN_MOI"):
            flows.append(words("area3.received", count=format_number(new)))
        if carried is not None and ok("S.HS.KY_TRUOC"):
            flows.append(words("area3.carried_over", count=format_number(carried)))
    if v("S.HS.DA_GIAI_QUYET") is not None and ok("S.HS.DA_GIAI_QUYET"):
        s = words("area3.resolved", count=_n(rd, "S.HS.DA_GIAI_QUYET"))
        if v("S.HS.DUNG_HEN") is not None and ok("S.HS.DUNG_HEN"):
            s += words("area3.resolved_on_time", count=_n(rd, "S.HS.DUNG_HEN"))
            if _ratio(rd, "R.HS.DUNG_HEN") and ok("R.HS.DUNG_HEN"):
                s += words("area3.on_time_rate", rate=_ratio(rd, "R.HS.DUNG_HEN"))
        flows.append(s)
    if v("S.HS.DANG_GIAI_QUYET") is not None and ok("S.HS.DANG_GIAI_QUYET"):
        flows.append(words("area3.in_progress", count=_n(rd, "S.HS.DANG_GIAI_QUYET")))
    if v("S.HS.TRA_LAI") is not None and ok("S.HS.TRA_LAI"):
        flows.append(words("area3.returned", count=_n(rd, "S.HS.TRA_LAI")) if v("S.HS.TRA_LAI")
                     else words("area3.none_returned"))
    if v("S.HS.QUA_HAN") is not None and ok("S.HS.QUA_HAN"):
        flows.append(words("area3.late", count=_n(rd, "S.HS.QUA_HAN")) if v("S.HS.QUA_HAN")
                     else words("area3.none_late"))
    flow_codes = ("S.HS.NHAN_MOI", "S.HS.KY_TRUOC", "S.HS.DA_GIAI_QUYET", "S.HS.DUNG_HEN")
    out = [_Line(words("area3.flows", when=when, committee=committee, flows=", ".join(flows)), flow_codes)] \
        if flows else []
    if new is not None and "S.HS.NHAN_MOI" not in voice.disputed:
        out.append(_Line(comparison_sentence(rd, "S.HS.NHAN_MOI", noun=words("area3.received_noun"),
                                             unit=words("area3.received_unit")), ("S.HS.NHAN_MOI",)))
        row = rd.metric("R.HS.DUNG_HEN")
        if row is not None and pd.notna(row["value"]) and "R.HS.DUNG_HEN" not in voice.disputed:
            out.append(_Line(comparison_sentence(rd, "R.HS.DUNG_HEN", noun=words("area3.on_time_noun")),
                             ("S.HS.DUNG_HEN", "R.HS.DUNG_HEN")))
    elif v("3.4.3") is not None and ok("3.4.3"):
        out.append(_Line(words("area3.on_time_appendix", rate=format_percent(v("3.4.3"))), ("3.4.3",)))
    return out


def _legend(rd: ReportData, code: str) -> str:
    legend = parse_legend(load_catalogue().for_period(rd.period).get(code)["legend"])
    return legend.get(int(rd.value(code)), format_number(rd.value(code)))


def _report_findings(rd: ReportData, skip: frozenset[str]) -> pd.DataFrame:
    """The findings the report prints: audience ``report``, not on a disputed figure."""
    f = rd.findings
    if "audience" in f:
        f = f.loc[f["audience"] == "report"]
    return f.loc[~f["metric"].isin(skip)]


def strengths(rd: ReportData, *, skip: frozenset[str] | None = None) -> list[str]:
    """Strengths the data supports, in the commune's voice, that its own "Ưu điểm" does not already say:
    every dossier resolved on time, none late, a plan's chỉ tiêu met (targets.yaml, kind ``chi_tieu``)."""
    skip = disputed(rd) if skip is None else skip
    own = agreement.sentences(rd, "uu_diem")
    out = []
    row = rd.metric("R.HS.DUNG_HEN")
    if row is not None and row["value"] == 100 and "R.HS.DUNG_HEN" not in skip:
        out.append(words("strengths.all_on_time", count=format_number(row["denominator"])))
    if (rd.value("S.HS.QUA_HAN") == 0 and rd.value("S.HS.DANG_QUA_HAN") in (0, None)
            and not agreement.names(own, "S.HS.QUA_HAN")):
        out.append(words("strengths.none_late"))
    here = rd.metrics.loc[(rd.metrics["commune_key"] == rd.key) & (rd.metrics["period"] == rd.period.id)]
    if "target_kind" in here:
        met = here.loc[here["target_met"].eq(True) & here["target_kind"].eq("chi_tieu") & ~here["metric"].isin(skip)]
        for r in met.itertuples():
            out.append(words("strengths.target_met", label=r.label[:1].lower() + r.label[1:],
                             value=format_percent(r.value), target=format_percent(r.target)))
    return out


def shortcomings(rd: ReportData, *, skip: frozenset[str] | None = None) -> list[dict]:
    """The report's shortcomings the commune's own "Tồn tại, hạn chế" does not already name: each
    ``{"finding", "metric", "message"}`` (the finding's sentence, written as a commune writes it)."""
    skip = disputed(rd) if skip is None else skip
    own = agreement.sentences(rd, "ton_tai")
    return [{"finding": r.finding, "metric": r.metric, "message": r.message}
            for r in _report_findings(rd, skip).itertuples() if not agreement.names(own, r.metric)]


def proposed_tasks(rd: ReportData, *, skip: frozenset[str] | None = None) -> list[str]:
    """Next-period tasks for the shortcomings of part II (the report's findings, the ones the commune wrote
    itself included), except those one of the commune's own tasks already covers; when the commune wrote
    no task, the list closes with the standing one."""
    skip = disputed(rd) if skip is None else skip
    own = agreement.sentences(rd, "nhiem_vu")
    for_finding = section("tasks.for_finding")
    seen, out = set(), []
    for r in _report_findings(rd, skip).itertuples():
        known = r.finding in for_finding or r.finding == "plan_incomplete"
        if not known or r.finding in seen or agreement.names(own, r.metric):
            continue
        seen.add(r.finding)
        out.append(words("tasks.plan_incomplete", year=rd.period.year) if r.finding == "plan_incomplete"
                   else words(f"tasks.for_finding.{r.finding}"))
    if not own:
        out.append(words("tasks.always", year=rd.period.year))
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


def header_html(rd: ReportData) -> Html:
    """The Nghị định 30/2020 header, title and subject line (and the sample-data notice)."""
    doc = rd.document
    doc_date = doc.get("doc_date") if doc.get("doc_date") else rd.period.end
    if isinstance(doc_date, pd.Timestamp):
        doc_date = doc_date.date()
    return _render(
        "header.html.j2", rd=rd,
        body_line1=words("header.issuer"),
        body_line2=rd.commune.full_name.upper(),
        doc_number=doc.get("doc_number") or "",
        place=doc.get("place") or rd.commune.name,
        date_text=format_official_date(doc_date if isinstance(doc_date, date) else rd.period.end),
        subject=doc.get("subject") or subject_line(rd.period),
        synthetic=rd.synthetic,
    )


def area_part(rd: ReportData, area: str, title: str, *, skip: frozenset[str] | None = None) -> dict:
    """One area of part I: one heading, the commune's text as its body, the data's figures woven in once.

    Numbering rule (the area heading is the only one numbered ``<area>.``): when the commune's text for
    the area has one top-level section (numbered ``<area>.``, another single number or none), that
    section's heading is replaced by the area heading and its paragraphs open the area (``lead``); when it
    has several (the seed's area 1: "1. Công tác chỉ đạo điều hành …", "2. Công tác tuyên truyền …"), they
    become ``<area>.1``, ``<area>.2`` … after any ``<area>.k`` the commune numbered itself, so no number is
    printed twice.  Sub-sections the commune numbered ``<area>.k`` keep their numbers.  A generated
    sentence (:func:`area_statements`) closes the first sub-section that states one of its figures, or
    else names its topic (``agreement.yaml``, ``topics``); otherwise it follows the lead paragraphs.
    """
    own = rd.narrative(area)
    top = [s for s in own if "." not in (s["number"] or "")]
    used = [int(m.group(1)) for s in own if (m := re.fullmatch(rf"{re.escape(area)}\.(\d+)", s["number"] or ""))]
    k, lead, sections = max(used, default=0), [], []
    for s in own:
        if s in top and len(top) == 1:
            lead = s["paragraphs"]
            continue
        number = s["number"] or ""
        if s in top:
            k += 1
            number = f"{area}.{k}"
        sections.append({"number": number, "heading": (s["heading"] or "").rstrip(" .:;"),
                         "paragraphs": s["paragraphs"], "sentences": []})
    opening = []
    voices = [_Voice(rd, area, frozenset(), text=[x["heading"], *x["paragraphs"]]) for x in sections]
    for text, codes in area_statements(rd, area, skip=skip):
        home = next((x for x, voice in zip(sections, voices) if any(voice.stated(c) for c in codes)), None) or \
            next((x for x, voice in zip(sections, voices) if any(voice.about(c) for c in codes)), None)
        (home["sentences"] if home else opening).append(text)
    return {"number": area, "title": title, "lead": lead, "sentences": opening, "sections": sections}


def results_html(rd: ReportData) -> Html:
    """Part I: per reform area one heading, the commune's own text, the data's figures it does not state."""
    skip = disputed(rd)
    parts = [area_part(rd, n, t, skip=skip) for n, t in areas()]
    preamble = rd.narrative("mo_dau")
    return _render("results.html.j2", rd=rd, areas=parts, preamble=preamble)


def _numbered(own: list[dict], tasks: list[str]) -> list[str]:
    """The generated tasks, numbered on from the commune's own ("13. …" after its "12. …"); with "- " when
    the commune's tasks are not numbered."""
    paragraphs = [p for s in own for p in s["paragraphs"]]
    numbers = [int(m.group(1)) for p in paragraphs if (m := re.match(r"\s*(\d+)\s*[.)]", p))]
    if paragraphs and not numbers:
        return [f"- {t}" for t in tasks]
    start = max(numbers, default=0)
    return [f"{start + i}. {t}" for i, t in enumerate(tasks, 1)]


def assessment_html(rd: ReportData) -> Html:
    """Part II (the commune's strengths and shortcomings, then those of the data it does not name) and part III
    (the commune's tasks, then one for each shortcoming of part II that no task of its own covers)."""
    skip = disputed(rd)
    own_tasks = rd.narrative("nhiem_vu")
    return _render(
        "assessment.html.j2", rd=rd, strengths=strengths(rd, skip=skip), own_strengths=rd.narrative("uu_diem"),
        findings=[f["message"] for f in shortcomings(rd, skip=skip)], own_shortcomings=rd.narrative("ton_tai"),
        own_tasks=own_tasks, tasks=_numbered(own_tasks, proposed_tasks(rd, skip=skip)),
        next_phrase=next_phrase(rd.period),
    )


def closing_html(rd: ReportData) -> Html:
    """The closing sentence, nơi nhận and the signature block."""
    doc = rd.document
    recipients = ([r for r in (doc.get("recipients") or "").split("\n") if r]
                  or list(section("closing.recipients").values()))
    return _render(
        "closing.html.j2", rd=rd, recipients=recipients,
        own_closing=rd.narrative("ket_luan"),
        signer_role=doc.get("signer_role") or words("closing.signer_role"),
        signer_title=doc.get("signer_title") or words("closing.signer_title"),
        signer_name=doc.get("signer_name") or "",
        next_phrase=next_phrase(rd.period),
    )


def charts_html(rd: ReportData) -> Html:
    """The four charts, as SVG images in data: URLs (self-contained; one image node each keeps PDF layout fast)."""
    from ..metrics.compute import ranking_chart_ratio

    registry = load_registry()
    names = {u.key: u.name for u in registry}
    district_of = {u.key: u.district_code for u in registry}
    district = rd.metrics.loc[rd.metrics["commune_key"].map(district_of) == rd.commune.district_code] \
        if rd.commune.district_code else rd.metrics
    figures = [
        ("dossier_trend", charts.dossier_trend(rd.metrics, commune_key=rd.key, period=rd.period, n=TREND_QUARTERS)),
        ("rate_against_target",
         charts.rate_against_target(rd.metrics, commune_key=rd.key, period=rd.period, n=TREND_QUARTERS)),
        ("budget_against_plan", charts.budget_against_plan(rd.metrics, commune_key=rd.key, period=rd.period)),
        ("commune_ranking", charts.commune_ranking(district, names, period=rd.period, metric=ranking_chart_ratio().code,
                                                   highlight=rd.key)),
    ]
    return _render("charts.html.j2", figures=[(charts.caption(name), charts.to_data_uri(fig)) for name, fig in figures],
                   ranks=district_ranks(rd))


def district_ranks(rd: ReportData) -> list[dict]:
    """The commune's rank among its district's communes on each key ratio (1 = best)."""
    from ..metrics.compute import key_ratios, rank_communes

    if not rd.commune.district_code:
        return []
    key = key_ratios()
    ranks = rank_communes(rd.metrics, load_registry(), period=rd.period.id, metrics_to_rank=[r.code for r in key])
    mine = ranks.loc[(ranks["commune_code"] == rd.commune.code) & (ranks["district_code"] == rd.commune.district_code)]
    by_metric = {r.metric: r for r in mine.itertuples()}
    return [{"label": k.label, "value": format_percent(by_metric[k.code].value), "rank": by_metric[k.code].rank,
             "of": by_metric[k.code].of} for k in key if k.code in by_metric]


def appendix_rows(rd: ReportData) -> list[dict]:
    """Every Phụ lục 2B row of the period's catalogue version, with the stored value and note (blank stays blank)."""
    cat = load_catalogue().for_period(rd.period).table
    cat = cat.loc[cat["section"] != "S"]
    stored = rd.values.set_index("indicator_code")
    rows = []
    for r in cat.itertuples():
        value = stored["value"].get(r.code) if r.code in stored.index else None
        text_value = stored["value_text"].get(r.code) if r.code in stored.index else None
        note = stored["note"].get(r.code) if r.code in stored.index else ""
        depth = r.code.count(".")
        rows.append({
            "code": r.code if not r.code[-1].isalpha() else "", "full_code": r.code, "label": r.label, "unit": r.unit,
            "value": text_value if isinstance(text_value, str) and text_value else format_number(value),
            "note": note or "", "section": r.parent == "", "heading": r.kind == "heading", "depth": depth,
        })
    return rows


def supplementary_rows(rd: ReportData) -> list[dict]:
    cat = load_catalogue().for_period(rd.period).table
    rows = []
    for r in cat.loc[cat["section"] == "S"].itertuples():
        value = rd.value(r.code)
        if value is not None:
            source = rd.values.loc[rd.values["indicator_code"] == r.code, "source_file"].iloc[0]
            rows.append({"code": r.code, "label": r.label, "unit": r.unit, "value": format_number(value),
                         "source": source})
    return rows


def appendix_html(rd: ReportData) -> Html:
    """Phụ lục 2B: every row, code, label, unit, value, note; section rows bold."""
    title = words("appendix.title", period=rd.period.label_vi.upper(), commune=rd.commune.full_name.upper())
    return _render("appendix.html.j2", title=title, rows=appendix_rows(rd), supplementary=supplementary_rows(rd))


def warm_up() -> None:
    """Compile the templates and draw one chart, so that a kernel's first report is not its slowest."""
    env = _env()
    for name in env.list_templates():
        env.get_template(name)
    periods = charts.last_quarters("2021-Q3", 2)
    tiny = pd.DataFrame({"commune_key": "x", "metric": ["S.HS.NHAN_MOI", "R.HS.DUNG_HEN"] * 2,
                         "period": [periods[0]] * 2 + [periods[1]] * 2, "value": [1.0, 100.0, 2.0, 100.0]})
    charts.to_data_uri(charts.dossier_trend(tiny, commune_key="x", period=periods[1], n=2))

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
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ..config import TEMPLATES_DIR, DataPaths
from ..domain.areas import settings
from ..domain.catalogue import load_catalogue, parse_legend
from ..domain.communes import Commune, Registry, load_registry
from ..domain.formatting import (
    format_money,
    format_number,
    format_official_date,
    format_percent,
    format_short_date,
)
from ..domain.periods import ROMAN, Period
from ..domain.text import match_key
from ..errors import NoDataError
from ..store import METRICS_TABLES, Store
from . import agreement
from .inputs import COMMUNE_REPORT, TREND_QUARTERS, ReportInputs, has_data
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
class Compiled:
    """A 6-month, 9-month or annual report's figures compiled from its quarters' reports."""

    quarters: tuple[Period, ...]  # the period's quarters whose reports are stored
    missing: tuple[Period, ...]  # its quarters with no stored report (figures that need them stay blank)
    blanks: dict[str, str] = field(default_factory=dict)  # why a row some quarter reported is blank: code → note


@dataclass(frozen=True)
class SampleData:
    """Which of the figures a report shows are sample (synthetic) figures, not a unit's real ones."""

    own: bool = False  # this commune's figures of the period
    earlier: bool = False  # its earlier periods (trend charts, comparisons with earlier periods)
    others: bool = False  # other communes (the rank table and ranking chart)

    def __bool__(self) -> bool:
        return self.own or self.earlier or self.others


#: The header facts a report without a document of its own takes from the commune's latest earlier one (the
#: documents table keeps no reporting-plan reference; the number and date are never carried).
CARRIED_FIELDS = ("signer_role", "signer_title", "signer_name", "recipients")


@dataclass(frozen=True)
class CarriedForward:
    """Header facts carried forward from the commune's latest earlier report document."""

    period: str  # the period of the report they come from
    source_file: str  # that report's file
    fields: dict[str, str]  # field → value, only the fields that report states


def carried_forward(document: pd.DataFrame, earlier: pd.DataFrame) -> CarriedForward | None:
    """The header facts of :data:`CARRIED_FIELDS` from the latest of ``earlier`` (the unit's report documents of
    periods ending before its report's period: the ``earlier_documents`` slice), when ``document`` (the period's
    own) is empty; ``None`` when the period has its own document or no earlier one states any of them."""
    if len(document) or earlier.empty:
        return None
    ends = earlier["period"].map(lambda pid: Period.parse(pid).end)
    dates = pd.to_datetime(earlier["doc_date"], errors="coerce")
    latest = earlier.assign(_end=ends, _date=dates).sort_values(["_end", "_date"], na_position="first").iloc[-1]
    fields = {f: str(latest[f]) for f in CARRIED_FIELDS
              if f in latest and isinstance(latest[f], str) and latest[f].strip()}
    if not fields:
        return None
    return CarriedForward(period=str(latest["period"]), source_file=str(latest.get("source_file") or ""),
                          fields=fields)


@dataclass
class ReportData:
    """Everything one commune's report for one period is made of."""

    commune: Commune
    period: Period
    values: pd.DataFrame  # this commune and period, current values
    metrics: pd.DataFrame  # this commune over its trend periods
    findings: pd.DataFrame  # this commune and period
    narratives: pd.DataFrame  # this commune and period
    document: dict = field(default_factory=dict)  # header facts of the ingested report, if any
    sample: SampleData = field(default_factory=SampleData)  # which figures shown are sample figures
    compiled: Compiled | None = None  # set when the figures are compiled from the quarters (no report submitted)
    registry: Registry | None = field(default=None, repr=False, compare=False)  # with the office's own units
    draft: bool = False  # a draft for the official to finish: DỰ THẢO, number and day blank, generated text marked
    carried: CarriedForward | None = None  # header facts from the commune's latest earlier report (none ingested now)
    ranks: pd.DataFrame = field(default_factory=pd.DataFrame)  # its rank in its comparison group, by key ratio
    group: pd.DataFrame = field(default_factory=pd.DataFrame)  # its group's distribution (the metrics' group_stats)

    @property
    def key(self) -> str:
        return self.commune.key

    def value(self, code: str) -> float | None:
        at = self._positions("values", ("indicator_code",)).get((code,))
        value = self.values["value"].iloc[at] if at is not None else None
        return float(value) if value is not None and pd.notna(value) else None

    def metric(self, code: str, period: str | None = None) -> pd.Series | None:
        at = self._positions("metrics", ("commune_key", "period", "metric")).get(
            (self.key, period or self.period.id, code))
        return self.metrics.iloc[at] if at is not None else None

    def _positions(self, name: str, columns: tuple[str, ...]) -> dict[tuple, int]:
        """The position of the first row of each combination of ``columns`` in frame ``name`` (a report looks
        its figures up hundreds of times), built once per frame."""
        frame = getattr(self, name)
        cache = self.__dict__.setdefault("_lookups", {})
        hit = cache.get(name)
        if hit is None or hit[0] is not frame:
            keys = zip(*(frame[c].to_numpy() for c in columns)) if len(frame) else iter(())
            positions: dict[tuple, int] = {}
            for i, k in enumerate(keys):
                positions.setdefault(k, i)
            hit = cache[name] = (frame, positions)
        return hit[1]

    def narrative(self, area: str) -> list[dict]:
        rows = self.narratives.loc[self.narratives["area"] == area]
        return [{"heading": r.heading, "number": r.number, "paragraphs": [p for p in r.text.split("\n") if p.strip()]}
                for r in rows.itertuples()]


def load(*, commune: str | Commune, period: str | Period, data: DataPaths,
         inputs: ReportInputs = COMMUNE_REPORT, draft: bool = False) -> ReportData:
    """Read what the report of ``commune`` for ``period`` needs from the processed store: exactly the
    slices its declaration (:data:`pipeline.report.inputs.COMMUNE_REPORT`) names, nothing else.

    ``commune`` and ``period`` may be given as text (a notebook's parameters): they are parsed here, once.
    ``draft``: the report is a draft (:attr:`ReportData.draft`).
    """
    from ..metrics.compute import run_metrics

    p = Period.parse(period)
    registry = load_registry(data)
    unit = commune if isinstance(commune, Commune) else registry.resolve(commune, p)
    store = Store(data)
    if not all(store.path(t).exists() for t in METRICS_TABLES):  # never computed, or before the group tables
        run_metrics(data)
    tables = {name: _read(store, name, periods=inputs.periods_read(name, p)) for name in inputs.tables}
    _require_data(tables, unit, p)
    read = inputs.select(tables, unit, p, registry)
    mine, doc = read["values"].assign(origin="reported"), read["documents"]
    compiled = None
    if not p.is_quarter and mine.empty:  # no report submitted for the 6M/9M/Y period: compiled from its quarters
        mine, compiled = compiled_values(read["metrics"], read["quarters"], p, columns=list(mine.columns))
    metrics = read["metrics"]
    return ReportData(
        commune=unit, period=p, values=mine, metrics=metrics, findings=read["findings"],
        narratives=read["narratives"], document=doc.iloc[0].to_dict() if len(doc) else {},
        sample=sample_data(mine, metrics, read["ranks"], read["group_stats"], commune_key=unit.key, period=p),
        compiled=compiled,
        registry=registry,
        draft=bool(draft),
        carried=carried_forward(doc, read["earlier_documents"]) if "earlier_documents" in read else None,
        ranks=read["ranks"], group=read["group_stats"],
    )


def sample_data(values: pd.DataFrame, metrics: pd.DataFrame, ranks: pd.DataFrame, group: pd.DataFrame, *,
                commune_key: str, period: Period) -> SampleData:
    """What is synthetic among a report's figures: its own values of ``period``, its earlier periods' metrics,
    the other communes' ranked figures (``group``'s ``synthetic_units`` less the commune itself, by ``ranks``)."""
    synthetic = metrics["synthetic"].fillna(False).astype(bool)
    mine = metrics["commune_key"] == commune_key
    own_ranked = bool(ranks["synthetic"].fillna(False).astype(bool).any()) if len(ranks) else False
    others = int(group["synthetic_units"].iloc[0]) - own_ranked if len(group) else 0
    return SampleData(own=bool(values["synthetic"].fillna(False).astype(bool).any()),
                      earlier=bool((synthetic & mine & (metrics["period"] != period.id)).any()),
                      others=others > 0)


def compiled_values(metrics: pd.DataFrame, quarters: pd.DataFrame, period: Period, *,
                    columns: list[str]) -> tuple[pd.DataFrame, Compiled]:
    """The values of an aggregated period (6M, 9M, Y) no report was submitted for, as the metrics stage
    compiled them from the quarters (:func:`pipeline.metrics.compute.period_values`: flows summed, stocks
    last, ratios recomputed; a missing quarter leaves a sum blank), in the shape of the ``values`` table
    with ``origin`` "computed".  Categories and text are not combined: they stay blank.

    ``metrics`` holds the commune's metric rows (its indicator rows included), ``quarters`` which
    indicators its stored reports of the period's quarters hold (their values are not read here).  A row
    some quarter reported that stays blank gets a note saying why: not combined (categories, text, rule
    ``none``), or the quarters whose figure it lacks.
    """
    cat = load_catalogue().for_period(period).table.drop_duplicates("code", keep="last").set_index("code")
    rows = metrics.loc[(metrics["period"] == period.id) & metrics["metric"].isin(cat.index) & metrics["value"].notna()]
    out = pd.DataFrame({
        "commune_code": rows["commune_code"], "commune_key": rows["commune_key"], "period": period.id,
        "indicator_code": rows["metric"], "value": rows["value"].astype(float), "value_text": None,
        "cumulative_value": float("nan"), "unit": rows["unit"], "note": "", "source_file": "",
        "source_row": pd.NA, "raw_text": None, "synthetic": rows["synthetic"].fillna(False).astype(bool),
        "submission_id": None, "origin": rows["origin"],
    }).reset_index(drop=True)
    out = out.reindex(columns=list(dict.fromkeys([*columns, "origin"])))
    stored, qs = set(quarters["period"]), period.quarters()
    blanks = {}
    for code, held in quarters.groupby("indicator_code")["period"].agg(set).items():
        if code in set(out["indicator_code"]) or code not in cat.index or cat.at[code, "section"] == "S":
            continue
        rule = cat.at[code, "aggregation"]
        if cat.at[code, "kind"] in ("category", "text") or rule == "none":
            blanks[code] = words("compiled.not_combined")
            continue
        lacking = [q for q in {"sum": qs, "last": qs[-1:], "first": qs[:1]}.get(rule, []) if q.id not in held]
        if lacking:
            blanks[code] = words("compiled.lacking", quarters=_quarter_names(lacking))
    return out, Compiled(quarters=tuple(q for q in qs if q.id in stored),
                         missing=tuple(q for q in qs if q.id not in stored), blanks=blanks)


def _quarter_names(qs) -> str:
    """"quý II" or "các quý I, III"."""
    names = ", ".join(ROMAN[q.quarter_number] for q in qs)
    return words("compiled.quarters", names=names) if len(qs) > 1 else words("compiled.quarter", names=names)


def compiled_note(rd: ReportData) -> str:
    """"Số liệu tổng hợp từ báo cáo các quý I, II, III năm 2021." (and the quarters missing), or ""."""
    c = rd.compiled
    if c is None:
        return ""
    if not c.quarters:
        return words("compiled.none", year=rd.period.year)
    note = words("compiled.from", quarters=_quarter_names(c.quarters), year=rd.period.year)
    if c.missing:
        note += " " + words("compiled.missing", quarters=_quarter_names(c.missing), year=rd.period.year)
    return note


def require_data(*, commune: Commune, period: Period, data: DataPaths, inputs: ReportInputs = COMMUNE_REPORT) -> None:
    """Raise :class:`~pipeline.errors.NoDataError` when ``commune`` has nothing of its own stored for ``period``
    (:func:`pipeline.report.inputs.units_with_data`): no report is made of nothing."""
    store = Store(data)
    _require_data({name: _read(store, name, periods=inputs.periods_read(name, period)) for name in inputs.tables},
                  commune, period)


def _require_data(tables: dict[str, pd.DataFrame], unit: Commune, period: Period) -> None:
    if not has_data(tables, unit, period):
        raise NoDataError(f"no data for {unit.full_name} ({unit.code}) in {period.id} "
                          f"({words('not_reported', period=period.label_vi)}): no value, narrative or report header "
                          "of this commune and period is stored; nothing rendered (ingest its report first)")


def _read(store: Store, name: str, *, periods: tuple[str, ...] | None = None) -> pd.DataFrame:
    """A processed table (only its rows of ``periods``, when given), read once per version of its file and periods
    (a batch worker renders many reports of one period)."""
    path = store.path(name)
    stat = path.stat() if path.exists() else None
    return _read_version(str(store.paths.root), name, stat.st_mtime_ns if stat else 0, stat.st_size if stat else 0,
                         periods)


@lru_cache(maxsize=24)
def _read_version(root: str, name: str, mtime_ns: int, size: int, periods: tuple[str, ...] | None) -> pd.DataFrame:
    """Keyed by the file's identity; the frame is shared, so callers only ever filter it (never mutate)."""
    return Store(DataPaths(Path(root))).read(name, periods=periods)


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
    # a 6M/9M/Y period's previous period is the same period a year before: compared once
    prefixes = ("previous",) if row["yoy_period"] == row["previous_period"] else ("previous", "yoy")
    shown = [rd.period.id, *(row[c] for c in ("previous_period", "yoy_period") if pd.notna(row[c]))]
    note = history_note(rd, shown, metrics=[metric])
    if len(prefixes) == 2 and row["change"] == 0 and row["yoy_change"] == 0:
        text = words("comparison.unchanged", noun=noun, previous=Period.parse(row["previous_period"]).label_vi,
                     year=Period.parse(row["yoy_period"]).year)
        return text[0].upper() + text[1:] + "." + (" " + note if note else "")
    parts, named = [], False
    for prefix in prefixes:
        period_id = row["previous_period" if prefix == "previous" else "yoy_period"]
        period = Period.parse(period_id)
        value = row[f"{prefix}_value"]
        change = row["change" if prefix == "previous" else "yoy_change"]
        pct = row["change_pct" if prefix == "previous" else "yoy_change_pct"]
        against = (words("comparison.against.previous", period=period.label_vi) if prefix == "previous"
                   else words("comparison.against.yoy", year=period.year))
        if pd.isna(value):
            missing = _missing_units(rd, metric, period_id)
            parts.append(words("comparison.no_data_partial", against=against, reason=missing) if missing
                         else words("comparison.no_data", against=against))
            continue
        text = _change_words(change, unit, points=points)
        if not points and pd.notna(pct) and change != 0:
            text = words("change.with_percent", change=text, percent=format_number(abs(pct)))
        parts.append(words("comparison.clause_same_noun", against=against, change=text) if named
                     else words("comparison.clause", against=against, noun=noun, change=text))
        named = True
    text = "; ".join(parts)
    if not text:
        return ""
    return text[0].upper() + text[1:] + "." + (" " + note if note else "")


def _missing_units(rd: ReportData, metric: str, period: str) -> str:
    """Why ``metric`` of ``period`` is blank when it would be a sum of the commune's predecessors some of which did
    not report it (or a part of it): the metrics' reason, "thiếu số liệu của Xã Sơn Phú (18217)"; "" otherwise."""
    from ..metrics.compute import load_ratios

    m = rd.metrics
    if "summed_from" not in m:
        return ""
    ratio = next((r for r in load_ratios() if r.code == metric), None)
    codes = [metric] if ratio is None else [ratio.numerator, *ratio.denominator]
    rows = m.loc[(m["commune_key"] == rd.key) & (m["period"] == period) & m["metric"].isin(codes)
                 & m["origin"].eq("predecessors") & m["value"].isna() & m["reason"].fillna("").ne("")]
    return "; ".join(dict.fromkeys(rows["reason"]))


def history_note(rd: ReportData, periods: list[str], *, metrics: list[str] | None = None) -> str:
    """The label of the figures of ``metrics`` (None: any) in ``periods`` that are sums of the units the commune was
    made of (1/7/2025 mergers): "Số liệu trước 1/7/2025 là tổng của thị trấn Phố Châu và các xã Sơn Ninh, …";
    "" when none is shown.

    One clause per set of units summed, newest first, each from the day the older units ended.
    """
    m = rd.metrics
    if "summed_from" not in m:
        return ""
    rows = m.loc[(m["commune_key"] == rd.key) & m["period"].isin(periods) & m["summed_from"].fillna("").ne("")
                 & m["value"].notna()
                 & (m["metric"].isin(metrics) if metrics is not None else True)]
    if rows.empty:
        return ""
    registry = rd.registry or load_registry()
    sets = {tuple(s.split(";")) for s in rows["summed_from"]}
    eras = []
    for keys in sets:
        units = [registry.by_key(k) for k in keys]
        ended = min(u.valid_to for u in units if u.valid_to is not None)
        eras.append((ended + timedelta(days=1), units))
    clauses = []
    for n, (day, units) in enumerate(sorted(eras, key=lambda e: e[0], reverse=True)):
        kind = ("first" if n == 0 else "next") + ("_single" if len(units) == 1 else "")
        clauses.append(words(f"history.clause.{kind}", date=f"{day.day}/{day.month}/{day.year}",
                             units=_unit_list(units)))
    return "; ".join(clauses) + words("history.end")


def _unit_list(units: list[Commune]) -> str:
    """"thị trấn Phố Châu và các xã Sơn Ninh, Sơn Trung": by type, in the order of the codes."""
    by_type: dict[str, list[str]] = {}
    for u in sorted(units, key=lambda u: (u.code, u.valid_from)):
        by_type.setdefault(u.type, []).append(u.name)
    groups = [words("history.unit_one", type=t, name=names[0]) if len(names) == 1
              else words("history.unit_many", type=t, names=", ".join(names)) for t, names in by_type.items()]
    return words("history.and").join([", ".join(groups[:-1]), groups[-1]] if len(groups) > 1 else groups)


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
    taken for the figure), or, for a zero, a sentence names its topic with "không"/"chưa"; or a sentence
    elsewhere in the commune's text names its topic (``agreement.yaml``, ``topics``) and states the value.
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
        if (percent or abs(value) >= 10) and agreement.states_value(self.text, value, percent=percent):
            return True
        # elsewhere in the commune's text, in a sentence about it (the seed states the survey under 3.3)
        return value != 0 and any(agreement.states_value(t, value, percent=percent)
                                  for t in agreement.naming(self._everything(), code))

    def _everything(self) -> list[str]:
        if not hasattr(self, "_all"):
            self._all = agreement.sentences(self.rd, None)
        return self._all

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
                voice, (words("area1.assigned", count=_n(rd, "1.3.1"),
                              assigned_by=settings(rd.period, rd.commune.province_code).assigned_by)
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
                (words("area3.level_3_4", levels=online_term(rd.period, "both"), count=_n(rd, "3.2.2"),
                       rate=_ratio(rd, "R.DVC.MUC_3_4"))
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
                voice, (words("area7.online", first=online_term(rd.period, "first"), count=_n(rd, "7.1.8.1")),
                        ("7.1.8.1",)),
                (words("area7.online_level_4", second=online_term(rd.period, "second"), count=_n(rd, "7.1.8.2"))
                 if v("7.1.8.2") is not None else "",
                 ("7.1.8.2",))))
        if v("7.1.8.3") is not None:
            cum = rd.values.loc[rd.values["indicator_code"] == "7.1.8.3", "cumulative_value"]
            out.append(_sentence(
                voice, (words("area7.online_rate", when=when, first=online_term(rd.period, "first"),
                              rate=format_percent(v("7.1.8.3"))), ("7.1.8.3",)),
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
        out.append(_Line(words("strengths.all_on_time", count=format_number(row["denominator"])), ("R.HS.DUNG_HEN",)))
    if (rd.value("S.HS.QUA_HAN") == 0 and rd.value("S.HS.DANG_QUA_HAN") in (0, None)
            and not agreement.names(own, "S.HS.QUA_HAN")):
        out.append(_Line(words("strengths.none_late"), ("S.HS.QUA_HAN", "S.HS.DANG_QUA_HAN")))
    here = rd.metrics.loc[(rd.metrics["commune_key"] == rd.key) & (rd.metrics["period"] == rd.period.id)]
    if "target_kind" in here:
        met = here.loc[here["target_met"].eq(True) & here["target_kind"].eq("chi_tieu") & ~here["metric"].isin(skip)]
        for r in met.itertuples():
            out.append(_Line(words("strengths.target_met", label=r.label[:1].lower() + r.label[1:],
                                   value=format_percent(r.value), target=format_percent(r.target)), (r.metric,)))
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
        known = r.finding in for_finding or r.finding in ("plan_incomplete", "tasks_late")
        if not known or r.finding in seen or agreement.names(own, r.metric):
            continue
        seen.add(r.finding)
        if r.finding == "plan_incomplete":
            text = words("tasks.plan_incomplete", year=rd.period.year)
        elif r.finding == "tasks_late":  # who assigns the tasks depends on the period (provinces.yaml)
            text = words("tasks.tasks_late", assigned_by=settings(rd.period, rd.commune.province_code).assigned_by)
        else:
            text = words(f"tasks.for_finding.{r.finding}")
        out.append(_Line(text, (r.metric,)))
    if not own:
        out.append(_Line(words("tasks.always", year=rd.period.year)))
    return out


# --------------------------------------------------------------------------- HTML parts
@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES / "report"), autoescape=select_autoescape(default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = format_number
    env.filters["pct"] = format_percent
    env.globals["source_title"] = source_title
    return env


def source_label(rd: ReportData, code: str) -> str:
    """What a generated sentence's mark names for one of its codes: a Phụ lục 2B row with its number and label,
    a figure of the report's text, or a ratio computed from the figures (its label in the catalogue's terms, else
    the metrics table's)."""
    cat = load_catalogue().for_period(rd.period)
    if code in cat:
        label = str(cat.get(code)["label"]).rstrip(" :")
        if cat.get(code)["section"] != "S":
            return words("draft.source_row", code=code, label=label)
        return words("draft.source_narrative", label=label)
    row = rd.metrics.loc[(rd.metrics["metric"] == code) & rd.metrics["label"].notna(), "label"] \
        if "label" in rd.metrics else pd.Series(dtype=object)
    return words("draft.source_ratio", label=metric_label(code, rd.period, str(row.iloc[0]) if len(row) else code))


def source_title(rd: ReportData, line: str) -> str:
    """The title of a generated sentence's mark in a draft: "Nguồn: Phụ lục 2B, dòng 3.1.1: …; …"."""
    codes = getattr(line, "codes", ())
    labels = [source_label(rd, c) for c in dict.fromkeys(codes)] or [words("draft.source_standing")]
    return words("draft.sources", sources=words("draft.separator").join(labels))


def generated_sentences(rd: ReportData) -> list[dict]:
    """Every sentence the report writes from the data, as data (what a draft marks, for any output format):
    ``{"part", "text", "codes", "sources"}``; ``part`` is "I.<area>", "II.1" (strengths), "II.2"
    (shortcomings) or "III" (tasks, numbered as printed)."""
    skip = disputed(rd)
    lines = [(f"I.{n}", line) for n, t in areas() for part in [area_part(rd, n, t, skip=skip)]
             for line in [*part["sentences"], *(g for x in part["sections"] for g in x["sentences"])]]
    lines += [("II.1", s) for s in strengths(rd, skip=skip)]
    lines += [("II.2", _Line(f["message"], (f["metric"],))) for f in shortcomings(rd, skip=skip)]
    lines += [("III", t) for t in _numbered(rd.narrative("nhiem_vu"), proposed_tasks(rd, skip=skip))]
    return [{"part": part, "text": str(line), "codes": tuple(getattr(line, "codes", ())),
             "sources": source_title(rd, line)} for part, line in lines]


def _render(template: str, **context) -> Html:
    return Html(_env().get_template(template).render(**context))


def report_date(rd: ReportData) -> date:
    """The report's date: the commune's document date, else the last day of the period."""
    doc_date = rd.document.get("doc_date") or rd.period.end
    if isinstance(doc_date, pd.Timestamp):
        doc_date = doc_date.date()
    return doc_date if isinstance(doc_date, date) and not pd.isna(doc_date) else rd.period.end


def _month(day: date) -> str:
    """The month as a Nghị định 30 date writes it (1 and 2 zero-padded, as :func:`format_official_date`)."""
    return f"{day.month:02d}" if day.month <= 2 else str(day.month)


def draft_date(day: date) -> str:
    """A draft's date, the day left blank for the official: "ngày      tháng 9 năm 2021"."""
    return words("draft.date", month=_month(day), year=day.year)


def committee_name(unit: Commune) -> str:
    """"UBND xã Sơn Phú", "UBND thị trấn Phố Châu": the people's committee, by the unit's type."""
    return words("unit.committee", unit=unit.type, name=unit.name)


def _units_word(types: set[str]) -> str:
    """The unit words of ``types`` in the order xã, phường, thị trấn: "xã", "xã, thị trấn"."""
    return ", ".join(t for t in words("unit.types").split(", ") if t in types)


def _others(rd: ReportData) -> set[str]:
    """The unit types of the other communes whose figures the report shows (its group's ranked units: the group
    table's ``unit_types``, less the commune itself when it is ranked)."""
    if rd.group.empty:
        return set()
    counts = {t: int(n) for t, n in (item.split("=") for item in str(rd.group["unit_types"].iloc[0]).split(";")
                                      if item)}
    if len(rd.ranks):
        counts[rd.commune.type] = counts.get(rd.commune.type, 0) - 1
    return {t for t, n in counts.items() if n > 0}


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


def header_parts(rd: ReportData) -> dict:
    """What the header says (the HTML and the Word document both print it): issuer, number, place and date,
    subject line, the sample-data notice."""
    doc = rd.document
    doc_date = report_date(rd)
    return dict(
        body_line1=words("header.issuer"),
        body_line2=rd.commune.full_name.upper(),
        doc_number="" if rd.draft else doc.get("doc_number") or "",
        place=doc.get("place") or rd.commune.name,
        date_text=draft_date(doc_date) if rd.draft else format_official_date(doc_date),
        issuing_body=committee_name(rd.commune),
        subject=doc.get("subject") or subject_line(rd.period),
        notice=notice(rd), notice_label=words("notice.label"),
        draft_banner=words("draft.banner"), draft_legend_label=words("draft.legend_label"),
        draft_legend=words("draft.legend"),
    )


def header_html(rd: ReportData) -> Html:
    """The Nghị định 30/2020 header, title and subject line (and the sample-data notice)."""
    return _render("header.html.j2", rd=rd, **header_parts(rd))


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
        (home["sentences"] if home else opening).append(_Line(text, codes))
    return {"number": area, "title": title, "lead": lead, "sentences": opening, "sections": sections,
            "placeholder": words("draft.placeholder", area=title[:1].lower() + title[1:])}


def results_parts(rd: ReportData) -> dict:
    """Part I's content: the preamble, the compiled-figures note and one :func:`area_part` per area."""
    skip = disputed(rd)
    parts = [area_part(rd, n, t, skip=skip) for n, t in areas()]
    return {"areas": parts, "preamble": rd.narrative("mo_dau"), "compiled_note": compiled_note(rd)}


def results_html(rd: ReportData) -> Html:
    """Part I: per reform area one heading, the commune's own text, the data's figures it does not state."""
    return _render("results.html.j2", rd=rd, **results_parts(rd))


def _numbered(own: list[dict], tasks: list[str]) -> list[str]:
    """The generated tasks, numbered on from the commune's own ("13. …" after its "12. …"); with "- " when
    the commune's tasks are not numbered."""
    paragraphs = [p for s in own for p in s["paragraphs"]]
    numbers = [int(m.group(1)) for p in paragraphs if (m := re.match(r"\s*(\d+)\s*[.)]", p))]
    codes = [getattr(t, "codes", ()) for t in tasks]
    if paragraphs and not numbers:
        return [_Line(f"- {t}", c) for t, c in zip(tasks, codes)]
    start = max(numbers, default=0)
    return [_Line(f"{start + i}. {t}", c) for i, (t, c) in enumerate(zip(tasks, codes), 1)]


def assessment_html(rd: ReportData) -> Html:
    """Part II (the commune's strengths and shortcomings, then those of the data it does not name) and part III
    (the commune's tasks, then one for each shortcoming of part II that no task of its own covers)."""
    return _render("assessment.html.j2", rd=rd, **assessment_parts(rd))


def assessment_parts(rd: ReportData) -> dict:
    """Parts II and III's content (:func:`assessment_html`)."""
    skip = disputed(rd)
    own_tasks = rd.narrative("nhiem_vu")
    return dict(
        strengths=strengths(rd, skip=skip), own_strengths=rd.narrative("uu_diem"),
        findings=[_Line(f["message"], (f["metric"],)) for f in shortcomings(rd, skip=skip)],
        own_shortcomings=rd.narrative("ton_tai"),
        own_tasks=own_tasks, tasks=_numbered(own_tasks, proposed_tasks(rd, skip=skip)),
        next_phrase=next_phrase(rd.period),
    )


def closing_html(rd: ReportData) -> Html:
    """The closing sentence, nơi nhận and the signature block."""
    return _render("closing.html.j2", rd=rd, **closing_parts(rd))


def closing_parts(rd: ReportData) -> dict:
    """The closing's content (:func:`closing_html`): the commune's closing paragraphs, recipients, signer."""
    doc = {**(rd.carried.fields if rd.carried else {}), **{k: v for k, v in rd.document.items() if v}}
    recipients = ([r for r in (doc.get("recipients") or "").split("\n") if r]
                  or list(settings(rd.period, rd.commune.province_code).recipients))
    own = [p for s in rd.narrative("ket_luan") for p in s["paragraphs"]]
    return dict(
        recipients=recipients, committee=committee_name(rd.commune),
        own_closing=own,
        signer_role=doc.get("signer_role") or words("closing.signer_role"),
        signer_title=doc.get("signer_title") or words("closing.signer_title"),
        signer_name=doc.get("signer_name") or "",
        next_phrase=next_phrase(rd.period),
    )


def online_term(period: Period, which: str) -> str:
    """The online-service level(s) in the terms of the catalogue version in force in ``period`` (``which``: "both",
    "first", "second"): "mức độ 3, 4" before Nghị định 42/2022, "toàn trình, một phần" from version 2B-2022."""
    version = load_catalogue().for_period(period).table["version"].max()
    return section(f"online_terms.{version}")[which]


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
    return province_place(rd.commune.province_name)


def province_place(name: str) -> str:
    """A province as a place in running text: "tỉnh Hà Tĩnh"; a centrally-run city is named as it is ("Thành phố
    Hồ Chí Minh", never "tỉnh Thành phố Hồ Chí Minh")."""
    return name if name.casefold().startswith(words("unit.city").casefold()) else words("unit.province", name=name)


def attached_line(rd: ReportData) -> str:
    """"(Kèm theo Báo cáo số 52/BC-UBND ngày 14/9/2021 của UBND xã Sơn Phú)", under each appendix's title."""
    blank = words("appendix.blank_number").replace(" ", "\u00a0")
    number = blank if rd.draft else rd.document.get("doc_number") or blank
    day = report_date(rd)
    when = words("draft.short_date", month=_month(day), year=day.year) if rd.draft else format_short_date(day)
    return words("appendix.attached", number=number, date=when,
                 committee=committee_name(rd.commune))


def _appendix_head(rd: ReportData, numeral: str, title: str) -> dict:
    return {"label": words("appendix.label", numeral=numeral), "title": title, "attached": attached_line(rd)}


def _figure(fig) -> dict:
    from . import charts  # matplotlib only where a chart is drawn (a checklist draws none)
    return {"title": charts.title(fig), "uri": charts.to_data_uri(fig)}


def charts_html(rd: ReportData, *, numeral: str = "I") -> Html | None:
    """The appendix of the commune's trend charts as SVG images in data: URLs (:func:`charts_parts`)."""
    parts = charts_parts(rd, numeral=numeral)
    if parts is None:
        return None
    return _render("charts.html.j2", head=parts["head"], missing=parts["missing"],
                   figures=[_figure(f["figure"]) | {"note": f["note"]} for f in parts["figures"]])


def charts_parts(rd: ReportData, *, numeral: str = "I") -> dict | None:
    """The appendix of the commune's trend charts (dossiers, online services, budget), as SVG images in data:
    URLs (self-contained; one image node each keeps PDF layout fast).  A chart with no figure to draw is
    named in a sentence instead; ``None`` when no chart has one."""
    from . import charts  # matplotlib only where a chart is drawn (a checklist draws none)
    labels = {c: metric_label(c, rd.period) for c in ("R.DVC.MUC_3_4", "7.1.8.3")}
    figures = {
        "dossier_trend": charts.dossier_trend(rd.metrics, commune_key=rd.key, period=rd.period, n=TREND_QUARTERS),
        "rate_against_target": charts.rate_against_target(rd.metrics, commune_key=rd.key, period=rd.period,
                                                          n=TREND_QUARTERS, labels=labels),
        "budget_against_plan": charts.budget_against_plan(rd.metrics, commune_key=rd.key, period=rd.period),
    }
    if all(fig is None for fig in figures.values()):
        return None
    # each chart with the label of the figures in it that are sums of the units the commune was made of
    shown = {"dossier_trend": charts.last_quarters(rd.period, TREND_QUARTERS),
             "rate_against_target": charts.last_quarters(rd.period, TREND_QUARTERS),
             "budget_against_plan": [p.id for p in rd.period.year_to_date()]}
    notes = {name: history_note(rd, shown[name], metrics=list(charts.SHOWN[name])) for name in figures}
    head = _appendix_head(rd, numeral, words("appendix.charts", commune=rd.commune.full_name.upper()))
    return dict(head=head,
                figures=[{"figure": f, "title": charts.title(f), "note": notes[name]}
                         for name, f in figures.items() if f is not None],
                missing=[words("appendix.no_chart", caption=charts.caption(name))
                            for name, f in figures.items() if f is None])


def ranks_html(rd: ReportData, *, numeral: str = "I") -> Html | None:
    """The appendix of the commune's place among the communes it is compared with (:func:`ranks_parts`)."""
    parts = ranks_parts(rd, numeral=numeral)
    if parts is None:
        return None
    fig = parts["figure"]
    return _render("ranks.html.j2", head=parts["head"], ranks=parts["ranks"], note=parts["note"],
                   figure=_figure(fig) if fig is not None else None)


def ranks_parts(rd: ReportData, *, numeral: str = "I") -> dict | None:
    """The appendix of the commune's place among the communes it is compared with: the rank table on the key
    ratios and the chart of its group's distribution on one of them (the metrics stage's group table: the same
    few rows whatever the group's size); ``None`` when there is neither."""
    from ..metrics.compute import ranking_chart_ratio
    from . import charts  # matplotlib only where a chart is drawn (a checklist draws none)

    ratio = ranking_chart_ratio()
    mine = rd.ranks.loc[rd.ranks["metric"] == ratio.code] if len(rd.ranks) else rd.ranks
    fig = charts.group_distribution(rd.group, period=rd.period, label=metric_label(ratio.code, rd.period, ratio.label),
                                    value=float(mine["value"].iloc[0]) if len(mine) else None,
                                    unit_name=rd.commune.full_name, units=_units_word(_others(rd) | {rd.commune.type}),
                                    group_name=_group(rd))
    ranks = district_ranks(rd)
    if fig is None and not ranks:
        return None
    head = _appendix_head(rd, numeral, words("appendix.ranks", commune=rd.commune.full_name.upper(),
                                             group=_group(rd).upper(), period=rd.period.label_vi.upper()))
    return dict(head=head, ranks=ranks, figure=fig,
                note=words("appendix.ranks_note", units=_units_word(_others(rd) | {rd.commune.type})))


def district_ranks(rd: ReportData) -> list[dict]:
    """The commune's rank among the communes of its comparison group with a figure (its district before 1/7/2025,
    its province after) on each key ratio (1 = best): "3/9 xã có số liệu", from the metrics stage's ranks."""
    from ..metrics.compute import key_ratios

    by_metric = {r.metric: r for r in rd.ranks.itertuples()} if len(rd.ranks) else {}
    out = []
    for k in key_ratios():
        if k.code in by_metric:
            r = by_metric[k.code]
            out.append({"label": metric_label(k.code, rd.period, k.label), "value": format_percent(r.value),
                        "rank": int(r.rank), "of": int(r.of),
                        "text": words("charts.ranks.rank", rank=int(r.rank), of=int(r.of))})
    return out


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
        note = stored["note"].get(r.code) if r.code in stored.index else (
            rd.compiled.blanks.get(r.code, "") if rd.compiled else "")
        sub = r.code[-1].isalpha()
        legend = r.legend if isinstance(r.legend, str) and r.legend else ""
        rows.append({
            "code": r.code if not sub else "", "full_code": r.code, "label": r.label, "unit": r.unit,
            "unit_lines": _legend_lines(r.unit, legend) if legend else [r.unit] if r.unit else [],
            "value": text_value if isinstance(text_value, str) and text_value else format_number(value),
            "note": note or "", "section": r.parent == "", "heading": r.kind == "heading",
            "depth": r.code.count("."), "sub": sub, "stt_rows": 1,
            "origin": stored["origin"].get(r.code) if r.code in stored.index else None,
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
    parts = supplementary_parts(rd, numeral=numeral)
    return None if parts is None else _render("supplementary.html.j2", **parts)


def supplementary_parts(rd: ReportData, *, numeral: str = "I") -> dict | None:
    """The dossier and budget appendix's heading and rows; ``None`` when there are none."""
    rows = supplementary_rows(rd)
    if not rows:
        return None
    head = _appendix_head(rd, numeral, words("appendix.supplementary", period=rd.period.label_vi.upper()))
    return {"head": head, "rows": rows}


def appendix_html(rd: ReportData) -> Html:
    """Phụ lục 2B: every row, STT, label, unit, value, note; section rows bold."""
    return _render("appendix.html.j2", **appendix_parts(rd))


def appendix_parts(rd: ReportData) -> dict:
    """Phụ lục 2B's heading, rows (:func:`appendix_rows`) and compiled-figures note."""
    title = words("appendix.title", period=rd.period.label_vi.upper(), commune=rd.commune.full_name.upper())
    head = {"label": words("appendix.label", numeral="2B"), "title": title, "attached": attached_line(rd)}
    return {"head": head, "rows": appendix_rows(rd), "compiled_note": compiled_note(rd)}


#: The appendices after Phụ lục 2B, in order; each is numbered I, II, ... when it has something to show.
NUMBERED_APPENDICES = (supplementary_html, charts_html, ranks_html)
_NUMERALS = ("I", "II", "III", "IV", "V", "VI")


#: The same appendices as content (kind, function returning its parts or ``None``), for the Word document.
NUMBERED_PARTS = (("supplementary", supplementary_parts), ("charts", charts_parts), ("ranks", ranks_parts))


def numbered_parts(rd: ReportData) -> list[tuple[str, dict]]:
    """The numbered appendices with something to show, in order, numbered I, II, … (as :func:`appendices_html`)."""
    out = []
    for kind, make in NUMBERED_PARTS:
        part = make(rd, numeral=_NUMERALS[len(out)])
        if part is not None:
            out.append((kind, part))
    return out


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
    from . import charts  # matplotlib only where a chart is drawn (a checklist draws none)
    env = _env()
    for name in env.list_templates():
        env.get_template(name)
    periods = charts.last_quarters("2021-Q3", 2)
    tiny = pd.DataFrame({"commune_key": "x", "metric": ["S.HS.NHAN_MOI", "R.HS.DUNG_HEN"] * 2,
                         "period": [periods[0]] * 2 + [periods[1]] * 2, "value": [1.0, 100.0, 2.0, 100.0]})
    charts.to_data_uri(charts.dossier_trend(tiny, commune_key="x", period=periods[1], n=2))

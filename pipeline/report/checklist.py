"""The analyst's checklist: what the district reads before accepting a commune's report for a period.

A page beside the report (``outputs/{period}/{code}-{slug}/checklist.html``), never a part of it, listing:

1. the metrics stage's findings for the commune and period (all of them, grouped by ``audience`` when the
   findings say whether they go into the report or to the checklist only);
2. the contradictions between the commune's text and its appendix (:func:`pipeline.report.agreement.disagreements`);
3. the ingest's warnings and errors in the commune's current files of the period (:func:`attributed_issues`);
4. values missing against the period it is compared with (:func:`missing_values`: reported then, blank now);
5. figures copied unchanged from that period (:func:`copied_values`: a flow with the same non-zero value; the
   whole appendix when every value both periods share is equal).

The functions are pure over the frames :func:`pipeline.report.content.load` and the declaration
:data:`pipeline.report.inputs.CHECKLIST` give; :func:`write_checklist` reads them and writes the page.  The
batch renders it with the report, in Python (no notebook), and its hash covers both declarations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import DataPaths
from ..domain.catalogue import Catalogue, load_catalogue, parse_legend
from ..domain.communes import Commune
from ..domain.formatting import format_money, format_number, format_percent
from ..domain.periods import Period
from .words import section, words

#: The page's file name in the report's folder.
CHECKLIST_FILE = "checklist.html"
#: The sections, in page order (the keys of :meth:`Checklist.counts`).
SECTIONS = ("findings", "disagreements", "issues", "missing", "copied")
_ISSUE_KEYS = ("commune_code", "commune_key", "period")


# --------------------------------------------------------------------------- the ingest's issues of a commune
def attributed_issues(report: pd.DataFrame, submissions: pd.DataFrame, values: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``ingest_report`` that concern a current submission, with its ``commune_code``,
    ``commune_key`` and ``period``.

    An issue names a file and a row, not a commune.  It concerns a submission (commune and period) when the file's
    only current submission is that one; in a file holding several (a district's long CSV), when its row is one
    of the submission's stored rows, when its message names the commune and period ("18217 2021-Q3: …", as the
    cross-checks write), or when the stored rows just above and just below it in the file both belong to that
    submission (a refused row inside the commune's block).  Anything else is left out rather than guessed.
    """
    columns = list(report.columns) + list(_ISSUE_KEYS)
    current = submissions.loc[submissions["status"] == "current", ["source_file", *_ISSUE_KEYS]].drop_duplicates()
    if report.empty or current.empty:
        return pd.DataFrame(columns=columns)
    per_file = current.groupby("source_file")
    out = []
    for file, issues in report.loc[report["file"].isin(current["source_file"])].groupby("file", sort=False):
        held = per_file.get_group(file)
        if len(held) == 1:
            only = held.iloc[0]
            out.append(issues.assign(**{k: only[k] for k in _ISSUE_KEYS}))
            continue
        out.append(_attribute_in_shared_file(issues, held, values.loc[values["source_file"] == file]))
    found = [f for f in out if not f.empty]
    return pd.concat(found, ignore_index=True)[columns] if found else pd.DataFrame(columns=columns)


def _attribute_in_shared_file(issues: pd.DataFrame, held: pd.DataFrame, stored: pd.DataFrame) -> pd.DataFrame:
    """:func:`attributed_issues` for a file holding several submissions (``held``; ``stored``: its stored rows)."""
    held_keys = {(r.commune_key, r.period) for r in held.itertuples()}
    code_of = {(r.commune_key, r.period): r.commune_code for r in held.itertuples()}
    by_name = {f"{r.commune_code} {r.period}:": (r.commune_key, r.period) for r in held.itertuples()}
    rows = stored.dropna(subset=["source_row"]).sort_values("source_row")
    row_numbers = rows["source_row"].astype("int64").to_numpy()
    owners = list(zip(rows["commune_key"], rows["period"]))
    keep, owner = [], []
    for r in issues.itertuples(index=False):
        found = next((key for prefix, key in by_name.items() if str(r.message).startswith(prefix)), None)
        if found is None and pd.notna(r.row) and len(row_numbers):
            at = int(np.searchsorted(row_numbers, int(r.row)))
            if at < len(row_numbers) and row_numbers[at] == int(r.row):
                found = owners[at]
            elif 0 < at < len(row_numbers) and owners[at - 1] == owners[at]:
                found = owners[at]
        keep.append(found in held_keys)
        owner.append(found)
    mine = issues.loc[keep]
    chosen = [o for o, k in zip(owner, keep) if k]
    return mine.assign(commune_key=[k for k, _ in chosen], period=[p for _, p in chosen],
                       commune_code=[code_of[o] for o in chosen])


# --------------------------------------------------------------------------- values of two periods
def period_values(values: pd.DataFrame, metrics: pd.DataFrame, period: Period, catalogue: Catalogue) -> pd.DataFrame:
    """The commune's figures of ``period``, one row per indicator (``indicator_code, value, value_text``): the
    values it submitted, and for a 6-month, 9-month or annual period the figures compiled from its quarters
    (``metrics`` rows of catalogue indicators) where it submitted none.  Blank rows are not in it."""
    own = values.loc[values["period"] == period.id, ["indicator_code", "value", "value_text"]]
    own = own.loc[own["value"].notna() | own["value_text"].fillna("").str.strip().ne("")]
    if not period.is_quarter and not metrics.empty:
        keep = metrics["period"].eq(period.id) & metrics["value"].notna()
        keep &= metrics["metric"].isin(catalogue.table["code"])
        m = metrics.loc[keep & ~metrics["metric"].isin(own["indicator_code"])]
        compiled = pd.DataFrame({"indicator_code": m["metric"], "value": m["value"], "value_text": None})
        own = pd.concat([own, compiled], ignore_index=True) if len(compiled) else own
    return own.drop_duplicates("indicator_code").reset_index(drop=True)


def _catalogue_order(codes, catalogue: Catalogue) -> list[str]:
    order = {c: i for i, c in enumerate(catalogue.table["code"])}
    return sorted(codes, key=lambda c: (order.get(c, len(order)), c))


def missing_values(current: pd.DataFrame, previous: pd.DataFrame, catalogue: Catalogue) -> list[str]:
    """Indicators (codes, in catalogue order) with a figure in the previous period and none now: blank is not zero,
    so they are "not reported", never 0.  Only indicators of the current period's catalogue version count (a row
    the catalogue dropped is not missing)."""
    gone = set(previous["indicator_code"]) - set(current["indicator_code"])
    return _catalogue_order([c for c in gone if c in catalogue and catalogue.get(c)["kind"] != "heading"], catalogue)


def copied_values(current: pd.DataFrame, previous: pd.DataFrame, catalogue: Catalogue) -> tuple[list[str], int, bool]:
    """Figures repeated unchanged from the previous period: ``(flows, shared, identical)``.

    ``flows``: the codes of flow indicators (catalogue rule ``sum``: counts of the period) with the same non-zero
    value in both periods (a stock, rule ``last``, unchanged is normal and not listed); ``shared``: how many
    indicators have a figure in both; ``identical``: every one of them is equal (the whole appendix copied).
    """
    both = current.merge(previous, on="indicator_code", suffixes=("", "_prev"))
    if both.empty:
        return [], 0, False
    same_number = both["value"].notna() & (both["value"] == both["value_prev"])
    same_text = both["value"].isna() & both["value_prev"].isna() & (
        both["value_text"].fillna("").str.strip() == both["value_text_prev"].fillna("").str.strip())
    same = same_number | same_text
    flows = [r.indicator_code for r in both.loc[same_number & (both["value"] != 0)].itertuples()
             if r.indicator_code in catalogue and catalogue.get(r.indicator_code)["aggregation"] == "sum"]
    return _catalogue_order(flows, catalogue), len(both), bool(same.all())


# --------------------------------------------------------------------------- the page's content
@dataclass
class Checklist:
    """One commune's checklist for one period: each section's rows, ready to print (every text escaped by the
    template)."""

    commune: Commune
    period: Period
    previous: Period
    sources: list[dict] = field(default_factory=list)
    findings: list[dict] = field(default_factory=list)
    grouped: bool = False  # findings carry an audience (report / checklist only)
    disagreements: list[dict] = field(default_factory=list)
    issues: list[dict] = field(default_factory=list)
    missing: list[dict] = field(default_factory=list)
    copied: list[dict] = field(default_factory=list)
    shared: int = 0
    identical: bool = False
    synthetic: dict[str, bool] = field(default_factory=dict)  # "now", "before": some figure is sample data
    carried: str = ""  # which header facts the report carried forward from which earlier report ("": none)

    @property
    def finding_groups(self) -> list[tuple[str | None, list[dict]]]:
        """The findings by audience, those the report prints first (one group without a title when the findings
        carry no audience)."""
        if not self.grouped:
            return [(None, self.findings)]
        order = list(dict.fromkeys(["report", *(f["audience"] for f in self.findings)]))
        return [(a, rows) for a in order if (rows := [f for f in self.findings if f["audience"] == a])]

    def counts(self) -> dict[str, int]:
        """Items per section (the identical-appendix flag counts as one item of section 5) and their total."""
        out = {name: len(getattr(self, name)) for name in SECTIONS}
        out["copied"] += int(self.identical)
        return out | {"total": sum(out.values())}


def base_name(path: object) -> str:
    """A file's base name (the server's folders are not shown): ``sample/x.csv`` → ``x.csv``."""
    return re.split(r"[\\/]", str(path))[-1]


def build(rd, *, previous_values: pd.DataFrame, submissions: pd.DataFrame, issues: pd.DataFrame,
          disagreements: list | None = None) -> Checklist:
    """The checklist of the report data ``rd`` (:class:`pipeline.report.content.ReportData`) with what
    :data:`pipeline.report.inputs.CHECKLIST` adds; ``disagreements`` default to those of
    :func:`pipeline.report.agreement.disagreements`."""
    if disagreements is None:
        from .agreement import disagreements as find

        disagreements = find(rd)
    period, previous = rd.period, rd.period.previous()
    catalogue = load_catalogue()
    now, before = catalogue.for_period(period), catalogue.for_period(previous)
    labels = _labels(rd.metrics, now, before)
    cl = Checklist(commune=rd.commune, period=period, previous=previous)
    current = submissions.loc[(submissions["status"] == "current") & (submissions["period"] == period.id)]
    cl.sources = [{"file": base_name(r.source_file), "when": _when(r.ingested_at)}
                  for r in current.sort_values("source_file").itertuples()]
    if rd.carried is not None:
        cl.carried = words("checklist.carried", period=Period.parse(rd.carried.period).label_vi,
                           file=base_name(rd.carried.source_file),
                           fields=", ".join(words(f"checklist.carried_fields.{f}") for f in rd.carried.fields))
    cl.grouped = "audience" in rd.findings.columns
    cl.findings = [_finding(r, labels) for r in rd.findings.itertuples()]
    if cl.grouped:
        cl.findings = [f for _, rows in cl.finding_groups for f in rows]
    cl.disagreements = [{"area": d.area, "codes": [_named(c, labels) for c in d.codes], "data_says": d.data_says,
                         "text_says": d.text_says, "message": d.message} for d in disagreements]
    cl.issues = [_issue(r, labels) for r in issues.sort_values(["file", "row"], na_position="first").itertuples()]
    own_metrics = rd.metrics.loc[rd.metrics["commune_key"] == rd.key]
    this = period_values(rd.values, own_metrics, period, now)
    last = period_values(previous_values, own_metrics, previous, before)
    last_by_code = last.set_index("indicator_code")
    cl.missing = [{"code": _named(c, labels), "before": _show(c, last_by_code.loc[c], catalogue),
                   "unit": _unit(c, catalogue), "now": words("checklist.not_reported")}
                  for c in missing_values(this, last, now)]
    cl.synthetic = {"now": _any_synthetic(rd.values), "before": _any_synthetic(previous_values)}
    flows, cl.shared, cl.identical = copied_values(this, last, now)
    cl.copied = [{"code": _named(c, labels), "value": _show(c, last_by_code.loc[c], catalogue),
                  "unit": _unit(c, catalogue)} for c in flows]
    return cl


def _any_synthetic(values: pd.DataFrame) -> bool:
    return "synthetic" in values.columns and bool(values["synthetic"].fillna(False).astype(bool).any())


def _labels(metrics: pd.DataFrame, *catalogues: Catalogue) -> dict[str, str]:
    """Label of every code the page may name: the catalogue's (current version first), then the metrics'."""
    out = dict(zip(metrics["metric"], metrics["label"])) if len(metrics) else {}
    out = {k: v for k, v in out.items() if isinstance(v, str) and v}
    for cat in reversed(catalogues):
        out |= dict(zip(cat.table["code"], cat.table["label"]))
    return out


def _named(code: str, labels: dict[str, str]) -> dict:
    return {"code": code, "label": labels.get(code, "")}


def _finding(r, labels: dict[str, str]) -> dict:
    audience = getattr(r, "audience", None)
    return {"severity": r.severity, "code": _named(r.metric, labels), "message": r.message,
            "audience": None if audience is None or pd.isna(audience) else str(audience)}


def _issue(r, labels: dict[str, str]) -> dict:
    crossed = in_vietnamese(r.message)
    expected = "" if crossed else (r.expected or "")
    return {"severity": r.severity, "file": base_name(r.file), "row": "" if pd.isna(r.row) else str(int(r.row)),
            "code": _named(r.indicator_code, labels) if r.indicator_code else None, "value": r.value or "",
            "message": crossed or _said(r.message, _MESSAGES, "messages"),
            "expected": _said(expected, _EXPECTED, "expected", suffixes=True)}


#: The ingest's messages about one value (:func:`pipeline.ingest.validate.coerce_values`, in English in
#: ``ingest_report``), by the name of their Vietnamese sentence under ``checklist.ingest.messages``.
_MESSAGES = {
    "unknown_code": r"unknown indicator code",
    "heading": r"a heading row takes no value",
    "unit_only": r"no number, only a unit \(unit and value columns swapped\?\)",
    "not_a_number": r"not a number",
    "not_whole": r"not a whole number",
    "below_minimum": r"below the minimum (?P<limit>\S+)",
    "above_maximum": r"above the maximum (?P<limit>\S+)",
    "not_in_legend": r"not a code of the legend",
    "implausible": r"implausibly large: above 10\^(?P<power>\d+) for a \w+ \(a typing or unit error\?\)",
    "below_one_percent": r"percentage (?P<text>\S+) is below 1 %: is this (?P<whole>\S+) % or (?P=text) %\?",
}
#: What those messages expected, likewise (``checklist.ingest.expected``); a known suffix is said after it.
_EXPECTED = {
    "count": r"a whole number ≥ 0",
    "percent": r"a percentage between 0 and 100",
    "percent_open": r"a percentage ≥ 0",
    "money": r"an amount in đồng ≥ 0",
    "score": r"a score ≥ 0",
    "legend": r"one of (?P<codes>\d+ \(.*\))",
    "blank": r"a blank cell",
    "catalogue": r"a code of the indicator catalogue \(cchc catalogue\)",
    "percent_as_written": r"the percentage as a number from 0 to 100 \(stored as written; correct the file if "
                          r"(?P<whole>\S+) % was meant\)",
}
_SUFFIXES = {
    "up_to": r" up to 10\^(?P<power>\d+)",
    "value_column": r" in the value column \(unit '(?P<unit>[^']*)' in its own column\)",
}


def _said(text: object, patterns: dict[str, str], group: str, *, suffixes: bool = False) -> str:
    """``text`` (an ingest message) in Vietnamese when it is one of ``patterns``, else as it was written."""
    text = "" if text is None or (not isinstance(text, str) and pd.isna(text)) else str(text)
    for name, pattern in patterns.items():
        m = re.match(pattern, text)
        if m is None:
            continue
        rest, said = text[m.end():], words(f"checklist.ingest.{group}.{name}", **m.groupdict())
        if not rest:
            return said
        for suffix, tail in (_SUFFIXES.items() if suffixes else ()):
            if t := re.fullmatch(tail, rest):
                return said + words(f"checklist.ingest.suffix.{suffix}", **t.groupdict())
    return text


@lru_cache(maxsize=1)
def _cross_check_patterns() -> list[tuple[re.Pattern, str]]:
    """Each cross-check's ingest message (English, as ``ingest_report`` keeps it) as a pattern, with its Vietnamese
    sentence (``pipeline/ingest/checks.yaml``)."""
    from ..ingest.validate import cross_check_pairs

    number = r"(?P<{}>-?[0-9][0-9.e+]*)"
    out = []
    for _, _, en, vi in cross_check_pairs():
        pattern = re.escape(en).replace(r"\{a\}", "{a}").replace(r"\{b\}", "{b}")
        pattern = pattern.replace("{a}", number.format("a")).replace("{b}", number.format("b"))
        out.append((re.compile(r"(?:\S+ \S+: )?" + pattern + "$"), vi))
    return out


def in_vietnamese(message: object) -> str | None:
    """The Vietnamese sentence of a cross-check's ingest message ("18217 2021-Q3: staff present (19) above the
    quota (18)" → "số biên chế có mặt (19) lớn hơn biên chế được giao (18)"), or None for any other message, and
    for a figure the message rounded (written with an exponent)."""
    for pattern, vi in _cross_check_patterns():
        if (m := pattern.match(str(message))) and "e" not in m["a"] + m["b"]:  # "%g" rounds above 6 digits: not shown
            return vi.format(a=format_number(float(m["a"])), b=format_number(float(m["b"])))
    return None


def _when(ts) -> str:
    if ts is None or pd.isna(ts):
        return ""
    return words("checklist.ingested_at", time=pd.Timestamp(ts).strftime("%d/%m/%Y %H:%M"))


def _show(code: str, row: pd.Series, catalogue: Catalogue) -> str:
    """A figure as the appendix prints it (category with its legend, money, percentage, count, text)."""
    if pd.isna(row["value"]):
        return str(row["value_text"] or "")
    cat = catalogue.get(code) if code in catalogue else None
    kind = cat["kind"] if cat is not None else ""
    value = float(row["value"])
    if kind == "category":
        legend = parse_legend(cat["legend"])
        shown = format_number(value)
        return f"{shown} – {legend[int(value)]}" if int(value) in legend else shown
    if kind == "percent":
        return format_percent(value)
    if kind == "money":
        return format_money(value)
    return format_number(value)


def _unit(code: str, catalogue: Catalogue) -> str:
    if code not in catalogue:
        return ""
    cat = catalogue.get(code)
    return cat["unit"] if cat["kind"] not in ("category", "money", "percent") and isinstance(cat["unit"], str) else ""


# --------------------------------------------------------------------------- reading and writing
def load(*, commune: str | Commune, period: str | Period, data: DataPaths) -> Checklist:
    """The checklist of ``commune`` for ``period``: the report's data and what :data:`CHECKLIST` declares."""
    from ..domain.communes import load_registry
    from ..store import Store
    from . import content
    from .inputs import CHECKLIST

    rd = content.load(commune=commune, period=period, data=data)
    store = Store(data)
    tables = {name: content._read(store, name, periods=CHECKLIST.periods_read(name, rd.period))
              for name in CHECKLIST.tables}
    extra = CHECKLIST.select(tables, rd.commune, rd.period, load_registry())
    return build(rd, previous_values=extra["previous_values"], submissions=extra["submissions"],
                 issues=extra["issues"])


def checklist_html(cl: Checklist) -> str:
    """The checklist as one self-contained HTML page (inline CSS, no outside request)."""
    from .content import _env

    return _env().get_template("checklist.html.j2").render(
        cl=cl, w=section("checklist.page"), counts=cl.counts(),
        title=words("checklist.title", period=cl.period.label_vi, commune=cl.commune.full_name),
        compared=words("checklist.compared", period=cl.period.label_vi, previous=cl.previous.label_vi),
        identical=words("checklist.identical", count=format_number(cl.shared), previous=cl.previous.label_vi),
        severity=section("checklist.severity"), audience=section("checklist.audience"),
        samples=[words(f"checklist.synthetic.{k}", period=p.label_vi) for k, p in
                 (("now", cl.period), ("before", cl.previous)) if cl.synthetic.get(k)])


def write_checklist_for(directory: str, commune: str, period: str, data: str) -> dict:
    """:func:`write_checklist` from plain text arguments (the data directory's root): what a batch worker asks its
    warm kernel to run."""
    return write_checklist(Path(directory), commune=commune, period=period, data=DataPaths(Path(data)))


def write_checklist(directory: Path, *, commune: str | Commune, period: str | Period, data: DataPaths) -> dict:
    """Write ``checklist.html`` into ``directory`` (atomically) and return its item counts."""
    from ..store import atomic_file

    cl = load(commune=commune, period=period, data=data)
    with atomic_file(Path(directory) / CHECKLIST_FILE) as tmp:
        tmp.write_text(checklist_html(cl), encoding="utf-8")
    return cl.counts()

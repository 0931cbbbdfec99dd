"""What a report reads, declared once.

A report kind declares its inputs as data (:class:`ReportInputs`): which stored tables, which rows of
them (the commune's own rows of the period, its metrics over which periods, its comparison group's
values of which metrics), which columns, and which files make it (the package code it runs, followed
through its imports, and the notebook, templates, phrase files, fonts, catalogue and registry).  The report's
loader (:func:`pipeline.report.content.load`) reads through :meth:`ReportInputs.select`, and the batch's incremental
hash is :meth:`ReportInputs.hashes` of the same declaration, so a chart or ranking that reads more data changes
the declaration, and so the hash: the two cannot drift apart.

>>> [s.name for s in COMMUNE_REPORT.slices]
['values', 'narratives', 'documents', 'earlier_documents', 'findings', 'metrics', 'quarters', 'ranks', 'group_stats']

The analyst's checklist (:mod:`pipeline.report.checklist`), rendered beside each report, reads the report's
slices and what :data:`CHECKLIST` declares beyond them (the previous period's values, the period's submissions,
the ingest's issues in the commune's files); the batch's hash of a report covers both (:func:`job_hashes`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import CATALOGUE_DIR, DOCX_TEMPLATE, FONTS_DIR, NOTEBOOKS_DIR, PACKAGE_DIR, TEMPLATES_DIR
from ..domain.areas import comparison_group
from ..domain.communes import Commune, Registry
from ..domain.periods import Period, last_quarters

#: Quarters the report's trend charts show (and so read).
TREND_QUARTERS = 8
#: ``origin`` of a successor's figures combined from its predecessors (:data:`pipeline.metrics.compute.PREDECESSORS`).
PREDECESSORS = "predecessors"


def this_period(period: Period) -> tuple[str, ...]:
    return (period.id,)


def compiled_quarters(period: Period) -> tuple[str, ...]:
    """The quarters a 6-month, 9-month or annual report is compiled from when none was submitted (whose
    reports are stored is said in its compiled-note); none for a quarter's report."""
    return () if period.is_quarter else tuple(q.id for q in period.quarters())


def trend_periods(period: Period) -> tuple[str, ...]:
    """The report's own metrics: the period, the one before and the same period last year (comparison
    sentences), and the last :data:`TREND_QUARTERS` quarters (trend and budget charts)."""
    shown = {p.id for p in last_quarters(period, TREND_QUARTERS)}
    return tuple(sorted(shown | {period.id, period.previous().id, period.same_period_last_year().id}))


def previous_period(period: Period) -> tuple[str, ...]:
    """The period the checklist compares with: the quarter before; for 6M/9M/Y the same period a year before."""
    return (period.previous().id,)


@dataclass(frozen=True)
class Slice:
    """Rows of one stored table a report reads.

    ``whose``: "commune" (the commune's own rows, its figures combined from its predecessors included) or
    "group" (the rows of its comparison group, :func:`pipeline.domain.areas.comparison_group`: the district before
    1/7/2025, the province after; from a table with a ``group`` column, the metrics stage's group tables);
    ``periods``: the periods read, from the report's period; ``columns``: the columns read (None: all);
    ``drop``: columns not read; ``derive``: a function building the rows from the stored tables ``needs`` (each row
    with ``commune_key`` and ``period``), for a table whose rows name no commune (the ingest's issues name a file and
    a row); ``latest_earlier``: instead of ``periods``, each unit's latest row of a period ending before the
    report's (by period end, then ``doc_date``): the header facts a report without a document of its own carries
    forward.
    """

    name: str
    table: str
    whose: str = "commune"
    periods: Callable[[Period], tuple[str, ...]] = this_period
    columns: tuple[str, ...] | None = None
    drop: tuple[str, ...] = ()
    derive: Callable[[Mapping[str, pd.DataFrame]], pd.DataFrame] | None = None
    needs: tuple[str, ...] = ()
    latest_earlier: bool = False

    def source(self, tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
        """The table this slice reads from: the stored one, or the one ``derive`` builds."""
        return self.derive(tables) if self.derive is not None else tables[self.table]

    def rows(self, table: pd.DataFrame, period: Period) -> pd.DataFrame:
        """The rows of ``table`` this slice reads for ``period``, for every commune (filter by commune after)."""
        if self.latest_earlier:
            return self._latest_earlier(table, period)
        out = table.loc[table["period"].isin(self.periods(period))]
        if self.columns is not None:
            out = out[[c for c in self.columns if c in out.columns]]
        return out.drop(columns=[c for c in self.drop if c in out.columns])

    def _latest_earlier(self, table: pd.DataFrame, period: Period) -> pd.DataFrame:
        if table.empty:
            return table
        ends = table["period"].map({pid: Period.parse(pid).end for pid in table["period"].unique()})
        earlier = table.loc[ends < period.end].assign(_end=ends)
        if "doc_date" in earlier:
            earlier = earlier.assign(_date=pd.to_datetime(earlier["doc_date"], errors="coerce"))
        order = [c for c in ("_end", "_date") if c in earlier]
        out = (earlier.sort_values(order, na_position="first", kind="stable")
               .drop_duplicates("commune_key", keep="last").drop(columns=order))
        if self.columns is not None:
            out = out[[c for c in self.columns if c in out.columns]]
        return out.drop(columns=[c for c in self.drop if c in out.columns])


@dataclass(frozen=True)
class ReportInputs:
    """Everything one kind of report reads: table slices and the files that make it."""

    kind: str
    slices: tuple[Slice, ...]
    code: tuple[Path, ...]  # the package's modules the report runs; the modules they import are followed
    files: tuple[Path, ...]  # other files that make it: notebook, templates, phrase files, fonts, catalogue

    @property
    def tables(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t for s in self.slices for t in (s.needs or (s.table,))))

    def periods_read(self, table: str, period: Period) -> tuple[str, ...] | None:
        """The periods of stored table ``table`` the slices read for a report of ``period`` (``None``: any period,
        for a slice reading each unit's latest earlier row or deriving its rows): a loader reads only those."""
        wanted: set[str] = set()
        for s in self.slices:
            if table not in (s.needs or (s.table,)):
                continue
            if s.latest_earlier or s.derive is not None:
                return None
            wanted.update(s.periods(period))
        return tuple(sorted(wanted))

    def select(self, tables: Mapping[str, pd.DataFrame], unit: Commune, period: Period,
               registry: Registry) -> dict[str, pd.DataFrame]:
        """The slices one report (``unit``, ``period``) reads, by slice name.

        Each slice's rows of the period are found once per table version and process and indexed by commune (or
        group), so that a report reads its own rows without scanning the table (a worker renders many reports).
        """
        out = {}
        for s in self.slices:
            rows, index = _indexed(s, tables, period)
            at = index.get(unit.key if s.whose == "commune" else comparison_group(unit, period))
            out[s.name] = (rows.iloc[at] if at is not None else rows.iloc[:0]).reset_index(drop=True)
        return out

    def hashes(self, tables: Mapping[str, pd.DataFrame], units: list[Commune], period: Period,
               registry: Registry, *, salt: str = "") -> dict[str, str]:
        """The content hash of each report's inputs: the rows of :meth:`select`, :meth:`files_fingerprint` and
        the registry's (an office's own units included), with ``salt`` (the report's parameters); by commune
        code.  Computed in one pass over each table."""
        files = self.files_fingerprint()
        per_slice = []
        for s in self.slices:
            rows = s.rows(_source(s, tables), period)
            per_slice.append((s, _grouped_hashes(rows, rows[_owner(s)])))
        out = {}
        for unit in units:
            h = hashlib.sha256(f"{self.kind}|{files}|{registry.fingerprint}|{salt}|{period.id}|{unit.key}".encode())
            for s, hashes in per_slice:
                key = unit.key if s.whose == "commune" else comparison_group(unit, period)
                h.update(f"|{s.name}:{hashes.get(key, 'empty')}".encode())
            out[unit.code] = h.hexdigest()
        return out

    def select_area(self, tables: Mapping[str, pd.DataFrame], area, period: Period,
                    registry: Registry) -> dict[str, pd.DataFrame]:
        """The slices an area's report (``area``: :class:`pipeline.domain.areas.Area`, ``period``) reads, by slice
        name: every slice's rows of the units of the area in any period (:func:`area_keys`)."""
        keys = area_keys(registry, area)
        out = {}
        for s in self.slices:
            rows = s.rows(s.source(tables), period)
            out[s.name] = rows.loc[rows["commune_key"].isin(keys)].reset_index(drop=True)
        return out

    def area_hash(self, tables: Mapping[str, pd.DataFrame], area, period: Period, registry: Registry, *,
                  salt: str = "") -> str:
        """The content hash of an area's report: the rows of :meth:`select_area`, :meth:`files_fingerprint`, the
        registry's, ``salt`` and the area's units of the period."""
        units = ",".join(u.key for u in area.units)
        h = hashlib.sha256(f"{self.kind}|{self.files_fingerprint()}|{registry.fingerprint}|{salt}|{period.id}|"
                           f"{area.group}|{units}".encode())
        for name, rows in self.select_area(tables, area, period, registry).items():
            digest = _grouped_hashes(rows, pd.Series("all", index=rows.index)).get("all", "empty")
            h.update(f"|{name}:{digest}".encode())
        return h.hexdigest()

    def files_fingerprint(self) -> str:
        """Hash of the files that make the report besides its data: its code (with the modules it imports)
        and its other files."""
        from .. import __version__
        from ..fingerprint import imported_modules, source_fingerprint

        files = [*imported_modules(self.code), *self.files]
        return hashlib.sha256(f"{__version__}|{source_fingerprint(files)}".encode()).hexdigest()


def area_keys(registry: Registry, area) -> set[str]:
    """The keys of every unit the registry places in ``area`` (its district or province code), in any period."""
    attr = "district_code" if area.level == "district" else "province_code"
    return {u.key for u in registry if getattr(u, attr) == area.code}


def units_with_data(tables: Mapping[str, pd.DataFrame], period: Period) -> set[str]:
    """The keys of the units that have data of their own for ``period``: a value, a narrative or a report header
    stored, or a metric computed from their own figures (an aggregated period from its quarters).  Figures combined
    from a unit's predecessors do not count: a unit that sent nothing has not reported (chưa gửi báo cáo), and
    its report is not made."""
    keys: set[str] = set()
    for name in ("values", "narratives", "documents", "metrics"):
        table = tables.get(name)
        if table is None or table.empty:
            continue
        rows = table.loc[table["period"] == period.id]
        if name == "metrics" and "origin" in rows:
            rows = rows.loc[rows["origin"] != PREDECESSORS]
        keys |= set(rows["commune_key"])
    return keys


#: What this process has worked out from the stored tables, by what it is and the tables' versions (see :func:`_once`).
_WORKED_OUT: dict[tuple, tuple] = {}
_WORKED_OUT_MAX = 128


def _once(what: tuple, frames: tuple, build: Callable[[], object]):
    """``build()``, worked out once per ``what`` and version of ``frames`` in this process (a worker renders many
    reports of one period from the same tables).  The stored frames are shared and never changed
    (``content._read``), so the frames themselves identify the version; they are kept with the entry, so that an
    identity is never reused.  The oldest entry goes first when there are too many."""
    key = (*what, *map(id, frames))
    hit = _WORKED_OUT.get(key)
    if hit is None or any(a is not b for a, b in zip(hit[0], frames)):
        if len(_WORKED_OUT) >= _WORKED_OUT_MAX:
            _WORKED_OUT.pop(next(iter(_WORKED_OUT)))
        hit = _WORKED_OUT[key] = (frames, build())
    return hit[1]


def has_data(tables: Mapping[str, pd.DataFrame], unit: Commune, period: Period) -> bool:
    """Whether ``unit`` is among :func:`units_with_data` of ``period`` (found once per table version and period in
    a process: a worker checks every report it renders)."""
    frames = tuple(tables.get(name) for name in ("values", "narratives", "documents", "metrics"))
    return unit.key in _once(("with_data", period.id), frames, lambda: units_with_data(tables, period))


def _owner(s: Slice) -> str:
    """The column naming whose a row of slice ``s`` is: the unit's key, or (a group's table) the group."""
    return "commune_key" if s.whose == "commune" else "group"


def _indexed(s: Slice, tables: Mapping[str, pd.DataFrame], period: Period) -> tuple[pd.DataFrame, dict]:
    """The rows of slice ``s`` for ``period`` and their positions by owner (:func:`_owner`), found once per
    version of the tables it reads."""
    def index() -> tuple[pd.DataFrame, dict]:
        rows = s.rows(_source(s, tables), period)
        return rows, (rows.groupby(rows[_owner(s)].to_numpy(), sort=False).indices if len(rows) else {})

    return _once(("slice", s, period.id), tuple(tables[t] for t in (s.needs or (s.table,))), index)


def _source(s: Slice, tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """:meth:`Slice.source`, built once per version of the tables it needs."""
    if s.derive is None:
        return tables[s.table]
    return _once(("derived", s), tuple(tables[t] for t in s.needs), lambda: s.source(tables))


def _row_hashes(frame: pd.DataFrame) -> np.ndarray:
    """One 64-bit hash per row, from the row's values (the stored tables' declared types), columns sorted (hashed as
    they are: turning every value into text first took most of a no-change rerun's time)."""
    frame = frame[sorted(frame.columns)]
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


def _grouped_hashes(frame: pd.DataFrame, by: pd.Series) -> dict[str, str]:
    """A hash of the rows of each value of ``by``, in one pass (row order does not matter)."""
    if frame.empty:
        return {}
    rows = _row_hashes(frame)
    return {key: hashlib.sha256(np.sort(rows[idx]).tobytes()).hexdigest()
            for key, idx in by.groupby(by.to_numpy(), sort=False).indices.items()}


#: The commune report (``notebooks/commune_report.ipynb``): the one declaration of what it reads.
COMMUNE_REPORT = ReportInputs(
    kind="commune_report",
    slices=(
        # the commune's own rows of the period (the ingest's timestamps are not shown)
        Slice("values", "values", drop=("ingested_at", "submitted_at")),
        Slice("narratives", "narratives"),
        Slice("documents", "documents"),
        # its latest report document of an earlier period (same unit: code and validity; a predecessor's does not
        # carry over): the signer and Nơi nhận of a report without a document of its own (content.carried_forward)
        Slice("earlier_documents", "documents", latest_earlier=True, drop=("submission_id",)),
        Slice("findings", "findings"),
        # its metrics: the period (with the previous and year-ago values in the row), trends, charts; for a
        # 6M/9M/Y period no report was submitted for, the period's indicator rows are its compiled values
        Slice("metrics", "metrics", periods=trend_periods),
        # which of a 6M/9M/Y period's quarters have a stored report, and which rows each holds (the compiled
        # report's notes: the quarters it was compiled from, why a row a quarter reported is blank)
        Slice("quarters", "values", periods=compiled_quarters, columns=("commune_key", "period", "indicator_code")),
        # its place in its comparison group (district, or province from 1/7/2025) on the key ratios in the period
        # (the rank table), and the group's distribution on the ranking chart's ratio (the chart; the notice's
        # sample figures and unit words): both computed once per group by the metrics stage, a fixed number of
        # rows whatever the group's size (no report scans its group)
        Slice("ranks", "ranks", columns=("group", "commune_code", "commune_key", "period", "metric", "value", "rank",
                                         "of", "synthetic")),
        Slice("group_stats", "group_stats", whose="group"),
    ),
    code=(PACKAGE_DIR / "report", PACKAGE_DIR / "render"),  # with every module they import (metrics, domain, …)
    files=(
        PACKAGE_DIR / "report",  # templates, phrase files, plot style, fonts
        CATALOGUE_DIR,  # catalogue versions, ratios (the key ratios), targets, registry (names, districts)
        TEMPLATES_DIR, FONTS_DIR,
        NOTEBOOKS_DIR / "commune_report.ipynb",
        *((DOCX_TEMPLATE,) if DOCX_TEMPLATE else ()),  # an office's own Word template (--format docx)
    ),
)


#: The office's summary report of an area (``notebooks/summary_report.ipynb``, :mod:`pipeline.report.summary`):
#: the rows of the area's units (``whose`` is ignored: :meth:`ReportInputs.select_area`).
SUMMARY_REPORT = ReportInputs(
    kind="summary_report",
    slices=(
        # the units' metrics: the period, the previous one, the same one last year (part I's comparison), the
        # trend's quarters; indicator rows and ratios with their parts, targets
        Slice("metrics", "metrics", periods=trend_periods),
        Slice("findings", "findings"),
        # who sent what when: the status (its documents' dates, current and left)
        Slice("submissions", "submissions", drop=("ingested_by",)),
        Slice("documents", "documents", columns=("commune_key", "period", "submission_id", "doc_date")),
        Slice("documents_history", "documents_history",
              columns=("commune_key", "period", "submission_id", "doc_date")),
    ),
    code=(PACKAGE_DIR / "report", PACKAGE_DIR / "render"),
    files=(PACKAGE_DIR / "report", CATALOGUE_DIR, TEMPLATES_DIR, FONTS_DIR, NOTEBOOKS_DIR / "summary_report.ipynb"),
)


def _commune_issues(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    from .checklist import attributed_issues

    return attributed_issues(tables["ingest_report"], tables["submissions"], tables["values"])


#: What the analyst's checklist reads beyond :data:`COMMUNE_REPORT` (it reads the report's data too): the values
#: of the period it is compared with, the period's submissions (files and when they were ingested) and the
#: ingest's issues in the commune's current files.  Its code and words are in ``pipeline/report``, already declared.
CHECKLIST = ReportInputs(
    kind="checklist",
    slices=(
        Slice("previous_values", "values", periods=previous_period,
              columns=("commune_code", "commune_key", "period", "indicator_code", "value", "value_text",
                       "synthetic")),
        Slice("submissions", "submissions",
              columns=("commune_code", "commune_key", "period", "source_file", "status", "ingested_at")),
        Slice("issues", "ingest_report", derive=_commune_issues, needs=("ingest_report", "submissions", "values"),
              drop=("run_id", "run_at")),
    ),
    code=(PACKAGE_DIR / "report",),
    files=(PACKAGE_DIR / "report", CATALOGUE_DIR),
)

#: What one job of the batch renders: the report and its checklist.
RENDERED = (COMMUNE_REPORT, CHECKLIST)


def job_hashes(tables: Mapping[str, pd.DataFrame], units: list[Commune], period: Period, registry: Registry, *,
               salt: str = "", declarations: tuple[ReportInputs, ...] = RENDERED) -> dict[str, str]:
    """One hash per commune over every declaration of what its job renders (by commune code)."""
    each = [d.hashes(tables, units, period, registry, salt=salt) for d in declarations]
    return {u.code: hashlib.sha256("|".join(h[u.code] for h in each).encode()).hexdigest() for u in units}

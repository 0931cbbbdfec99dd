"""What a report reads, declared once.

A report kind declares its inputs as data (:class:`ReportInputs`): which stored tables, which rows of
them (the commune's own rows of the period, its metrics over which periods, its comparison group's
values of which metrics), which columns, and which files make it (the package code it runs, followed
through its imports, and the notebook, templates, phrase files, fonts, catalogue and registry).  The report's
loader (:func:`pipeline.report.content.load`) reads through :meth:`ReportInputs.select`, and the batch's incremental
hash is :meth:`ReportInputs.hashes` of the same declaration, so a chart or ranking that reads more data changes
the declaration, and so the hash: the two cannot drift apart.

>>> [s.name for s in COMMUNE_REPORT.slices]
['values', 'narratives', 'documents', 'findings', 'metrics', 'group_metrics']

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

from ..config import CATALOGUE_DIR, FONTS_DIR, NOTEBOOKS_DIR, PACKAGE_DIR, TEMPLATES_DIR
from ..domain.communes import Commune, Registry
from ..domain.periods import Period, last_quarters

#: Quarters the report's trend charts show (and so read).
TREND_QUARTERS = 8
#: Comparison group of a commune without a district (two-level government from 07/2025): every commune.
NO_DISTRICT = "*"


def this_period(period: Period) -> tuple[str, ...]:
    return (period.id,)


def trend_periods(period: Period) -> tuple[str, ...]:
    """The report's own metrics: the period, the one before and the same period last year (comparison
    sentences), and the last :data:`TREND_QUARTERS` quarters (trend and budget charts)."""
    shown = {p.id for p in last_quarters(period, TREND_QUARTERS)}
    return tuple(sorted(shown | {period.id, period.previous().id, period.same_period_last_year().id}))


def previous_period(period: Period) -> tuple[str, ...]:
    """The period the checklist compares with: the quarter before; for 6M/9M/Y the same period a year before."""
    return (period.previous().id,)


def key_metric_codes() -> tuple[str, ...]:
    """The key ratios (``key: N`` in ratios.yaml): the rank table's ratios, the ranking chart's among them."""
    from ..metrics.compute import key_ratios

    return tuple(r.code for r in key_ratios())


@dataclass(frozen=True)
class Slice:
    """Rows of one stored table a report reads.

    ``whose``: "commune" (the commune's own rows) or "group" (the rows of every commune of its comparison
    group, the district); ``periods``: the periods read, from the report's period; ``metrics``: the
    ``metric`` values read (None: all); ``columns``: the columns read (None: all); ``known_only``: only
    rows with a value (a blank ratio is neither ranked nor charted); ``derive``: a function building the rows
    from the stored tables ``needs`` (each row with ``commune_key`` and ``period``), for a table whose rows
    name no commune (the ingest's issues name a file and a row).
    """

    name: str
    table: str
    whose: str = "commune"
    periods: Callable[[Period], tuple[str, ...]] = this_period
    metrics: Callable[[], tuple[str, ...]] | None = None
    columns: tuple[str, ...] | None = None
    drop: tuple[str, ...] = ()
    known_only: bool = False
    derive: Callable[[Mapping[str, pd.DataFrame]], pd.DataFrame] | None = None
    needs: tuple[str, ...] = ()

    def source(self, tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
        """The table this slice reads from: the stored one, or the one ``derive`` builds."""
        return self.derive(tables) if self.derive is not None else tables[self.table]

    def rows(self, table: pd.DataFrame, period: Period) -> pd.DataFrame:
        """The rows of ``table`` this slice reads for ``period``, for every commune (filter by commune after)."""
        keep = table["period"].isin(self.periods(period))
        if self.metrics is not None:
            keep &= table["metric"].isin(self.metrics())
        if self.known_only:
            keep &= table["value"].notna()
        out = table.loc[keep]
        if self.columns is not None:
            out = out[[c for c in self.columns if c in out.columns]]
        return out.drop(columns=[c for c in self.drop if c in out.columns])


def comparison_group(unit: Commune) -> str:
    """The group a commune is compared with (ranked and charted among): its district."""
    return unit.district_code or NO_DISTRICT


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

    def select(self, tables: Mapping[str, pd.DataFrame], unit: Commune, period: Period,
               registry: Registry) -> dict[str, pd.DataFrame]:
        """The slices one report (``unit``, ``period``) reads, by slice name."""
        out = {}
        for s in self.slices:
            rows = s.rows(s.source(tables), period)
            if s.whose == "commune":
                mine = rows["commune_key"] == unit.key
            else:
                mine = _groups(rows, registry) == comparison_group(unit) if unit.district_code else \
                    pd.Series(True, index=rows.index)
            out[s.name] = rows.loc[mine].reset_index(drop=True)
        return out

    def hashes(self, tables: Mapping[str, pd.DataFrame], units: list[Commune], period: Period,
               registry: Registry, *, salt: str = "") -> dict[str, str]:
        """The content hash of each report's inputs: the rows of :meth:`select` and :meth:`files_fingerprint`,
        with ``salt`` (the report's parameters); by commune code.  Computed in one pass over each table."""
        files = self.files_fingerprint()
        per_slice = []
        for s in self.slices:
            rows = s.rows(s.source(tables), period)
            if s.whose == "commune":
                per_slice.append((s, _grouped_hashes(rows, rows["commune_key"])))
            else:
                by_group = _grouped_hashes(rows, _groups(rows, registry))
                by_group[NO_DISTRICT] = _frame_hash(rows)  # a commune without a district sees them all
                per_slice.append((s, by_group))
        out = {}
        for unit in units:
            h = hashlib.sha256(f"{self.kind}|{files}|{salt}|{period.id}|{unit.key}".encode())
            for s, hashes in per_slice:
                key = unit.key if s.whose == "commune" else comparison_group(unit)
                h.update(f"|{s.name}:{hashes.get(key, 'empty')}".encode())
            out[unit.code] = h.hexdigest()
        return out

    def files_fingerprint(self) -> str:
        """Hash of the files that make the report besides its data: its code (with the modules it imports)
        and its other files."""
        from .. import __version__
        from ..fingerprint import imported_modules, source_fingerprint

        files = [*imported_modules(self.code), *self.files]
        return hashlib.sha256(f"{__version__}|{source_fingerprint(files)}".encode()).hexdigest()


def _groups(rows: pd.DataFrame, registry: Registry) -> pd.Series:
    district_of = {u.key: comparison_group(u) for u in registry}
    return rows["commune_key"].map(district_of)


def _row_hashes(frame: pd.DataFrame) -> np.ndarray:
    """One 64-bit hash per row, from the row's values as text (so dtypes do not matter), columns sorted."""
    frame = frame[sorted(frame.columns)]
    return pd.util.hash_pandas_object(frame.astype(str), index=False).to_numpy()


def _frame_hash(frame: pd.DataFrame) -> str:
    return hashlib.sha256(np.sort(_row_hashes(frame)).tobytes()).hexdigest() if len(frame) else "empty"


def _grouped_hashes(frame: pd.DataFrame, by: pd.Series) -> dict[str, str]:
    """:func:`_frame_hash` of the rows of each value of ``by``, in one pass (row order does not matter)."""
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
        Slice("findings", "findings"),
        # its metrics: the period (with the previous and year-ago values in the row), trends, charts
        Slice("metrics", "metrics", periods=trend_periods),
        # its district's communes on the key ratios in the period: the rank table and the ranking chart
        Slice("group_metrics", "metrics", whose="group", metrics=key_metric_codes, known_only=True,
              columns=("commune_code", "commune_key", "period", "metric", "label", "value", "synthetic")),
    ),
    code=(PACKAGE_DIR / "report", PACKAGE_DIR / "render"),  # with every module they import (metrics, domain, …)
    files=(
        PACKAGE_DIR / "report",  # templates, phrase files, plot style, fonts
        CATALOGUE_DIR,  # catalogue versions, ratios (the key ratios), targets, registry (names, districts)
        TEMPLATES_DIR, FONTS_DIR,
        NOTEBOOKS_DIR / "commune_report.ipynb",
    ),
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

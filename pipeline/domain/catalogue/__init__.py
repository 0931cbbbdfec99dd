"""The indicator catalogue of Phụ lục 2B, plus supplementary ``S.*`` indicators.

The catalogue is data (``indicators.csv`` beside this module).  Columns:

``code``            canonical code ("1.2.1", "3.1.3.c", "S.HS.NHAN_MOI")
``printed_codes``   forms printed in real appendices, "|"-separated ("1.1.1." for 1.2.1)
``parent``          canonical code of the row it belongs to
``section``         1–7, or S for supplementary indicators
``order``           row order in the appendix
``label``, ``unit`` Vietnamese label and unit as printed
``kind``            heading | count | percent | money | category | score | text
``legend``          category codes, "0=Trực tuyến;1=Phát phiếu;2=Kết hợp"
``aggregation``     over quarters: sum (flows), last (stocks), first (opening
                    stocks), recompute (ratio of ``numerator`` / ``denominator``), none
``levels``          administrative levels it applies to: tinh;huyen;xa
``version``, ``valid_from``, ``valid_to``   catalogue version and validity
``min_value``, ``max_value``   range checked at ingest (blank: unbounded)
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache
from pathlib import Path

import pandas as pd

from ...config import CATALOGUE_DIR
from ...errors import CatalogueError
from ..periods import Period
from ..text import clean, match_key

CATALOGUE_FILE = CATALOGUE_DIR / "indicators.csv"
COLUMNS = [
    "code", "printed_codes", "parent", "section", "order", "label", "unit", "kind", "legend",
    "aggregation", "numerator", "denominator", "levels", "version", "valid_from", "valid_to",
    "min_value", "max_value",
]
KINDS = ("heading", "count", "percent", "money", "category", "score", "text")
AGGREGATIONS = ("sum", "last", "first", "recompute", "none")
LEVELS = ("tinh", "huyen", "xa")
#: Kinds whose value is a number.
NUMERIC_KINDS = ("count", "percent", "money", "category", "score")


def parse_legend(legend: str) -> dict[int, str]:
    """``"0=Trực tuyến;1=Phát phiếu"`` → ``{0: "Trực tuyến", 1: "Phát phiếu"}``."""
    out: dict[int, str] = {}
    for part in filter(None, (p.strip() for p in legend.split(";"))):
        code, _, label = part.partition("=")
        out[int(code)] = label.strip()
    return out


def read_catalogue(path: Path = CATALOGUE_FILE) -> pd.DataFrame:
    """Read a catalogue CSV and check it against the schema; return the typed table."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in COLUMNS if c not in raw.columns]
    if missing:
        raise CatalogueError(f"{path}: missing columns {missing}")
    table = raw[COLUMNS].map(clean)
    problems = []
    bad_kind = table.loc[~table["kind"].isin(KINDS)]
    problems += [f"{r.code}: kind {r.kind!r} not in {KINDS}" for r in bad_kind.itertuples()]
    bad_agg = table.loc[~table["aggregation"].isin(AGGREGATIONS)]
    problems += [f"{r.code}: aggregation {r.aggregation!r} not in {AGGREGATIONS}" for r in bad_agg.itertuples()]
    for r in table.itertuples():
        if not set(filter(None, r.levels.split(";"))) <= set(LEVELS) or not r.levels:
            problems.append(f"{r.code}: levels {r.levels!r} must be from {LEVELS}")
        if r.kind == "category":
            try:
                if not parse_legend(r.legend):
                    problems.append(f"{r.code}: category without legend")
            except ValueError:
                problems.append(f"{r.code}: legend {r.legend!r} is not 'code=label;...'")
        if r.aggregation == "recompute" and not (r.numerator and r.denominator):
            problems.append(f"{r.code}: recompute needs numerator and denominator")
    codes = set(table["code"])
    for col in ("parent", "numerator", "denominator"):
        unknown = table.loc[(table[col] != "") & ~table[col].isin(codes)]
        problems += [f"{r.code}: {col} {getattr(r, col)!r} is not a catalogue code" for r in unknown.itertuples()]
    dup = table.loc[table.duplicated(["code", "version"], keep=False), "code"]
    problems += [f"{c}: duplicated within one version" for c in sorted(set(dup))]
    if problems:
        raise CatalogueError(f"{path}: " + "; ".join(problems[:10]))
    return table.assign(
        order=table["order"].astype(int),
        valid_from=pd.to_datetime(table["valid_from"]).dt.date,
        valid_to=pd.to_datetime(table["valid_to"].replace("", None)).dt.date,
        min_value=pd.to_numeric(table["min_value"].replace("", None)),
        max_value=pd.to_numeric(table["max_value"].replace("", None)),
        label_key=table["label"].map(match_key),
    )


@dataclass(frozen=True)
class RowMatch:
    """The catalogue row an appendix row was matched to, and how."""

    code: str
    how: str  # "exact", "normalised", "fuzzy" or "code-only"
    score: float


class Catalogue:
    """Look-ups in the catalogue, restricted to the rows valid on a date."""

    def __init__(self, table: pd.DataFrame):
        self.table = table.sort_values("order", kind="stable").reset_index(drop=True)
        self._versions: dict[date, Catalogue] = {}

    def valid_on(self, day: date) -> Catalogue:
        """The rows valid on ``day`` (memoised: catalogues are immutable)."""
        if day not in self._versions:
            keep = (self.table["valid_from"] <= day) & (self.table["valid_to"].isna() | (self.table["valid_to"] >= day))
            self._versions[day] = Catalogue(self.table.loc[keep])
        return self._versions[day]

    def for_period(self, period: str | Period) -> Catalogue:
        """The catalogue version in force at the end of ``period``."""
        return self.valid_on(Period.parse(period).end)

    @cached_property
    def by_code(self) -> dict[str, pd.Series]:
        records = self.table.to_dict("index")
        return {rec["code"]: pd.Series(rec) for rec in records.values()}

    def __contains__(self, code: str) -> bool:
        return code in self.by_code

    def get(self, code: str) -> pd.Series:
        try:
            return self.by_code[code]
        except KeyError:
            raise CatalogueError(f"unknown indicator code {code!r}") from None

    @cached_property
    def _aliases(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for row in self.table.itertuples():
            forms = {row.code, row.code + "."} | {p for p in row.printed_codes.split("|") if p}
            for form in forms:
                out.setdefault(form.rstrip("."), []).append(row.code)
        return out

    def children(self, code: str) -> list[str]:
        return self.table.loc[self.table["parent"] == code, "code"].tolist()

    def descendants(self, code: str) -> list[str]:
        out, todo = [], [code]
        while todo:
            kids = self.children(todo.pop())
            out += kids
            todo += kids
        return out

    def match_row(self, printed_code: str, label: str, *, context: str | None = None) -> RowMatch | None:
        """Match one appendix row to a catalogue code.

        A printed code picks its candidates (aliases included: "1.1.1." under
        1.2 is 1.2.1); the label decides between them.  An uncoded row
        ("Trong đó" sub-rows) is matched by label among the descendants of
        ``context`` (the last coded row), else the whole catalogue.
        Returns ``None`` when nothing fits.
        """
        key = match_key(label)
        printed = clean(printed_code).rstrip(".").strip()
        if printed and printed.lower() not in ("trong đó", "trong", "đó"):
            candidates = self._aliases.get(printed, [])
            if not candidates:
                return None
            scored = sorted(
                ((self._label_score(c, label, key), c) for c in candidates),
                key=lambda sc: (-sc[0][1], candidates.index(sc[1])),
            )
            (how, score), code = scored[0]
            if score < 0.6 and len(candidates) > 1:
                return None
            return RowMatch(code, how if score >= 0.6 else "code-only", score)
        if not key:
            return None
        pool = self.descendants(context) if context else []
        parent = self.get(context)["parent"] if context and context in self else ""
        if parent:
            pool += [c for c in self.descendants(parent) if c not in pool]
        pool = [c for c in pool if not self.get(c)["printed_codes"]] or pool
        for candidates in (pool, self.table.loc[self.table["printed_codes"] == "", "code"].tolist()):
            scored = sorted(((self._label_score(c, label, key), c) for c in candidates), key=lambda sc: -sc[0][1])
            if scored and scored[0][0][1] >= 0.85:
                (how, score), code = scored[0]
                return RowMatch(code, how, score)
        return None

    def _label_score(self, code: str, label: str, key: str) -> tuple[str, float]:
        row = self.get(code)
        if clean(label) == row["label"]:
            return ("exact", 1.0)
        if key == row["label_key"]:
            return ("normalised", 0.99)
        return ("fuzzy", difflib.SequenceMatcher(None, key, row["label_key"]).ratio())


@lru_cache(maxsize=1)
def load_catalogue() -> Catalogue:
    """The bundled catalogue (all versions); use :meth:`Catalogue.for_period`."""
    return Catalogue(read_catalogue())

"""The metrics stage: aggregated periods, derived ratios, trends, cumulative figures, targets.

Everything here is a pure function of frames.  Rules, stated once:

- **Aggregated periods** (6 tháng, 9 tháng, năm) are computed from the quarters by each
  indicator's catalogue rule: ``sum`` adds the quarters (all must be present, a missing quarter
  makes the total missing), ``last`` takes the last quarter, ``first`` the first, ``recompute``
  divides the aggregated numerator by the aggregated denominator, ``none`` cannot be aggregated.
  A figure the commune reported for such a period itself wins; a mismatch is a finding.
- **Cumulative (Lũy kế)** of a quarter is the same aggregation over the quarters from the start
  of the reporting year; a reported cumulative that differs is a finding.
- **Derived totals** (``ratios.yaml``, ``sums``): a total the commune did not report but whose
  parts it did (``S.HS.DUNG_HEN`` = ``S.HS.TRUOC_HAN`` + ``S.HS.DUNG_HAN``) is their sum, with
  origin ``derived``; a reported total is never replaced (a mismatch is a finding).
- **Ratios** (``ratios.yaml``) are ``100 × numerator / denominator`` with both kept; a missing or
  zero denominator gives a missing ratio with its reason, never 0 % or 100 %.
- **Trends**: previous period (quarter before; for 6M/9M/Y the same period a year before) and
  the same period last year.  Changes of percentages are in percentage points (``change_unit`` =
  "điểm phần trăm"); counts and money also get a relative change in %.  A missing period stays
  missing: nothing is carried forward.
- **Targets** (``targets.yaml``): met / not met and the gap, for the periods and province a target
  applies to (its validity); its kind says what it is (a plan's chỉ tiêu, a programme's roadmap
  target, a check of the project's own).
- **Histories across a merger**: a unit with predecessors (``communes.csv``) gets, for each quarter that ends
  before its ``valid_from``, the figures of the units it was made of (recursively, each resolved on the
  quarter's last day) combined by each indicator's catalogue rule: flows and stocks (``sum``, ``last``,
  ``first``) are summed, ``recompute`` ratios are recomputed from the summed numerator and denominator, the rest
  (categories, percentages without their parts) is not combined.  A figure is combined only when every unit
  reported it; otherwise it is blank, with the missing units in ``reason`` (a partial sum is a wrong number).
  These rows have ``origin`` "predecessors" and the units summed in ``summed_from``; they feed the unit's
  trends, year-on-year comparisons and charts, never findings, scores, roll-ups or rankings (a predecessor
  counts there under its own identity).
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np
import pandas as pd
import yaml

from ..config import CATALOGUE_DIR, PACKAGE_DIR
from ..domain.catalogue import Catalogue, load_catalogue
from ..domain.communes import Commune, Registry
from ..domain.periods import Period
from ..errors import CatalogueError

#: What the metrics, findings and scores are computed by: this package's code (rules, finding sentences) with
#: every module of the project it imports (domain, the contradiction checks of ingest.validate, …), and the
#: rule files (catalogue, ratios, targets, registry).
METRICS_CODE = (PACKAGE_DIR / "metrics",)
METRICS_RULES = (CATALOGUE_DIR,)
RATIOS_FILE = CATALOGUE_DIR / "ratios.yaml"
TARGETS_FILE = CATALOGUE_DIR / "targets.yaml"
POINTS = "điểm phần trăm"
METRIC_COLUMNS = [
    "commune_code", "commune_key", "period", "metric", "label", "kind", "unit", "value", "numerator",
    "denominator", "reason", "origin", "previous_period", "previous_value", "change", "change_unit",
    "change_pct", "yoy_period", "yoy_value", "yoy_change", "yoy_change_pct", "cumulative_value",
    "reported_cumulative", "target", "target_op", "target_met", "target_gap", "target_source", "target_kind",
    "synthetic", "summed_from",
]
#: ``origin`` of the figures of a unit's periods before its creation, combined from its predecessors.
PREDECESSORS = "predecessors"
_OPS = {">=": operator.ge, "<=": operator.le, "==": operator.eq}
_AGG_KINDS = {"6M": 2, "9M": 3, "Y": 4}


@dataclass(frozen=True)
class Ratio:
    code: str
    label: str
    numerator: str
    denominator: tuple[str, ...]
    higher_is_better: bool | None
    key_order: int | None = None  # a key ratio's place (``key: N`` in ratios.yaml); None: not a key ratio
    ranking_chart: bool = False  # the key ratio the report charts across the district's communes

    @property
    def key(self) -> bool:
        return self.key_order is not None


@lru_cache(maxsize=1)
def load_ratios() -> tuple[Ratio, ...]:
    """The derived ratios of ``ratios.yaml``, checked against the catalogue."""
    spec = yaml.safe_load(RATIOS_FILE.read_text(encoding="utf-8"))["ratios"]
    codes = set(load_catalogue().table["code"])
    out = []
    for r in spec:
        den = tuple(r["denominator"]) if isinstance(r["denominator"], list) else (str(r["denominator"]),)
        key = r.get("key")
        if key is not None and (isinstance(key, bool) or not isinstance(key, int)):
            raise CatalogueError(f"{RATIOS_FILE.name}: ratio {r['code']}: key must be its place (1, 2, …), not {key!r}")
        ratio = Ratio(r["code"], r["label"], str(r["numerator"]), den, r.get("higher_is_better"), key,
                      bool(r.get("ranking_chart")))
        unknown = {ratio.numerator, *ratio.denominator} - codes
        if unknown:
            raise CatalogueError(f"{RATIOS_FILE.name}: ratio {ratio.code} uses unknown indicators {sorted(unknown)}")
        if ratio.ranking_chart and not ratio.key:
            raise CatalogueError(f"{RATIOS_FILE.name}: ratio {ratio.code}: ranking_chart needs key")
        out.append(ratio)
    orders = [r.key_order for r in out if r.key]
    if len(set(orders)) != len(orders) or sum(r.ranking_chart for r in out) != 1:
        raise CatalogueError(f"{RATIOS_FILE.name}: key places must differ and one key ratio be the ranking_chart")
    return tuple(out)


def key_ratios() -> tuple[Ratio, ...]:
    """The key ratios, in their ``key`` order: ranked in the district, charted, shown in the index."""
    return tuple(sorted((r for r in load_ratios() if r.key), key=lambda r: r.key_order))


def ranking_chart_ratio() -> Ratio:
    """The key ratio the commune report charts across its district's communes."""
    return next(r for r in key_ratios() if r.ranking_chart)


@dataclass(frozen=True)
class KeyFigure:
    code: str
    label: str
    kind: str  # the catalogue's kind (count, money, …) or "percent" for a ratio


@lru_cache(maxsize=1)
def key_figures() -> tuple[KeyFigure, ...]:
    """A report's key figures (``key_figures`` in ratios.yaml), kept in the manifest and shown in the index."""
    spec = yaml.safe_load(RATIOS_FILE.read_text(encoding="utf-8")).get("key_figures", [])
    kinds = load_catalogue().table.drop_duplicates("code", keep="last").set_index("code")["kind"].to_dict()
    kinds |= {r.code: "percent" for r in load_ratios()}
    out = []
    for f in spec:
        if f["code"] not in kinds:
            raise CatalogueError(f"{RATIOS_FILE.name}: key figure {f['code']} is neither an indicator nor a ratio")
        out.append(KeyFigure(str(f["code"]), f["label"], kinds[f["code"]]))
    return tuple(out)


@dataclass(frozen=True)
class Sum:
    code: str
    parts: tuple[str, ...]


@lru_cache(maxsize=1)
def load_sums() -> tuple[Sum, ...]:
    """The totals of ``ratios.yaml`` (section ``sums``) derived from their parts, checked against the catalogue."""
    spec = yaml.safe_load(RATIOS_FILE.read_text(encoding="utf-8")).get("sums", [])
    codes = set(load_catalogue().table["code"])
    out = []
    for r in spec:
        total = Sum(str(r["code"]), tuple(str(p) for p in r["parts"]))
        unknown = {total.code, *total.parts} - codes
        if unknown or len(total.parts) < 2:
            raise CatalogueError(f"{RATIOS_FILE.name}: sum {total.code} needs two or more known parts "
                                 f"(unknown: {sorted(unknown)})")
        out.append(total)
    return tuple(out)


def derive_sums(values: pd.DataFrame, *, sums: tuple[Sum, ...] | None = None) -> pd.DataFrame:
    """``values`` plus each total that was not reported but all of whose parts were, with ``origin`` "derived".

    ``values`` has ``commune_code, commune_key, period, indicator_code, value, synthetic``; the
    result has an ``origin`` column as well ("reported" for the rows given).  A blank part leaves
    the total missing (blank is not zero).

    >>> v = pd.DataFrame({"commune_code": "1", "commune_key": "1", "period": "2025-Q1", "synthetic": False,
    ...                   "indicator_code": ["S.HS.TRUOC_HAN", "S.HS.DUNG_HAN"], "value": [124907.0, 102770.0]})
    >>> row = derive_sums(v).iloc[-1]
    >>> row["indicator_code"], float(row["value"]), row["origin"]
    ('S.HS.DUNG_HEN', 227677.0, 'derived')
    """
    sums = load_sums() if sums is None else sums
    out = values.assign(origin=values["origin"] if "origin" in values else "reported")
    keys = ["commune_code", "commune_key", "period"]
    known = out.loc[out["value"].notna()]
    wide = known.pivot_table(index=keys, columns="indicator_code", values="value", aggfunc="first")
    synth = known.groupby(keys)["synthetic"].any()
    added = []
    for total in sums:
        if not set(total.parts) <= set(wide.columns):
            continue
        parts = wide[list(total.parts)]
        reported = wide[total.code] if total.code in wide else pd.Series(np.nan, index=wide.index)
        ok = parts.notna().all(axis=1) & reported.isna()
        if ok.any():
            frame = parts.loc[ok].sum(axis=1).rename("value").reset_index()
            added.append(frame.assign(indicator_code=total.code, origin="derived",
                                      synthetic=synth.reindex(parts.index[ok]).to_numpy()))
            wide.loc[ok, total.code] = frame["value"].to_numpy()
    if not added:
        return out
    return pd.concat([out, *added], ignore_index=True)


def sum_mismatches(values: pd.DataFrame, *, sums: tuple[Sum, ...] | None = None) -> pd.DataFrame:
    """Reported totals that differ from the sum of their reported parts: ``keys, code, value, parts_sum``."""
    sums = load_sums() if sums is None else sums
    keys = ["commune_code", "commune_key", "period"]
    cols = keys + ["indicator_code", "value", "parts_sum", "parts"]
    known = values.loc[values["value"].notna()]
    wide = known.pivot_table(index=keys, columns="indicator_code", values="value", aggfunc="first")
    rows = []
    for total in sums:
        if not {total.code, *total.parts} <= set(wide.columns):
            continue
        both = wide[[total.code, *total.parts]].dropna()
        parts_sum = both[list(total.parts)].sum(axis=1)
        bad = both.loc[(both[total.code] - parts_sum).abs() > 1e-9]
        for idx, row in bad.iterrows():
            rows.append({**dict(zip(keys, idx)), "indicator_code": total.code, "value": row[total.code],
                         "parts_sum": parts_sum[idx], "parts": " + ".join(total.parts)})
    return pd.DataFrame(rows, columns=cols)


TARGET_KINDS = ("chi_tieu", "lo_trinh", "kiem_tra")
_PERIOD_KINDS = ("Q1", "Q2", "Q3", "Q4", "6M", "9M", "Y")


@lru_cache(maxsize=1)
def load_targets() -> pd.DataFrame:
    """Targets: metric, op, target, kind, valid_from, valid_to, periods, scope, source, text (``targets.yaml``).

    A target applies to a period whose last day falls within ``valid_from``–``valid_to`` (``valid_to``
    blank: open-ended) and whose kind is in ``periods`` (blank: every kind).
    """
    spec = yaml.safe_load(TARGETS_FILE.read_text(encoding="utf-8"))["targets"]
    rows = []
    for t in spec:
        name = f"{TARGETS_FILE.name}: target {t.get('metric')} {t.get('op')} {t.get('value')}"
        if t.get("op") not in _OPS:
            raise CatalogueError(f"{name}: op {t.get('op')!r} not in {list(_OPS)}")
        if t.get("kind") not in TARGET_KINDS:
            raise CatalogueError(f"{name}: kind {t.get('kind')!r} not in {list(TARGET_KINDS)}")
        if not isinstance(t.get("valid_from"), date) or not isinstance(t.get("valid_to", date.max), date):
            raise CatalogueError(f"{name}: valid_from (and valid_to, if given) must be dates (YYYY-MM-DD), "
                                 f"not {t.get('valid_from')!r} / {t.get('valid_to')!r}")
        periods = tuple(t.get("periods") or _PERIOD_KINDS)
        if set(periods) - set(_PERIOD_KINDS):
            raise CatalogueError(f"{name}: periods {sorted(set(periods) - set(_PERIOD_KINDS))} not in {_PERIOD_KINDS}")
        if not t.get("source"):
            raise CatalogueError(f"{name}: source missing (say where the target comes from)")
        rows.append({"metric": t["metric"], "op": t["op"], "target": float(t["value"]), "kind": t["kind"],
                     "valid_from": t["valid_from"], "valid_to": t.get("valid_to") or date.max, "periods": periods,
                     "scope": str(t.get("scope", "national")), "source": t["source"], "text": t.get("text") or ""})
    return pd.DataFrame(rows, columns=["metric", "op", "target", "kind", "valid_from", "valid_to", "periods", "scope",
                                       "source", "text"])


@lru_cache(maxsize=1)
def load_scoring() -> list[dict]:
    return yaml.safe_load(TARGETS_FILE.read_text(encoding="utf-8")).get("scoring", [])


# --------------------------------------------------------------------------- aggregation
def _with_quarter_index(values: pd.DataFrame) -> pd.DataFrame:
    q = values.loc[values["period"].str.match(r"^\d{4}-Q[1-4]$")]
    return q.assign(year=q["period"].str[:4].astype(int), qn=q["period"].str[-1].astype(int))


def year_to_date(values: pd.DataFrame, catalogue: Catalogue, *, upto: int) -> pd.DataFrame:
    """Each commune's figures from Q1 to quarter ``upto`` of each year, by the catalogue rules.

    Returns long rows ``commune_code, commune_key, year, indicator_code, value, synthetic``;
    figures that cannot be aggregated (a quarter missing, rule ``none``) are absent.
    """
    q = _with_quarter_index(values)
    q = q.loc[(q["qn"] <= upto) & q["value"].notna()]
    rules = catalogue.table.drop_duplicates("code").set_index("code")["aggregation"]
    q = q.assign(rule=q["indicator_code"].map(rules))
    keys = ["commune_code", "commune_key", "year", "indicator_code"]
    g = q.sort_values("qn").groupby(keys, sort=False)
    agg = g.agg(n=("value", "size"), total=("value", "sum"), first_q=("qn", "min"), last_q=("qn", "max"),
                first=("value", "first"), last=("value", "last"), rule=("rule", "first"),
                synthetic=("synthetic", "any")).reset_index()
    value = np.select(
        [agg["rule"].eq("sum") & agg["n"].eq(upto),
         agg["rule"].eq("last") & agg["last_q"].eq(upto),
         agg["rule"].eq("first") & agg["first_q"].eq(1)],
        [agg["total"], agg["last"], agg["first"]], default=np.nan,
    )
    out = agg.assign(value=value).loc[lambda f: f["value"].notna(), keys + ["value", "synthetic"]]
    return _recompute(out, catalogue, keys=["commune_code", "commune_key", "year"])


def _ratios_of(wide: pd.DataFrame, recompute: pd.DataFrame) -> list[pd.DataFrame]:
    """The catalogue's ``recompute`` indicators (rows of ``recompute``) of each row of ``wide`` (indicators as
    columns), 100 × numerator / denominator where both are there and the denominator is not 0, as long frames."""
    extra = []
    for row in recompute.itertuples():
        if row.numerator in wide and row.denominator in wide:
            num, den = wide[row.numerator], wide[row.denominator]
            ratio = (100 * num / den.where(den != 0)).rename("value").dropna()
            extra.append(ratio.reset_index().assign(indicator_code=row.code))
    return extra


def _recompute(long: pd.DataFrame, catalogue: Catalogue, *, keys: list[str]) -> pd.DataFrame:
    """Add catalogue indicators with rule ``recompute`` from their numerator and denominator."""
    rec = catalogue.table.loc[catalogue.table["aggregation"] == "recompute"].drop_duplicates("code")
    wide = long.pivot_table(index=keys, columns="indicator_code", values="value", aggfunc="first")
    extra = _ratios_of(wide, rec)
    if not extra:
        return long
    synth = long.groupby(keys)["synthetic"].any().rename("synthetic").reset_index()
    added = pd.concat(extra, ignore_index=True).merge(synth, on=keys, how="left")
    added = added.assign(synthetic=added["synthetic"].fillna(False).astype(bool))
    return pd.concat([long, added], ignore_index=True)


def period_values(values: pd.DataFrame, catalogue: Catalogue) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Values of every quarter and of every aggregated period (6M, 9M, Y), plus the cumulative frame.

    Returns ``(base, ytd)``.  ``base`` has ``commune_code, commune_key, period, indicator_code, value,
    origin, computed_value, synthetic`` (origin ``reported``, ``derived`` (:func:`derive_sums`) or ``computed``;
    ``computed_value`` keeps the computed figure beside a reported one for comparison).  ``ytd`` holds the year-to-date
    figure of each quarter under the quarter's period id.
    """
    numeric = derive_sums(values.loc[values["value"].notna(),
                                     ["commune_code", "commune_key", "period", "indicator_code", "value", "synthetic"]])
    quarters = _with_quarter_index(numeric).drop(columns=["year", "qn"])
    reported_agg = numeric.loc[~numeric.index.isin(quarters.index)]
    ytd_frames, agg_frames = [], []
    for n in range(1, 5):
        ytd = year_to_date(numeric, catalogue, upto=n)
        ytd_frames.append(ytd.assign(period=ytd["year"].astype(str) + f"-Q{n}").drop(columns="year"))
        kind = {2: "6M", 3: "9M", 4: "Y"}.get(n)
        if kind:
            agg_frames.append(ytd.assign(period=ytd["year"].astype(str) + f"-{kind}").drop(columns="year"))
    ytd = pd.concat(ytd_frames, ignore_index=True)
    computed = pd.concat(agg_frames, ignore_index=True).rename(columns={"value": "computed_value"})
    keys = ["commune_code", "commune_key", "period", "indicator_code"]
    agg = computed.merge(reported_agg.rename(columns={"synthetic": "synthetic_r"}), on=keys, how="outer")
    agg = agg.assign(
        origin=np.where(agg["value"].notna(), agg["origin"], "computed"),
        value=agg["value"].fillna(agg["computed_value"]),
        synthetic=agg["synthetic_r"].fillna(agg["synthetic"]).fillna(False).astype(bool),
    ).drop(columns="synthetic_r")
    base = pd.concat([quarters.assign(computed_value=np.nan), agg], ignore_index=True)
    return base, ytd


def ratio_values(base: pd.DataFrame, *, ratios: tuple[Ratio, ...] | None = None) -> pd.DataFrame:
    """Derived ratios for every commune and period of ``base``, with numerator, denominator and reason."""
    ratios = ratios or load_ratios()
    keys = ["commune_code", "commune_key", "period"]
    wide = base.pivot_table(index=keys, columns="indicator_code", values="value", aggfunc="first")
    synth = base.groupby(keys)["synthetic"].any()
    frames = []
    for r in ratios:
        num = wide[r.numerator] if r.numerator in wide else pd.Series(np.nan, index=wide.index)
        dens = [wide[d] if d in wide else pd.Series(np.nan, index=wide.index) for d in r.denominator]
        den = sum(dens[1:], dens[0]) if dens else pd.Series(np.nan, index=wide.index)
        den = den.where(pd.concat(dens, axis=1).notna().all(axis=1))
        reason = np.select(
            [den.isna(), den.eq(0), num.isna()],
            [f"thiếu mẫu số ({' + '.join(r.denominator)})", f"mẫu số bằng 0 ({' + '.join(r.denominator)})",
             f"thiếu tử số ({r.numerator})"], default="",
        )
        value = (100 * num / den.where(den != 0)).where(reason == "")
        frames.append(pd.DataFrame({"metric": r.code, "value": value, "numerator": num, "denominator": den,
                                    "reason": reason, "synthetic": synth}, index=wide.index).reset_index())
    out = pd.concat(frames, ignore_index=True)
    # only keep rows where something was reported for the ratio
    return out.loc[out["numerator"].notna() | out["denominator"].notna()].reset_index(drop=True)


# --------------------------------------------------------------------------- histories across mergers
def units_summed(registry: Registry, unit: Commune, period: str | Period) -> tuple[Commune, ...]:
    """The units whose figures make ``unit``'s figures for ``period``, ordered by code.

    ``unit`` itself when it is valid in the period (or has no predecessors); for a period ending before
    ``unit.valid_from``, its predecessors, each replaced in turn by its own predecessors when it did not
    exist yet either (recursively).  An aggregated period (6M, 9M, Y) takes the units of its quarters.

    >>> from pipeline.domain.communes import load_registry
    >>> reg = load_registry()
    >>> [u.name for u in units_summed(reg, reg.by_key("18202@2025-07-01"), "2024-Q3")]
    ['Sơn Châu', 'Tân Mỹ Hà', 'Sơn Bình', 'Sơn Trà', 'Sơn Long']
    """
    p = Period.parse(period)
    if not p.is_quarter:
        found = {u.key: u for q in p.quarters() for u in units_summed(registry, unit, q)}
        return tuple(sorted(found.values(), key=lambda u: (u.code, u.valid_from)))
    return tuple(sorted(_units_on(registry, unit, p.end), key=lambda u: (u.code, u.valid_from)))


def _units_on(registry: Registry, unit: Commune, day) -> list[Commune]:
    if day >= unit.valid_from or not unit.predecessors:
        return [unit]
    return [u for key in unit.predecessors for u in _units_on(registry, registry.by_key(key), day)]


def _combinable(catalogue: Catalogue) -> tuple[set[str], pd.DataFrame]:
    """Indicators summed across units (counts and money whose rule over time is sum, last or first), and the
    ``recompute`` ratios with their numerator and denominator."""
    cat = catalogue.table.drop_duplicates("code", keep="last")
    summed = set(cat.loc[cat["kind"].isin(["count", "money"]) & cat["aggregation"].isin(["sum", "last", "first"]),
                         "code"])
    return summed, cat.loc[cat["aggregation"] == "recompute", ["code", "numerator", "denominator"]]


def predecessor_values(values: pd.DataFrame, registry: Registry, *, catalogue: Catalogue | None = None) -> pd.DataFrame:
    """Each successor's quarters before its ``valid_from``, combined from the units it was made of.

    ``values`` are stored values (``commune_code, commune_key, period, indicator_code, value, synthetic``);
    the result has those columns and ``origin`` (:data:`PREDECESSORS`), ``summed_from`` (the keys of the units
    summed, ``;``-separated) and ``reason``: a figure some unit did not report is blank (NaN) and ``reason``
    names the units whose figure is missing.  Only quarters in which one of the units reported something
    appear; indicators no unit reported, and those that cannot be combined, do not.
    """
    from .findings import words

    catalogue = catalogue or load_catalogue()
    cols = ["commune_code", "commune_key", "period", "indicator_code", "value", "synthetic", "origin", "summed_from",
            "reason"]
    successors = [u for u in registry if u.predecessors]
    numeric = values.loc[values["value"].notna(), ["commune_code", "commune_key", "period", "indicator_code",
                                                   "value", "synthetic"]]
    quarters = _with_quarter_index(numeric).drop(columns=["year", "qn"])
    if not successors or quarters.empty:
        return pd.DataFrame(columns=cols)
    own = derive_sums(quarters)
    reported = set(zip(own["commune_key"], own["period"]))
    links = []
    for unit in successors:
        for period in sorted(own["period"].unique()):
            p = Period.parse(period)
            if p.end >= unit.valid_from:
                continue
            members = units_summed(registry, unit, p)
            if any((m.key, period) in reported for m in members):
                summed = ";".join(m.key for m in members)
                links += [(unit.code, unit.key, period, m.key, len(members), summed) for m in members]
    if not links:
        return pd.DataFrame(columns=cols)
    link = pd.DataFrame(links, columns=["commune_code", "commune_key", "period", "unit_key", "n_units",
                                        "summed_from"])
    summed, recompute = _combinable(catalogue)
    parts = own.loc[own["indicator_code"].isin(summed)].rename(columns={"commune_key": "unit_key"})
    merged = link.merge(parts.drop(columns="commune_code"), on=["unit_key", "period"], how="inner")
    keys = ["commune_code", "commune_key", "period", "summed_from", "indicator_code"]
    g = merged.groupby(keys, sort=True)
    out = g.agg(total=("value", "sum"), n=("value", "size"), n_units=("n_units", "first"),
                synthetic=("synthetic", "any"), units=("unit_key", lambda s: set(s))).reset_index()
    complete = out["n"].eq(out["n_units"])
    names = {u.key: u for u in registry}
    missing = [
        "" if ok else words("history_missing", units=", ".join(
            f"{names[k].full_name} ({names[k].code})" for k in summed_from.split(";") if k not in units))
        for ok, summed_from, units in zip(complete, out["summed_from"], out["units"])
    ]
    out = out.assign(value=out["total"].where(complete), reason=missing, origin=PREDECESSORS)[cols]
    # ratios of the catalogue (rule recompute): summed numerator / summed denominator, both complete
    wide = out.pivot_table(index=keys[:4], columns="indicator_code", values="value", aggfunc="first")
    extra = _ratios_of(wide, recompute)
    if extra:
        synth = out.groupby(keys[:4])["synthetic"].any().rename("synthetic").reset_index()
        added = pd.concat(extra, ignore_index=True).merge(synth, on=keys[:4], how="left")
        out = pd.concat([out, added.assign(origin=PREDECESSORS, reason="")[cols]], ignore_index=True)
    return out.sort_values(["commune_key", "period", "indicator_code"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- the metrics table
def compute_metrics(values: pd.DataFrame, registry: Registry, *, catalogue: Catalogue | None = None) -> pd.DataFrame:
    """The long metrics table (columns :data:`METRIC_COLUMNS`) for every commune and period in ``values``."""
    catalogue = catalogue or load_catalogue()
    history = predecessor_values(values, registry, catalogue=catalogue)
    known = history.loc[history["value"].notna(), ["commune_code", "commune_key", "period", "indicator_code",
                                                    "value", "synthetic"]]
    base, ytd = period_values(pd.concat([values, known], ignore_index=True) if len(known) else values, catalogue)
    cat = catalogue.table.drop_duplicates("code", keep="last").set_index("code")
    numeric_kinds = {"count", "percent", "money", "score"}
    indicators = base.loc[base["indicator_code"].map(cat["kind"]).isin(numeric_kinds)]
    blank = history.loc[history["value"].isna()].drop(columns="summed_from").assign(computed_value=np.nan)
    ind = (pd.concat([indicators.assign(reason=""), blank], ignore_index=True)
           .rename(columns={"indicator_code": "metric"}).assign(numerator=np.nan, denominator=np.nan))
    ratios = ratio_values(base).assign(origin="computed", computed_value=np.nan)
    ratio_meta = {r.code: r.label for r in load_ratios()}
    metrics = pd.concat([ind, ratios], ignore_index=True)
    metrics = metrics.assign(
        label=metrics["metric"].map(cat["label"]).fillna(metrics["metric"].map(ratio_meta)),
        kind=metrics["metric"].map(cat["kind"]).fillna("percent"),
        unit=metrics["metric"].map(cat["unit"]).where(metrics["metric"].isin(cat.index), "%"),
    )
    metrics = _from_predecessors(metrics, registry)
    metrics = _trends(metrics)
    metrics = _cumulative(metrics, ytd, values)
    metrics = _targets(metrics, registry)
    return (metrics[METRIC_COLUMNS].sort_values(["period", "commune_code", "metric"], kind="stable")
            .reset_index(drop=True))


def _from_predecessors(metrics: pd.DataFrame, registry: Registry) -> pd.DataFrame:
    """Mark the rows of a unit's periods that end before its ``valid_from`` (quarters combined from its
    predecessors and the aggregated periods computed from them): origin :data:`PREDECESSORS`, and the units
    summed in ``summed_from``.  An aggregated period the unit computed over quarters on both sides of its
    ``valid_from`` (2025-9M of a commune formed on 1/7/2025) keeps its origin and names in ``summed_from`` the
    units of its earlier quarters."""
    units = {u.key: u for u in registry if u.predecessors}
    pairs = metrics.loc[metrics["commune_key"].isin(units.keys()), ["commune_key", "period"]].drop_duplicates()
    summed, partly = {}, {}
    for key, period in pairs.itertuples(index=False):
        p, unit = Period.parse(period), units[key]
        if p.end < unit.valid_from:
            summed[(key, period)] = ";".join(u.key for u in units_summed(registry, unit, p))
        elif not p.is_quarter:
            before = [q for q in p.quarters() if q.end < unit.valid_from]
            found = {u.key: u for q in before for u in units_summed(registry, unit, q)}
            if before:
                partly[(key, period)] = ";".join(sorted(found, key=lambda k: (found[k].code, found[k].valid_from)))
    pair = list(zip(metrics["commune_key"], metrics["period"]))
    whole = pd.Series([summed.get(x, "") for x in pair], index=metrics.index, dtype=object)
    part = pd.Series([partly.get(x, "") for x in pair], index=metrics.index, dtype=object)
    part = part.where(metrics["origin"].eq("computed"), "")
    return metrics.assign(summed_from=whole.where(whole.ne(""), part),
                          origin=metrics["origin"].where(whole.eq(""), PREDECESSORS))


def _shift_ids(periods: pd.Series, how: str) -> pd.Series:
    lookup = {p: (getattr(Period.parse(p), how)()).id for p in periods.unique()}
    return periods.map(lookup)


def _trends(metrics: pd.DataFrame) -> pd.DataFrame:
    keys = ["commune_key", "metric"]
    ref = metrics[keys + ["period", "value"]]
    out = metrics.assign(previous_period=_shift_ids(metrics["period"], "previous"),
                         yoy_period=_shift_ids(metrics["period"], "same_period_last_year"))
    for prefix, col in (("previous", "previous_period"), ("yoy", "yoy_period")):
        right = ref.rename(columns={"period": col, "value": f"{prefix}_value"})
        out = out.merge(right, on=keys + [col], how="left")
    is_pct = out["kind"].eq("percent")
    relative = out["kind"].isin(["count", "money"])
    for prefix, change in (("previous", "change"), ("yoy", "yoy_change")):
        prev = out[f"{prefix}_value"]
        out[change] = out["value"] - prev
        out[f"{change}_pct"] = (100 * out[change] / prev.where(prev != 0)).where(relative)
    out["change_unit"] = np.where(is_pct, POINTS, out["unit"])
    return out


def _cumulative(metrics: pd.DataFrame, ytd: pd.DataFrame, values: pd.DataFrame) -> pd.DataFrame:
    keys = ["commune_key", "period"]
    ytd_ind = (ytd.rename(columns={"indicator_code": "metric", "value": "cumulative_value"})
               [keys + ["metric", "cumulative_value"]])
    ytd_ratio = (ratio_values(ytd.assign(origin="computed"))[keys + ["metric", "value"]]
                 .rename(columns={"value": "cumulative_value"}))
    cum = pd.concat([ytd_ind, ytd_ratio], ignore_index=True)
    quarters = metrics["period"].str.contains("-Q")
    out = metrics.merge(cum, on=keys + ["metric"], how="left")
    out["cumulative_value"] = out["cumulative_value"].where(quarters.values)
    reported = values.loc[values["cumulative_value"].notna(), keys + ["indicator_code", "cumulative_value"]].rename(
        columns={"indicator_code": "metric", "cumulative_value": "reported_cumulative"})
    return out.merge(reported, on=keys + ["metric"], how="left")


def _targets(metrics: pd.DataFrame, registry: Registry) -> pd.DataFrame:
    """Each row's target: the one of its metric that applies to its period (validity, kinds of period) and
    its province (a province's own target before the national one); none applies: all target columns blank."""
    targets = load_targets()
    province = {u.key: u.province_code for u in registry}
    periods = {p: Period.parse(p) for p in metrics["period"].unique()}
    out = metrics.assign(_end=metrics["period"].map({k: p.end for k, p in periods.items()}),
                         _kind=metrics["period"].map({k: p.kind for k, p in periods.items()}),
                         _prov=metrics["commune_key"].map(province), _row=np.arange(len(metrics)))
    cand = out[["_row", "metric", "_end", "_kind", "_prov"]].merge(targets, on="metric")
    applies = [(vf <= end <= vt) and kind in kinds for vf, vt, end, kind, kinds
               in zip(cand["valid_from"], cand["valid_to"], cand["_end"], cand["_kind"], cand["periods"])]
    cand = cand.loc[pd.Series(applies, index=cand.index, dtype=bool)
                    & (cand["scope"].eq("national") | cand["scope"].eq(cand["_prov"]))]
    cand = cand.assign(_rank=np.where(cand["scope"].eq("national"), 1, 0)).sort_values(["_row", "_rank"])
    best = cand.drop_duplicates("_row").set_index("_row")
    out["target"] = out["_row"].map(best["target"])
    out["target_op"] = out["_row"].map(best["op"])
    out["target_source"] = out["_row"].map(best["source"])
    out["target_kind"] = out["_row"].map(best["kind"])
    met = pd.Series(pd.NA, index=out.index, dtype="boolean")
    for op, fn in _OPS.items():
        mask = out["target_op"].eq(op) & out["value"].notna() & out["target"].notna()
        met[mask] = fn(out.loc[mask, "value"], out.loc[mask, "target"])
    out["target_met"] = met
    out["target_gap"] = out["value"] - out["target"]
    return out.drop(columns=["_end", "_kind", "_prov", "_row"])


# --------------------------------------------------------------------------- roll-ups and scores
def rollup(metrics: pd.DataFrame, registry: Registry, *, level: str = "district") -> pd.DataFrame:
    """District (or province) figures per period and metric across communes.

    Counts and money add up over the communes that reported them; ratios are recomputed from the
    numerators and denominators of the communes that reported both (never averaged, and a commune
    missing either is left out of both sums); min / median / max of the commune values; the number
    of communes reporting.  Nothing reported stays missing, never 0.
    """
    unit_of = {u.key: (u.district_code if level == "district" else u.province_code) for u in registry}
    metrics = metrics.loc[metrics["origin"] != PREDECESSORS]  # each unit counts once, under its own identity
    both = metrics["numerator"].notna() & metrics["denominator"].notna()
    m = metrics.assign(area=metrics["commune_key"].map(unit_of),
                       numerator=metrics["numerator"].where(both), denominator=metrics["denominator"].where(both))
    keys = ["area", "period", "metric"]
    g = m.groupby(keys, sort=True)
    out = g.agg(label=("label", "first"), kind=("kind", "first"), unit=("unit", "first"),
                communes=("value", "count"), minimum=("value", "min"), median=("value", "median"),
                maximum=("value", "max"), synthetic=("synthetic", "any")).reset_index()
    sums = g[["value", "numerator", "denominator"]].sum(min_count=1).reset_index(drop=True)
    is_ratio = out["metric"].str.startswith("R.")
    value = np.where(is_ratio, 100 * sums["numerator"] / sums["denominator"].where(sums["denominator"] != 0),
                     np.where(out["kind"].isin(["count", "money"]), sums["value"], np.nan))
    out = out.assign(value=value, numerator=sums["numerator"].where(is_ratio),
                     denominator=sums["denominator"].where(is_ratio))
    return out.rename(columns={"area": f"{level}_code"})


def rank_communes(metrics: pd.DataFrame, registry: Registry, *, period: str | None = None,
                  metrics_to_rank: list[str] | None = None) -> pd.DataFrame:
    """Each commune's rank in its comparison group (:func:`pipeline.domain.areas.comparison_group`: its district
    before 1/7/2025, its province after) on the key ratios (1 = best; ties share the best rank), in ``period`` (or
    in every period, each ranked on its own).

    Only communes with a value are ranked and counted (``of``: the communes of the group with a value); a
    successor's figures combined from its predecessors are not ranked (the predecessors are, under their own
    identity).  Metrics with no direction (``higher_is_better: null``) are not ranked.
    """
    from ..domain.areas import comparison_group

    ratios = {r.code: r for r in load_ratios()}
    wanted = [m for m in (metrics_to_rank or [r.code for r in key_ratios()])
              if m not in ratios or ratios[m].higher_is_better is not None]
    units = {u.key: u for u in registry}
    keep = metrics["metric"].isin(wanted) & metrics["value"].notna() & metrics["commune_key"].isin(units.keys())
    if period is not None:
        keep &= metrics["period"] == period
    if "origin" in metrics:
        keep &= metrics["origin"] != PREDECESSORS
    m = metrics.loc[keep].astype({"value": float})
    cols = ["group", "district_code", "commune_code", "commune_key", "period", "metric", "value", "rank", "of",
            "synthetic"]
    if m.empty:
        return pd.DataFrame(columns=cols)
    pairs = m[["commune_key", "period"]].drop_duplicates()
    group_of = {(k, p): comparison_group(units[k], p) for k, p in zip(pairs["commune_key"], pairs["period"])}
    m = m.assign(district_code=m["commune_key"].map(lambda k: units[k].district_code),
                 group=[group_of[kp] for kp in zip(m["commune_key"], m["period"])],
                 synthetic=m["synthetic"].fillna(False).astype(bool) if "synthetic" in m else False)
    descending = m["metric"].map(lambda code: ratios[code].higher_is_better if code in ratios else True).astype(bool)
    by = ["group", "period", "metric"]
    # rank the way each metric orders: the value, negated where higher is better, ranked ascending
    key = m["value"].where(~descending, -m["value"])
    rank = key.groupby([m[c] for c in by]).rank(method="min").astype(int)
    of = m.groupby(by)["value"].transform("size").astype(int)
    out = m.assign(rank=rank, of=of)[cols]
    return out.sort_values(["period", "group", "metric", "rank", "commune_key"], kind="stable").reset_index(drop=True)


#: The comparison group's distribution on the ranking chart's ratio is counted in this many bands of equal width.
BANDS = 10
#: Band widths to choose from (percentage points): the narrowest whose :data:`BANDS` bands cover the group's range.
BAND_WIDTHS = (0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000)
GROUP_COLUMNS = ["group", "period", "metric", "band", "band_from", "band_to", "communes", "of", "median",
                 "minimum", "maximum", "synthetic_units", "unit_types"]


def bands(values: pd.Series) -> tuple[float, float]:
    """The first band's lower edge and the bands' width for ``values``: the narrowest width of :data:`BAND_WIDTHS`
    whose :data:`BANDS` bands, starting at the multiple of it at or below the smallest value, reach the largest
    (31,2–36,5 % → 31–36 %… in 0,5-point bands; 0–100 % → 10-point bands)."""
    lo, hi = float(values.min()), float(values.max())
    for width in BAND_WIDTHS:
        start = np.floor(round(lo / width, 9)) * width
        if start + BANDS * width >= hi:
            return float(start), float(width)
    width = float(BAND_WIDTHS[-1])
    return float(np.floor(lo / width) * width), float(np.ceil((hi - lo) / BANDS / width) * width)


def group_distribution(ranks: pd.DataFrame, registry: Registry, *, metric: str | None = None) -> pd.DataFrame:
    """What a commune report needs from its comparison group, once per group, period and metric (the ranking
    chart's ratio by default), in a fixed number of rows whatever the group's size: :data:`BANDS` rows, the number
    of ranked communes in each band (:func:`bands`; a value on a band's upper edge counts in the next, the largest
    in the last), with the group's ``of`` (communes with the figure), ``median``, ``minimum``, ``maximum``,
    ``synthetic_units`` (units whose ranked figures of the period are sample figures, any key ratio) and
    ``unit_types`` (``"thị trấn=2;xã=23"``: the ranked units by type, any key ratio).

    ``ranks``: :func:`rank_communes` of every period (the metrics stage stores both, as tables ``ranks`` and
    ``group_stats``).
    """
    metric = metric or ranking_chart_ratio().code
    rows = ranks.loc[ranks["metric"] == metric] if len(ranks) else ranks
    if rows.empty:
        return pd.DataFrame(columns=GROUP_COLUMNS)
    types = {u.key: u.type for u in registry}
    per_unit = ranks.groupby(["group", "period", "commune_key"], sort=False)["synthetic"].any().reset_index()
    per_unit["type"] = per_unit["commune_key"].map(types)
    about = per_unit.groupby(["group", "period"]).agg(
        synthetic_units=("synthetic", "sum"),
        unit_types=("type", lambda t: ";".join(f"{k}={n}" for k, n in t.value_counts().sort_index().items())))
    out = []
    for (group, period), g in rows.groupby(["group", "period"], sort=True):
        start, width = bands(g["value"])
        values = g["value"].to_numpy(dtype=float)
        index = np.clip(np.floor(np.round((values - start) / width, 9)), 0, BANDS - 1).astype(int)
        counts = np.bincount(index, minlength=BANDS)
        for band in range(BANDS):
            out.append({"group": group, "period": period, "metric": metric, "band": band,
                        "band_from": round(start + band * width, 6), "band_to": round(start + (band + 1) * width, 6),
                        "communes": int(counts[band]), "of": len(g), "median": float(g["value"].median()),
                        "minimum": float(g["value"].min()), "maximum": float(g["value"].max()),
                        "synthetic_units": int(about.at[(group, period), "synthetic_units"]),
                        "unit_types": about.at[(group, period), "unit_types"]})
    return pd.DataFrame(out, columns=GROUP_COLUMNS)


def scores(metrics: pd.DataFrame) -> pd.DataFrame:
    """Scores per commune and period: Điểm = min(Tỷ lệ, 100) / 100 × Điểm tối đa, summed over criteria."""
    rows = []
    for spec in load_scoring():
        y0, y1 = spec["year"] if isinstance(spec["year"], list) else (spec["year"], spec["year"])
        crit = pd.DataFrame(spec["criteria"])
        m = metrics.loc[metrics["period"].str[:4].astype(int).between(y0, y1)]
        pairs = m[["commune_code", "commune_key", "period"]].drop_duplicates()
        grid = pairs.merge(crit, how="cross").merge(m[["commune_key", "period", "metric", "value"]],
                                                    on=["commune_key", "period", "metric"], how="left")
        grid["points"] = (grid["value"].clip(upper=100) / 100 * grid["max_points"]).fillna(0.0)
        rows.append(grid)
    if not rows:
        return pd.DataFrame(columns=["commune_code", "period", "score", "max_score", "score_pct", "missing"])
    grid = pd.concat(rows, ignore_index=True)
    out = grid.groupby(["commune_code", "commune_key", "period"]).agg(
        score=("points", "sum"), max_score=("max_points", "sum"),
        missing=("value", lambda s: ", ".join(grid.loc[s.index[s.isna()], "metric"]))).reset_index()
    return out.assign(score_pct=100 * out["score"] / out["max_score"])


# --------------------------------------------------------------------------- the stage
def inputs_fingerprint(data) -> str:
    """Hash of what the metrics are computed from and by: the stored values, narratives and documents, the
    office's own registry units (``cchc registry import``), and the code of :data:`METRICS_CODE` with the modules
    it imports, and :data:`METRICS_RULES` (editing a finding's sentence recomputes the findings)."""
    import hashlib

    from ..fingerprint import imported_modules, source_fingerprint
    from ..store import Store

    store = Store(data)
    h = hashlib.sha256()
    for name in ("values", "narratives", "documents"):
        path = store.path(name)
        h.update(path.read_bytes() if path.exists() else b"-")
    office = store.paths.registry_file
    h.update(office.read_bytes() if office.exists() else b"-")
    h.update(source_fingerprint([*imported_modules(METRICS_CODE), *METRICS_RULES]).encode())
    return h.hexdigest()


def metrics_up_to_date(data) -> bool:
    """True when the stored metrics were computed from the current inputs."""
    from ..store import Store

    store = Store(data)
    stamp = store.meta("metrics.inputs")
    return stamp is not None and store.path("metrics").exists() and stamp == inputs_fingerprint(data)


def ensure_metrics(data, *, force: bool = False) -> dict[str, pd.DataFrame]:
    """The stored metrics and findings, recomputed first only when their inputs changed (or ``force``)."""
    from ..store import Store

    if not force and metrics_up_to_date(data):
        store = Store(data)
        return {"metrics": store.read("metrics"), "findings": store.read("findings"), "scores": store.read("scores")}
    return run_metrics(data)


def run_metrics(data, *, registry: Registry | None = None) -> dict[str, pd.DataFrame]:
    """Read the stored values, compute metrics, findings and scores, and store them in one transaction
    (holding the data directory's writers' lock)."""
    from ..domain.communes import load_registry
    from ..store import Store
    from .findings import aggregate_mismatches, find_problems

    registry = registry or load_registry(data)
    store = Store(data)
    with store.transaction() as tx:
        fingerprint = inputs_fingerprint(data)
        values = store.read("values")
        catalogue = load_catalogue()
        metrics = compute_metrics(values, registry, catalogue=catalogue)
        base, _ = period_values(values, catalogue)
        own = metrics.loc[metrics["origin"] != PREDECESSORS]  # a predecessor's problems are its own
        findings = pd.concat([find_problems(own, values, registry=registry), aggregate_mismatches(base)],
                             ignore_index=True)
        score = scores(own)
        ranks = rank_communes(metrics, registry)
        tx.write("metrics", metrics)
        tx.write("ranks", ranks.drop(columns="district_code"))
        tx.write("group_stats", group_distribution(ranks, registry))
        tx.write("findings", findings)
        tx.write("scores", score[["commune_code", "commune_key", "period", "score", "max_score", "missing",
                                  "score_pct"]])
        tx.set_meta("metrics.inputs", fingerprint)
    return {"metrics": metrics, "findings": findings, "scores": score}

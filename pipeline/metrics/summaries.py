"""Small pure summaries of stored tables, for notebooks and the terminal."""

from __future__ import annotations

import pandas as pd

from ..domain.communes import Registry
from ..domain.periods import Period


def stored_overview(values: pd.DataFrame, registry: Registry, *, period: str | None = None) -> pd.DataFrame:
    """One row per commune and period: how many values are stored, from which files, synthetic or real."""
    rows = values if not period else values.loc[values["period"] == period]
    names = {u.key: u.full_name for u in registry}
    out = (
        rows.groupby(["period", "commune_code", "commune_key"], sort=True)
        .agg(values=("indicator_code", "size"), files=("source_file", lambda s: ", ".join(sorted(set(s)))),
             synthetic=("synthetic", "any"))
        .reset_index()
    )
    out.insert(2, "commune_name", out["commune_key"].map(names))
    return out.drop(columns="commune_key")


def issues_by_file(issues: pd.DataFrame) -> pd.DataFrame:
    """Errors and warnings counted per file."""
    if issues.empty:
        return pd.DataFrame(columns=["file", "error", "warning"])
    table = issues.pivot_table(index="file", columns="severity", values="message", aggfunc="size", fill_value=0)
    return table.reindex(columns=["error", "warning"], fill_value=0).reset_index()


def key_ratio_table(metrics: pd.DataFrame, registry: Registry, *, period: str, district_code: str,
                    metrics_to_show: list[str] | None = None) -> pd.DataFrame:
    """Communes of a district (rows) × key ratios (value and rank), for one period."""
    from .compute import key_ratios, rank_communes

    wanted = metrics_to_show or [r.code for r in key_ratios()]
    ranks = rank_communes(metrics, registry, period=period, metrics_to_rank=wanted)
    ranks = ranks.loc[ranks["district_code"] == district_code]
    names = {u.code: u.full_name for u in registry.communes_in(period, district_code=district_code)}
    values = ranks.pivot(index="commune_code", columns="metric", values="value").round(2)
    places = ranks.pivot(index="commune_code", columns="metric", values="rank").add_suffix(" (hạng)")
    table = values.join(places).reindex(sorted(names)).sort_index(axis=1)
    table.insert(0, "commune_name", table.index.map(names))
    return table.reset_index()


def district_table(roll: pd.DataFrame, *, period: str, district_code: str, metrics_to_show: list[str]) -> pd.DataFrame:
    """District figures of one period for a list of metrics (value, min, median, max, communes reporting)."""
    rows = roll.loc[(roll["period"] == period) & (roll["district_code"] == district_code)
                    & roll["metric"].isin(metrics_to_show)]
    cols = ["metric", "label", "unit", "value", "numerator", "denominator", "minimum", "median", "maximum", "communes"]
    return rows.set_index("metric").reindex(metrics_to_show).reset_index()[cols].round(2)


def findings_table(findings: pd.DataFrame, registry: Registry, *, period: str, district_code: str | None = None,
                   commune_code: str | None = None) -> pd.DataFrame:
    """Findings of one period, for a district or one commune, with commune names: the stored rows
    ``cchc findings --period PERIOD [--commune CODE]`` prints, in the same order."""
    rows = findings.loc[findings["period"] == Period.parse(period).id]
    units = {u.key: u for u in registry}
    if district_code:
        rows = rows.loc[rows["commune_key"].map(lambda k: units[k].district_code) == district_code]
    if commune_code:
        rows = rows.loc[rows["commune_code"] == commune_code]
    rows = rows.assign(commune_name=rows["commune_key"].map(lambda k: units[k].full_name))
    return rows[["severity", "commune_code", "commune_name", "finding", "metric", "message"]].reset_index(drop=True)

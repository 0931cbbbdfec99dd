"""Small pure summaries of stored tables, for notebooks and the terminal."""

from __future__ import annotations

import pandas as pd

from .communes import Registry


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

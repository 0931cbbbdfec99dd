"""An area's totals of Phụ lục 2B: the communes of a district (or province) added up row by row, by rule.

One pure function, :func:`area_totals`, used by the consolidated appendix (``cchc consolidate``) and meant for
the compiling office's own report.  The rule of a row follows from its catalogue kind:

- ``count``, ``money``: the sum over the communes that reported the row (``rule`` "sum"); flows and stocks
  alike, since the area's stock is its communes' stocks together.  Nobody reported it: blank, never 0.
- ``percent`` with catalogue aggregation ``recompute``: 100 × Σ numerator / Σ denominator over the communes
  that reported both parts (a total given only as its parts, ``ratios.yaml`` ``sums``, is derived first;
  rule "recompute"); a zero or missing summed denominator leaves it blank.  Never an average of the rates.
- other percentages and scores: blank (rule "no_parts"): a rate without its parts cannot be added up.
- ``category``: the communes counted by value (rule "count_by_value", ``counts`` {code: n} in legend order).
- ``text``: blank (rule "text"); headings: rule "heading".

>>> import pandas as pd
>>> from pipeline.domain.catalogue import load_catalogue
>>> from pipeline.domain.communes import load_registry
>>> reg = load_registry()
>>> units = [reg.resolve(c, "2021-Q3") for c in ("18133", "18136")]
>>> v = pd.DataFrame({"commune_key": [u.key for u in units], "indicator_code": ["1.1.1", "1.1.1"],
...                   "value": [3.0, 4.0]})
>>> t = area_totals(v, units, "2021-Q3", load_catalogue()).set_index("code")
>>> float(t.at["1.1.1", "total"]), int(t.at["1.1.1", "communes"])
(7.0, 2)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..domain.catalogue import Catalogue, parse_legend
from ..domain.communes import Commune
from ..domain.periods import Period
from .compute import derive_sums

TOTAL_COLUMNS = ["code", "kind", "rule", "total", "counts", "communes", "numerator", "denominator", "parts_communes",
                 "numerator_code", "denominator_code"]


def area_totals(values: pd.DataFrame, units: list[Commune] | tuple[Commune, ...], period: str | Period,
                catalogue: Catalogue) -> pd.DataFrame:
    """One row per catalogue row valid in ``period`` (in its order) with the area's total by rule.

    ``values``: the communes' values of the period (``commune_key``, ``indicator_code``, ``value``; other units'
    rows are ignored).  Columns :data:`TOTAL_COLUMNS`: ``total`` (NaN when blank), ``counts`` (a category's
    {code: communes}, else None), ``communes`` (how many communes reported the row), ``numerator``,
    ``denominator`` and ``parts_communes`` (a recomputed percentage's summed parts and how many communes gave
    both), ``numerator_code`` and ``denominator_code`` (the catalogue's, blank for other rows).
    """
    cat = catalogue.for_period(period).table.drop_duplicates("code", keep="last")
    keys = {u.key for u in units}
    v = values.loc[values["commune_key"].isin(keys) & values["value"].notna(),
                   ["commune_key", "indicator_code", "value"]]
    wide = v.pivot_table(index="commune_key", columns="indicator_code", values="value", aggfunc="first")
    parts_source = derive_sums(v.assign(commune_code="", period="", synthetic=False))
    parts = parts_source.pivot_table(index="commune_key", columns="indicator_code", values="value", aggfunc="first")
    rows = []
    for r in cat.itertuples(index=False):
        column = wide[r.code] if r.code in wide else pd.Series(dtype=float)
        n = int(column.notna().sum())
        row = {"code": r.code, "kind": r.kind, "total": np.nan, "counts": None, "communes": n,
               "numerator": np.nan, "denominator": np.nan, "parts_communes": 0,
               "numerator_code": r.numerator, "denominator_code": r.denominator}
        if r.kind == "heading":
            row["rule"] = "heading"
        elif r.kind in ("count", "money"):
            row["rule"] = "sum"
            row["total"] = float(column.sum()) if n else np.nan
        elif r.kind == "percent" and r.aggregation == "recompute":
            row["rule"] = "recompute"
            if r.numerator in parts and r.denominator in parts:
                both = parts[[r.numerator, r.denominator]].dropna()
                if len(both):
                    num, den = float(both[r.numerator].sum()), float(both[r.denominator].sum())
                    row |= {"numerator": num, "denominator": den, "parts_communes": len(both),
                            "total": 100 * num / den if den else np.nan}
        elif r.kind == "category":
            row["rule"] = "count_by_value"
            legend = list(parse_legend(r.legend))
            seen = column.dropna().astype(int).value_counts()
            order = legend + sorted(c for c in seen.index if c not in legend)
            row["counts"] = {int(c): int(seen[c]) for c in order if c in seen.index} if n else None
        elif r.kind == "text":
            row["rule"] = "text"
        else:  # percentages without their parts, scores
            row["rule"] = "no_parts"
        rows.append(row)
    return pd.DataFrame(rows, columns=TOTAL_COLUMNS)

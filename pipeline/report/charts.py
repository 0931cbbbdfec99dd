"""Charts in the house style (``style/cchc.mplstyle``), Vietnamese labels.

Each function takes the tidy metrics table (see :mod:`pipeline.metrics.compute`) and returns a
matplotlib ``Figure`` built without pyplot (no global state, no backend needed: a notebook
displays the returned figure once, a batch run turns it into SVG); nothing here reads files.  Missing periods are
gaps in a line, never zeros.
"""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import matplotlib.style
import matplotlib.ticker
import numpy as np
import pandas as pd
from matplotlib import font_manager
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import text_to_path
from matplotlib.ticker import FuncFormatter

from ..domain import periods
from ..domain.formatting import format_money, format_number, format_percent
from ..domain.periods import Period
from .words import takes, words

STYLE = Path(__file__).parent / "style" / "cchc.mplstyle"
FONTS = Path(__file__).parent / "fonts"
for _font in sorted(FONTS.glob("LiberationSerif-*.ttf")):  # the report's own font, for layout and SVG text
    font_manager.fontManager.addfont(str(_font))
#: The metrics each commune chart draws (its label of figures summed from predecessors follows them).
SHOWN = {
    "dossier_trend": ("S.HS.NHAN_MOI", "S.HS.DA_GIAI_QUYET", "R.HS.DUNG_HEN"),
    "rate_against_target": ("R.DVC.MUC_3_4", "7.1.8.3"),
    "budget_against_plan": ("S.NS.THU", "S.NS.DU_TOAN"),
}
_VN = FuncFormatter(lambda x, _: format_number(x))
_VN_PCT = FuncFormatter(lambda x, _: format_number(x) + "%")


def _text_width_in(texts, size: float) -> float:
    """Width in inches of the widest of ``texts`` in the chart font at ``size`` points."""
    prop = FontProperties(family=matplotlib.rcParams["font.family"], size=size)
    widths = [text_to_path.get_text_width_height_descent(t, prop, ismath=False)[0] for t in texts if t]
    return 1.1 * max(widths, default=0.0) / 72  # +10 %: hinted text on screen runs a little wider


def _tick_labels(axis: Axis) -> list[str]:
    """The labels the axis will show, worked out without drawing the figure."""
    locs = axis.get_major_locator()()
    lo, hi = sorted(axis.get_view_interval())
    locs = [v for v in locs if lo - 1e-9 * abs(hi - lo) <= v <= hi + 1e-9 * abs(hi - lo)]
    formatter = axis.get_major_formatter()
    formatter.set_locs(locs)
    return [formatter(v, i) for i, v in enumerate(locs)]


def _fit(fig: Figure, ax, *, right_axis=None, legend_below: bool = False) -> None:
    """Margins that hold the tick labels, axis labels, title and legend, computed from the text.

    Measuring the labels is cheap; ``bbox_inches="tight"`` would lay every chart out twice
    (a quarter of a report's notebook time).
    """
    size = matplotlib.rcParams["font.size"]
    pad = 0.12
    tick = ax.yaxis.get_major_ticks()[0].label1.get_fontsize() if len(ax.get_yticks()) else size
    left = _text_width_in(_tick_labels(ax.yaxis), tick) + pad
    if ax.get_ylabel():
        left += size * 1.3 / 72 + 0.05
    right = 0.3
    if right_axis is not None:
        right = _text_width_in(_tick_labels(right_axis.yaxis), size) + pad
        if right_axis.get_ylabel():
            right += size * 1.3 / 72 + 0.05
    top = (size * 1.4 / 72 + 0.12) if ax.get_title(loc="left") or ax.get_title() else 0.15
    bottom = size * 1.4 / 72 + pad + (0.4 if legend_below else 0.0)
    width, height = fig.get_size_inches()
    fig.subplots_adjust(left=left / width, right=1 - right / width, top=1 - top / height, bottom=bottom / height)
    _shrink_to_slots(ax, (width - left - right))


def _shrink_to_slots(ax, axis_width_in: float) -> None:
    """Quarter labels ("Quý III/2025") side by side must not run into each other: when the widest is wider than
    its slot on the x axis, all are set smaller (down to 6 pt) so that each fits its own slot."""
    labels = [t.get_text() for t in ax.get_xticklabels()]
    if not labels:
        return
    size = ax.get_xticklabels()[0].get_fontsize()
    slot = 0.92 * axis_width_in / len(labels)
    widest = _text_width_in(labels, size)
    if widest > slot:
        ax.tick_params(axis="x", labelsize=max(6.0, size * slot / widest))


def caption(chart: str) -> str:
    """The short name of ``chart`` (a function of this module), which its drawn title starts with."""
    return words(f"charts.{chart}.caption")


def title(fig: Figure) -> str:
    """The title drawn in ``fig``: the report prints it as the chart's caption, so the two always agree."""
    ax = fig.axes[0]
    return next((t for t in (ax.get_title(loc) for loc in ("left", "center", "right")) if t), "")


def _title(chart: str, key: str = "title", **params: object) -> str:
    """The title drawn in ``chart`` (``words.yaml``, ``charts.<chart>.<key>``), which may repeat its caption."""
    key = f"charts.{chart}.{key}"
    if "caption" in takes(key):
        params["caption"] = caption(chart)
    return words(key, **params)


def quarter_label(period: str | Period) -> str:
    """A quarter as an axis shows it: ``"2020-Q1"`` → ``"Quý I/2020"``."""
    p = Period.parse(period)
    if not p.is_quarter:
        return p.label_vi
    return words("charts.quarter", quarter=periods.ROMAN[p.quarter_number], year=p.year)


def _drawn(frames: list[pd.Series]) -> slice | None:
    """The quarters a trend chart draws: from the first one with any figure to the last of the window
    (earlier empty quarters are left out, so the title counts only what is drawn); ``None``: no figure at all."""
    known = pd.concat(frames, axis=1).notna().any(axis=1).to_numpy()
    if not known.any():
        return None
    return slice(int(np.argmax(known)), len(known))


def _quarters_title(chart: str, periods: list[str], **params: object) -> str:
    """"<caption>, 7 quý gần nhất…" (as many quarters as are drawn); one quarter: "<caption>, quý III năm 2021"."""
    if len(periods) == 1:
        return _title(chart, "title_one", period=Period.parse(periods[0]).label_vi, **params)
    return _title(chart, quarters=len(periods), **params)


def last_quarters(period: Period | str, n: int = 8) -> list[str]:
    """The ids of the ``n`` quarters ending with ``period``'s last quarter."""
    return [p.id for p in periods.last_quarters(period, n)]


def _series(metrics: pd.DataFrame, commune_key: str, metric: str, periods: list[str]) -> pd.Series:
    rows = metrics.loc[(metrics["commune_key"] == commune_key) & (metrics["metric"] == metric)]
    return rows.set_index("period")["value"].reindex(periods)


def dossier_trend(metrics: pd.DataFrame, *, commune_key: str, period: Period | str, n: int = 8) -> Figure | None:
    """Dossiers received and resolved (bars) and the on-time rate (line), over the last ``n`` quarters that
    have figures (``None`` when none has).  The title says how many quarters are drawn and how many of them
    are gaps."""
    periods = last_quarters(period, n)
    received, resolved, rate = (_series(metrics, commune_key, code, periods) for code in SHOWN["dossier_trend"])
    drawn = _drawn([received, resolved, rate])
    if drawn is None:
        return None
    periods, received, resolved, rate = periods[drawn], received.iloc[drawn], resolved.iloc[drawn], rate.iloc[drawn]
    missing = int((received.isna() | resolved.isna()).sum())
    gap = words("charts.dossier_trend.gap", quarters=missing) if missing else ""
    return _bars_and_rate("dossier_trend", list(periods), received, resolved, rate,
                          title=_quarters_title("dossier_trend", periods, gap=gap))


def _label(metrics: pd.DataFrame, metric: str, labels: dict[str, str] | None) -> str:
    """The legend of ``metric``: ``labels`` (the period's wording), else the table's label; never the code
    (an unnamed series gets no legend entry)."""
    if labels and labels.get(metric):
        return labels[metric]
    named = metrics.loc[(metrics["metric"] == metric) & metrics["label"].notna(), "label"]
    return str(named.iloc[0]) if len(named) else ""


def rate_against_target(metrics: pd.DataFrame, *, commune_key: str, period: Period | str,
                        metric: str = SHOWN["rate_against_target"][0],
                        extra: str | None = SHOWN["rate_against_target"][1], n: int = 8,
                        labels: dict[str, str] | None = None) -> Figure | None:
    """A ratio (and ``extra``) over the last ``n`` quarters that have figures, against its target line
    (``None`` when no quarter has a figure).  ``labels`` names the series in the period's terms."""
    periods = last_quarters(period, n)
    rows = metrics.loc[(metrics["commune_key"] == commune_key) & (metrics["metric"] == metric)].set_index("period")
    values = rows["value"].reindex(periods)
    targets = rows["target"].reindex(periods)
    kinds = rows["target_kind"].reindex(periods) if "target_kind" in rows else pd.Series(np.nan, index=periods)
    other = _series(metrics, commune_key, extra, periods) if extra else pd.Series(np.nan, index=periods)
    drawn = _drawn([values, other])
    if drawn is None:
        return None
    periods, values, targets, other = periods[drawn], values.iloc[drawn], targets.iloc[drawn], other.iloc[drawn]
    kind = kinds.iloc[drawn].where(targets.notna()).dropna()
    with matplotlib.style.context(STYLE):
        fig = Figure()
        ax = fig.subplots()
        x = np.arange(len(periods))
        if values.notna().any():
            ax.plot(x, values.values, marker="o", label=_label(metrics, metric, labels))
        if other.notna().any():
            ax.plot(x, other.values, marker="s", label=_label(metrics, extra, labels))
        if targets.notna().any():
            ax.step(x, targets.values, where="mid", linestyle="--", color="#c00000",
                    label=words(f"charts.rate_against_target.target.{kind.iloc[-1] if len(kind) else 'chi_tieu'}"))
        ax.set_xticks(x, [quarter_label(p) for p in periods])
        ax.set_xlim(-0.4, len(periods) - 0.6)
        ax.set_ylim(0, 105)
        ax.yaxis.set_major_formatter(_VN_PCT)
        ax.legend(loc="upper left")
        ax.set_title(_quarters_title("rate_against_target", periods))
        _fit(fig, ax)
    return fig


def budget_against_plan(metrics: pd.DataFrame, *, commune_key: str, period: Period | str) -> Figure | None:
    """Budget revenue accumulated from the start of the year to each quarter up to ``period`` (bars), against
    the year's plan (dự toán, the latest one given); ``None`` when no quarter has a revenue figure.

    Lũy kế is the sum of the year's quarters (a quarter without a figure leaves the sum, and every later
    one, unknown: a gap).  The title says how much of the year's plan the last sum reaches.
    """
    p = Period.parse(period)
    year = p.year
    periods = [Period.quarter(year, q).id for q in range(1, p.quarter_number + 1)]
    revenue_code, plan_code = SHOWN["budget_against_plan"]
    revenue = _series(metrics, commune_key, revenue_code, periods)
    if revenue.isna().all():
        return None
    plan = _series(metrics, commune_key, plan_code, periods).dropna()
    cumulative = revenue.cumsum(skipna=False)
    last = cumulative.iloc[-1]
    upto = Period.parse(periods[-1]).label_vi
    if pd.notna(last) and len(plan) and plan.iloc[-1] > 0:
        text = _title("budget_against_plan", upto=upto, amount=format_money(last),
                      rate=format_percent(100 * last / plan.iloc[-1]))
    elif pd.notna(last):
        text = _title("budget_against_plan", "title_no_plan", upto=upto, amount=format_money(last))
    else:
        text = _title("budget_against_plan", "title_gap", year=year)
    with matplotlib.style.context(STYLE):
        fig = Figure()
        ax = fig.subplots()
        x = np.arange(len(periods))
        ax.bar(x, cumulative.values / 1e6, width=0.5, label=words("charts.budget_against_plan.cumulative"))
        if len(plan):
            ax.axhline(plan.iloc[-1] / 1e6, linestyle="--", color="#c00000",
                       label=words("charts.budget_against_plan.plan"))
        ax.set_xticks(x, [quarter_label(q) for q in periods])
        ax.set_xlim(-0.6, len(periods) - 0.4)
        ax.yaxis.set_major_formatter(_VN)
        ax.set_ylabel(words("charts.budget_against_plan.axis"))
        ax.legend(loc="upper left")
        ax.set_title(text)
        _fit(fig, ax)
    return fig


def group_distribution(group: pd.DataFrame, *, period: Period | str, label: str, value: float | None,
                       unit_name: str, units: str, group_name: str) -> Figure | None:
    """The communes of the comparison group by band of one ratio in ``period`` (the metrics stage's group table,
    :func:`pipeline.metrics.compute.group_distribution`: the same few rows whatever the group's size), the band of
    the commune's ``value`` in colour and marked with its name and value, the group's median as a dashed line;
    ``None`` when no commune of the group has the figure.  Bands before the first and after the last holding a
    commune are not drawn.  ``label`` names the ratio in the period's terms, ``units`` the group's unit words
    ("xã, thị trấn"), ``group_name`` the group as a place ("huyện Hương Sơn")."""
    period = Period.parse(period)
    if group.empty or int(group["of"].iloc[0]) == 0:
        return None
    rows = group.sort_values("band")
    held = rows.loc[rows["communes"] > 0, "band"]
    rows = rows.loc[rows["band"].between(held.min(), held.max())].reset_index(drop=True)
    width = float(rows["band_to"].iloc[0] - rows["band_from"].iloc[0])
    start = float(rows["band_from"].iloc[0])
    mine = None
    if value is not None:
        mine = int(np.clip(np.floor(round((value - start) / width, 9)), 0, len(rows) - 1))
    with matplotlib.style.context(STYLE):
        fig = Figure(figsize=(7.2, 3.2))
        ax = fig.subplots()
        x = np.arange(len(rows))
        colours = ["#c55a11" if i == mine else "#9dc3e6" for i in x]
        ax.bar(x, rows["communes"], color=colours, width=0.85)
        ax.set_xticks(x, [f"{format_number(a, max_decimals=2)}–{format_number(b, max_decimals=2)}%"
                          for a, b in zip(rows["band_from"], rows["band_to"])])
        ax.tick_params(axis="x", labelsize=7)
        ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        ax.set_ylabel(words("charts.group_distribution.units_axis", units=units))
        median = float(rows["median"].iloc[0])
        ax.axvline((median - start) / width - 0.5, color="#595959", linestyle="--", linewidth=1,
                   label=words("charts.group_distribution.median", of=int(rows["of"].iloc[0]), units=units,
                               group=group_name, value=format_percent(median)))
        if mine is not None:
            ax.annotate(words("charts.group_distribution.mine", unit=unit_name, value=format_percent(value)),
                        (mine, float(rows["communes"].iloc[mine])), xytext=(0, 4), textcoords="offset points",
                        ha="center", va="bottom", fontsize=8, color="#c55a11")
            ax.set_ylim(0, float(rows["communes"].max()) * 1.25 + 0.5)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12))
        ax.grid(axis="x", visible=False)
        ax.set_title(_title("group_distribution", label=label, period=period.label_vi))
        _fit(fig, ax, legend_below=True)
    return fig


def district_trend(rollup: pd.DataFrame, *, metric: str, periods: list[str]) -> Figure:
    """A district ratio over time with the communes' min–max band and median."""
    rows = rollup.loc[rollup["metric"] == metric].set_index("period").reindex(periods)
    with matplotlib.style.context(STYLE):
        fig = Figure()
        ax = fig.subplots()
        x = np.arange(len(periods))
        ax.fill_between(x, rows["minimum"].values.astype(float), rows["maximum"].values.astype(float),
                        alpha=0.2, label=words("charts.district_trend.band"))
        ax.plot(x, rows["median"].values, linestyle=":", label=words("charts.district_trend.median"))
        ax.plot(x, rows["value"].values, marker="o", label=words("charts.district_trend.district"))
        ax.set_xticks(x, [quarter_label(p) for p in periods])
        label = rows["label"].dropna().iloc[0] if rows["label"].notna().any() else ""
        ax.set_title(label)
        if rows["unit"].eq("%").any():
            ax.yaxis.set_major_formatter(_VN_PCT)
        else:
            ax.yaxis.set_major_formatter(_VN)
        ax.legend(loc="lower left")
        _fit(fig, ax)
    return fig


def communes_sorted(metrics: pd.DataFrame, names: dict[str, str], *, metric: str, label: str, period: Period | str,
                    target: float | None = None, target_kind: str | None = None) -> Figure | None:
    """The communes of an area on one rate in ``period``, sorted (highest at the top), the axis from 0 to 100 %,
    with the target line where one applies (``target_kind`` names it); ``None`` when no commune has the figure.
    For an office comparing many units: one bar per commune, its value written at the bar's end."""
    period = Period.parse(period)
    rows = metrics.loc[(metrics["period"] == period.id) & (metrics["metric"] == metric) & metrics["value"].notna()]
    if rows.empty:
        return None
    rows = rows.sort_values(["value", "commune_key"], ascending=[True, False])
    with matplotlib.style.context(STYLE):
        fig = Figure(figsize=(7.2, max(2.2, 0.24 * len(rows) + 1.0)))
        ax = fig.subplots()
        y = np.arange(len(rows))
        ax.barh(y, rows["value"], color="#9dc3e6")
        ax.set_yticks(y, [names.get(k, k) for k in rows["commune_key"]])
        for yi, v in zip(y, rows["value"]):
            ax.text(v, yi, " " + format_number(v, max_decimals=1), va="center", fontsize=7)
        ax.set_xlim(0, 110)
        ax.xaxis.set_major_formatter(_VN_PCT)
        if target is not None and target_kind is not None:
            ax.axvline(target, color="#c00000", linestyle="--", linewidth=1,
                       label=words(f"charts.communes_sorted.target.{target_kind}", value=format_number(target) + "%"))
            ax.legend(loc="lower right")
        ax.grid(axis="x")
        ax.grid(axis="y", visible=False)
        ax.tick_params(axis="y", labelsize=7)
        ax.set_title(_title("communes_sorted", label=label, period=period.label_vi))
        _fit(fig, ax)
    return fig


def area_trend(frame: pd.DataFrame, *, area: str) -> Figure | None:
    """An area's dossiers received and resolved (bars) and its on-time rate (line, axis from 0) by quarter
    (``frame``: ``period``, ``received``, ``resolved``, ``rate``; blank quarters stay gaps); ``None`` when no
    quarter has a figure."""
    drawn = _drawn([frame["received"], frame["resolved"], frame["rate"]])
    if drawn is None:
        return None
    f = frame.iloc[drawn]
    return _bars_and_rate("area_trend", list(f["period"]), f["received"].astype(float), f["resolved"].astype(float),
                          f["rate"].astype(float), title=_title("area_trend", area=area, quarters=len(f)))


def _bars_and_rate(chart: str, periods: list[str], received: pd.Series, resolved: pd.Series, rate: pd.Series, *,
                   title: str) -> Figure:
    """Dossiers received and resolved (bars) and the on-time rate (line, right axis from 0) by quarter, legend
    below: the commune's trend and its area's (``chart``'s words in words.yaml: received, resolved, axis, rate)."""
    with matplotlib.style.context(STYLE):
        fig = Figure()
        ax = fig.subplots()
        x = np.arange(len(periods))
        ax.bar(x - 0.2, np.asarray(received, dtype=float), width=0.4, label=words(f"charts.{chart}.received"))
        ax.bar(x + 0.2, np.asarray(resolved, dtype=float), width=0.4, label=words(f"charts.{chart}.resolved"))
        ax.set_xticks(x, [quarter_label(p) for p in periods])
        ax.set_xlim(-0.6, len(periods) - 0.4)
        ax.yaxis.set_major_formatter(_VN)
        ax.set_ylabel(words(f"charts.{chart}.axis"))
        ax2 = ax.twinx()
        ax2.plot(x, np.asarray(rate, dtype=float), marker="o", color="#c00000", label=words(f"charts.{chart}.rate"))
        ax2.set_ylim(0, 105)
        ax2.yaxis.set_major_formatter(_VN_PCT)
        ax2.grid(False)
        ax2.spines["right"].set_visible(True)
        handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
        ax.legend(handles, [h.get_label() for h in handles], loc="upper center", ncols=3,
                  bbox_to_anchor=(0.5, -0.12))
        ax.set_title(title)
        _fit(fig, ax, right_axis=ax2, legend_below=True)
    return fig


def to_svg(fig: Figure) -> str:
    """The figure as an inline SVG string, text as text in the report's font (small, sharp, searchable).

    The RDF metadata block (a creation date and outside vocabulary addresses) is dropped, so the
    same figure always gives the same bytes.  So is the rotation by zero degrees matplotlib writes on
    every upright label (``transform="rotate(-0 x y)"``): it moves nothing, and WeasyPrint spent ~8 ms
    a report applying it (a rotated label, such as a vertical axis title, keeps its rotation).
    """
    buf = io.StringIO()
    with matplotlib.style.context(STYLE):  # savefig reads svg.fonttype at save time
        fig.savefig(buf, format="svg", metadata={"Date": None})
    svg = buf.getvalue()
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg[svg.index("<svg"):], flags=re.S)
    return _NO_ROTATION.sub("", svg)


#: matplotlib's rotation of an upright text label: by (minus) zero degrees about its anchor.
_NO_ROTATION = re.compile(r' transform="rotate\(-?0 -?[\d.]+ -?[\d.]+\)"')


def to_data_uri(fig: Figure) -> str:
    """The figure as a ``data:image/svg+xml;base64,…`` URL."""
    return "data:image/svg+xml;base64," + base64.b64encode(to_svg(fig).encode("utf-8")).decode("ascii")


def to_png(fig: Figure, *, dpi: int = 300) -> bytes:
    """The figure as PNG bytes at print resolution (the Word document's images)."""
    buf = io.BytesIO()
    with matplotlib.style.context(STYLE):
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()

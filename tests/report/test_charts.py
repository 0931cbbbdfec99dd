"""Charts: every label inside the picture (margins are computed, not found by a second layout pass),
and gaps for missing quarters."""

import math

import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text

from pipeline.report import charts

PERIOD = "2021-Q3"
QUARTERS = charts.last_quarters(PERIOD, 8)


def _metrics(scale: float) -> pd.DataFrame:
    rows = []
    for i, period in enumerate(QUARTERS):
        for metric, value in (("S.HS.NHAN_MOI", 950 * scale + i), ("S.HS.DA_GIAI_QUYET", 900 * scale + i),
                              ("R.HS.DUNG_HEN", 97.5), ("R.DVC.MUC_3_4", 40.0 + i), ("7.1.8.3", 12.0 + i),
                              ("S.NS.THU", 3_250_000_000 * scale), ("S.NS.DU_TOAN", 9_800_000_000 * scale)):
            rows.append({"commune_key": "k1", "period": period, "metric": metric, "value": value,
                         "target": 50.0 if metric == "R.DVC.MUC_3_4" else np.nan, "label": f"nhãn {metric}"})
    return pd.DataFrame(rows)


def _group(values=None) -> pd.DataFrame:
    """The metrics stage's group table of 25 communes spread over 5–100 % (or ``values``)."""
    from pipeline.metrics.compute import group_distribution

    values = np.linspace(5, 100, 25) if values is None else np.asarray(values, dtype=float)
    ranks = pd.DataFrame({"group": "district:439", "commune_key": [f"k{i}" for i in range(len(values))],
                          "period": PERIOD, "metric": "R.DVC.MUC_3_4", "value": values, "synthetic": False})
    return group_distribution(ranks, [], metric="R.DVC.MUC_3_4")


def _distribution(group: pd.DataFrame, value: float | None = 42.0):
    return charts.group_distribution(group, period=PERIOD, label="Tỷ lệ TTHC cung cấp trực tuyến mức độ 3, 4",
                                     value=value, unit_name="Thị trấn Phú Phong Mở Rộng Rất Dài",
                                     units="xã, thị trấn", group_name="huyện Hương Sơn")


def _figures(scale: float):
    metrics = _metrics(scale)
    rollup = pd.DataFrame({"period": QUARTERS, "metric": "R.HS.DUNG_HEN", "value": 95.0, "minimum": 80.0,
                           "maximum": 100.0, "median": 96.0, "unit": "%", "label": "Tỷ lệ đúng hạn"})
    return {
        "dossier_trend": charts.dossier_trend(metrics, commune_key="k1", period=PERIOD),
        "rate_against_target": charts.rate_against_target(metrics, commune_key="k1", period=PERIOD),
        "budget_against_plan": charts.budget_against_plan(metrics, commune_key="k1", period=PERIOD),
        "group_distribution": _distribution(_group()),
        "district_trend": charts.district_trend(rollup, metric="R.HS.DUNG_HEN", periods=QUARTERS),
    }


@pytest.mark.parametrize("scale", [1, 1000])  # hundreds of dossiers, and hundreds of thousands
def test_every_label_lies_inside_the_figure(scale):
    for name, fig in _figures(scale).items():
        fig.draw_without_rendering()
        renderer = fig._get_renderer()
        drawn = fig.get_tightbbox(renderer)  # inches: everything drawn (ticks in view, labels, title, legend)
        width, height = fig.get_size_inches()
        tolerance = 1 / 72
        assert drawn.x0 >= -tolerance and drawn.y0 >= -tolerance, (name, drawn)
        assert drawn.x1 <= width + tolerance and drawn.y1 <= height + tolerance, (name, drawn, width, height)
        assert len([t for t in fig.findobj(Text) if t.get_visible() and t.get_text()]) > 5, name


def test_axes_are_not_squeezed_by_the_margins():
    for name, fig in _figures(1).items():
        (ax, *_) = fig.axes
        pos = ax.get_position()
        assert pos.width > 0.55 and pos.height > 0.4, (name, pos)


def test_missing_quarters_are_gaps_not_zeros():
    metrics = _metrics(1)
    metrics.loc[(metrics["period"] == QUARTERS[2]) & (metrics["metric"] == "S.HS.NHAN_MOI"), "value"] = np.nan
    fig = charts.dossier_trend(metrics, commune_key="k1", period=PERIOD)
    heights = [p.get_height() for p in fig.axes[0].patches][:8]
    assert math.isnan(heights[2]) and heights[3] > 0
    assert "quý không có số liệu để trống" in fig.axes[0].get_title(loc="left")


def _ticks(fig) -> list[str]:
    return [t.get_text() for t in fig.axes[0].get_xticklabels()]


def test_quarters_on_the_axis_read_quy():
    assert charts.quarter_label("2020-Q1") == "Quý I/2020" and charts.quarter_label("2021-Q4") == "Quý IV/2021"
    fig = charts.dossier_trend(_metrics(1), commune_key="k1", period=PERIOD)
    assert _ticks(fig) == ["Quý IV/2019", "Quý I/2020", "Quý II/2020", "Quý III/2020", "Quý IV/2020", "Quý I/2021",
                           "Quý II/2021", "Quý III/2021"]


@pytest.mark.parametrize("first", [0, 3, 7])
def test_trend_titles_count_the_quarters_drawn(first):
    """Quarters before the first figure are not drawn, and the title counts what is drawn."""
    metrics = _metrics(1)
    metrics = metrics.loc[metrics["period"].isin(QUARTERS[first:])]
    for fig in (charts.dossier_trend(metrics, commune_key="k1", period=PERIOD),
                charts.rate_against_target(metrics, commune_key="k1", period=PERIOD)):
        drawn = len(QUARTERS) - first
        assert len(_ticks(fig)) == drawn and _ticks(fig)[-1] == "Quý III/2021"
        title = charts.title(fig)
        assert (f", {drawn} quý gần nhất" in title) if drawn > 1 else title.endswith(", quý III năm 2021")


def test_gap_count_in_the_title():
    metrics = _metrics(1)
    gone = metrics["period"].isin(QUARTERS[2:4]) & metrics["metric"].isin(["S.HS.NHAN_MOI", "S.HS.DA_GIAI_QUYET"])
    fig = charts.dossier_trend(metrics.loc[~gone], commune_key="k1", period=PERIOD)
    assert charts.title(fig) == ("Hồ sơ TTHC và tỷ lệ giải quyết đúng hạn, 8 quý gần nhất "
                                 "(2 quý không có số liệu để trống)")


def test_budget_is_cumulative_revenue_against_the_years_plan():
    # 3.250 million a quarter, plan 9.800 million: by quý III 9.750 million, 9750/9800 = 99,49 % of the plan
    fig = charts.budget_against_plan(_metrics(1), commune_key="k1", period=PERIOD)
    assert charts.title(fig) == ("Thu ngân sách lũy kế đến quý III năm 2021: 9.750.000.000 đồng, "
                                 "đạt 99,49% dự toán năm")
    assert [p.get_height() for p in fig.axes[0].patches] == [3250.0, 6500.0, 9750.0]
    assert _ticks(fig) == ["Quý I/2021", "Quý II/2021", "Quý III/2021"]
    legend = [t.get_text() for t in fig.axes[0].get_legend().texts]
    assert sorted(legend) == ["Dự toán năm", "Lũy kế từ đầu năm"]


def test_budget_with_a_missing_quarter_has_no_cumulative_from_there():
    metrics = _metrics(1)
    metrics = metrics.loc[~((metrics["period"] == "2021-Q2") & (metrics["metric"] == "S.NS.THU"))]
    fig = charts.budget_against_plan(metrics, commune_key="k1", period=PERIOD)
    heights = [p.get_height() for p in fig.axes[0].patches]
    assert heights[0] == 3250.0 and math.isnan(heights[1]) and math.isnan(heights[2])
    assert "%" not in charts.title(fig)


def test_no_figure_no_chart():
    """Nothing to draw gives no chart (not an empty axis from -0,04 to 0,04)."""
    empty = _metrics(1).iloc[0:0]
    assert charts.dossier_trend(empty, commune_key="k1", period=PERIOD) is None
    assert charts.rate_against_target(empty, commune_key="k1", period=PERIOD) is None
    assert charts.budget_against_plan(empty, commune_key="k1", period=PERIOD) is None
    assert _distribution(_group().iloc[0:0]) is None


def test_legends_never_show_a_code():
    metrics = _metrics(1).assign(label=np.nan)  # no label in the table
    fig = charts.rate_against_target(metrics, commune_key="k1", period=PERIOD)
    legend = [t.get_text() for t in fig.axes[0].get_legend().texts]
    assert legend == ["Chỉ tiêu"]  # the unnamed series drawn without a legend entry
    fig = charts.rate_against_target(metrics, commune_key="k1", period=PERIOD,
                                     labels={"R.DVC.MUC_3_4": "Tỷ lệ A", "7.1.8.3": "Tỷ lệ B"})
    assert [t.get_text() for t in fig.axes[0].get_legend().texts] == ["Tỷ lệ A", "Tỷ lệ B", "Chỉ tiêu"]


def test_the_target_line_is_named_by_its_kind_and_absent_without_a_target():
    """A programme's roadmap target is a "Mục tiêu", not a quarter's "Chỉ tiêu"; no target, no line."""
    metrics = _metrics(1)
    legend = lambda m: [t.get_text() for t in charts.rate_against_target(  # noqa: E731
        m, commune_key="k1", period=PERIOD).axes[0].get_legend().texts]
    assert legend(metrics.assign(target_kind="lo_trinh"))[-1] == "Mục tiêu"
    assert legend(metrics.assign(target_kind="chi_tieu"))[-1] == "Chỉ tiêu"
    untargeted = legend(metrics.assign(target=np.nan))
    assert "Chỉ tiêu" not in untargeted and "Mục tiêu" not in untargeted and len(untargeted) == 2


def test_eight_long_quarter_labels_do_not_run_into_each_other():
    """"Quý III/2025" eight times side by side: each label fits its slot on the axis (smaller type if needed)."""
    quarters = charts.last_quarters("2026-Q3", 8)
    metrics = pd.DataFrame([{"commune_key": "k1", "period": p, "metric": m, "value": v, "target": np.nan,
                             "label": "nhãn"} for p in quarters
                            for m, v in (("S.HS.NHAN_MOI", 2300.0), ("S.HS.DA_GIAI_QUYET", 2200.0),
                                         ("R.HS.DUNG_HEN", 99.0))])
    fig = charts.dossier_trend(metrics, commune_key="k1", period="2026-Q3")
    fig.canvas.draw()
    boxes = [t.get_window_extent() for t in fig.axes[0].get_xticklabels()]
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()][2] == "Quý II/2025"
    assert all(a.x1 <= b.x0 for a, b in zip(boxes, boxes[1:])), [(b.x0, b.x1) for b in boxes]


def test_group_distribution_counts_every_commune_and_colours_the_communes_band():
    """The bars are the group table's bands (25 communes over 5–100 %: ten 10-point bands), their heights add up
    to the communes with the figure, the commune's band (42 % in 40–50 %) alone in colour, the median drawn."""
    fig = _distribution(_group())
    bars = fig.axes[0].patches
    assert sum(b.get_height() for b in bars) == 25
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels[0] == "0–10%" and labels[-1] == "90–100%"
    colours = [b.get_facecolor() for b in bars]
    highlighted = [i for i, c in enumerate(colours) if c != colours[0]]
    assert highlighted == [4]
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["Trung vị của 25 xã, thị trấn có số liệu trong huyện Hương Sơn: 52,5%"]


def test_group_distribution_draws_only_the_bands_that_hold_communes():
    """Communes between 31 % and 34,9 % give 0,5-point bands; none is drawn before the first or after the last
    holding a commune."""
    fig = _distribution(_group([31.2, 31.3, 32.0, 33.9, 34.9]), value=32.0)
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    heights = [b.get_height() for b in fig.axes[0].patches]
    assert labels[0] == "31–31,5%" and labels[-1] == "34,5–35%"
    assert heights[0] > 0 and heights[-1] > 0 and sum(heights) == 5


def test_svg_labels_are_placed_as_matplotlib_drew_them_without_zero_rotations():
    """The SVG drops matplotlib's rotation by 0° of each upright label (WeasyPrint's time, no effect on the picture):
    every label keeps its text and anchor; one drawn turned (the vertical axis titles) keeps its rotation."""
    import io
    import xml.etree.ElementTree as ET

    import matplotlib.style

    def texts(svg):
        return [(t.get("x"), t.get("y"), t.get("transform"), "".join(t.itertext()))
                for t in ET.fromstring(svg[svg.index("<svg"):]).iter("{http://www.w3.org/2000/svg}text")]

    turned_seen = 0
    for name, fig in _figures(1).items():
        svg = charts.to_svg(fig)
        raw = io.StringIO()
        with matplotlib.style.context(charts.STYLE):
            fig.savefig(raw, format="svg", metadata={"Date": None})
        before, after = texts(raw.getvalue()), texts(svg)
        assert "rotate(-0 " in raw.getvalue() and "rotate(-0 " not in svg, name
        assert len(before) == len(after) and before, name
        for (x, y, rotation, text), (x2, y2, rotation2, text2) in zip(before, after):
            assert (x, y, text) == (x2, y2, text2), name
            if rotation == f"rotate(-0 {x} {y})":
                assert rotation2 is None, (name, text)
            else:
                assert rotation2 == rotation and rotation.startswith("rotate(-90 "), (name, text)
                turned_seen += 1
    assert turned_seen >= 2  # the dossier and budget charts' vertical axis titles

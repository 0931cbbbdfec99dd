"""The commune report: what it says, built from the stored tables.

:func:`load` gathers one commune's data for one period (the only I/O here);
the ``*_html`` functions turn it into the report's parts, each an escaped HTML
fragment (:class:`Html`, which notebooks display as HTML).  Every figure is a
stored value or a metric computed by a rule stated in :mod:`pipeline.metrics.compute`;
a blank stays blank.  Text that came from a raw file is always escaped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from . import charts
from ..domain.catalogue import load_catalogue, parse_legend
from ..domain.communes import Commune, load_registry
from ..config import TEMPLATES_DIR, DataPaths
from ..domain.formatting import format_money, format_number, format_official_date, format_percent
from ..domain.periods import Period
from ..store import Store
from .inputs import COMMUNE_REPORT, TREND_QUARTERS, ReportInputs

TEMPLATES = TEMPLATES_DIR
AREAS = [
    ("1", "Công tác chỉ đạo, điều hành cải cách hành chính"),
    ("2", "Cải cách thể chế"),
    ("3", "Cải cách thủ tục hành chính"),
    ("4", "Cải cách tổ chức bộ máy hành chính nhà nước"),
    ("5", "Cải cách chế độ công vụ"),
    ("6", "Cải cách tài chính công"),
    ("7", "Xây dựng và phát triển Chính phủ điện tử, Chính phủ số"),
    ("8", "Thực hiện thu ngân sách"),
]
#: Next-period tasks proposed for each kind of finding, when the commune wrote none.
TASKS_FOR_FINDING = {
    "target_missed": "Đẩy mạnh cung cấp, tuyên truyền dịch vụ công trực tuyến để đạt chỉ tiêu theo Nghị quyết 76/NQ-CP.",
    "tasks_late": "Tăng cường theo dõi, đôn đốc để hoàn thành đúng hạn các nhiệm vụ được cấp trên giao.",
    "plan_incomplete": "Tập trung hoàn thành các nhiệm vụ còn lại của Kế hoạch cải cách hành chính năm.",
    "staff_above_quota": "Rà soát, sắp xếp đội ngũ cán bộ, công chức bảo đảm không vượt biên chế được giao.",
    "overdue_dossiers": "Kiểm soát chặt chẽ thời hạn giải quyết hồ sơ, không để phát sinh hồ sơ quá hạn.",
    "postal_not_used": "Triển khai tiếp nhận hồ sơ, trả kết quả giải quyết TTHC qua dịch vụ bưu chính công ích.",
    "contradiction": "Rà soát, thống nhất số liệu báo cáo trước khi gửi cấp trên.",
    "cumulative_mismatch": "Đối chiếu số lũy kế với số liệu các quý trước khi báo cáo.",
    "aggregate_mismatch": "Đối chiếu số liệu tổng hợp kỳ với số liệu các quý trước khi báo cáo.",
}


class Html:
    """An HTML fragment (already escaped); notebooks display it as HTML.

    Its plain-text form is a one-line summary, so a notebook carries the fragment once (as
    ``text/html``), not twice.
    """

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = str(text)

    def _repr_html_(self) -> str:
        return self.text

    def __html__(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"<HTML fragment, {len(self.text):,} characters>"

    def __eq__(self, other: object) -> bool:
        return str(other) == self.text

    def __contains__(self, item: str) -> bool:
        return item in self.text


@dataclass
class ReportData:
    """Everything one commune's report for one period is made of."""

    commune: Commune
    period: Period
    values: pd.DataFrame  # this commune and period, current values
    metrics: pd.DataFrame  # this commune over its trend periods, and its district's communes on the key ratios
    findings: pd.DataFrame  # this commune and period
    narratives: pd.DataFrame  # this commune and period
    document: dict = field(default_factory=dict)  # header facts of the ingested report, if any
    synthetic: bool = False

    @property
    def key(self) -> str:
        return self.commune.key

    def value(self, code: str) -> float | None:
        rows = self.values.loc[self.values["indicator_code"] == code, "value"]
        return float(rows.iloc[0]) if len(rows) and pd.notna(rows.iloc[0]) else None

    def metric(self, code: str, period: str | None = None) -> pd.Series | None:
        m = self.metrics
        rows = m.loc[(m["commune_key"] == self.key) & (m["period"] == (period or self.period.id)) & (m["metric"] == code)]
        return rows.iloc[0] if len(rows) else None

    def narrative(self, area: str) -> list[dict]:
        rows = self.narratives.loc[self.narratives["area"] == area]
        return [{"heading": r.heading, "number": r.number, "paragraphs": [p for p in r.text.split("\n") if p.strip()]}
                for r in rows.itertuples()]


def load(*, commune: "str | Commune", period: "str | Period", data: DataPaths,
         inputs: ReportInputs = COMMUNE_REPORT) -> ReportData:
    """Read what the report of ``commune`` for ``period`` needs from the processed store: exactly the
    slices its declaration (:data:`pipeline.report.inputs.COMMUNE_REPORT`) names, nothing else.

    ``commune`` and ``period`` may be given as text (a notebook's parameters): they are parsed here, once.
    """
    from ..metrics.compute import run_metrics

    p = Period.parse(period)
    registry = load_registry()
    unit = commune if isinstance(commune, Commune) else registry.resolve(commune, p)
    store = Store(data)
    if not store.path("metrics").exists():
        run_metrics(data)
    read = inputs.select({name: _read(store, name) for name in inputs.tables}, unit, p, registry)
    mine, doc, group = read["values"], read["documents"], read["group_metrics"]
    # The commune's metrics over its periods, and the district's other communes on the key ratios.
    metrics = pd.concat([read["metrics"], group.loc[group["commune_key"] != unit.key]], ignore_index=True)
    return ReportData(
        commune=unit, period=p, values=mine, metrics=metrics, findings=read["findings"],
        narratives=read["narratives"], document=doc.iloc[0].to_dict() if len(doc) else {},
        # any synthetic figure shown (this commune's, or a district commune's in the ranking) gets the notice
        synthetic=bool(mine["synthetic"].any() or metrics["synthetic"].fillna(False).astype(bool).any()),
    )


def _read(store: Store, name: str) -> pd.DataFrame:
    """A processed table, read once per version of its file (a batch kernel renders many reports)."""
    path = store.path(name)
    stat = path.stat() if path.exists() else None
    return _read_version(str(store.paths.root), name, stat.st_mtime_ns if stat else 0, stat.st_size if stat else 0)


@lru_cache(maxsize=16)
def _read_version(root: str, name: str, mtime_ns: int, size: int) -> pd.DataFrame:
    """Keyed by the file's identity; the frame is shared, so callers only ever filter it (never mutate)."""
    return Store(DataPaths(Path(root))).read(name)


# --------------------------------------------------------------------------- words
def subject_line(period: Period) -> str:
    """"Tình hình thực hiện công tác Cải cách hành chính trong quý III, phương hướng nhiệm vụ quý IV năm 2021"."""
    base = "Tình hình thực hiện công tác Cải cách hành chính"
    if period.is_quarter:
        nxt = period.next()
        if nxt.year == period.year:
            return f"{base} trong {period.phrase_vi}, phương hướng nhiệm vụ {nxt.phrase_vi} năm {period.year}"
        return f"{base} {period.label_vi}, phương hướng nhiệm vụ {nxt.label_vi}"
    if period.kind == "6M":
        return f"{base} 6 tháng đầu năm, phương hướng nhiệm vụ 6 tháng cuối năm {period.year}"
    if period.kind == "9M":
        return f"{base} 9 tháng, phương hướng nhiệm vụ quý IV năm {period.year}"
    return f"{base} năm {period.year}, phương hướng nhiệm vụ năm {period.year + 1}"


def next_phrase(period: Period) -> str:
    """What section III plans for: "quý IV năm 2021", "6 tháng cuối năm 2021", "năm 2022"."""
    if period.is_quarter:
        return period.next().label_vi
    return {"6M": f"6 tháng cuối năm {period.year}", "9M": f"quý IV năm {period.year}"}.get(period.kind, f"năm {period.year + 1}")


def _change_words(change: float, unit: str, *, points: bool) -> str:
    if change != change:  # NaN
        return ""
    if change == 0:
        return "không thay đổi"
    verb = "tăng" if change > 0 else "giảm"
    amount = format_number(abs(change))
    return f"{verb} {amount} điểm phần trăm" if points else f"{verb} {amount} {unit}".rstrip()


def comparison_sentence(rd: ReportData, metric: str, *, noun: str, unit: str = "") -> str:
    """"So với quý II năm 2021, <noun> tăng 12 hồ sơ (2,5%); so với cùng kỳ năm 2020, giảm 3 hồ sơ (0,6%).""" 
    row = rd.metric(metric)
    if row is None:
        return ""
    points = row["kind"] == "percent"
    parts = []
    for prefix, label in (("previous", "So với {p}"), ("yoy", "so với cùng kỳ {p}")):
        period_id = row["previous_period" if prefix == "previous" else "yoy_period"]
        value = row[f"{prefix}_value"]
        change = row["change" if prefix == "previous" else "yoy_change"]
        pct = row["change_pct" if prefix == "previous" else "yoy_change_pct"]
        where = label.format(p=Period.parse(period_id).label_vi)
        if pd.isna(value):
            parts.append(f"{where} không có số liệu để so sánh")
            continue
        words = _change_words(change, unit, points=points)
        if not points and pd.notna(pct) and change != 0:
            words += f" ({format_number(abs(pct))}%)"
        parts.append(f"{where}, {noun} {words}")
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "." if text else ""


def _n(rd: ReportData, code: str) -> str:
    return format_number(rd.value(code))


def _ratio(rd: ReportData, code: str) -> str:
    row = rd.metric(code)
    return format_percent(row["value"]) if row is not None and pd.notna(row["value"]) else ""


def area_sentences(rd: ReportData, area: str) -> list[str]:
    """Sentences generated from the data for one reform area (only figures that exist)."""
    v, out = rd.value, []
    when = f"Trong {rd.period.phrase_vi}" if rd.period.is_quarter else f"Trong {rd.period.label_vi}"
    if area == "1":
        if v("1.1.1") is not None:
            s = f"Kế hoạch cải cách hành chính đề ra {_n(rd, '1.1.1')} nhiệm vụ"
            if v("1.1.2") is not None:
                s += f", đã hoàn thành {_n(rd, '1.1.2')} nhiệm vụ" + (f" (đạt {_ratio(rd, 'R.KH.HOAN_THANH')})" if _ratio(rd, "R.KH.HOAN_THANH") else "")
            out.append(s + ".")
        if v("1.3.1") is not None:
            s = f"Số nhiệm vụ được UBND tỉnh, Chủ tịch UBND huyện giao: {_n(rd, '1.3.1')} nhiệm vụ"
            if v("1.3.2") is not None:
                s += f", hoàn thành đúng hạn {_n(rd, '1.3.2')} nhiệm vụ" + (f" ({_ratio(rd, 'R.NV.DUNG_HAN')})" if _ratio(rd, "R.NV.DUNG_HAN") else "")
            if v("1.3.3"):
                s += f", hoàn thành nhưng quá hạn {_n(rd, '1.3.3')} nhiệm vụ"
            out.append(s + ".")
        if v("1.4.1") is not None or v("1.4.2") is not None:
            s = "Khảo sát sự hài lòng của người dân, tổ chức"
            if v("1.4.1") is not None:
                s += f": {_n(rd, '1.4.1')} phiếu"
            if v("1.4.2") is not None:
                s += f", hình thức {_legend(rd, '1.4.2').lower()}"
            out.append(s + ".")
        if v("1.5") is not None:
            out.append("Có tổ chức đối thoại của lãnh đạo với người dân, doanh nghiệp." if v("1.5") else
                       "Trong kỳ không tổ chức đối thoại của lãnh đạo với người dân, doanh nghiệp.")
    elif area == "2":
        labels = [("2.1", "văn bản QPPL ban hành, tham mưu ban hành"), ("2.2", "văn bản QPPL đã kiểm tra"),
                  ("2.3", "văn bản QPPL đã rà soát"), ("2.4", "văn bản kiến nghị xử lý"), ("2.5", "văn bản đã xử lý xong")]
        parts = [f"{text}: {_n(rd, code)}" for code, text in labels if v(code) is not None]
        if parts:
            out.append("Số " + "; ".join(parts) + ".")
    elif area == "3":
        if v("3.1.3.c") is not None:
            s = f"Tổng số TTHC cấp xã đang có hiệu lực: {_n(rd, '3.1.3.c')} thủ tục"
            if v("3.2.1") is not None:
                s += f"; đã công khai trên Cổng dịch vụ công {_n(rd, '3.2.1')} thủ tục ({_ratio(rd, 'R.TTHC.CONG_KHAI')})"
            if v("3.2.2") is not None:
                s += f"; TTHC mức độ 3, 4 đã tích hợp lên Cổng {_n(rd, '3.2.2')} thủ tục ({_ratio(rd, 'R.DVC.MUC_3_4')})"
            out.append(s + ".")
        flows = []
        if v("S.HS.NHAN_MOI") is not None:
            flows.append(f"tiếp nhận mới {_n(rd, 'S.HS.NHAN_MOI')} hồ sơ")
        if v("S.HS.KY_TRUOC") is not None:
            flows.append(f"kỳ trước chuyển qua {_n(rd, 'S.HS.KY_TRUOC')} hồ sơ")
        if v("S.HS.DA_GIAI_QUYET") is not None:
            s = f"đã giải quyết {_n(rd, 'S.HS.DA_GIAI_QUYET')} hồ sơ"
            if v("S.HS.DUNG_HEN") is not None:
                s += f", trong đó trước hạn và đúng hạn {_n(rd, 'S.HS.DUNG_HEN')} hồ sơ"
                if _ratio(rd, "R.HS.DUNG_HEN"):
                    s += f" (đạt {_ratio(rd, 'R.HS.DUNG_HEN')})"
            flows.append(s)
        if v("S.HS.DANG_GIAI_QUYET") is not None:
            flows.append(f"đang giải quyết {_n(rd, 'S.HS.DANG_GIAI_QUYET')} hồ sơ")
        if v("S.HS.TRA_LAI") is not None:
            flows.append(f"trả lại, rút {_n(rd, 'S.HS.TRA_LAI')} hồ sơ" if v("S.HS.TRA_LAI") else "không có hồ sơ trả lại")
        if v("S.HS.QUA_HAN") is not None:
            flows.append(f"giải quyết quá hạn {_n(rd, 'S.HS.QUA_HAN')} hồ sơ" if v("S.HS.QUA_HAN") else "không có hồ sơ quá hạn")
        if flows:
            out.append(f"{when}, " + ", ".join(flows) + ".")
            out.append(comparison_sentence(rd, "S.HS.NHAN_MOI", noun="số hồ sơ tiếp nhận", unit="hồ sơ"))
            if rd.metric("R.HS.DUNG_HEN") is not None and pd.notna(rd.metric("R.HS.DUNG_HEN")["value"]):
                out.append(comparison_sentence(rd, "R.HS.DUNG_HEN", noun="tỷ lệ giải quyết trước hạn và đúng hạn"))
        elif v("3.4.3") is not None:
            out.append(f"Tỷ lệ hồ sơ TTHC cấp xã được giải quyết đúng hẹn, đúng quy trình: {format_percent(v('3.4.3'))}.")
    elif area == "4":
        if v("4.2.1") is not None or v("4.2.2") is not None:
            s = "Biên chế công chức"
            if v("4.2.1") is not None:
                s += f" được giao {_n(rd, '4.2.1')} người"
            if v("4.2.2") is not None:
                s += f", có mặt tại thời điểm báo cáo {_n(rd, '4.2.2')} người"
            if v("4.2.3") is not None:
                s += f"; hợp đồng lao động {_n(rd, '4.2.3')} người"
            out.append(s + ".")
    elif area == "5":
        parts = [(c, t) for c, t in (("5.2.1", "công chức được tuyển dụng"), ("5.2.3", "cán bộ, công chức cấp xã được xét chuyển"))
                 if v(c) is not None]
        if parts:
            out.append("Số " + "; ".join(f"{t}: {_n(rd, c)} người" for c, t in parts) + ".")
    elif area == "7":
        if v("7.1.8.1") is not None or v("7.1.8.2") is not None:
            s = f"Số TTHC cung cấp trực tuyến mức độ 3: {_n(rd, '7.1.8.1')}"
            if v("7.1.8.2") is not None:
                s += f"; mức độ 4: {_n(rd, '7.1.8.2')}"
            out.append(s + ".")
        if v("7.1.8.3") is not None:
            s = f"Tỷ lệ hồ sơ xử lý trực tuyến mức độ 3: {format_percent(v('7.1.8.3'))}"
            cum = rd.values.loc[rd.values["indicator_code"] == "7.1.8.3", "cumulative_value"]
            if len(cum) and pd.notna(cum.iloc[0]):
                s += f" (lũy kế từ đầu năm {format_percent(cum.iloc[0])})"
            out.append(s + ".")
        if v("7.1.6.2.b") is not None:
            out.append(f"Tỷ lệ văn bản được gửi dưới dạng điện tử song song với văn bản giấy: {format_percent(v('7.1.6.2.b'))}.")
        if v("7.2.3.4") is not None or v("7.2.5.1") is not None:
            s = "Hệ thống quản lý chất lượng ISO 9001:2015"
            if v("7.2.3.4") is not None:
                s += f": {_n(rd, '7.2.3.4')} quy trình nội bộ đang áp dụng"
            if v("7.2.5.1") is not None:
                s += f"; {_n(rd, '7.2.5.1')} hồ sơ TTHC được giải quyết đúng quy trình"
                if v("7.2.5.3") is not None:
                    s += f" ({format_percent(v('7.2.5.3'))})"
            out.append(s + ".")
    elif area == "8":
        if v("S.NS.THU") is not None:
            s = f"Tổng thu ngân sách {rd.period.label_vi}: {format_money(v('S.NS.THU'))}"
            if v("S.NS.TY_LE_DU_TOAN") is not None:
                s += f", đạt {format_percent(v('S.NS.TY_LE_DU_TOAN'))} dự toán"
            elif _ratio(rd, "R.NS.DU_TOAN"):
                s += f", đạt {_ratio(rd, 'R.NS.DU_TOAN')} dự toán"
            if v("S.NS.DU_TOAN") is not None:
                s += f" (dự toán năm {format_money(v('S.NS.DU_TOAN'))})"
            out.append(s + ".")
        if v("S.NS.THU_TAI_XA") is not None:
            out.append(f"Trong đó, thu tại xã: {format_money(v('S.NS.THU_TAI_XA'))}.")
    return [s for s in out if s]


def _legend(rd: ReportData, code: str) -> str:
    legend = parse_legend(load_catalogue().for_period(rd.period).get(code)["legend"])
    return legend.get(int(rd.value(code)), format_number(rd.value(code)))


def strengths(rd: ReportData) -> list[str]:
    """Strengths the data supports (targets met, all dossiers on time, no overdue dossiers)."""
    out = []
    row = rd.metric("R.HS.DUNG_HEN")
    if row is not None and row["value"] == 100:
        out.append(f"100% hồ sơ TTHC ({format_number(row['denominator'])} hồ sơ) được giải quyết trước hạn và đúng hạn.")
    if rd.value("S.HS.QUA_HAN") == 0 and rd.value("S.HS.DANG_QUA_HAN") in (0, None):
        out.append("Không để xảy ra hồ sơ giải quyết quá hạn.")
    here = rd.metrics.loc[(rd.metrics["commune_key"] == rd.key) & (rd.metrics["period"] == rd.period.id)]
    for r in here.loc[here["target_met"].eq(True) & ~here["metric"].isin(["R.BC.CO_MAT"])].itertuples():
        out.append(f"{r.label} đạt {format_percent(r.value)}, đạt chỉ tiêu {format_percent(r.target)}.")
    return out


def proposed_tasks(rd: ReportData) -> list[str]:
    """Next-period tasks keyed to the findings (used when the commune wrote none)."""
    seen, out = set(), []
    for finding in rd.findings["finding"]:
        task = TASKS_FOR_FINDING.get(finding)
        if task and task not in seen:
            seen.add(task)
            out.append(task)
    out.append("Tiếp tục thực hiện hoàn thành các nhiệm vụ cải cách hành chính năm đảm bảo chỉ tiêu, kế hoạch đề ra.")
    return out


# --------------------------------------------------------------------------- HTML parts
@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES / "report"), autoescape=select_autoescape(default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = format_number
    env.filters["pct"] = format_percent
    return env


def _render(template: str, **context) -> Html:
    return Html(_env().get_template(template).render(**context))


def header_html(rd: ReportData) -> Html:
    """The Nghị định 30/2020 header, title and subject line (and the sample-data notice)."""
    doc = rd.document
    doc_date = doc.get("doc_date") if doc.get("doc_date") else rd.period.end
    if isinstance(doc_date, pd.Timestamp):
        doc_date = doc_date.date()
    return _render(
        "header.html.j2", rd=rd,
        body_line1="ỦY BAN NHÂN DÂN",
        body_line2=rd.commune.full_name.upper(),
        doc_number=doc.get("doc_number") or "",
        place=doc.get("place") or rd.commune.name,
        date_text=format_official_date(doc_date if isinstance(doc_date, date) else rd.period.end),
        subject=doc.get("subject") or subject_line(rd.period),
        synthetic=rd.synthetic,
    )


def results_html(rd: ReportData) -> Html:
    """Part I: results by reform area, generated sentences first, then the commune's own text."""
    areas = [{"number": n, "title": t, "sentences": area_sentences(rd, n), "own": rd.narrative(n)} for n, t in AREAS]
    preamble = rd.narrative("mo_dau")
    return _render("results.html.j2", rd=rd, areas=areas, preamble=preamble)


def assessment_html(rd: ReportData) -> Html:
    """Part II (strengths; shortcomings from the findings and the commune's text) and part III (tasks)."""
    own_tasks = rd.narrative("nhiem_vu")
    return _render(
        "assessment.html.j2", rd=rd, strengths=strengths(rd), own_strengths=rd.narrative("uu_diem"),
        findings=rd.findings["message"].tolist(), own_shortcomings=rd.narrative("ton_tai"),
        own_tasks=own_tasks, tasks=[] if any(s["paragraphs"] for s in own_tasks) else proposed_tasks(rd),
        next_phrase=next_phrase(rd.period),
    )


def closing_html(rd: ReportData) -> Html:
    """The closing sentence, nơi nhận and the signature block."""
    doc = rd.document
    recipients = [r for r in (doc.get("recipients") or "").split("\n") if r] or ["Phòng Nội vụ huyện", "Lưu: VT"]
    return _render(
        "closing.html.j2", rd=rd, recipients=recipients,
        own_closing=rd.narrative("ket_luan"),
        signer_role=doc.get("signer_role") or "TM. ỦY BAN NHÂN DÂN",
        signer_title=doc.get("signer_title") or "CHỦ TỊCH",
        signer_name=doc.get("signer_name") or "",
        next_phrase=next_phrase(rd.period),
    )


def charts_html(rd: ReportData) -> Html:
    """The four charts, as SVG images in data: URLs (self-contained; one image node each keeps PDF layout fast)."""
    from ..metrics.compute import ranking_chart_ratio

    registry = load_registry()
    names = {u.key: u.name for u in registry}
    district_of = {u.key: u.district_code for u in registry}
    district = rd.metrics.loc[rd.metrics["commune_key"].map(district_of) == rd.commune.district_code] \
        if rd.commune.district_code else rd.metrics
    figures = [
        ("Hồ sơ TTHC và tỷ lệ giải quyết đúng hạn",
         charts.dossier_trend(rd.metrics, commune_key=rd.key, period=rd.period, n=TREND_QUARTERS)),
        ("Dịch vụ công trực tuyến so với chỉ tiêu",
         charts.rate_against_target(rd.metrics, commune_key=rd.key, period=rd.period, n=TREND_QUARTERS)),
        ("Thu ngân sách so với dự toán", charts.budget_against_plan(rd.metrics, commune_key=rd.key, period=rd.period)),
        ("Vị trí của xã trong huyện", charts.commune_ranking(district, names, period=rd.period, metric=ranking_chart_ratio().code,
                                                              highlight=rd.key)),
    ]
    return _render("charts.html.j2", figures=[(title, charts.to_data_uri(fig)) for title, fig in figures],
                   ranks=district_ranks(rd))


def district_ranks(rd: ReportData) -> list[dict]:
    """The commune's rank among its district's communes on each key ratio (1 = best)."""
    from ..metrics.compute import key_ratios, rank_communes

    if not rd.commune.district_code:
        return []
    key = key_ratios()
    ranks = rank_communes(rd.metrics, load_registry(), period=rd.period.id, metrics_to_rank=[r.code for r in key])
    mine = ranks.loc[(ranks["commune_code"] == rd.commune.code) & (ranks["district_code"] == rd.commune.district_code)]
    by_metric = {r.metric: r for r in mine.itertuples()}
    return [{"label": k.label, "value": format_percent(by_metric[k.code].value), "rank": by_metric[k.code].rank,
             "of": by_metric[k.code].of} for k in key if k.code in by_metric]


def appendix_rows(rd: ReportData) -> list[dict]:
    """Every Phụ lục 2B row of the period's catalogue version, with the stored value and note (blank stays blank)."""
    cat = load_catalogue().for_period(rd.period).table
    cat = cat.loc[cat["section"] != "S"]
    stored = rd.values.set_index("indicator_code")
    rows = []
    for r in cat.itertuples():
        value = stored["value"].get(r.code) if r.code in stored.index else None
        text_value = stored["value_text"].get(r.code) if r.code in stored.index else None
        note = stored["note"].get(r.code) if r.code in stored.index else ""
        depth = r.code.count(".")
        rows.append({
            "code": r.code if not r.code[-1].isalpha() else "", "full_code": r.code, "label": r.label, "unit": r.unit,
            "value": text_value if isinstance(text_value, str) and text_value else format_number(value),
            "note": note or "", "section": r.parent == "", "heading": r.kind == "heading", "depth": depth,
        })
    return rows


def supplementary_rows(rd: ReportData) -> list[dict]:
    cat = load_catalogue().for_period(rd.period).table
    rows = []
    for r in cat.loc[cat["section"] == "S"].itertuples():
        value = rd.value(r.code)
        if value is not None:
            source = rd.values.loc[rd.values["indicator_code"] == r.code, "source_file"].iloc[0]
            rows.append({"code": r.code, "label": r.label, "unit": r.unit, "value": format_number(value), "source": source})
    return rows


def appendix_html(rd: ReportData) -> Html:
    """Phụ lục 2B: every row, code, label, unit, value, note; section rows bold."""
    title = f"THỐNG KÊ SỐ LIỆU VỀ KẾT QUẢ THỰC HIỆN CÔNG TÁC CCHC {rd.period.label_vi.upper()} {rd.commune.full_name.upper()}"
    return _render("appendix.html.j2", title=title, rows=appendix_rows(rd), supplementary=supplementary_rows(rd))


def warm_up() -> None:
    """Compile the templates and draw one chart, so that a kernel's first report is not its slowest."""
    env = _env()
    for name in env.list_templates():
        env.get_template(name)
    periods = charts.last_quarters("2021-Q3", 2)
    tiny = pd.DataFrame({"commune_key": "x", "metric": ["S.HS.NHAN_MOI", "R.HS.DUNG_HEN"] * 2,
                         "period": [periods[0]] * 2 + [periods[1]] * 2, "value": [1.0, 100.0, 2.0, 100.0]})
    charts.to_data_uri(charts.dossier_trend(tiny, commune_key="x", period=periods[1], n=2))


def full_html(rd: ReportData) -> Html:
    """The whole report body in one fragment (the notebook shows it part by part)."""
    return Html("".join(str(part) for part in (header_html(rd), results_html(rd), assessment_html(rd),
                                                closing_html(rd), charts_html(rd), appendix_html(rd))))

"""``outputs/index.html``: one self-contained page listing every report, for sharing.

Relative links only, inline CSS and a few lines of inline script for the filter box: it works
opened from disk and from any static web server, and asks nothing of any outside address.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from ..config import TEMPLATES_DIR
from ..domain.formatting import format_number, format_percent
from ..domain.periods import Period
from ..metrics.compute import key_figures
from ..store import atomic_file

_env = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape(default=True),
                   trim_blocks=True, lstrip_blocks=True)


def index_rows(outputs_dir: Path, manifest: dict) -> list[dict]:
    """One row per report of the manifest, newest period first, then by commune code."""
    rows = []
    for entry in manifest.values():
        if entry.get("kind") in ("area", "summary"):
            continue  # an area's consolidated appendix and summary report: area_rows
        # paths in the manifest are relative to the outputs directory (absolute in manifests written before)
        rel = lambda p: Path(os.path.relpath(outputs_dir / p, outputs_dir)).as_posix()  # noqa: E731
        directory = rel(entry["directory"]) if entry.get("directory") else None
        files = {k: rel(v) for k, v in entry.get("files", {}).items() if (outputs_dir / v).exists()}
        figures = entry.get("figures", {})
        period = Period.parse(entry["period"])
        rows.append({
            "period": period.id, "period_label": period.label_vi, "commune": entry["commune"],
            "name": entry.get("name", entry["commune"]), "status": entry["status"],
            "error": (entry.get("error") or "").splitlines()[0] if entry.get("error") else "",
            "html": files.get("html"), "pdf": files.get("pdf"), "docx": files.get("docx"),
            "checklist": files.get("checklist"),
            "checklist_items": (entry.get("checklist") or {}).get("total", ""),
            "log": rel(outputs_dir / "logs" / period.id / f"{entry['commune']}.log"),
            "made_at": entry.get("made_at", ""), "synthetic": entry.get("synthetic", False),
            "figures": [format_percent(figures.get(f.code)) if f.kind == "percent"
                        else format_number(figures.get(f.code))
                        for f in key_figures()],
            "findings": figures.get("findings", ""),
            "sort": (-period.year, -list(("Q1", "Q2", "6M", "Q3", "9M", "Q4", "Y")).index(period.kind),
                     entry["commune"]),
            "directory": directory,
        })
    return sorted(rows, key=lambda r: r["sort"])


def area_rows(outputs_dir: Path, manifest: dict) -> list[dict]:
    """One row per area of the manifest (its summary report and its consolidated appendix ``tong-hop.xlsx``),
    newest period first, then by area code; shown at the top of the index, before the communes."""
    def link(path: str | None) -> str | None:
        return Path(os.path.relpath(outputs_dir / path, outputs_dir)).as_posix() if path and (
            outputs_dir / path).exists() else None

    summaries = {(e["period"], e["area"]): e for e in manifest.values() if e.get("kind") == "summary"}
    rows = []
    for entry in manifest.values():
        if entry.get("kind") != "area":
            continue
        period = Period.parse(entry["period"])
        xlsx = entry.get("files", {}).get("xlsx")
        summary = summaries.get((entry["period"], entry["area"]), {})
        rows.append({
            "period": period.id, "period_label": period.label_vi, "area": entry["area"], "name": entry["name"],
            "level": entry.get("level", ""), "units": entry.get("units", ""), "reported": entry.get("reported", ""),
            "xlsx": Path(os.path.relpath(outputs_dir / xlsx, outputs_dir)).as_posix()
            if xlsx and (outputs_dir / xlsx).exists() else None,
            "summary_html": link(summary.get("files", {}).get("html")),
            "summary_pdf": link(summary.get("files", {}).get("pdf")),
            "summary_error": (summary.get("error") or "").splitlines()[0] if summary.get("error") else "",
            "made_at": entry.get("made_at", ""),
            "sort": (-period.year, -list(("Q1", "Q2", "6M", "Q3", "9M", "Q4", "Y")).index(period.kind), entry["area"]),
        })
    return sorted(rows, key=lambda r: r["sort"])


def write_index(outputs_dir: Path, manifest: dict, *, status: list[dict] | None = None) -> Path:
    """Write ``index.html`` atomically and return its path.  ``status``: the submission summary shown at the top,
    per period and area (:func:`pipeline.metrics.submissions.status_blocks`, computed by the batch); then the areas'
    consolidated appendices (:func:`area_rows`), then the reports."""
    outputs_dir = Path(outputs_dir)
    html = _env.get_template("index.html.j2").render(rows=index_rows(outputs_dir, manifest), key_figures=key_figures(),
                                                     areas=area_rows(outputs_dir, manifest),
                                                     made_at=time.strftime("%Y-%m-%d %H:%M:%S"), status=status or [])
    target = outputs_dir / "index.html"
    with atomic_file(target) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return target

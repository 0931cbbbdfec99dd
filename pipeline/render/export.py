"""Rendering: the report notebook executed by papermill, converted by nbconvert with the
project template (HTML), then by WeasyPrint (PDF, A4, Nghị định 30 layout).

Output of one report: ``{outputs}/{period}/{commune_code}-{ascii-slug}/`` holding
``report.ipynb`` (executed), ``report.html`` and ``report.pdf`` (and ``report.docx`` when asked for: the Word
document, built by :mod:`pipeline.report.docx` from the same data, not from the HTML), and beside them the
analyst's checklist ``checklist.html`` (:mod:`pipeline.report.checklist`, written in Python: it is not a part of
the report).
A report is built in a temporary directory beside it and renamed into place only when complete; paths are built
from validated ids and an ASCII slug, and checked to stay inside the outputs directory.
"""

from __future__ import annotations

import copy
import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import FONTS_DIR, NOTEBOOKS_DIR, TEMPLATES_DIR, DataPaths
from ..domain.communes import Commune, load_registry
from ..domain.periods import Period
from ..domain.text import ascii_slug
from ..errors import (
    RenderError,  # defined with every error in pipeline.errors; importable here too
)
from ..report.checklist import CHECKLIST_FILE, write_checklist
from ..report.words import words

#: The papermill engine of the batch's warm kernels (:mod:`pipeline.render.engine`, not imported here: papermill).
WARM_ENGINE = "cchc_warm"

if TYPE_CHECKING:  # nbformat (and jsonschema under it) is imported only where a notebook is handled
    import nbformat

REPORT_NOTEBOOK = NOTEBOOKS_DIR / "commune_report.ipynb"
#: The office's summary report of an area (:mod:`pipeline.report.summary`), written beside its ``tong-hop.xlsx``.
SUMMARY_NOTEBOOK = NOTEBOOKS_DIR / "summary_report.ipynb"
SUMMARY_FORMATS = ("html", "pdf")
TEMPLATE_DIR = TEMPLATES_DIR
FORMATS = ("html", "pdf", "docx")
DEFAULT_FORMATS = ("html", "pdf")
#: The PDF's archival profile (PDF/A-3b: fonts embedded, an sRGB output intent, XMP metadata with the
#: PDF/A identification; level 3 allows files attached later, e.g. the report's data).
PDF_VARIANT = "pdf/a-3b"


@dataclass(frozen=True)
class RenderResult:
    commune: Commune
    period: Period
    directory: Path
    files: dict[str, Path]
    checklist: dict | None = None  # the checklist's item counts by section (and their total)


def report_dir(outputs_dir: Path, period: Period, commune: Commune) -> Path:
    """``outputs/{period}/{code}-{slug}``, guaranteed to lie inside ``outputs_dir``."""
    code = ascii_slug(commune.code, max_length=12)
    target = (Path(outputs_dir) / period.id / f"{code}-{ascii_slug(commune.name)}").resolve()
    if not target.is_relative_to(Path(outputs_dir).resolve()):
        raise RenderError(f"refusing to write outside {outputs_dir}: {target}")
    return target


def parse_formats(text: str | None) -> tuple[str, ...]:
    formats = tuple(f.strip().lower() for f in (text or ",".join(DEFAULT_FORMATS)).split(",") if f.strip())
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise RenderError(f"unknown format(s) {bad}; expected a comma-separated list of {', '.join(FORMATS)}")
    return formats


def notebook_parameters(commune: Commune, period: Period, data: DataPaths, *, draft: bool = False) -> dict:
    """The report notebook's parameters (its ``parameters`` cell declares exactly these)."""
    return {"commune": commune.code, "period": period.id, "data_dir": str(data.root), "draft": bool(draft)}


def summary_parameters(area, period: Period, data: DataPaths) -> dict:
    """The summary notebook's parameters (its ``parameters`` cell declares exactly these)."""
    return {"area": area.code, "period": period.id, "data_dir": str(data.root)}


def notebook_to_html(nb: nbformat.NotebookNode, *, title: str) -> str:
    """The executed notebook as one self-contained HTML page (project nbconvert template)."""
    exporter = _exporter()
    html, _ = exporter.from_notebook_node(nb, resources={"cchc_title": title})
    return html


#: Which of an output's representations the page shows (nbconvert's HTMLExporter order).
DISPLAY_PRIORITY = ["application/vnd.jupyter.widget-view+json", "application/javascript", "text/html", "text/markdown",
                    "image/svg+xml", "text/vnd.mermaid", "text/latex", "image/png", "image/jpeg", "text/plain"]


@lru_cache(maxsize=1)
def _exporter():
    from nbconvert.exporters.templateexporter import TemplateExporter
    from traitlets import default
    from traitlets.config import Config

    class ReportExporter(TemplateExporter):
        """The report page: nbconvert's template exporter with the project template, HTML out.

        Not ``HTMLExporter``: the template uses none of what it adds (Markdown rendering, code highlighting,
        JupyterLab themes, widget state) and its last pass, re-parsing the page with BeautifulSoup to add alt
        text to images and tab stops to JupyterLab cells, cost ~45 ms per report for markup the template
        never makes (its images carry alt text; it has no cell markup)."""

        output_mimetype = "text/html"
        export_from_notebook = None  # not offered as an nbconvert format

        @default("file_extension")
        def _file_extension_default(self):
            return ".html"

        @property
        def default_config(self):
            config = super().default_config.copy()
            config.merge(Config({"NbConvertBase": {"display_data_priority": DISPLAY_PRIORITY}}))
            return config

    return ReportExporter(template_name="cchc_report", extra_template_basedirs=[str(TEMPLATE_DIR / "nbconvert")],
                          exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)


@lru_cache(maxsize=1)
def _pdf_stylesheet():
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    faces = "".join(
        f"@font-face {{ font-family: 'Liberation Serif'; src: url('{name}'); font-weight: {w}; font-style: {s}; }}\n"
        for name, w, s in (("LiberationSerif-Regular.ttf", "normal", "normal"),
                           ("LiberationSerif-Bold.ttf", "bold", "normal"),
                           ("LiberationSerif-Italic.ttf", "normal", "italic"),
                           ("LiberationSerif-BoldItalic.ttf", "bold", "italic"))
    )
    css = faces + "body, .recipient, .appendix-table { font-family: 'Liberation Serif', serif; }\n"
    return CSS(string=css, base_url=str(FONTS_DIR) + "/", font_config=fonts, url_fetcher=_url_fetcher()), fonts


@lru_cache(maxsize=1)
def _url_fetcher():
    """WeasyPrint URL fetcher: the bundled fonts and data: URLs only; nothing from the network."""
    from urllib.parse import unquote, urlparse

    from weasyprint.urls import URLFetcher

    fonts = FONTS_DIR.resolve()

    class LocalOnly(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            if url.startswith("file:") and Path(unquote(urlparse(url).path)).resolve().is_relative_to(fonts):
                return super().fetch(url, headers)
            raise ValueError(f"refusing to fetch {url!r}: reports use no outside resources")

    return LocalOnly(allowed_protocols={"file", "data"})


def html_to_pdf(html: str, target: Path | None, *, created: datetime | None = None) -> bytes | None:
    """Write ``html`` as an archival A4 PDF (:data:`PDF_VARIANT`) with the bundled serif font embedded (to
    ``target``, or return the bytes).

    Its metadata: title the report's trích yếu (the header's ``<meta name="dcterms.title">``), author the issuing
    body (``<meta name="author">``), subject the page's ``<title>``, language the page's (``vi``), creation date
    ``created`` (now, UTC, when not given).
    """
    from weasyprint import HTML

    _prime_html_parser()
    stylesheet, fonts = _pdf_stylesheet()
    document = HTML(string=html, base_url=str(FONTS_DIR) + "/", url_fetcher=_url_fetcher()).render(
        stylesheets=[stylesheet], font_config=fonts)
    meta = document.metadata
    page_title = meta.title
    meta.title = meta.custom.pop("dcterms.title", None) or page_title
    meta.description = meta.description or page_title
    meta.lang = meta.lang or "vi"
    meta.created = (created or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return document.write_pdf(str(target) if target is not None else None, pdf_variant=PDF_VARIANT)


@lru_cache(maxsize=1)
def _prime_html_parser() -> bool:
    """Fill the cache of character-class patterns of WeasyPrint's HTML parser (tinyhtml5) under the keys it
    looks them up by; returns whether it did.

    The tokenizer reads the page in runs of characters, each run up to one of a few character sets, with a
    compiled pattern per set taken from a cache.  tinyhtml5 2.1 stores each new pattern under the wrong key
    (``characters = cache[characters, opposite] = regex`` rebinds ``characters`` before the item is stored),
    so every look-up missed and the pattern was built again: ~4,500 times for a commune's report, ~25 ms of
    its ~0.6 s layout.  The patterns put in are the ones the tokenizer builds, so the page parses as before.
    Nothing is done when the cache already keeps what it builds (a tinyhtml5 without the slip) or has gone.
    """
    import re

    from tinyhtml5 import inputstream
    from tinyhtml5.constants import ascii_letters, space_characters

    cache = getattr(inputstream, "characters_until_regex", None)
    probe = ("<", "\u0000")
    if not isinstance(cache, dict):
        return False
    inputstream.HTMLUnicodeInputStream("a<").chars_until(probe)
    if probe in cache:
        return False
    # The character sets the tokenizer reads up to (tinyhtml5/tokenizer.py), with its ``opposite`` flag.
    wanted = [(space_characters, True), (ascii_letters, True), (("&", "<", "\u0000"), False), (probe, False),
              (("<", "-", "\u0000"), False), (('"', "&", "\u0000"), False), (("'", "&", "\u0000"), False),
              (frozenset(("&", ">", '"', "'", "=", "<", "`", "\u0000")) | space_characters, False),
              (("-", "\u0000"), False), ("\u0000", False), (">", False), ("]", False)]
    for characters, opposite in wanted:
        pattern = "".join(f"\\x{ord(character):02x}" for character in characters)  # as inputstream.chars_until
        cache[characters, opposite] = re.compile(f"[{pattern if opposite else '^' + pattern}]+")
    return True


def report_to_docx(commune: Commune, period: Period, data: DataPaths, target: Path) -> Path:
    """Write the report as a Word document (:func:`pipeline.report.docx.write_docx`) from the data the notebook
    read (``content.load``), not from the HTML."""
    from ..report import content
    from ..report.docx import write_docx

    return write_docx(content.load(commune=commune, period=period, data=data), target)


def execute(parameters: dict, target: Path, *, notebook: Path | None = None, engine_name: str | None = None,
            kernel_name: str | None = None, timeout: int = 600, **engine_kwargs) -> nbformat.NotebookNode:
    """Execute a report notebook (the commune report's unless ``notebook`` is given) with papermill into ``target``;
    raise :class:`RenderError` on failure."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    notebook = notebook or REPORT_NOTEBOOK  # looked up at call time (a test may point it elsewhere)
    try:
        # The notebook is written once at the end (or on failure), not after every cell.
        return pm.execute_notebook(_report_notebook(notebook), str(target), parameters=parameters,
                                   progress_bar=False,
                                   engine_name=engine_name, kernel_name=kernel_name, execution_timeout=timeout,
                                   cwd=str(NOTEBOOKS_DIR), request_save_on_cell_execute=False, **engine_kwargs)
    except PapermillExecutionError as exc:
        raise RenderError(f"the report notebook {notebook.name} failed in cell {exc.exec_count}: {exc.ename}: "
                          f"{exc.evalue}") from exc


def release() -> None:
    """Remove the temporary copy of the bundled fonts WeasyPrint made for this process (its
    ``FontConfiguration`` deletes it only when collected, which a frozen, fast-exiting worker
    never does)."""
    import shutil

    if _pdf_stylesheet.cache_info().currsize:
        folder = getattr(_pdf_stylesheet()[1], "_folder", None)
        if folder:
            shutil.rmtree(folder, ignore_errors=True)


def warm_up() -> None:
    """Load and prepare everything a render needs (a worker calls this while its kernel boots)."""
    _exporter()
    _report_notebook(REPORT_NOTEBOOK)
    html_to_pdf("<html><body><p style=\"font-family: 'Liberation Serif'\">"
                "Khởi động <b>in</b> <i>đậm</i></p></body></html>",
                None)


def _report_notebook(path: Path) -> nbformat.NotebookNode:
    """A fresh copy of the report notebook (read and validated once per process)."""
    return copy.deepcopy(_read_notebook(path, path.stat().st_mtime_ns))


@lru_cache(maxsize=4)
def _read_notebook(path: Path, mtime_ns: int) -> nbformat.NotebookNode:
    import nbformat

    return nbformat.read(path, as_version=4)


def render_report(commune: Commune | str, period: Period | str, *, data: DataPaths, outputs_dir: Path,
                  formats: tuple[str, ...] = DEFAULT_FORMATS, draft: bool = False, engine_name: str | None = None,
                  **engine_kwargs) -> RenderResult:
    """Render one commune's report for one period into the outputs directory (atomically); ``draft``: as a draft
    (the notebook's ``draft`` parameter: :attr:`pipeline.report.content.ReportData.draft`).

    A commune code and a period id given as text (a caller's own entry point) are parsed here, once.
    """
    p = Period.parse(period)
    commune = commune if isinstance(commune, Commune) else load_registry(data).resolve(commune, p)
    outputs_dir = Path(outputs_dir)
    final = report_dir(outputs_dir, p, commune)
    final.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    work.chmod(0o755)  # shared over a web server: readable like any other output
    try:
        nb = execute(notebook_parameters(commune, p, data, draft=draft), work / "report.ipynb",
                     engine_name=engine_name, **engine_kwargs)
        files = {"ipynb": final / "report.ipynb"}
        html = notebook_to_html(nb, title=words("document_title", period=p.label_vi, commune=commune.full_name))
        files |= {kind: final / path.name for kind, path in _html_and_pdf(html, work, "report", formats).items()}
        if "docx" in formats:
            report_to_docx(commune, p, data, work / "report.docx")
            files["docx"] = final / "report.docx"
        counts = _checklist(work, commune, p, data, in_kernel=engine_name == WARM_ENGINE,
                            timeout=engine_kwargs.get("timeout", 600))
        files["checklist"] = final / CHECKLIST_FILE
        _swap_in(work, final)
    except RenderError as exc:
        failed = _keep_failed(work, final)
        where = failed.relative_to(outputs_dir.resolve()) / "report.ipynb"
        raise RenderError(f"{exc} (executed notebook kept in {where.as_posix()})") from exc.__cause__
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return RenderResult(commune, p, final, files, counts)


def _checklist(work: Path, commune: Commune, period: Period, data: DataPaths, *, in_kernel: bool,
               timeout: float) -> dict:
    """Write the report's checklist into ``work`` (:func:`pipeline.report.checklist.write_checklist`) and return its
    counts: in the batch's warm kernel (``in_kernel``), which has just loaded the report's data (a worker that
    loaded it again held ~100 MB more), else in this process."""
    if not in_kernel:
        return write_checklist(work, commune=commune, period=period, data=data)
    import json

    from . import kernel

    args = json.dumps({"directory": str(work), "commune": commune.code, "period": period.id,
                       "data": str(data.root)})
    code = ("import json as _json\nfrom pipeline.report.checklist import write_checklist_for as _write\n"
            f"print(_json.dumps(_write(**_json.loads({args!r}))))")
    try:
        return json.loads(kernel.call(code, timeout).strip().splitlines()[-1])
    except RuntimeError as exc:
        raise RenderError(f"the checklist failed: {exc}") from exc


def area_dir(outputs_dir: Path, period: Period, area) -> Path:
    """``outputs/{period}/{area_code}-{slug}`` of an area (:class:`pipeline.domain.areas.Area`), beside its communes'
    folders (codes of 2–3 digits, theirs 5), guaranteed to lie inside ``outputs_dir``."""
    target = (Path(outputs_dir) / period.id
              / f"{ascii_slug(area.code, max_length=12)}-{ascii_slug(area.name)}").resolve()
    if not target.is_relative_to(Path(outputs_dir).resolve()):
        raise RenderError(f"refusing to write outside {outputs_dir}: {target}")
    return target


def _html_and_pdf(html: str, work: Path, stem: str, formats: tuple[str, ...]) -> dict[str, Path]:
    """Write ``{stem}.html`` (also for a PDF: the page it is made from) and ``{stem}.pdf`` into ``work`` as
    ``formats`` ask; returns the files written by kind."""
    made = {}
    if "html" in formats or "pdf" in formats:
        made["html"] = work / f"{stem}.html"
        made["html"].write_text(html, encoding="utf-8")
    if "pdf" in formats:
        made["pdf"] = work / f"{stem}.pdf"
        html_to_pdf(html, made["pdf"])
    return made


def render_summary(area, period: Period | str, *, data: DataPaths, outputs_dir: Path,
                   formats: tuple[str, ...] = SUMMARY_FORMATS, engine_name: str | None = None,
                   **engine_kwargs) -> dict[str, Path]:
    """Render the office's summary report of ``area`` (an :class:`~pipeline.domain.areas.Area`, or its code) for
    ``period`` into the area's folder (:func:`area_dir`): ``summary.ipynb`` (executed), ``summary.html``,
    ``summary.pdf``, each replacing the old file only when all are made (the folder's other files, as
    ``tong-hop.xlsx``, are left alone).  A failed run keeps its executed notebook as ``summary.failed.ipynb``."""
    from ..domain.areas import Area, area_units
    from ..report.summary import document_title

    p = Period.parse(period)
    bad = [f for f in formats if f not in SUMMARY_FORMATS]
    if bad or not formats:
        raise RenderError(f"the summary report is made as {', '.join(SUMMARY_FORMATS)}; not {bad}")
    a = area if isinstance(area, Area) else area_units(load_registry(data), area, p)
    final = area_dir(Path(outputs_dir), p, a)
    final.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".summary.", dir=final))
    try:
        try:
            nb = execute(summary_parameters(a, p, data), work / "summary.ipynb",
                         notebook=SUMMARY_NOTEBOOK, engine_name=engine_name, **engine_kwargs)
        except RenderError as exc:
            if (work / "summary.ipynb").exists():
                os.replace(work / "summary.ipynb", final / "summary.failed.ipynb")
            raise RenderError(f"{exc} (executed notebook kept in {a.code}-…/summary.failed.ipynb)") from exc.__cause__
        html = notebook_to_html(nb, title=document_title(a, p))  # the notebook loaded the data
        made = {"ipynb": work / "summary.ipynb", **_html_and_pdf(html, work, "summary", formats)}
        files = {}
        for kind, path in made.items():
            os.replace(path, final / path.name)
            files[kind] = final / path.name
        (final / "summary.failed.ipynb").unlink(missing_ok=True)
        return files
    finally:
        shutil.rmtree(work, ignore_errors=True)


def render_checklist(commune: Commune | str, period: Period | str, *, data: DataPaths,
                     outputs_dir: Path) -> RenderResult:
    """Write only the analyst's checklist of one commune and period into its report's folder (``cchc render
    --checklist-only``): the report's files there, if any, are left as they are."""
    p = Period.parse(period)
    commune = commune if isinstance(commune, Commune) else load_registry().resolve(commune, p)
    final = report_dir(Path(outputs_dir), p, commune)
    counts = write_checklist(final, commune=commune, period=p, data=data)
    return RenderResult(commune, p, final, {"checklist": final / CHECKLIST_FILE}, counts)


def _swap_in(work: Path, final: Path) -> None:
    """Replace ``final`` with ``work`` so that readers never see a half-written report."""
    old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:6]}")
    if final.exists():
        os.replace(final, old)
    os.replace(work, final)
    shutil.rmtree(old, ignore_errors=True)
    failed = final.with_name(f"{final.name}.failed")
    shutil.rmtree(failed, ignore_errors=True)


def _keep_failed(work: Path, final: Path) -> Path:
    """Keep a failed run's executed notebook beside the report, as ``{name}.failed/`` (returned)."""
    failed = final.with_name(f"{final.name}.failed")
    shutil.rmtree(failed, ignore_errors=True)
    os.replace(work, failed)
    return failed

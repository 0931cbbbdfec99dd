"""The ``cchc`` command line.

Exit status: 0 when everything went through, 1 when any input was rejected
(or any report failed, or a file or directory could not be read or written),
2 on wrong usage, 3 when another run holds a lock (the batch's outputs lock,
or the data directory's writers' lock).  Arguments and directories are checked
before any work (:func:`check_arguments`); every error is one line on standard
error, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import pandas as pd

from . import __version__
from .cells import neutralise_frame
from .config import MAX_MEMORY_MB, REPORT_TIMEOUT, data_paths
from .domain.catalogue import load_catalogue
from .domain.communes import Commune, load_registry
from .domain.periods import Period
from .errors import CchcError, DataLocked, UsageError
from .store import Store

#: Commands that read the processed store and have nothing to do without it.
_NEED_PROCESSED = ("export", "metrics", "findings", "render", "status", "consolidate", "summary")


_FLOAT = "%.15g"  # 6 not 6.0; 2590755750 not 2.59e+09
DRAFT_HELP = ("render a draft: DỰ THẢO on every page, the document number and day left blank, every sentence "
              "written from the data marked (its source rows named), a placeholder for an area with no text or figure")


def _data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="directory holding raw/ and processed/ (default: the project's data/)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cchc", description="CCHC statistics of communes: ingest, export, report.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="ingest raw files (default: everything under DATA_DIR/raw) into the store")
    p.add_argument("paths", nargs="*", type=Path, help="files or directories to ingest")
    p.add_argument("--show", type=int, default=30, help="how many issues to list on the terminal (default 30)")
    _data_dir(p)

    p = sub.add_parser("export", help="write stored values of one period as long rows")
    p.add_argument("--period", required=True, help="period id, e.g. 2021-Q3")
    who = p.add_mutually_exclusive_group()
    who.add_argument("--commune", help="commune code (default: all)")
    who.add_argument("--province", help="province code, e.g. 42: the units of that province")
    p.add_argument("--format", choices=("csv", "parquet"), default="csv")
    p.add_argument("-o", "--output", type=Path, help="output file (default: standard output, csv only)")
    _data_dir(p)

    p = sub.add_parser("metrics", help="compute trends, ratios and targets; write long metric rows of one period")
    p.add_argument("--period", required=True, help="period id, e.g. 2021-Q3 (6M, 9M, Y are computed from quarters)")
    p.add_argument("--commune", help="commune code (default: all)")
    p.add_argument("--format", choices=("csv", "parquet"), default="csv")
    p.add_argument("-o", "--output", type=Path, help="output file (default: standard output, csv only)")
    _data_dir(p)

    p = sub.add_parser("findings", help="list the problems found in one period")
    p.add_argument("--period", required=True, help="period id, e.g. 2021-Q3")
    p.add_argument("--commune", help="commune code (default: all)")
    p.add_argument("--format", choices=("csv", "parquet", "table"), default="table")
    p.add_argument("-o", "--output", type=Path, help="output file (csv or parquet)")
    _data_dir(p)

    p = sub.add_parser("template", help="write the fill-in form (Phụ lục 2B, .xlsx) of one commune and period")
    p.add_argument("--commune", required=True, help="commune code, e.g. 18217")
    p.add_argument("--period", required=True, help="period id, e.g. 2021-Q3")
    p.add_argument("-o", "--output", type=Path, required=True, help="output file (.xlsx)")
    _data_dir(p)

    p = sub.add_parser("consolidate", help="write the consolidated Phụ lục 2B (.xlsx) of an area: a column per "
                                           "commune, the area's total by rule, and a long sheet 'cchc ingest' reads")
    p.add_argument("--area", required=True,
                   help="a district code (3 digits, e.g. 439; districts exist until 30/6/2025) or a province code "
                        "(2 digits, e.g. 42)")
    p.add_argument("--period", required=True, help="period id, e.g. 2021-Q3")
    p.add_argument("-o", "--output", type=Path, required=True, help="output file (.xlsx)")
    _data_dir(p)

    p = sub.add_parser("render", help="render one commune's report (HTML and PDF) into the outputs directory")
    p.add_argument("--commune", required=True, help="commune code, e.g. 18217")
    p.add_argument("--period", required=True, help="period id, e.g. 2021-Q3")
    p.add_argument("--format", default="html,pdf", help="comma-separated: html, pdf, docx (default: html,pdf)")
    p.add_argument("--outputs-dir", type=Path, default=None, help="default: the project's outputs/")
    p.add_argument("--draft", action="store_true", help=DRAFT_HELP)
    p.add_argument("--checklist-only", action="store_true",
                   help="write only the analyst's checklist (checklist.html) into the report's folder")
    _data_dir(p)

    p = sub.add_parser("summary", help="render the compiling office's summary report of an area (HTML and PDF) into "
                                       "outputs/{period}/{area_code}-{slug}/, beside its tong-hop.xlsx")
    p.add_argument("--area", required=True,
                   help="a district code (3 digits, e.g. 439; districts exist until 30/6/2025) or a province code "
                        "(2 digits, e.g. 42)")
    p.add_argument("--period", required=True, help="period id, e.g. 2021-Q3")
    p.add_argument("--format", default="html,pdf", help="comma-separated: html, pdf (default: html,pdf)")
    p.add_argument("--outputs-dir", type=Path, default=None, help="default: the project's outputs/")
    _data_dir(p)

    p = sub.add_parser("batch", help="the scheduled run: ingest, metrics, every report of the periods, the index")
    p.add_argument("--period", required=True, action="append",
                   help="period id, e.g. 2021-Q3; repeat for several periods in one run (one lock, one index)")
    who = p.add_mutually_exclusive_group()
    who.add_argument("--communes", help="comma-separated commune codes, looked up in each period (default: every "
                                        "commune of the districts, or from 1/7/2025 the provinces, with data in the "
                                        "period)")
    who.add_argument("--district", help="district code, e.g. 439 (before 1/7/2025)")
    who.add_argument("--province", help="province code, e.g. 42")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (default: CPU count)")
    p.add_argument("--format", default="html,pdf", help="comma-separated: html, pdf, docx (default: html,pdf)")
    p.add_argument("--draft", action="store_true", help=DRAFT_HELP)
    p.add_argument("--force", action="store_true", help="render every report even if its inputs did not change")
    p.add_argument("--scheduler", help="address of a Dask distributed scheduler, e.g. tcp://10.0.0.5:8786")
    p.add_argument("--timeout", type=int, default=300, help="seconds allowed per notebook cell (default 300)")
    p.add_argument("--report-timeout", type=float, default=REPORT_TIMEOUT, metavar="SECONDS",
                   help=f"seconds allowed per report, notebook, HTML and PDF together; 0: no bound "
                        f"(default {REPORT_TIMEOUT:g}, or $CCHC_REPORT_TIMEOUT)")
    p.add_argument("--max-memory", type=float, default=MAX_MEMORY_MB, metavar="MB",
                   help=f"resident memory allowed per worker with its kernel, in MB; 0: no bound "
                        f"(default {MAX_MEMORY_MB:g}, or $CCHC_MAX_MEMORY_MB)")
    p.add_argument("--outputs-dir", type=Path, default=None, help="default: the project's outputs/")
    _data_dir(p)

    p = sub.add_parser("status", help="who has sent the period's report in one area: on time, late (against the "
                                      "deadline of provinces.yaml), missing, resubmitted")
    p.add_argument("--period", required=True, help="period id, e.g. 2021-Q3")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--area", help="a district code of 3 digits (before 1/7/2025, e.g. 439) or a province code of "
                                    "2 (e.g. 42)")
    who.add_argument("--district", help="district code, e.g. 439 (before 1/7/2025)")
    who.add_argument("--province", help="province code, e.g. 42")
    p.add_argument("--format", choices=("table", "csv"), default="table")
    _data_dir(p)

    p = sub.add_parser("registry", help="the commune registry: an office's own units and links; look-ups")
    reg = p.add_subparsers(dest="registry_command", required=True)
    q = reg.add_parser("import", help="add an office's list of units and links (CSV or .xlsx) to the registry of "
                                      "DATA_DIR (DATA_DIR/registry/units.csv); nothing is written on error")
    q.add_argument("file", type=Path, help="columns found by header: Mã, Tên, Loại, Mã tỉnh, Hiệu lực từ, "
                                           "Hiệu lực đến, Sáp nhập từ (or code, name, type, province_code, "
                                           "valid_from, valid_to, predecessors)")
    q.add_argument("--province", help="province code of rows without a 'Mã tỉnh' column, e.g. 42")
    _data_dir(q)
    q = reg.add_parser("show", help="the units that hold a commune code, with their validity, predecessors and "
                                    "successors")
    q.add_argument("code", help="commune code, e.g. 18160")
    q.add_argument("--period", help="only the unit the code denotes in this period, e.g. 2025-Q3")
    _data_dir(q)
    q = reg.add_parser("list", help="the units valid in a period")
    q.add_argument("--period", required=True, help="period id, e.g. 2026-Q3")
    q.add_argument("--province", help="province code, e.g. 42")
    q.add_argument("--district", help="district code (units before 1/7/2025), e.g. 439")
    q.add_argument("--format", choices=("csv", "table"), default="table")
    _data_dir(q)

    p = sub.add_parser("catalogue", help="print the indicator catalogue")
    p.add_argument("--format", choices=("csv", "table"), default="table")
    p.add_argument("--period", help="only the rows valid in this period")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        check_arguments(args)
        return {"ingest": cmd_ingest, "export": cmd_export, "catalogue": cmd_catalogue,
         "metrics": cmd_metrics, "findings": cmd_findings, "template": cmd_template, "consolidate": cmd_consolidate,
         "render": cmd_render, "batch": cmd_batch, "registry": cmd_registry, "status": cmd_status,
         "summary": cmd_summary}[args.command](args)
    except BrokenPipeError:  # output piped into `head`
        sys.stderr.close()
        return 0
    except UsageError as exc:
        print(f"cchc: {exc}", file=sys.stderr)
        return 2
    except DataLocked as exc:
        print(f"cchc: {exc}", file=sys.stderr)
        return 3
    except CchcError as exc:
        print(f"cchc: error: {_one_line(exc)}", file=sys.stderr)
        return 1
    except OSError as exc:  # a read-only processed/, a full disk, an unreadable file: say which, no traceback
        print(f"cchc: error: {_os_error(exc)}", file=sys.stderr)
        return 1


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _os_error(exc: OSError) -> str:
    name = Path(exc.filename) if exc.filename else None
    if name is not None and name.name.startswith(".") and name.name.endswith(".tmp"):
        name = name.parent  # the temporary file of an atomic write: the directory is what matters
    what = exc.strerror or _one_line(exc)
    hint = {"PermissionError": "make it writable (or give another --data-dir / -o)",
            "FileNotFoundError": "check the path"}.get(type(exc).__name__, "check the disk and the path")
    return f"{name}: {what.lower()}; {hint}" if name else f"{what}; {hint}"


def check_arguments(args: argparse.Namespace) -> None:
    """Wrong usage found before any work: raise :class:`UsageError` (exit status 2) with one line.

    The arguments are parsed here, once: ``args.period`` becomes a :class:`Period` (the batch's, repeatable, a
    sorted list of them), ``args.commune`` a :class:`Commune` and ``args.communes`` a list of them (looked up in
    the registry for the period; with several periods, the codes, each checked in each period).
    """
    from .errors import UnknownCommuneError

    periods: list[Period] = []
    if getattr(args, "period", None):
        several = isinstance(args.period, list)  # the batch's --period is repeatable
        try:
            periods = sorted({Period.parse(x) for x in (args.period if several else [args.period])})
        except CchcError as exc:
            raise UsageError(f"--period: {_one_line(exc)}") from None
        args.period = periods if several else periods[0]
    if periods:
        registry = load_registry(data_paths(getattr(args, "data_dir", None)))

        def resolve(code: str, period: Period):
            try:
                return registry.resolve(code, period)
            except UnknownCommuneError as exc:
                raise UsageError(f"--commune: {_one_line(exc)}") from None

        if getattr(args, "commune", None):
            args.commune = resolve(args.commune, periods[0])
        if getattr(args, "area", None):
            from .domain.areas import area_units

            try:
                args.area = area_units(registry, args.area, periods[0])
            except UnknownCommuneError as exc:
                raise UsageError(f"--area: {_one_line(exc)}") from None
        if getattr(args, "communes", None):
            codes = [c.strip() for c in args.communes.split(",") if c.strip()]
            units = [[resolve(c, p) for c in codes] for p in periods]  # each code valid in each period
            args.communes = (units[0] if len(periods) == 1 else codes) or None
    if getattr(args, "district", None):
        if args.district not in {u.district_code for u in load_registry(data_paths(getattr(args, "data_dir", None)))}:
            raise UsageError(f"--district: unknown district code {args.district!r}; see the registry (communes.csv)")
    if getattr(args, "province", None):
        if args.province not in {u.province_code for u in load_registry(data_paths(getattr(args, "data_dir", None)))}:
            raise UsageError(f"--province: unknown province code {args.province!r}; see the registry (communes.csv)")
    if args.command in ("render", "batch"):
        from .render.export import parse_formats

        try:
            parse_formats(args.format)
        except CchcError as exc:
            raise UsageError(f"--format: {_one_line(exc)}") from None
    if getattr(args, "jobs", 1) is not None and getattr(args, "jobs", 1) < 1:
        raise UsageError(f"--jobs: {args.jobs} worker processes; expected 1 or more")
    if args.command == "catalogue":
        return
    data = data_paths(args.data_dir)
    if not data.root.is_dir():
        raise UsageError(f"--data-dir: no such directory: {data.root}")
    if args.command in _NEED_PROCESSED and not Store(data).path("values").is_file():
        raise UsageError(f"--data-dir: no processed data in {data.root} (no values table in processed/); "
                         f"run 'cchc ingest --data-dir {data.root}' first")
    if args.command == "registry" and args.registry_command == "import" and not args.file.is_file():
        raise UsageError(f"no such file: {args.file}")
    if args.command == "ingest":
        missing = [str(p) for p in args.paths if not p.exists()]
        if missing:
            raise UsageError(f"no such file or directory: {', '.join(missing)}")
        if not args.paths and not data.raw.is_dir():
            raise UsageError(f"--data-dir: {data.root} has no raw/ directory to ingest; "
                             "give files, or another --data-dir")
    if getattr(args, "format", None) == "parquet" and not getattr(args, "output", None):
        raise UsageError("--format parquet needs -o FILE")


def cmd_ingest(args: argparse.Namespace) -> int:
    from .ingest import ingest

    result = ingest(args.paths or None, data=data_paths(args.data_dir))
    issues = result.issues.sort_values(["severity", "file", "row"], kind="stable")
    for rec in issues.head(args.show).itertuples():
        where = rec.file + (f":{rec.row}" if pd.notna(rec.row) else "")
        detail = "; ".join(x for x in (
            f"indicator {rec.indicator_code}" if rec.indicator_code else "",
            f"value {rec.value!r}" if rec.value else "",
            f"expected {rec.expected}" if rec.expected else "") if x)
        print(f"{rec.severity.upper():7} {where}: {rec.message}" + (f" ({detail})" if detail else ""))
    if len(issues) > args.show:
        print(f"... {len(issues) - args.show} more issue(s) in the ingest_report table of processed/")
    print(result.summary())
    return 0 if result.ok else 1


def export_frame(data_dir: Path | None, period: Period, commune: Commune | None,
                 province: str | None = None) -> pd.DataFrame:
    """Stored values of ``period`` (and ``commune``, or the units of ``province``) as long rows with names and
    labels."""
    from .store import Store

    values = Store(data_paths(data_dir)).read("values")
    rows = values.loc[values["period"] == period.id]
    if commune is not None:
        rows = rows.loc[rows["commune_key"] == commune.key]
    registry = load_registry(data_paths(data_dir))
    if province is not None:
        rows = rows.loc[rows["commune_key"].isin({u.key for u in registry if u.province_code == province})]
    names = {u.key: u.full_name for u in registry}
    cat = load_catalogue().for_period(period).table.set_index("code")
    out = rows.assign(
        commune_name=rows["commune_key"].map(names),
        label=rows["indicator_code"].map(cat["label"]),
        order=rows["indicator_code"].map(cat["order"]),
    ).sort_values(["commune_code", "order"], kind="stable")
    cols = ["commune_code", "commune_name", "period", "indicator_code", "label", "value", "value_text",
            "cumulative_value", "unit", "note", "synthetic", "source_file", "source_row"]
    return out[cols].reset_index(drop=True)


def cmd_export(args: argparse.Namespace) -> int:
    from .store import write_frame_atomic

    frame = export_frame(args.data_dir, args.period, args.commune, args.province)
    if args.format == "parquet" and not args.output:
        raise UsageError("--format parquet needs -o FILE")
    if args.output:
        write_frame_atomic(frame, args.output, fmt=args.format)
        print(f"{len(frame)} rows written to {args.output}", file=sys.stderr)
    else:
        neutralise_frame(frame).to_csv(sys.stdout, index=False, float_format=_FLOAT)
    return 0


def _select(frame: pd.DataFrame, period: Period, commune: Commune | None) -> pd.DataFrame:
    rows = frame.loc[frame["period"] == period.id]
    return rows.loc[rows["commune_key"] == commune.key] if commune is not None else rows


def _emit(frame: pd.DataFrame, args: argparse.Namespace) -> None:
    from .store import write_frame_atomic

    if args.format == "parquet" and not args.output:
        raise UsageError("--format parquet needs -o FILE")
    if args.output:
        write_frame_atomic(frame, args.output, fmt="parquet" if args.format == "parquet" else "csv")
        print(f"{len(frame)} rows written to {args.output}", file=sys.stderr)
    else:
        neutralise_frame(frame).to_csv(sys.stdout, index=False, float_format=_FLOAT)


def cmd_metrics(args: argparse.Namespace) -> int:
    from .metrics.compute import ensure_metrics

    out = ensure_metrics(data_paths(args.data_dir))
    _emit(_select(out["metrics"], args.period, args.commune).drop(columns=["commune_key"]), args)
    return 0


def cmd_findings(args: argparse.Namespace) -> int:
    from .metrics.compute import ensure_metrics

    out = ensure_metrics(data_paths(args.data_dir))
    rows = _select(out["findings"], args.period, args.commune).drop(columns=["commune_key"])
    if args.format == "table" and not args.output:
        for r in rows.itertuples():
            print(f"[{r.severity}] {r.commune_code} {r.period} {r.metric}: {r.message}")
        print(f"{len(rows)} finding(s)", file=sys.stderr)
        return 0
    _emit(rows, args)
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    from .forms.workbook import form_rows, previous_values, write_form
    from .store import Store

    if args.output.suffix.lower() != ".xlsx":
        raise UsageError(f"the form is an Excel workbook: give -o FILE.xlsx, not {args.output.name!r}")
    period, unit = args.period, args.commune
    catalogue = load_catalogue()
    before = period.previous()
    previous = previous_values(Store(data_paths(args.data_dir)).read("values"), commune=unit, period=before)
    rows = form_rows(catalogue, period=period, previous=previous)
    version = ", ".join(sorted(set(catalogue.for_period(period).table["version"])))
    write_form(rows, args.output, commune=unit, period=period, previous_period=before, catalogue_version=version)
    print(f"form for {unit.full_name} ({unit.code}) {period.id} written to {args.output}: "
          f"{int((rows['row_type'] == 'input').sum())} indicators, {len(previous)} value(s) of {before.id} shown",
          file=sys.stderr)
    return 0


def cmd_consolidate(args: argparse.Namespace) -> int:
    from .forms.consolidated import commune_values, write_consolidated
    from .metrics.compute import ensure_metrics

    if args.output.suffix.lower() != ".xlsx":
        raise UsageError(f"the consolidated appendix is an Excel workbook: give -o FILE.xlsx, not {args.output.name!r}")
    data = data_paths(args.data_dir)
    metrics = ensure_metrics(data)["metrics"] if not args.period.is_quarter else None
    cv = commune_values(Store(data).read("values"), metrics, args.area, args.period, load_catalogue())
    write_consolidated(cv, args.area, args.period, load_catalogue(), args.output)
    sent = cv["commune_key"].nunique()
    print(f"consolidated Phụ lục 2B of {args.area.level} {args.area.name} ({args.area.code}) {args.period.id} written "
          f"to {args.output}: {len(args.area.units)} units, {sent} with data, {len(cv)} value(s)", file=sys.stderr)
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    from .config import DEFAULT_OUTPUTS_DIR
    from .metrics.compute import ensure_metrics
    from .render.export import parse_formats, render_checklist, render_report
    from .report.content import require_data

    formats = parse_formats(args.format)
    data = data_paths(args.data_dir)
    ensure_metrics(data)
    require_data(commune=args.commune, period=args.period, data=data)  # NoDataError: exit 1, nothing written
    outputs_dir = args.outputs_dir or DEFAULT_OUTPUTS_DIR
    if args.checklist_only:
        result = render_checklist(args.commune, args.period, data=data, outputs_dir=outputs_dir)
    else:
        result = render_report(args.commune, args.period, data=data, outputs_dir=outputs_dir, formats=formats,
                               draft=args.draft)
    for kind, path in result.files.items():
        print(f"{kind:9} {path}")
    print(f"checklist items: {result.checklist['total']}")
    return 0


def cmd_summary(args: argparse.Namespace) -> int:
    from .config import DEFAULT_OUTPUTS_DIR
    from .metrics.compute import ensure_metrics
    from .render.export import render_summary

    formats = tuple(f.strip().lower() for f in args.format.split(",") if f.strip())
    data = data_paths(args.data_dir)
    ensure_metrics(data)
    files = render_summary(args.area, args.period, data=data, outputs_dir=args.outputs_dir or DEFAULT_OUTPUTS_DIR,
                           formats=formats)
    for kind, path in files.items():
        print(f"{kind:9} {path}")
    return 0


def cmd_batch(args: argparse.Namespace) -> int:
    from .batch.run import BatchLocked, BatchStopped, run_batch
    from .config import DEFAULT_OUTPUTS_DIR
    from .render.export import parse_formats

    if args.report_timeout < 0 or args.max_memory < 0:
        raise UsageError("--report-timeout and --max-memory take a number >= 0 (0: no bound)")
    try:
        result = run_batch(args.period, data=data_paths(args.data_dir),
                           outputs_dir=args.outputs_dir or DEFAULT_OUTPUTS_DIR,
                           communes=args.communes, district=args.district, province=args.province,
                           jobs=max(1, args.jobs), formats=parse_formats(args.format), draft=args.draft,
                           force=args.force,
                           scheduler=args.scheduler, timeout=args.timeout, report_timeout=args.report_timeout,
                           max_memory_mb=args.max_memory)
    except BatchLocked as exc:
        print(f"cchc: {exc}", file=sys.stderr)
        return 3
    except BatchStopped as exc:
        print(f"cchc: batch stopped by {exc.signal_name}: the reports made so far are kept, half-made ones removed; "
              "run it again to make the rest", file=sys.stderr)
        return exc.exit_code
    print(result.summary())
    return result.exit_code


def cmd_status(args: argparse.Namespace) -> int:
    from .metrics.submissions import area_status, counts

    about, frame = area_status(data_paths(args.data_dir), args.period, area=args.area, district=args.district,
                               province=args.province)
    if args.format == "csv":
        neutralise_frame(frame).to_csv(sys.stdout, index=False)
        return 0
    n = counts(frame)
    sample = f", {n['sample']} sample data not judged" if n["sample"] else ""
    print(f"{about['level']} {about['code']} {about['name']}, {args.period.id}: due {about['deadline']:%d/%m/%Y} "
          f"({about['deadline_days']} days after the period's end, provinces.yaml); {n['units']} unit(s): "
          f"{n['sent']} sent ({n['on_time']} on time, {n['late']} late{sample}), "
          f"{n['missing']} not sent, "
          f"{n['resubmitted']} resubmitted")
    shown = frame.assign(
        **{col: frame[col].map(lambda t: "" if pd.isna(t) else f"{t:%d/%m/%Y %H:%M}")
           for col in ("first_ingested", "latest_ingested")},
        **{col: frame[col].map(lambda d: "" if pd.isna(d) else f"{d:%d/%m/%Y}") for col in ("doc_date", "judged_on")},
        days_late=frame["days_late"].map(lambda v: "" if pd.isna(v) else str(v))).drop(columns=["deadline"])
    with pd.option_context("display.max_rows", None, "display.width", 250, "display.max_colwidth", 60):
        print(shown.to_string(index=False))
    return 0


def cmd_registry(args: argparse.Namespace) -> int:
    data = data_paths(args.data_dir)
    if args.registry_command == "import":
        from .domain.registry_import import import_units

        print(import_units(args.file, data=data, province=args.province).summary())
        return 0
    registry = load_registry(data)
    if args.registry_command == "list":
        units = registry.communes_in(args.period, province_code=args.province and args.province.zfill(2),
                                     district_code=args.district)
        table = pd.DataFrame([{"code": u.code, "name": u.full_name, "province": u.province_name,
                               "district": u.district_name, "valid_from": u.valid_from, "valid_to": u.valid_to or "",
                               "predecessors": ";".join(u.predecessors)} for u in units],
                             columns=["code", "name", "province", "district", "valid_from", "valid_to",
                                      "predecessors"])
        if args.format == "csv":
            neutralise_frame(table).to_csv(sys.stdout, index=False)
        else:
            print(table.to_string(index=False) if len(table) else "no unit", file=sys.stdout)
            print(f"{len(table)} unit(s) valid in {args.period.id}", file=sys.stderr)
        return 0
    units = [registry.resolve(args.code, args.period)] if args.period else registry.history(args.code)
    if not units:
        from .errors import UnknownCommuneError

        raise UnknownCommuneError(f"unknown commune code {args.code!r}: no unit of the registry holds it")
    for unit in units:
        print(_describe(unit, registry))
    return 0


def _describe(unit: Commune, registry) -> str:
    """A unit in a few lines: name, identity, validity, place, predecessors and successors, source."""
    source = registry.table.loc[(registry.table["code"] == unit.code)
                                & (registry.table["valid_from"] == unit.valid_from.isoformat())].iloc[0]
    until = f"{unit.valid_to:%d/%m/%Y}" if unit.valid_to else "nay"
    place = ", ".join(x for x in (f"huyện {unit.district_name}" if unit.district_name else "",
                                  f"{unit.province_name} ({unit.province_code})") if x)
    lines = [f"{unit.code} {unit.full_name} [{unit.key}] {unit.valid_from:%d/%m/%Y}–{until}; {place}"]
    if unit.predecessors:
        lines.append("  predecessors: " + "; ".join(f"{registry.by_key(k).full_name} ({k})" for k in unit.predecessors))
    successors = [u for u in registry if unit.key in u.predecessors]
    if successors:
        lines.append("  successors: " + "; ".join(f"{u.full_name} ({u.key})" for u in successors))
    lines.append(f"  source: {source['registry_file']} row {source['registry_row']}: {source['source']}")
    return "\n".join(lines)


def cmd_catalogue(args: argparse.Namespace) -> int:
    cat = load_catalogue()
    if args.period:
        cat = cat.for_period(args.period)
    table = cat.table.drop(columns=["label_key"])
    if args.format == "csv":
        neutralise_frame(table).to_csv(sys.stdout, index=False)
    else:
        with pd.option_context("display.max_rows", None, "display.width", 200, "display.max_colwidth", 70):
            print(table[["code", "kind", "unit", "aggregation", "version", "label"]].to_string(index=False))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

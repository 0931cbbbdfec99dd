"""Benchmark: the naive route against `cchc batch`, same data, same machine, one run.

Naive route, per report (a shell loop would do the same):
    papermill notebooks/commune_report.ipynb OUT.ipynb -p commune C -p period P -p data_dir D
    jupyter nbconvert --to html --template cchc_report OUT.ipynb      (the project template)
    weasyprint OUT.html OUT.pdf
Batch route: `cchc batch --period P --district 439 --jobs N` into an empty outputs directory,
then the same command again with nothing changed.

Prints reports per minute for each route, their ratio, the no-change rerun time, peak memory
per worker (the worker process and its kernel), and extrapolations to a province (~200 communes)
and the country (3,321 communes) on this machine and per added worker; then the same batch with the Word
document added (``docx``), and what that adds.

    .venv/bin/python bench/batch.py [--period 2021-Q3] [--jobs 2] [--naive N] [--formats html,pdf]

``--naive N`` runs the naive route on the first N communes only (its per-report rate is then
measured on those N); by default it runs on all of them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run(cmd: list[str], **kw) -> None:
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--period", default="2021-Q3")
    parser.add_argument("--district", default="439")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--naive", type=int, default=0, help="communes for the naive route (0: all)")
    parser.add_argument("--formats", default="html,pdf")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from pipeline.config import DataPaths
    from pipeline.domain.communes import load_registry
    from pipeline.ingest import ingest
    from pipeline.metrics.compute import run_metrics

    work = Path(tempfile.mkdtemp(prefix="cchc-bench-"))
    try:
        data = DataPaths(work / "data")
        shutil.copytree(ROOT / "data" / "raw", data.raw)
        ingest(None, data=data)  # both routes start from the same processed store
        run_metrics(data)
        communes = [u.code for u in load_registry().communes_in(args.period, district_code=args.district)]
        naive_set = communes[: args.naive] if args.naive else communes
        pdf = "pdf" in args.formats

        # -- naive route -------------------------------------------------------------------------
        naive_dir = work / "naive"
        naive_dir.mkdir()
        t0 = time.perf_counter()
        for code in naive_set:
            nb, html = naive_dir / f"{code}.ipynb", naive_dir / f"{code}.html"
            run([str(BIN / "papermill"), str(ROOT / "notebooks" / "commune_report.ipynb"), str(nb), "-p", "commune",
                 code, "-p", "period", args.period, "-p", "data_dir", str(data.root), "--no-progress-bar"])
            run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--template", "cchc_report",
                 f"--TemplateExporter.extra_template_basedirs="
                 f"{ROOT / 'pipeline' / 'report' / 'templates' / 'nbconvert'}",
                 "--no-input", str(nb), "--output", str(html)])
            if pdf:
                run([str(BIN / "weasyprint"), str(html), str(naive_dir / f"{code}.pdf")])
        naive_s = time.perf_counter() - t0
        naive_rate = 60 * len(naive_set) / naive_s

        # -- batch route -------------------------------------------------------------------------
        outputs = work / "outputs"
        cmd = [str(BIN / "cchc"), "batch", "--period", args.period, "--district", args.district,
               "--jobs", str(args.jobs),
               "--format", args.formats, "--data-dir", str(data.root), "--outputs-dir", str(outputs)]
        t0 = time.perf_counter()
        run(cmd)
        batch_s = time.perf_counter() - t0
        batch_rate = 60 * len(communes) / batch_s
        t0 = time.perf_counter()
        run(cmd)
        rerun_s = time.perf_counter() - t0

        # -- the cost of adding the Word document (issue 16): the same batch with docx, into empty outputs --
        docx_s = None
        if "docx" not in args.formats:
            with_docx = [*cmd[: cmd.index("--format") + 1], args.formats + ",docx",
                         *cmd[cmd.index("--format") + 2: cmd.index("--outputs-dir") + 1], str(work / "outputs-docx")]
            t0 = time.perf_counter()
            run(with_docx)
            docx_s = time.perf_counter() - t0

        manifest = json.loads((outputs / "manifest.json").read_text(encoding="utf-8"))
        # the communes' reports (an area's workbook and summary report are entries too)
        entries = [e for e in manifest.values() if e["status"] == "ok" and "commune" in e]
        per_worker: dict[int, dict] = {}
        for e in entries:
            w = per_worker.setdefault(e["pid"], {"worker": 0.0, "kernel": 0.0, "reports": 0, "seconds": 0.0})
            w["worker"] = max(w["worker"], e["peak_rss_mb"])
            w["kernel"] = max(w["kernel"], e.get("kernel_peak_rss_mb") or 0.0)
            w["reports"] += 1
            w["seconds"] += e["seconds"]
        per_report_worker_s = sum(w["seconds"] for w in per_worker.values()) / max(1, len(entries))

        print(f"machine: {os.cpu_count()} cores; period {args.period}; district {args.district}; "
              f"formats {args.formats}")
        print(f"naive route : {len(naive_set):4d} reports in {naive_s:7.1f} s = {naive_rate:6.1f} reports/min")
        print(f"cchc batch  : {len(communes):4d} reports in {batch_s:7.1f} s = {batch_rate:6.1f} reports/min "
              f"(--jobs {args.jobs}, whole command: ingest check, metrics, render, index)")
        print(f"ratio       : {batch_rate / naive_rate:.1f}x")
        print(f"no-change rerun: {rerun_s:.2f} s (whole command)")
        if docx_s is not None:
            print(f"adding docx : {len(communes):4d} reports in {docx_s:7.1f} s with {args.formats},docx = "
                  f"+{docx_s - batch_s:.1f} s ({100 * (docx_s - batch_s) / batch_s:+.0f} %, "
                  f"{(docx_s - batch_s) / len(communes):+.2f} s per report) against {args.formats} alone")
        for pid, w in sorted(per_worker.items()):
            print(f"worker {pid}: {w['reports']} reports, peak RSS worker {w['worker']:.0f} MB "
                  f"+ kernel {w['kernel']:.0f} MB")
        print(f"per report, per worker: {per_report_worker_s:.2f} s")
        fixed = max(0.0, batch_s - per_report_worker_s * len(communes) / max(1, len(per_worker)))
        print("extrapolation (linear in reports; one worker per core; fixed start-up "
              f"{fixed:.0f} s; assumes the data fits on one machine's disk):")
        for label, n in (("province (~200 communes)", 200), ("country (3,321 communes)", 3321)):
            naive_eta = n * 60 / naive_rate
            line = [f"  {label}: naive {naive_eta / 60:6.1f} min"]
            for workers in (args.jobs, args.jobs + 1, args.jobs * 2, args.jobs * 4):
                line.append(f"{workers} workers {((fixed + per_report_worker_s * n / workers) / 60):6.1f} min")
            print("; ".join(line))
        print("  (a worker beyond this machine's cores only helps on a cluster: cchc batch --scheduler ADDRESS)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

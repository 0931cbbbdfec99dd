"""Benchmark: `cchc batch` on comparison groups of growing size, for one period (issue 17).

Since 1/7/2025 a commune is ranked and charted in its province, so a report's group is its province: 38 to 168
units in the national list. For each size (default 25, 70, 200) this builds a synthetic group of that many real
units valid in the period (``devtools/province.py``: the smallest province that has that many, else the largest
with units of other provinces laid over it by an office's list, `cchc registry import`), writes their figures from
the sample generator for the period and the ``--history`` quarters before it (long CSVs in a temporary data
directory), and runs

    cchc batch --period P --province CODE --format html,pdf --jobs J      (ingest, metrics, reports, summary)

into an empty outputs directory, then the same command again with nothing changed.

Prints per size: reports, wall seconds, reports per minute, the median of the reports' own seconds (the
manifest's; the area's workbook and summary are left out), peak memory per worker process and its kernel, and the
no-change rerun; then the median at the largest size against the smallest, the projection for the country (3,321
communes) on this machine and per added worker, and (unless ``--no-dask``) the same batch for one size on a Dask
``LocalCluster`` of J single-threaded worker processes (`cchc batch --scheduler ADDRESS`). Last, the issue's
targets, each PASS or MISS.

    .venv/bin/python bench/scale.py [--sizes 25,70,200] [--period 2026-Q3] [--history 4] [--jobs 2]
                                    [--formats html,pdf] [--no-dask] [--dask-size 70]

Run it on a quiet machine: the figures are wall-clock times.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
COUNTRY = 3321  # communes, wards and special zones of the national list (two-level local government)

#: The issue's targets.
MEDIAN_RATIO = 1.15  # per-report median at the largest size / at the smallest
RERUN_S = 2.0  # no-change rerun at the largest size
WORKER_MB = 600  # peak RSS of a worker process plus its kernel
COUNTRY_MIN = 30  # projected national run on this machine, minutes


class BatchFailed(Exception):
    """A `cchc batch` exited non-zero (its output's last lines already printed)."""


@dataclass
class Measured:
    """One batch: its group, times and the manifest's per-report figures."""

    label: str
    group: str
    wall_s: float
    seconds: list[float]  # each report's own seconds (manifest)
    workers: dict[int, dict] = field(default_factory=dict)  # pid -> worker / kernel peak MB, reports
    rerun_s: float | None = None

    @property
    def reports(self) -> int:
        return len(self.seconds)

    @property
    def rate(self) -> float:
        return 60 * self.reports / self.wall_s

    @property
    def median_s(self) -> float:
        return statistics.median(self.seconds)

    @property
    def per_report_s(self) -> float:
        """Worker-seconds per report (the mean of the reports' own seconds)."""
        return sum(self.seconds) / self.reports

    @property
    def fixed_s(self) -> float:
        """The run's time not spent in reports spread over its workers: start-up, ingest, metrics, summary, index."""
        return max(0.0, self.wall_s - self.per_report_s * self.reports / max(1, len(self.workers)))

    @property
    def peak_mb(self) -> float:
        """The largest worker-plus-kernel peak of the run."""
        return max((w["worker"] + w["kernel"] for w in self.workers.values()), default=0.0)

    def country_min(self, workers: int) -> float:
        return (self.fixed_s + self.per_report_s * COUNTRY / workers) / 60


def run_batch(cmd: list[str], env: dict[str, str]) -> float:
    """Run ``cmd``; its wall seconds.  A non-zero exit prints the command and its output's last lines."""
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        print(f"\nFAILED: exit status {proc.returncode} after {seconds:.1f} s: {' '.join(cmd)}", file=sys.stderr)
        for name, text in (("stdout", proc.stdout), ("stderr", proc.stderr)):
            lines = text.rstrip().splitlines()[-30:]
            if lines:
                print(f"--- last {len(lines)} lines of its {name}:", *lines, sep="\n", file=sys.stderr)
        raise BatchFailed(cmd[1])
    return seconds


def read_manifest(outputs: Path, label: str, group: str, wall_s: float, expected: int) -> Measured:
    """The communes' reports of the manifest (an area's entries, ``period/area-CODE…``, left out)."""
    manifest = json.loads((outputs / "manifest.json").read_text(encoding="utf-8"))
    entries = [e for key, e in manifest.items() if "/area-" not in key and "commune" in e]
    ok = [e for e in entries if e["status"] == "ok"]
    if len(ok) != expected:
        statuses = sorted({e["status"] for e in entries})
        raise BatchFailed(f"{label}: {len(ok)} reports ok of the {expected} expected (statuses {statuses})")
    workers: dict[int, dict] = {}
    for e in ok:
        w = workers.setdefault(e["pid"], {"worker": 0.0, "kernel": 0.0, "reports": 0})
        w["worker"] = max(w["worker"], e["peak_rss_mb"] or 0.0)
        w["kernel"] = max(w["kernel"], e.get("kernel_peak_rss_mb") or 0.0)
        w["reports"] += 1
    return Measured(label, group, wall_s, [e["seconds"] for e in ok], workers)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="25,70,200", help="units per comparison group, comma-separated")
    parser.add_argument("--period", default="2026-Q3")
    parser.add_argument("--history", type=int, default=4,
                        help="quarters before the period with figures too (previous quarter, last year, trend)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--formats", default="html,pdf")
    parser.add_argument("--no-dask", action="store_true", help="skip the run on a Dask LocalCluster")
    parser.add_argument("--dask-size", type=int, default=0, help="the size run on Dask (default: the middle one)")
    args = parser.parse_args()
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    if not sizes or min(sizes) < 1:
        parser.error("--sizes: positive numbers of units, such as 25,70,200")
    dask_size = args.dask_size or sizes[len(sizes) // 2]
    counts = sorted({args.jobs, args.jobs + 1, args.jobs * 2, args.jobs * 4})  # workers of the projections

    sys.path.insert(0, str(ROOT))
    from devtools.province import synthetic_group, write_group
    from pipeline.config import DataPaths
    from pipeline.domain.periods import Period

    period = Period.parse(args.period)
    periods = [period]
    for _ in range(args.history):
        periods.insert(0, periods[0].previous())
    # the batch and any Dask worker import this checkout's package
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    env = dict(os.environ)

    work = Path(tempfile.mkdtemp(prefix="cchc-scale-"))
    cluster = None
    runs: list[Measured] = []
    try:
        print(f"machine: {os.cpu_count()} cores; period {period.id} (figures from {periods[0].id}); "
              f"formats {args.formats}; --jobs {args.jobs}")

        def prepare(size: int, name: str):
            group = synthetic_group(size, period)
            data = DataPaths(work / name / "data")
            write_group(group, data, periods=periods)
            outputs = work / name / "outputs"
            cmd = [str(BIN / "cchc"), "batch", "--period", period.id, "--province", group.province_code,
                   "--format", args.formats, "--jobs", str(args.jobs),
                   "--data-dir", str(data.root), "--outputs-dir", str(outputs)]
            return group, outputs, cmd

        for size in sizes:
            group, outputs, cmd = prepare(size, f"size-{size}")
            print(f"\n{size} units: {group.describe()}", flush=True)
            wall = run_batch(cmd, env)
            m = read_manifest(outputs, f"{size} units", group.describe(), wall, size)
            m.rerun_s = run_batch(cmd, env)
            runs.append(m)
            print(f"  {m.reports} reports in {m.wall_s:.1f} s = {m.rate:.1f} reports/min (whole command: ingest, "
                  f"metrics, reports, the area's workbook and summary, index)")
            print(f"  per report: median {m.median_s:.2f} s, mean {m.per_report_s:.2f} s "
                  f"(min {min(m.seconds):.2f}, max {max(m.seconds):.2f}); fixed part {m.fixed_s:.1f} s")
            for pid, w in sorted(m.workers.items()):
                print(f"  worker {pid}: {w['reports']} reports, peak RSS worker {w['worker']:.0f} MB "
                      f"+ kernel {w['kernel']:.0f} MB = {w['worker'] + w['kernel']:.0f} MB")
            print(f"  no-change rerun: {m.rerun_s:.2f} s (whole command)", flush=True)
            shutil.rmtree(work / f"size-{size}", ignore_errors=True)

        small, large = runs[0], runs[-1]
        ratio = large.median_s / small.median_s
        print(f"\nmedian per report at {large.reports} against {small.reports}: {large.median_s:.2f} / "
              f"{small.median_s:.2f} s = {ratio:.2f} ({100 * (ratio - 1):+.0f} %)")
        print(f"projection for the country ({COUNTRY:,} communes; fixed part + worker-seconds per report x "
              "communes / workers; the fixed part as measured for one group):")
        for m in runs:
            print(f"  from {m.reports:4d} units: " + "; ".join(
                f"{workers} workers {m.country_min(workers):6.1f} min" for workers in counts))
        gain = large.country_min(args.jobs) - large.country_min(args.jobs + 1)
        print(f"  a worker added to {args.jobs} saves {gain:.1f} min (from {large.reports} units); a worker beyond "
              "this machine's cores only helps on a cluster: cchc batch --scheduler ADDRESS", flush=True)

        if not args.no_dask:
            from distributed import LocalCluster

            group, outputs, cmd = prepare(dask_size, f"dask-{dask_size}")
            cluster = LocalCluster(n_workers=args.jobs, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
            print(f"\nDask LocalCluster ({args.jobs} worker process(es), 1 thread each) at "
                  f"{cluster.scheduler_address}; {dask_size} units: {group.describe()}", flush=True)
            wall = run_batch([*cmd, "--scheduler", cluster.scheduler_address], env)
            dask = read_manifest(outputs, f"Dask {dask_size} units", group.describe(), wall, dask_size)
            local = next((m for m in runs if m.reports == dask_size), None)
            print(f"  {dask.reports} reports in {dask.wall_s:.1f} s = {dask.rate:.1f} reports/min"
                  + (f" (local workers: {local.rate:.1f})" if local else "")
                  + f"; per report median {dask.median_s:.2f} s, mean {dask.per_report_s:.2f} s")
            for pid, w in sorted(dask.workers.items()):
                print(f"  Dask worker {pid}: {w['reports']} reports, peak RSS worker {w['worker']:.0f} MB "
                      f"+ kernel {w['kernel']:.0f} MB")
            print("  projection for the country on Dask: " + "; ".join(
                f"{workers} workers {dask.country_min(workers):6.1f} min" for workers in counts))
            cluster.close()
            cluster = None

        print("\ntargets (issue 17):")
        worst = max(runs, key=lambda m: m.peak_mb)
        country = large.country_min(args.jobs)
        targets = [
            (ratio <= MEDIAN_RATIO, f"per-report median at {large.reports} within {100 * (MEDIAN_RATIO - 1):.0f} % "
                                    f"of that at {small.reports}: {ratio:.2f} (target <= {MEDIAN_RATIO})"),
            (large.rerun_s < RERUN_S, f"no-change rerun at {large.reports}: {large.rerun_s:.2f} s "
                                      f"(target < {RERUN_S:.0f} s)"),
            (worst.peak_mb < WORKER_MB, f"peak worker + kernel: {worst.peak_mb:.0f} MB at {worst.reports} units "
                                        f"(target < {WORKER_MB} MB)"),
            (country < COUNTRY_MIN, f"the country on this machine ({args.jobs} workers, from {large.reports} "
                                    f"units): {country:.1f} min (target < {COUNTRY_MIN} min)"),
        ]
        for ok, text in targets:
            print(f"  {'PASS' if ok else 'MISS'}  {text}")
        print("  (batch against the naive loop at least 10x on the 25-commune district: bench/batch.py, make bench)")
        return 0
    except BatchFailed as exc:
        print(f"benchmark stopped: {exc}", file=sys.stderr)
        return 1
    finally:
        if cluster is not None:
            cluster.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

"""Who has sent what, and when: the submissions of one area's communes for one period, judged against the deadline.

One row per unit of the area valid in the period (:func:`submission_status`, a pure function of the stored
``submissions`` and ``documents`` tables, the units and the deadline):

- **sent or not**: a unit has sent its report when the store holds a current submission of it for the period;
  otherwise it is "chưa gửi báo cáo";
- **when**: each report it sent (its submissions still held by a file, current, superseded or replaced by an
  edit of its file) has a date: the date printed on it (``documents.doc_date``, "ngày trên văn bản") where it
  states one, else the day it was ingested, in Vietnam's time (UTC+7; "thời điểm nhập"); the earliest of them is
  judged (``judged_on``, ``date_source`` says which kind; on a tie the document's).  Later than the deadline is
  "nộp muộn" with the days late, else "đúng hạn".  A file's modification time is not used: copying a file
  changes it;
- **resubmitted**: a unit whose earlier submission was superseded by a newer file (or replaced by an edit of its
  file) is marked "đã nộp lại"; ``files`` is the current file, ``superseded_files`` the earlier ones.

The deadline is ``deadline_days`` after the period's last day, by ``catalogue/provinces.yaml``
(:func:`pipeline.domain.areas.deadline`).  :func:`area_status` reads the store for ``cchc status``;
:func:`status_blocks` makes the index's summary per period and area.
"""

from __future__ import annotations

from datetime import date
from pathlib import PurePosixPath

import pandas as pd

from ..config import DataPaths
from ..domain.areas import comparison_group
from ..domain.areas import deadline as area_deadline
from ..domain.communes import Commune, Registry, load_registry
from ..domain.periods import Period
from ..errors import UsageError
from .findings import words

#: The time zone the dates of ingest are counted in (the reports' own dates are Vietnamese dates).
LOCAL_TIME = "Asia/Ho_Chi_Minh"
#: Statuses of a submission that the commune sent (``withdrawn``: its file was taken out of ``raw/``).
SENT = ("current", "superseded", "replaced")
COLUMNS = ["commune_code", "name", "status", "resubmitted", "files", "superseded_files", "doc_date",
           "first_ingested", "latest_ingested", "judged_on", "date_source", "deadline", "days_late"]


def submission_status(submissions: pd.DataFrame, documents: pd.DataFrame, units: list[Commune],
                      period: str | Period, deadline: date) -> pd.DataFrame:
    """One row per unit of ``units`` (in their order) for ``period``: see the module docstring.

    ``submissions`` is the store's table; ``documents`` the header facts (``submission_id``, ``doc_date``) of
    any submission, current or not (the ``documents`` table with its history); ``deadline`` the last day a
    report is on time.
    """
    p = Period.parse(period)
    subs = submissions.loc[(submissions["period"] == p.id) & submissions["status"].isin(SENT)]
    dated = documents.loc[documents["doc_date"].notna(), ["submission_id", "doc_date"]]
    doc_date = dict(zip(dated["submission_id"], dated["doc_date"]))
    ordered = subs.sort_values(["ingested_at", "submitted_at", "source_file"], kind="stable")
    by_unit: dict[str, list] = {}  # each unit's submissions in order, gathered in one pass (not a scan per unit)
    for r in ordered[["commune_key", "submission_id", "status", "source_file", "ingested_at", "synthetic"]].itertuples(
            index=False):
        by_unit.setdefault(r.commune_key, []).append(r)
    rows = []
    for unit in units:
        mine = by_unit.get(unit.key, [])
        current = [r for r in mine if r.status == "current"]
        row = {"commune_code": unit.code, "name": unit.full_name, "deadline": deadline}
        if not current:
            rows.append({**row, "status": words("submission_status.missing"), "resubmitted": "", "files": "",
                         "superseded_files": "", "date_source": ""})
            continue
        # each report's own date (its document's, else the day it was ingested); the earliest is judged
        judged_on, source = min(
            ((_day(doc_date[r.submission_id]), 0) if r.submission_id in doc_date
             else (pd.Timestamp(r.ingested_at).tz_convert(LOCAL_TIME).date(), 1)) for r in mine)
        late = max((judged_on - deadline).days, 0)
        # sample data known only by the day it was ingested: not a date the commune sent it on, so not judged
        sample = all(not pd.isna(r.synthetic) and bool(r.synthetic) for r in mine) and source == 1
        source = words("submission_status.source.ingested" if source else "submission_status.source.document")
        earlier = [r for r in mine if r.status != "current"]
        own = doc_date.get(current[0].submission_id)
        status = "sample" if sample else "late" if late else "on_time"
        ingested = [r.ingested_at for r in mine if not pd.isna(r.ingested_at)] or [pd.NaT]
        rows.append({**row,
                     "status": words(f"submission_status.{status}"),
                     "resubmitted": words("submission_status.resubmitted") if earlier else "",
                     "files": _names(r.source_file for r in current),
                     "superseded_files": _names(r.source_file for r in earlier),
                     "doc_date": _day(own) if own is not None else None,
                     "first_ingested": _local(min(ingested)), "latest_ingested": _local(max(ingested)),
                     "judged_on": judged_on, "date_source": source, "days_late": None if sample else late})
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["days_late"] = frame["days_late"].astype("Int64")
    return frame


def counts(frame: pd.DataFrame) -> dict[str, int]:
    """How many units of a :func:`submission_status` frame sent, on time, late, not at all, and resubmitted."""
    status = frame["status"]
    return {"units": len(frame), "sent": int((status != words("submission_status.missing")).sum()),
            "on_time": int((status == words("submission_status.on_time")).sum()),
            "late": int((status == words("submission_status.late")).sum()),
            "missing": int((status == words("submission_status.missing")).sum()),
            "sample": int((status == words("submission_status.sample")).sum()),
            "resubmitted": int((frame["resubmitted"] != "").sum())}


def area_units(registry: Registry, period: str | Period, *, area: str | None = None, district: str | None = None,
               province: str | None = None) -> tuple[str, str, list[Commune]]:
    """``(level, code, units)`` of an area named by ``district``, ``province`` or ``area`` (a 3-digit code is a
    district, as 439; a code of 1 or 2 digits a province, as 42): the units valid in ``period``, by code.
    A wrong area raises :class:`UsageError` saying why."""
    from ..domain.areas import Area
    from ..domain.areas import area_units as find_area
    from ..errors import UnknownCommuneError

    p = Period.parse(period)
    if area is not None:  # a code (3 digits a district, 2 a province), or the Area the CLI already found
        if not isinstance(area, Area):
            try:
                area = find_area(registry, area, p)
            except UnknownCommuneError as exc:
                raise UsageError(f"--area: {exc}") from None
        return area.level, area.code, list(area.units)
    if district is not None:
        level, code = "district", district.strip()
        units = registry.communes_in(p, district_code=code)
        known = {u.district_code for u in registry}
    elif province is not None:
        level, code = "province", province.strip().zfill(2)
        units = registry.communes_in(p, province_code=code)
        known = {u.province_code for u in registry}
    else:
        raise UsageError("give the area: --area CODE, --district CODE or --province CODE")
    if code not in known:
        raise UsageError(f"unknown {level} code {code!r}; see the registry ('cchc registry list --period {p.id}')")
    if not units:
        hint = (": from 1/7/2025 the area is the province (--province)" if level == "district"
                and p.end >= date(2025, 7, 1) else "")
        raise UsageError(f"no commune of {level} {code} is valid in {p.id}{hint}")
    return level, code, units


def read_documents(data: DataPaths) -> pd.DataFrame:
    """The header facts of every stored submission, current or left (the dates of earlier reports too)."""
    from ..store import Store

    store = Store(data)
    frames = [store.read(name)[["submission_id", "doc_date"]] for name in ("documents", "documents_history")]
    return pd.concat([f for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) else frames[0]


def area_status(data: DataPaths, period: str | Period, *, area: str | None = None, district: str | None = None,
                province: str | None = None) -> tuple[dict, pd.DataFrame]:
    """The status frame of one area and period from the store, with what it was judged against:
    ``({"level", "code", "name", "period", "deadline", "deadline_days"}, frame)``."""
    from ..domain.areas import settings
    from ..store import Store

    p = Period.parse(period)
    level, code, units = area_units(load_registry(data), p, area=area, district=district, province=province)
    province_code = units[0].province_code
    due = area_deadline(p, province_code)
    frame = submission_status(Store(data).read("submissions"), read_documents(data), units, p, due)
    name = units[0].district_name if level == "district" else units[0].province_name
    return ({"level": level, "code": code, "name": name, "period": p, "deadline": due,
             "deadline_days": settings(p, province_code).deadline_days}, frame)


def status_blocks(data: DataPaths, units_by_period: dict[str, list[Commune]]) -> list[dict]:
    """The index's summary: per period (newest first) and comparison area of the given units (district before
    1/7/2025, province after), the counts and the names of the late and missing units of every unit of the area
    valid in the period."""
    from ..store import Store

    submissions, documents = Store(data).read("submissions"), read_documents(data)
    registry = load_registry(data)
    blocks = []
    for period in sorted({Period.parse(x) for x in units_by_period}, reverse=True):
        wanted = {comparison_group(u, period) for u in units_by_period[period.id]}
        areas: dict[str, list[Commune]] = {}
        for unit in registry.communes_in(period):
            group = comparison_group(unit, period)
            if group in wanted:
                areas.setdefault(group, []).append(unit)
        for group, units in sorted(areas.items()):
            level, code = group.split(":")
            due = area_deadline(period, units[0].province_code)
            frame = submission_status(submissions, documents, units, period, due)
            late = frame.loc[frame["status"] == words("submission_status.late")]
            blocks.append({
                "period": period.id, "period_label": period.label_vi, "level": level, "code": code,
                "name": units[0].district_name if level == "district" else units[0].province_name,
                "deadline": due.strftime("%d/%m/%Y"), **counts(frame),
                "late_units": [{"name": r.name, "days": int(r.days_late), "source": r.date_source}
                               for r in late.itertuples(index=False)],
                "missing_units": frame.loc[frame["status"] == words("submission_status.missing"), "name"].tolist(),
            })
    return blocks


def _names(files) -> str:
    """Base names of the files, each once, in order."""
    return "; ".join(dict.fromkeys(PurePosixPath(str(f)).name for f in files))


def _day(value: object) -> date:
    return pd.Timestamp(value).date()


def _local(value: object) -> pd.Timestamp:
    return pd.Timestamp(value).tz_convert(LOCAL_TIME)

"""The CCHC reporting calendar.

CCHC periods run from the 15th to the 14th: Q1 is 15/12 of the previous year
to 14/3, Q2 15/3–14/6, Q3 15/6–14/9, Q4 15/9–14/12; "6 tháng" is 15/12–14/6,
"9 tháng" 15/12–14/9 and the year 15/12–14/12.  Period ids: ``2021-Q3``,
``2021-6M``, ``2021-9M``, ``2021-Y``.

``previous``/``next`` step to the adjacent quarter for quarters and to the
same kind one year away for 6-month, 9-month and yearly periods (the earlier
report of that kind is the one a reader compares against).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import total_ordering

from ..errors import PeriodError
from .text import match_key

KINDS = ("Q1", "Q2", "Q3", "Q4", "6M", "9M", "Y")
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
_FROM_ROMAN = {v.lower(): k for k, v in ROMAN.items()}
_LAST_QUARTER = {"Q1": 1, "Q2": 2, "Q3": 3, "Q4": 4, "6M": 2, "9M": 3, "Y": 4}
_ID_RE = re.compile(r"^\s*(\d{4})-(Q[1-4]|6M|9M|Y)\s*$", re.IGNORECASE)
# Sort order inside a year: a cumulative period right after its last quarter.
_SORT = {"Q1": 0, "Q2": 1, "6M": 2, "Q3": 3, "9M": 4, "Q4": 5, "Y": 6}


@total_ordering
@dataclass(frozen=True)
class Period:
    """One reporting period: a year and a kind (``Q1``–``Q4``, ``6M``, ``9M``, ``Y``)."""

    year: int
    kind: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise PeriodError(f"unknown period kind {self.kind!r}; expected one of {', '.join(KINDS)}")
        if not 1900 <= self.year <= 2200:
            raise PeriodError(f"implausible year {self.year}")

    # -- construction -------------------------------------------------------
    @classmethod
    def parse(cls, period_id: str | Period) -> Period:
        """Parse a period id such as ``"2021-Q3"`` (case-insensitive)."""
        if isinstance(period_id, Period):
            return period_id
        match = _ID_RE.match(str(period_id))
        if not match:
            raise PeriodError(
                f"not a period id: {period_id!r}; expected YYYY-Q1..Q4, YYYY-6M, YYYY-9M or YYYY-Y"
            )
        return cls(int(match.group(1)), match.group(2).upper())

    @classmethod
    def quarter(cls, year: int, number: int) -> Period:
        return cls(year, f"Q{number}")

    # -- identity -----------------------------------------------------------
    @property
    def id(self) -> str:
        return f"{self.year}-{self.kind}"

    def __str__(self) -> str:
        return self.id

    def _sort_key(self) -> tuple[int, int]:
        return (self.year, _SORT[self.kind])

    def __lt__(self, other: Period) -> bool:
        return self._sort_key() < other._sort_key()

    @property
    def is_quarter(self) -> bool:
        return self.kind.startswith("Q")

    @property
    def quarter_number(self) -> int:
        """The number of the last quarter the period covers (Q3 and 9M → 3)."""
        return _LAST_QUARTER[self.kind]

    # -- dates --------------------------------------------------------------
    @property
    def start(self) -> date:
        if self.kind in ("Q1", "6M", "9M", "Y"):
            return date(self.year - 1, 12, 15)
        return date(self.year, 3 * (int(self.kind[1]) - 1), 15)

    @property
    def end(self) -> date:
        return date(self.year, 3 * self.quarter_number, 14)

    @property
    def due(self) -> date:
        """Reports are due by the 20th of the period's last month."""
        return date(self.year, 3 * self.quarter_number, 20)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    # -- structure ----------------------------------------------------------
    def quarters(self) -> list[Period]:
        """The quarters the period is made of, in order."""
        if self.is_quarter:
            return [self]
        return [Period.quarter(self.year, q) for q in range(1, self.quarter_number + 1)]

    def year_to_date(self) -> list[Period]:
        """The quarters from the start of the reporting year to the period's end (Lũy kế)."""
        return [Period.quarter(self.year, q) for q in range(1, self.quarter_number + 1)]

    def previous(self) -> Period:
        if self.is_quarter:
            n = int(self.kind[1])
            return Period.quarter(self.year - 1, 4) if n == 1 else Period.quarter(self.year, n - 1)
        return Period(self.year - 1, self.kind)

    def next(self) -> Period:
        if self.is_quarter:
            n = int(self.kind[1])
            return Period.quarter(self.year + 1, 1) if n == 4 else Period.quarter(self.year, n + 1)
        return Period(self.year + 1, self.kind)

    def same_period_last_year(self) -> Period:
        return Period(self.year - 1, self.kind)

    # -- words --------------------------------------------------------------
    @property
    def label_vi(self) -> str:
        """"quý III năm 2021", "6 tháng đầu năm 2021", "9 tháng đầu năm 2021", "năm 2021"."""
        if self.kind == "Y":
            return f"năm {self.year}"
        return f"{self.phrase_vi} năm {self.year}"

    @property
    def phrase_vi(self) -> str:
        """The label without the year: "quý III", "6 tháng đầu", "9 tháng đầu", ""."""
        if self.is_quarter:
            return f"quý {ROMAN[int(self.kind[1])]}"
        return {"6M": "6 tháng đầu", "9M": "9 tháng đầu", "Y": ""}[self.kind]

    def __format__(self, spec: str) -> str:
        return format(self.id, spec)


def period_range(first: str | Period, last: str | Period) -> list[Period]:
    """All quarters from ``first`` to ``last`` inclusive."""
    start, stop = Period.parse(first), Period.parse(last)
    if not (start.is_quarter and stop.is_quarter):
        raise PeriodError("period_range takes quarters")
    out, cur = [], start
    while cur <= stop:
        out.append(cur)
        cur = cur.next()
    return out


def last_quarters(period: str | Period, n: int) -> list[Period]:
    """The ``n`` quarters ending with ``period``'s last quarter.

    >>> [p.id for p in last_quarters("2021-6M", 3)]
    ['2020-Q4', '2021-Q1', '2021-Q2']
    """
    end = Period.parse(period)
    end = Period.quarter(end.year, end.quarter_number)
    start = end
    for _ in range(n - 1):
        start = start.previous()
    return period_range(start, end)


_PHRASE_RE = re.compile(
    r"(?P<quarter>quý\s+(?P<q>iv|iii|ii|i|[1-4])\b)"
    r"|(?P<six>6\s+tháng(?:\s+đầu\s+năm)?)"
    r"|(?P<nine>9\s+tháng(?:\s+đầu)?(?:\s+năm)?)"
    r"|(?P<year>\bnăm\b)",
    re.IGNORECASE,
)
_MONTH_BEFORE = re.compile(r"\btháng\s+\d{1,2}\s*$")
_YEAR_RE = re.compile(r"(?:năm\s*|/\s*|-\s*)?((?:19|20|21)\d{2})\b", re.IGNORECASE)


def parse_period_phrase(text: str, *, default_year: int | None = None) -> Period:
    """Find the period a report title or heading speaks of.

    The first period phrase wins; its year is the first four-digit year after
    it (titles say "quý III, phương hướng nhiệm vụ quý IV năm 2021"), else
    ``default_year``.

    >>> parse_period_phrase("trong quý III, phương hướng nhiệm vụ quý IV năm 2021").id
    '2021-Q3'
    >>> parse_period_phrase("Báo cáo 6 tháng đầu năm 2022").id
    '2022-6M'
    >>> parse_period_phrase("Quý 2/2020").id
    '2020-Q2'

    Look-alike letters are seen through ("Quý I nǎm 2025", U+01CE); a month ("tháng 3 năm
    2025") is not a reporting period.
    """
    key = match_key(text).replace("quí", "quý")
    for match in _PHRASE_RE.finditer(key):
        year_match = _YEAR_RE.search(key, match.end())
        year = int(year_match.group(1)) if year_match else default_year
        if match.group("year"):
            if _MONTH_BEFORE.search(key[: match.start()]):
                continue  # "tháng 3 năm 2025": a month, not the year
            # bare "năm 2021" only counts when the year follows directly
            direct = re.match(r"\s*((?:19|20|21)\d{2})\b", key[match.end():])
            if not direct:
                continue
            return Period(int(direct.group(1)), "Y")
        if year is None:
            raise PeriodError(f"period phrase without a year in {text!r}")
        if match.group("quarter"):
            q = match.group("q")
            number = int(q) if q.isdigit() else _FROM_ROMAN[q]
            return Period.quarter(year, number)
        if match.group("six"):
            return Period(year, "6M")
        return Period(year, "9M")
    raise PeriodError(
        f"no period phrase found in {text!r}; expected e.g. 'quý III năm 2021', "
        "'6 tháng đầu năm 2021', '9 tháng năm 2021' or 'năm 2021'"
    )

"""Fuzzing the ingest with values around the real forms: it never raises, and never stores a number the text
did not say.

Hypothesis writes value texts the way communes do (``2 590 755 750``, ``19.630``, ``21,1``, ``1.234,5``,
``145,15 %``, ``(01)``, every kind of space as thousands separator) and the way they go wrong (a unit
alone, words, control characters, huge and negative figures), puts them into long CSV rows and into a
seed-like report text with a Phụ lục 2B table, and ingests them.  The oracle is built with the text: it
knows which number a generated form means (or that it means none).  A stored value must equal it; a value
that is not stored must be blank or carry an error naming its row.
"""

from __future__ import annotations

import csv
import io
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.cells import neutralise, restore
from pipeline.config import DataPaths
from pipeline.domain.catalogue import load_catalogue
from pipeline.domain.communes import load_registry
from pipeline.ingest import ingest
from pipeline.store import Store

pytestmark = pytest.mark.slow  # hypothesis runs hundreds of ingests

CATALOGUE = load_catalogue()
REGISTRY = load_registry()
#: Indicators of every numeric kind: counts, a bounded percentage, an unbounded one, money.
CODES = ["1.1.1", "1.1.2", "3.4.3", "S.NS.TY_LE_DU_TOAN", "S.NS.THU"]
#: Every space a number's thousands may be separated by (a zero-width space: text copied from a web portal).
SPACES = [" ", "\u00a0", "\u202f", "\u2009", "\u200b"]
#: Characters that are no part of a number and no whitespace either: a value holding one is not a number.
CONTROLS = ["\x01", "\x07", "\x1b", "\x7f"]
FUZZ = settings(max_examples=120, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@dataclass(frozen=True)
class Value:
    """A generated value text and what it means: a number, ``None`` (not a number) or blank."""

    text: str
    number: Decimal | None
    blank: bool = False


def _group(digits: str, sep: str) -> str:
    head = len(digits) % 3 or 3
    return sep.join([digits[:head]] + [digits[i:i + 3] for i in range(head, len(digits), 3)])


@st.composite
def numbers(draw) -> Value:
    """A number written in one of the forms the README lists."""
    whole = draw(st.one_of(st.integers(0, 999), st.integers(0, 10**7), st.integers(10**12, 10**30)))
    style = draw(st.sampled_from(["plain", "dot", "space", "padded"]))
    frac_mark = draw(st.sampled_from(["", ",", "."] if style == "plain" else ["", ","]))
    frac = ""
    if frac_mark:  # a dot with exactly three digits after it is a thousands separator, not a decimal point
        frac = draw(st.text("0123456789", min_size=1, max_size=4).filter(lambda f: frac_mark == "," or len(f) != 3))
    digits = str(whole)
    body = {"plain": digits, "padded": digits.zfill(len(digits) + 1), "dot": _group(digits, "."),
            "space": _group(digits, draw(st.sampled_from(SPACES)))}[style]
    text = body + (frac_mark + frac if frac_mark else "")
    sign = draw(st.sampled_from(["", "", "-", "+"]))
    unit = draw(st.sampled_from(["", "", "%", " %", " đồng", " VNĐ", "đ"]))
    text = sign + text + unit
    if draw(st.booleans()) and not unit.strip().startswith("đ"):
        text = f"({text})"
    pad = draw(st.sampled_from(["", " ", "  "]))
    number = Decimal(f"{'-' if sign == '-' else ''}{whole}.{frac or 0}")
    return Value(pad + text + pad, number)


@st.composite
def junk(draw) -> Value:
    """Not a number: a unit alone, words, a number spoiled by a control character, odd separators."""
    kind = draw(st.sampled_from(["unit", "word", "control", "separators"]))
    if kind == "unit":
        return Value(draw(st.sampled_from(["%", "đồng", "VNĐ", "()", "( % )", "đ"])), None)
    if kind == "word":
        words = ["sáu", "không có", "N/A", "x", "5 hồ sơ", "2021-Q3", "=1+2", "@x"]
        return Value(draw(st.sampled_from(words)), None)
    if kind == "control":
        good = draw(numbers())
        at = draw(st.integers(0, len(good.text.strip())))
        core = good.text.strip()
        return Value(core[:at] + draw(st.sampled_from(CONTROLS)) + core[at:], None)
    return Value(draw(st.sampled_from(["1,2,3", "12 34", "1.23.4", "1..2", ",5", "1.", "--3", "1 234.5"])), None)


@st.composite
def invisible(draw) -> Value:
    """A number with an invisible character (zero-width space, byte-order mark) anywhere in it: still that number."""
    good = draw(numbers())
    at = draw(st.integers(0, len(good.text)))
    return Value(good.text[:at] + draw(st.sampled_from(["\u200b", "\ufeff"])) + good.text[at:], good.number)


values = st.one_of(numbers(), numbers(), invisible(), junk(), st.just(Value("", None, blank=True)),
                   st.just(Value("   ", None, blank=True)))


def _storable(code: str, number: Decimal) -> bool:
    """Whether the catalogue's checks accept ``number`` for ``code`` (kind, range, plausibility)."""
    cat = CATALOGUE.get(code)
    lo, hi = cat["min_value"], cat["max_value"]
    limit = {"count": Decimal(10) ** 12, "percent": Decimal(10) ** 6, "money": Decimal(10) ** 15}[cat["kind"]]
    if cat["kind"] == "count" and number != number.to_integral_value():
        return False
    above_min = lo != lo or number >= Decimal(str(lo))
    below_max = hi != hi or number <= Decimal(str(hi))
    return above_min and below_max and abs(number) <= limit


def _ingest(name: str, text: str):
    with tempfile.TemporaryDirectory() as tmp:
        data = DataPaths(Path(tmp))
        data.raw.mkdir()
        (data.raw / name).write_text(text, encoding="utf-8")
        result = ingest(None, data=data, catalogue=CATALOGUE, registry=REGISTRY)  # must not raise
        return result, Store(data).read("values")


def _check(result, stored, rows: dict[int, tuple[str, Value]]) -> None:
    by_row = {int(r.source_row): r for r in stored.itertuples(index=False)}
    errors = result.issues.loc[result.issues["severity"] == "error"]
    file_level = errors["row"].isna().any()
    for row, (code, value) in rows.items():
        if row in by_row:
            assert value.number is not None, (value, by_row[row].value)
            assert by_row[row].value == float(value.number), (value, by_row[row].value)
            continue
        if value.blank or file_level:
            continue
        assert row in set(errors["row"].dropna().astype(int)), (value, result.issues.to_dict("records"))
        if value.number is not None and "duplicate" not in " ".join(errors["message"]):
            assert not _storable(code, value.number), (value, "a good value was refused")


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(CODES), values), min_size=1, max_size=5, unique_by=lambda t: t[0]),
       st.sampled_from([",", ";"]))
def test_long_csv_values(rows, delimiter):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(["commune_code", "period", "indicator_code", "value", "note"])
    for code, value in rows:
        writer.writerow(["18133", "2021-Q3", code, value.text, ""])
    result, stored = _ingest("fuzz.csv", buffer.getvalue())
    _check(result, stored, {n: row for n, row in enumerate(rows, start=2)})


REPORT_HEAD = """**ỦY BAN NHÂN DÂN  
Xã Sơn Hàm**

Số: 7/BC-UBND

*Sơn Hàm, ngày 14 tháng 9 năm 2021*

## BÁO CÁO

### Tình hình thực hiện công tác Cải cách hành chính quý III năm 2021

**Phụ lục 2B**

STT\tChỉ tiêu thống kê\tKết quả thống kê\t\tGhi chú
\t\tĐơn vị tính\tSố liệu\t
"""
APPENDIX = ["1.1.1", "1.1.2", "3.4.3"]


@FUZZ
@given(st.lists(values.filter(lambda v: "\t" not in v.text and "\n" not in v.text), min_size=3, max_size=3),
       st.sampled_from(["", "(Lũy kế 22,68%)", "=HYPERLINK(\"x\")"]))
def test_report_text_appendix_values(cells, note):
    lines = REPORT_HEAD.split("\n")
    body = []
    for code, value in zip(APPENDIX, cells):
        cat = CATALOGUE.get(code)
        body.append(f"{code}.\t{cat['label']}\t{cat['unit']}\t{value.text}\t{note}")
    text = "\n".join(lines[:-1] + body) + "\n"
    first = len(lines)  # the appendix rows follow the head, one line each (row numbers are lines)
    result, stored = _ingest("bao_cao.md", text)
    _check(result, stored, {first + i: (code, value) for i, (code, value) in enumerate(zip(APPENDIX, cells))})


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.text(alphabet=st.sampled_from(list("=+-@'\t\r 01,.aZ%đ")), max_size=8) | st.text(max_size=8))
def test_a_neutralised_text_reads_back_as_written(text):
    written = neutralise(text)
    assert restore(written) == text
    assert not written or written[0] not in "=+@\t\r" and (written[0] != "-" or restore(written) == written)

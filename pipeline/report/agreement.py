"""Facts that agree: where the appendix (or a metric) and the commune's own text say different things.

The report keeps the commune's words and prints no generated sentence on a point listed here
(:func:`disputed_codes`); the analyst's checklist lists every :class:`Disagreement`.  What the text is
matched by (topic keywords, the words of each category, the nouns a count is stated with) is data:
``agreement.yaml`` beside this module, one list per kind of disagreement:

- ``category``: a category of the appendix (1.4.2 = 0 "Trực tuyến") against the text naming another
  ("theo hình thức lấy phiếu");
- ``rate``: a rate computed from the appendix (plan tasks 6/6 = 100 %) against a rate the text states
  ("đã đạt 70,2%");
- ``count``: a count of the appendix (2.3 = 0) against a count the text states ("có 01 (một) văn bản …");
- ``parts``: parts of the appendix against the total they make up (7.1.8.1 + 7.1.8.2 against 3.2.2);
- ``target``: the metrics' target judgement (not met) against the commune's ("đạt theo chỉ tiêu").

Pure functions of a :class:`~pipeline.report.content.ReportData`; the figures of the text are read
with :func:`pipeline.domain.numbers.find_numbers`, so "01", "2 590 755 750" and "70,2" all count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import yaml

from ..domain.catalogue import load_catalogue, parse_legend
from ..domain.formatting import format_number, format_percent
from ..domain.numbers import find_numbers
from ..domain.text import match_key
from ..errors import CatalogueError
from .words import words

if TYPE_CHECKING:
    from .content import ReportData

RULES_FILE = Path(__file__).with_name("agreement.yaml")
KINDS = ("category", "rate", "count", "parts", "target")
_SENTENCE_END = re.compile(r"(?<=[.;!?])\s+(?=\S)")


@dataclass(frozen=True)
class Disagreement:
    kind: str                 # "category" | "rate" | "count" | "parts" | "target"
    area: str                 # report area "1".."8"
    codes: tuple[str, ...]    # indicator / metric codes involved
    data_says: str            # formatted appendix side, Vietnamese, e.g. "mục 1.4.2: Trực tuyến (0)"
    text_says: str            # the excerpt of the commune's text (plain text, not escaped)
    message: str              # one Vietnamese sentence for the analyst's checklist


@lru_cache(maxsize=1)
def load_rules() -> dict[str, list[dict]]:
    """The rules of ``agreement.yaml``, checked: known kinds, every rule with its area and keywords."""
    spec = dict(yaml.safe_load(RULES_FILE.read_text(encoding="utf-8")) or {})
    spec.pop("topics", None)
    unknown = set(spec) - set(KINDS)
    if unknown:
        raise CatalogueError(f"{RULES_FILE.name}: unknown kinds {sorted(unknown)}; expected {list(KINDS)}")
    needs = {"category": ("code", "topic", "categories"), "rate": ("metric", "topic", "before"),
             "count": ("code", "topic", "noun"), "parts": ("total", "parts"), "target": ("metric", "topic", "met",
                                                                                        "missed")}
    for kind, rules in spec.items():
        for rule in rules:
            missing = [k for k in ("area", *needs[kind]) if not rule.get(k)]
            if missing:
                raise CatalogueError(f"{RULES_FILE.name}: {kind} rule {rule}: missing {missing}")
            if kind == "count" and rule.get("relation", "equal") not in ("equal", "at_least"):
                raise CatalogueError(f"{RULES_FILE.name}: count rule {rule['code']}: relation must be "
                                     f"equal or at_least, not {rule['relation']!r}")
    return {kind: list(spec.get(kind) or []) for kind in KINDS}


def disagreements(rd: ReportData) -> list[Disagreement]:
    """Every point where the appendix or a metric and the commune's own text disagree."""
    rules = load_rules()
    out: list[Disagreement] = []
    for rule in rules["category"]:
        out.extend(_category(rd, rule))
    for rule in rules["rate"]:
        out.extend(_rate(rd, rule))
    for rule in rules["count"]:
        out.extend(_count(rd, rule))
    for rule in rules["parts"]:
        out.extend(_parts(rd, rule))
    for rule in rules["target"]:
        out.extend(_target(rd, rule))
    return out


def disputed_codes(found: list[Disagreement]) -> frozenset[str]:
    """The codes no generated sentence may speak of (with the ratios built on their numerators)."""
    from ..metrics.compute import load_ratios

    codes = {c for d in found for c in d.codes}
    codes |= {r.code for r in load_ratios() if r.numerator in codes}
    return frozenset(codes)


@lru_cache(maxsize=1)
def topics() -> dict[str, tuple[str, ...]]:
    """What a sentence names when it is about an indicator or metric (``topics`` in ``agreement.yaml``)."""
    spec = (yaml.safe_load(RULES_FILE.read_text(encoding="utf-8")) or {}).get("topics") or {}
    bad = [code for code, kws in spec.items() if not kws or not all(isinstance(k, str) and k for k in kws)]
    if bad:
        raise CatalogueError(f"{RULES_FILE.name}: topics {bad}: a list of keywords each")
    return {str(code): tuple(kws) for code, kws in spec.items()}


def names(sentence_list: list[str], code: str, *, negated: bool = False) -> str | None:
    """The first sentence that names the topic of ``code`` (``negated``: with "không"/"chưa" as well)."""
    keywords = list(topics().get(code, ()))
    if not keywords:
        return None
    for sentence in sentence_list:
        key = match_key(sentence)
        if _has(key, keywords) and (not negated or _has(key, ["không", "chưa"])):
            return sentence
    return None


def states_value(text: str, value: float, *, percent: bool) -> bool:
    """Whether ``text`` states ``value`` (in any number style: "2 590 755 750", "2.590.755.750", "01").

    A percentage counts only as a percentage ("21,1%"), a count only when not one.
    """
    for number, raw, offset in find_numbers(text):
        is_percent = text[offset + len(raw):].lstrip().startswith("%")
        if is_percent == percent and abs(number - value) < 1e-9:
            return True
    return False


# --------------------------------------------------------------------------- reading the text
def sentences(rd: ReportData, area: str | None) -> list[str]:
    """The sentences of the commune's text for ``area`` (``None``: all of it), in order."""
    frame = rd.narratives if area is None else rd.narratives.loc[rd.narratives["area"] == area]
    out: list[str] = []
    for text in frame["text"]:
        for paragraph in str(text).split("\n"):
            out.extend(s.strip().lstrip("-–+• ").strip() for s in _SENTENCE_END.split(paragraph) if s.strip())
    return out


def _has(text_key: str, keywords: list[str]) -> str | None:
    padded = f" {text_key} "
    return next((k for k in keywords if f" {match_key(k)} " in padded), None)


def _about(rd: ReportData, rule: dict) -> list[str]:
    area = None if rule.get("look_in") == "all" else str(rule["area"])
    return [s for s in sentences(rd, area) if _has(match_key(s), rule["topic"])]


def _quote(sentence: str) -> str:
    """The sentence as quoted in a message (its own final stop left to the message)."""
    return sentence.rstrip(" .;")


def _value(rd: ReportData, code: str) -> float | None:
    return rd.value(code)


def _label(rd: ReportData, code: str) -> str:
    catalogue = load_catalogue().for_period(rd.period)
    return str(catalogue.get(code)["label"]) if code in catalogue else code


# --------------------------------------------------------------------------- the kinds
def _category(rd: ReportData, rule: dict) -> list[Disagreement]:
    code = str(rule["code"])
    value = _value(rd, code)
    if value is None:
        return []
    legend = parse_legend(load_catalogue().for_period(rd.period).get(code)["legend"] or "")
    named = {int(k): v for k, v in rule["categories"].items()}
    for sentence in _about(rd, rule):
        key = match_key(sentence)
        said = sorted(k for k, keywords in named.items() if _has(key, keywords))
        if said and int(value) not in said:
            data = words("agreement.data_category", code=code, label=legend.get(int(value), format_number(value)),
                         value=format_number(value))
            return [Disagreement("category", str(rule["area"]), (code,), data, sentence,
                                 words("agreement.category", data=data, text=_quote(sentence)))]
    return []


def _rate(rd: ReportData, rule: dict) -> list[Disagreement]:
    metric = str(rule["metric"])
    row = rd.metric(metric)
    if row is None or pd.isna(row["value"]):
        return []
    tolerance = float(rule.get("tolerance", 0.5))
    for sentence in _about(rd, rule):
        for value, raw, offset in find_numbers(sentence):
            after = sentence[offset + len(raw):].lstrip()
            before = " ".join(match_key(sentence[:offset]).split()[-4:])
            if after.startswith("%") and _has(before, rule["before"]) and abs(value - row["value"]) > tolerance:
                codes = (metric, *_ratio_codes(metric))
                data = words("agreement.data_rate", label=_lower_first(row["label"]),
                             value=format_percent(row["value"]), detail=_fraction(row))
                message = words("agreement.rate", data=data, stated=format_percent(value), text=_quote(sentence))
                return [Disagreement("rate", str(rule["area"]), codes, data, sentence, message)]
    return []


def _count(rd: ReportData, rule: dict) -> list[Disagreement]:
    code = str(rule["code"])
    value = _value(rd, code)
    if value is None:
        return []
    nouns = [match_key(n) for n in rule["noun"]]
    for sentence in _about(rd, rule):
        for stated in _counts(sentence, nouns):
            at_least = rule.get("relation", "equal") == "at_least"
            if (value < stated) if at_least else (value != stated):
                data = words("agreement.data_value", code=code, value=format_number(value))
                return [Disagreement("count", str(rule["area"]), (code,), data, sentence,
                                     words("agreement.count", data=data, label=_label(rd, code),
                                           stated=format_number(stated), text=_quote(sentence)))]
    return []


def _counts(sentence: str, nouns: list[str]) -> list[float]:
    """The counts a sentence states before one of ``nouns``: "01 (một) văn bản" → 1; "không có văn bản" → 0."""
    out = []
    for value, raw, offset in find_numbers(sentence):
        rest = re.sub(r"^\s*\([^)]*\)", "", sentence[offset + len(raw):])
        if rest[:1].isspace() and any(f"{match_key(rest)} ".startswith(f"{n} ") for n in nouns):
            out.append(value)
    key = f" {match_key(sentence)} "
    if any(f" không có {n} " in key for n in nouns):
        out.append(0.0)
    return out


def _parts(rd: ReportData, rule: dict) -> list[Disagreement]:
    total_code, part_codes = str(rule["total"]), [str(c) for c in rule["parts"]]
    total = _value(rd, total_code)
    parts = [_value(rd, c) for c in part_codes]
    if total is None or any(p is None for p in parts):
        return []
    parts_sum = sum(parts)
    if abs(parts_sum - total) < 1e-9:
        return []
    data = "; ".join(words("agreement.data_value", code=c, value=format_number(p)) for c, p in zip(part_codes, parts))
    text = words("agreement.data_value", code=total_code, value=format_number(total))
    text = f"{text} ({_label(rd, total_code)})"
    return [Disagreement("parts", str(rule["area"]), (total_code, *part_codes), data, text,
                         words("agreement.parts", parts=", ".join(part_codes), parts_sum=format_number(parts_sum),
                               total=total_code, total_value=format_number(total),
                               label=_label(rd, total_code)))]


def _target(rd: ReportData, rule: dict) -> list[Disagreement]:
    metric = str(rule["metric"])
    row = rd.metric(metric)
    if row is None or pd.isna(row.get("target_met")) or pd.isna(row["value"]):
        return []
    met = bool(row["target_met"])
    for sentence in _about(rd, rule):
        key = match_key(sentence)
        says_met = None if not _has(key, rule["missed"]) else False
        if says_met is None and _has(key, rule["met"]):
            says_met = True
        if says_met is not None and says_met != met:
            judgement = words("agreement.met" if met else "agreement.missed")
            data = words("agreement.data_target", label=_lower_first(row["label"]), value=format_percent(row["value"]),
                         judgement=judgement, target=format_percent(row["target"]))
            return [Disagreement("target", str(rule["area"]), (metric, *_ratio_codes(metric)), data, sentence,
                                 words("agreement.target", data=data, text=_quote(sentence)))]
    return []


def _ratio_codes(metric: str) -> tuple[str, ...]:
    from ..metrics.compute import load_ratios

    ratio = next((r for r in load_ratios() if r.code == metric), None)
    return (ratio.numerator,) if ratio else ()  # not the denominator: other figures stand on it


def _fraction(row: pd.Series) -> str:
    if pd.isna(row.get("numerator")) or pd.isna(row.get("denominator")):
        return ""
    return f" ({format_number(row['numerator'])}/{format_number(row['denominator'])})"


def _lower_first(label: str) -> str:
    """"Tỷ lệ TTHC …" → "tỷ lệ TTHC …" (inside a sentence)."""
    return label[:1].lower() + label[1:]

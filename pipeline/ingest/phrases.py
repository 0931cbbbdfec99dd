"""The phrases that state figures in a report's narrative, loaded from ``catalogue/phrases.yaml``.

The words are data: a new way of saying "resolved early" is a line in the YAML file, with the
sentence that shows it.  This module loads and checks the file (patterns compile, codes are
catalogue ``S.*`` indicators, context rules name known codes) and tells, for a number in running
text, whether it is a figure at all (document numbers "Số 52/BC-UBND", dates "14/9/2021",
"mức độ 3" and years are not).  The readers that use the rules are
:func:`pipeline.ingest.report_text.dossier_figures` and ``budget_figures``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from ..config import CATALOGUE_DIR
from ..domain.text import normalise_letters, normalise_tones
from ..errors import CatalogueError

PHRASES_FILE = CATALOGUE_DIR / "phrases.yaml"
#: Where a budget rule looks, before the amount: the clause (since the last comma), the segment
#: (since the last semicolon) or all the sentence before it.
SCOPES = ("clause", "segment", "before")


@dataclass(frozen=True)
class Context:
    """A rule's code changed by the rest of the sentence.

    ``after``: the nearest clause before, that states a figure, has one of these codes;
    ``with_``: another clause of the sentence has one of these codes; ``when``: the clause
    itself also matches this pattern.  ``code`` is the code then (``None``: nothing stored).
    """

    code: str | None
    after: tuple[str, ...] = ()
    with_: tuple[str, ...] = ()
    when: re.Pattern | None = None


@dataclass(frozen=True)
class Rule:
    """One phrase: the code a clause (or the text around an amount) matching ``pattern`` states."""

    code: str | None
    pattern: re.Pattern
    scope: str = "clause"
    context: tuple[Context, ...] = ()
    examples: tuple[tuple[str, float], ...] = ()
    counter: tuple[str, ...] = ()

    def search(self, text: str) -> bool:
        return self.pattern.search(text) is not None


@dataclass(frozen=True)
class Phrases:
    """All rules of ``phrases.yaml``."""

    not_before: tuple[re.Pattern, ...]
    not_after: tuple[re.Pattern, ...]
    year_before: re.Pattern
    dossier_topic: re.Pattern
    negation: re.Pattern
    count_unit: re.Pattern
    dossier: tuple[Rule, ...]
    money_unit: re.Pattern
    money: tuple[Rule, ...]
    percent: tuple[Rule, ...]

    def is_figure(self, text: str, offset: int, raw: str) -> bool:
        """Whether the number ``raw`` at ``offset`` of (normalised, lower-case) ``text`` can be a figure."""
        before, after = text[:offset], text[offset + len(raw):]
        if re.fullmatch(r"(?:19|20|21)\d\d", raw) and self.year_before.search(before):
            return False
        return not (any(p.search(before) for p in self.not_before) or any(p.search(after) for p in self.not_after))


def matching_form(text: str) -> str:
    """The form rules are matched against: look-alikes replaced, tones placed, lower case.

    Invisible characters are kept (numbers skip them) so that offsets match the text itself.
    """
    return normalise_tones(normalise_letters(text, keep_invisible=True)).lower()


def _compile(pattern: str, where: str) -> re.Pattern:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise CatalogueError(f"{PHRASES_FILE.name}: {where}: bad pattern {pattern!r} ({exc})") from None


def _rules(spec: list[dict], section: str, codes: set[str]) -> tuple[Rule, ...]:
    out = []
    for n, r in enumerate(spec, start=1):
        where = f"{section} rule {n}"
        code = r.get("code")
        if code is not None and code not in codes:
            raise CatalogueError(f"{PHRASES_FILE.name}: {where}: {code} is not an indicator of the catalogue")
        contexts = []
        for c in r.get("context", []):
            named = [*c.get("after", []), *c.get("with", []), *([c["code"]] if c.get("code") else [])]
            unknown = [x for x in named if x not in codes]
            if unknown:
                raise CatalogueError(f"{PHRASES_FILE.name}: {where}: context names unknown codes {unknown}")
            contexts.append(Context(c.get("code"), tuple(c.get("after", [])), tuple(c.get("with", [])),
                                    _compile(c["when"], where) if c.get("when") else None))
        scope = r.get("scope", "clause")
        if scope not in SCOPES:
            raise CatalogueError(f"{PHRASES_FILE.name}: {where}: scope {scope!r} is not one of {', '.join(SCOPES)}")
        examples = tuple((str(s), float(v)) for s, v in r.get("examples", []))
        if code is not None and not examples:
            raise CatalogueError(f"{PHRASES_FILE.name}: {where}: a rule for {code} needs an example sentence")
        out.append(Rule(code, _compile(r["match"], where), scope, tuple(contexts), examples,
                        tuple(r.get("counter", []))))
    return tuple(out)


@lru_cache(maxsize=4)
def load_phrases(path: Path = PHRASES_FILE) -> Phrases:
    """The rules of ``phrases.yaml``, checked against the catalogue."""
    from ..domain.catalogue import load_catalogue

    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    codes = set(load_catalogue().table["code"])
    nf, d, b = spec["not_figures"], spec["dossier"], spec["budget"]
    return Phrases(
        not_before=tuple(_compile(p, "not_figures.before") for p in nf["before"]),
        not_after=tuple(_compile(p, "not_figures.after") for p in nf["after"]),
        year_before=_compile(nf["year"], "not_figures.year"),
        dossier_topic=_compile(d["topic"], "dossier.topic"),
        negation=_compile(d["negation"], "dossier.negation"),
        count_unit=_compile(d["count_unit"], "dossier.count_unit"),
        dossier=_rules(d["rules"], "dossier", codes),
        money_unit=_compile(b["money_unit"], "budget.money_unit"),
        money=_rules(b["money"], "budget money", codes),
        percent=_rules(b["percent"], "budget percent", codes),
    )

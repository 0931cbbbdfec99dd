"""The Vietnamese a stage prints, read from its phrase file: words are data, not code.

Each stage that writes Vietnamese keeps its sentences in one YAML file beside its code
(``report/words.yaml``, ``metrics/findings.yaml``, ``ingest/checks.yaml``).  A file is a tree of
named phrases; a phrase is a string with named parameters in braces::

    area3:
      received: "tiếp nhận mới {count} hồ sơ"

and code says ``words("area3.received", count="491")``.  Files are checked when loaded (every
phrase a string, every parameter a plain name) and every call is checked against its phrase:
an unknown key, a missing parameter or one the phrase does not use raises :class:`WordsError`.
``tests/test_words.py`` checks every key the code names, and the golden report text
(``tests/golden/``) shows what a change of wording does to a whole report.

>>> from pipeline.config import PACKAGE_DIR
>>> say = load_words(PACKAGE_DIR / "report" / "words.yaml")
>>> say("area3.received", count="491")
'tiếp nhận mới 491 hồ sơ'
"""

from __future__ import annotations

import string
from functools import cache
from pathlib import Path

import yaml

from ..errors import WordsError

_FORMATTER = string.Formatter()


def parameters(text: str) -> frozenset[str]:
    """The named parameters of a phrase: ``"{a} và {b}"`` → ``{"a", "b"}``."""
    return frozenset(name for _, name, _, _ in _FORMATTER.parse(text) if name is not None)


class Words:
    """The phrases of one file, by dotted key (``"area3.received"``)."""

    def __init__(self, path: Path, phrases: dict[str, str]):
        self.path = Path(path)
        self.phrases = phrases

    def __contains__(self, key: str) -> bool:
        return key in self.phrases

    def __call__(self, key: str, /, **params: object) -> str:
        """The phrase ``key`` with its parameters filled in (each exactly once, none left over)."""
        text = self.text(key)
        needed = parameters(text)
        missing, extra = needed - params.keys(), params.keys() - needed
        if missing or extra:
            raise WordsError(f"{self.path.name}: phrase {key!r} takes {_names(needed) or 'no parameters'}; "
                             + "; ".join(part for part in (f"missing {_names(missing)}" if missing else "",
                                                           f"not in the phrase {_names(extra)}" if extra else "")
                                         if part))
        return text.format(**params) if needed else text

    def text(self, key: str) -> str:
        """The phrase ``key`` as written in the file (parameters unfilled)."""
        try:
            return self.phrases[key]
        except KeyError:
            raise WordsError(f"{self.path.name}: no phrase {key!r}") from None

    def section(self, prefix: str) -> dict[str, str]:
        """The phrases under ``prefix``, in file order, by their last key part: ``section("areas")``."""
        found = {k[len(prefix) + 1:]: v for k, v in self.phrases.items() if k.startswith(prefix + ".")}
        if not found:
            raise WordsError(f"{self.path.name}: no phrases under {prefix!r}")
        return found


    def groups(self, prefix: str) -> dict[str, dict[str, str]]:
        """The groups of phrases under ``prefix``, in file order: ``{"staff_present": {"en": ..., "vi": ...}}``."""
        out: dict[str, dict[str, str]] = {}
        for rest, text in self.section(prefix).items():
            name, _, field = rest.partition(".")
            if not field:
                raise WordsError(f"{self.path.name}: {prefix}.{rest} is a phrase, "
                                 "where a group of phrases was expected")
            out.setdefault(name, {})[field] = text
        return out


def _names(names) -> str:
    return ", ".join(f"{{{n}}}" for n in sorted(names))


def _flatten(tree: object, prefix: str, path: Path, out: dict[str, str]) -> None:
    if not isinstance(tree, dict):
        raise WordsError(f"{path.name}: {prefix or 'the file'} must be a mapping of phrase names")
    for name, value in tree.items():
        if not isinstance(name, str) or not name:
            raise WordsError(f"{path.name}: {prefix or 'top level'}: bad phrase name {name!r} (quote numbers)")
        key = f"{prefix}.{name}" if prefix else name
        if isinstance(value, dict):
            if "." in name:
                raise WordsError(f"{path.name}: {key}: a group of phrases takes a name without dots")
            _flatten(value, key, path, out)
            continue
        if key in out:  # "a.b: x" beside "a: {b: y}"
            raise WordsError(f"{path.name}: phrase {key!r} is written twice")
        if not isinstance(value, str):
            raise WordsError(f"{path.name}: {key}: a phrase is a string, not {type(value).__name__} ({value!r})")
        try:
            fields = list(_FORMATTER.parse(value))
        except ValueError as exc:
            raise WordsError(f"{path.name}: {key}: unbalanced braces in {value!r} ({exc})") from None
        for _, field, spec, conversion in fields:
            if field is None:
                continue
            if not field.isidentifier() or spec or conversion:
                raise WordsError(f"{path.name}: {key}: parameter {{{field}{'!' + conversion if conversion else ''}"
                                 f"{':' + spec if spec else ''}}} is not a plain name (format the value in code)")
        out[key] = value


@cache
def load_words(path: Path) -> Words:
    """Read and check a phrase file (once per process)."""
    path = Path(path)
    try:
        tree = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise WordsError(f"{path.name}: cannot be read ({exc})") from None
    phrases: dict[str, str] = {}
    _flatten(tree, "", path, phrases)
    return Words(path, phrases)

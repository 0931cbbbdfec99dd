"""The Vietnamese the report, the findings and the cross-checks print is data: phrase files checked on load,
every key the code names exists, every call fills exactly its phrase's parameters, every phrase is used."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from pipeline.config import PACKAGE_DIR
from pipeline.domain.words import Words, load_words, parameters
from pipeline.errors import CatalogueError, WordsError

#: Each phrase file, and the modules whose calls ``words(...)`` / ``say(...)`` name its phrases.
FILES = {
    PACKAGE_DIR / "report" / "words.yaml": ["report/*.py", "render/*.py"],
    PACKAGE_DIR / "metrics" / "findings.yaml": ["metrics/*.py"],
    PACKAGE_DIR / "ingest" / "checks.yaml": ["ingest/*.py"],
    PACKAGE_DIR / "forms" / "words.yaml": ["forms/consolidated.py"],
}
#: Phrase files the commune report does not print (the consolidated appendix's: the batch hashes them per area).
NOT_IN_REPORT = {PACKAGE_DIR / "forms" / "words.yaml"}
CALLS = {"words", "say"}  # fill in a phrase
LOOKUPS = {"section", "groups", "takes", "text"}  # read phrases under a key (or a phrase's parameters)
#: Modules that print Vietnamese: no Vietnamese string in their code, only in docstrings and phrase files.
PRINTING = ["report/content.py", "report/charts.py", "report/checklist.py", "metrics/findings.py", "ingest/validate.py",
            "forms/consolidated.py", "metrics/area.py"]
#: Vietnamese strings these modules may hold, and why.
ALLOWED = {
    "cao", "trung bình", "thấp",  # findings' severity codes (a column's values, not printed sentences)
    "an amount in đồng ≥ 0",  # an English ingest message naming the unit
}
_VIETNAMESE = re.compile(r"[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]", re.IGNORECASE)


def _modules(globs: list[str]) -> list[Path]:
    return sorted(p for g in globs for p in PACKAGE_DIR.glob(g))


def _pattern(node: ast.expr) -> re.Pattern | None:
    """A key written in code: a string, or an f-string whose holes match any key part."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return re.compile(re.escape(node.value))
    if isinstance(node, ast.JoinedStr):
        return re.compile("".join(re.escape(v.value) if isinstance(v, ast.Constant) else r"[^.]+" for v in node.values))
    return None


def _calls(path: Path):
    """``(line, name, key as written, key pattern or None, keyword names or None when ** is passed)`` of each call."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else (
            node.func.attr if isinstance(node.func, ast.Attribute) else "")
        if name in CALLS | LOOKUPS:
            kwargs = None if any(k.arg is None for k in node.keywords) else {k.arg for k in node.keywords}
            yield node.lineno, name, ast.unparse(node.args[0]), _pattern(node.args[0]), kwargs


@pytest.mark.parametrize("phrases", list(FILES), ids=lambda p: p.name)
def test_every_phrase_named_in_code_exists_with_its_parameters(phrases):
    words = load_words(phrases)
    problems, checked = [], 0
    for module in _modules(FILES[phrases]):
        for line, name, written, pattern, kwargs in _calls(module):
            if pattern is None:
                continue  # a key held in a variable: the function that builds it is checked here instead
            where = f"{module.relative_to(PACKAGE_DIR)}:{line}"
            if name in CALLS:
                keys = [k for k in words.phrases if pattern.fullmatch(k)]
                if not keys:
                    problems.append(f"{where}: no phrase {written}")
                for key in keys if kwargs is not None else []:
                    if parameters(words.text(key)) != kwargs:
                        problems.append(f"{where}: {key} takes {sorted(parameters(words.text(key)))}, "
                                        f"given {sorted(kwargs)}")
            elif not any(pattern.fullmatch(k) or re.match(pattern.pattern + r"\.", k) for k in words.phrases):
                problems.append(f"{where}: no phrase under {written}")
            checked += 1
    assert checked, "the modules name phrases of this file"
    assert problems == []


@pytest.mark.parametrize("phrases", list(FILES), ids=lambda p: p.name)
def test_every_phrase_is_used(phrases):
    """A phrase no code names is a sentence nobody reads (or a key misspelt in one of the two places)."""
    patterns = []
    for module in _modules(FILES[phrases]):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if (p := _pattern(node)) is not None:
                patterns.append(p)
    unused = [key for key in load_words(phrases).phrases
              if not any(p.fullmatch(key) or re.match(p.pattern + r"\.", key) for p in patterns)]
    assert unused == []


@pytest.mark.parametrize("module", PRINTING)
def test_no_vietnamese_sentence_left_in_code(module):
    tree = ast.parse((PACKAGE_DIR / module).read_text(encoding="utf-8"))
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef)) and n.body
                  and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    left = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and id(n) not in docstrings and _VIETNAMESE.search(n.value) and n.value not in ALLOWED]
    assert left == []


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / f"w{abs(hash(text))}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_phrase_is_filled_in_by_name(tmp_path):
    say = load_words(_file(tmp_path, 'a:\n  b: "tiếp nhận {count} hồ sơ"\n  c: "không có"\n  "1.2": "mã"\n'))
    assert isinstance(say, Words) and say("a.b", count="491") == "tiếp nhận 491 hồ sơ"
    assert say("a.c") == "không có" and say.section("a") == {"b": "tiếp nhận {count} hồ sơ", "c": "không có",
                                                             "1.2": "mã"}


@pytest.mark.parametrize("call, message", [
    (lambda say: say("a.x"), "no phrase 'a.x'"),
    (lambda say: say("a.b"), "missing {count}"),
    (lambda say: say("a.b", count=1, unit="x"), "not in the phrase {unit}"),
    (lambda say: say("a.c", count=1), "takes no parameters"),
    (lambda say: say.section("z"), "no phrases under 'z'"),
])
def test_a_wrong_call_says_which_phrase_and_parameter(tmp_path, call, message):
    say = load_words(_file(tmp_path, 'a:\n  b: "tiếp nhận {count} hồ sơ"\n  c: "không có"\n'))
    with pytest.raises(WordsError, match=re.escape(message)):
        call(say)


@pytest.mark.parametrize("text, message", [
    ('a: 3\n', "a: a phrase is a string, not int"),
    ('a: ["x"]\n', "a phrase is a string, not list"),
    ('a: "{0} hồ sơ"\n', "parameter {0} is not a plain name"),
    ('a: "{}"\n', "parameter {} is not a plain name"),
    ('a: "{rate:.2f}"\n', "parameter {rate:.2f} is not a plain name"),
    ('a: "{rate"\n', "unbalanced braces"),
    ('- a\n', "the file must be a mapping"),
    ('1: "x"\n', "bad phrase name 1 (quote numbers)"),
    ('a:\n  b: "x"\na.b: "y"\n', "phrase 'a.b' is written twice"),
    ('a: "x\n', "cannot be read"),
])
def test_a_bad_phrase_file_is_refused_on_load(tmp_path, text, message):
    with pytest.raises(WordsError, match=re.escape(message)) as info:
        load_words(_file(tmp_path, text))
    assert isinstance(info.value, CatalogueError)


def test_the_phrase_files_are_valid_and_the_cross_checks_complete():
    from pipeline.ingest.validate import cross_check_pairs

    for path in FILES:
        assert load_words(path).phrases
    pairs = cross_check_pairs()
    assert len(pairs) == 10 and pairs[0][:2] == ("4.2.2", "4.2.1")
    assert all(parameters(en) == parameters(vi) == {"a", "b"} for _, _, en, vi in pairs)


def test_a_chart_caption_is_written_once():
    """The caption under a chart is the title drawn in it, which starts with the chart's short name from its words;
    content.py names charts, not their captions."""
    from pipeline.report import charts

    assert charts.caption("rate_against_target") == "Dịch vụ công trực tuyến"  # a target line only where one applies
    assert charts._title("rate_against_target", quarters=7) == (
        charts.caption("rate_against_target") + ", 7 quý gần nhất")
    assert charts._title("dossier_trend", quarters=8, gap="").startswith(charts.caption("dossier_trend") + ", 8 quý")


def test_a_wording_change_changes_the_batch_code_fingerprint(monkeypatch):
    """Reports are rendered again when a phrase file changes (the batch skips a report whose inputs are unchanged)."""
    from pipeline.batch.run import code_fingerprint

    before = code_fingerprint()
    read_bytes = Path.read_bytes
    for phrases in set(FILES) - NOT_IN_REPORT:
        monkeypatch.setattr(Path, "read_bytes",
                            lambda self, _p=phrases: read_bytes(self) + (b"#" if self == _p else b""))
        assert code_fingerprint() != before, phrases.name
    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    assert code_fingerprint() == before

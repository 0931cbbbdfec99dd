"""The report's words: ``words.yaml`` beside this module, read once (see :mod:`pipeline.domain.words`).

>>> words("charts.rate_against_target.caption")
'Dịch vụ công trực tuyến'
"""

from __future__ import annotations

from pathlib import Path

from ..domain.words import load_words, parameters

WORDS_FILE = Path(__file__).with_name("words.yaml")


def words(key: str, /, **params: object) -> str:
    """The report's phrase ``key`` with its parameters filled in."""
    return load_words(WORDS_FILE)(key, **params)


def section(prefix: str) -> dict[str, str]:
    """The report's phrases under ``prefix`` in file order, by last key part (``section("areas")``)."""
    return load_words(WORDS_FILE).section(prefix)


def takes(key: str) -> frozenset[str]:
    """The parameters the report's phrase ``key`` takes."""
    return parameters(load_words(WORDS_FILE).text(key))


def has(key: str) -> bool:
    """Whether the report's phrase file holds ``key``."""
    return key in load_words(WORDS_FILE)

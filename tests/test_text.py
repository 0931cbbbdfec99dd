import unicodedata

import pytest

from pipeline.text import ascii_slug, clean, match_key, normalise_tones


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Uỷ ban nhân dân", "ỦY BAN NHÂN DÂN"),
        ("hoà giải", "hòa giải"),
        ("khoẻ", "khỏe"),
        ("Thị trấn  Tây Sơn", "thị trấn tây sơn"),
        ("Số VBQGPL đã ban hành", "Số VBQPPL đã ban hành"),
        ("Chất lượng Công thông tin điện tử", "Chất lượng Cổng thông tin điện tử"),
        (unicodedata.normalize("NFD", "Sơn Phú"), "Sơn Phú"),
        ("<b>Cải cách thể chế</b>", "Cải cách thể chế"),
    ],
)
def test_variants_share_a_key(a, b):
    assert match_key(a) == match_key(b)


def test_different_words_keep_different_keys():
    assert match_key("Số TTHC cấp tỉnh") != match_key("Số TTHC cấp xã")


def test_quy_is_not_moved():
    assert normalise_tones("quý III") == "quý III"


def test_clean_keeps_text_but_drops_markup_and_extra_space():
    assert clean(" <i>Số ĐVSNCL</i>   thuộc  sở ") == "Số ĐVSNCL thuộc sở"


@pytest.mark.parametrize(("name", "slug"), [("Xã Sơn Phú", "xa-son-phu"), ("../../etc/passwd", "etc-passwd"), ("", "unnamed")])
def test_ascii_slug_is_safe(name, slug):
    assert ascii_slug(name) == slug

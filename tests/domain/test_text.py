import unicodedata

import pytest

from pipeline.domain.text import ascii_slug, clean, match_key, normalise_tones


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


@pytest.mark.parametrize(("name", "slug"),
                         [("Xã Sơn Phú", "xa-son-phu"), ("../../etc/passwd", "etc-passwd"), ("", "unnamed")])
def test_ascii_slug_is_safe(name, slug):
    assert ascii_slug(name) == slug


@pytest.mark.parametrize(
    ("odd", "meant"),
    [
        ("Quý I n\u01cem 2025", "Quý I năm 2025"),  # ǎ (caron) for ă
        ("Quý I na\u030cm 2025", "Quý I năm 2025"),  # the same, decomposed
        ("\u00d0ưng K\u2019Nớ", "Đưng K'Nớ"),  # eth for Đ, curly apostrophe
        ("Th\u0430nh H\u043e\u0430", "Thanh Hoa"),  # Cyrillic а, о
        ("\u201cđúng hạn\u201d", '"đúng hạn"'),
        ("Số:\u00a031\u2009/BC\u2011UBND", "Số: 31 /BC-UBND"),
        ("4\u200b91\ufeff", "491"),
    ],
)
def test_normalise_letters(odd, meant):
    from pipeline.domain.text import normalise_letters

    assert normalise_letters(odd) == meant


def test_match_key_sees_through_look_alikes():
    assert match_key("Kết quả CCHC Quý I n\u01cem 2025") == match_key("kết quả cchc quý i năm 2025")
    assert match_key("Đưng K\u2019Nớ") == match_key("Đưng K'Nớ")

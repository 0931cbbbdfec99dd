import pytest

from pipeline.domain.communes import load_registry
from pipeline.errors import UnknownCommuneError


def test_25_units_of_huong_son_in_2021():
    units = load_registry().communes_in("2021-Q3", district_code="439")
    assert len(units) == 25
    assert {u.type for u in units} == {"xã", "thị trấn"}
    assert load_registry().resolve("18217", "2021-Q3").full_name == "Xã Sơn Phú"


def test_nine_successors_from_july_2025_with_predecessors():
    reg = load_registry()
    new = [u for u in reg.communes_in("2025-Q4") if u.province_code == "42"]
    assert len(new) == 9
    huong_son = reg.resolve("18133", "2025-Q4")
    assert huong_son.name == "Hương Sơn"
    assert set(huong_son.predecessors) == {"18133@2019-12-15", "18175@2019-12-15", "18187@2019-12-15",
                                           "18190@2019-12-15", "18217@2019-12-15"}
    for unit in new:  # every predecessor link points at a real unit
        for key in unit.predecessors:
            assert reg.by_key(key).code


def test_a_code_is_not_an_identity():
    reg = load_registry()
    assert reg.resolve("18160", "2021-Q3").name == "Sơn Lĩnh"
    assert reg.resolve("18160", "2025-Q4").name == "Sơn Hồng"
    assert reg.resolve("18223", "2021-Q3").name == "Sơn Trường"
    assert reg.resolve("18223", "2025-Q1").name == "Hàm Trường"
    assert reg.resolve("18223", "2025-Q3").name == "Kim Hoa"


def test_unknown_or_invalid_code_is_a_clear_error():
    reg = load_registry()
    with pytest.raises(UnknownCommuneError, match="unknown commune code '99999'"):
        reg.resolve("99999", "2021-Q3")
    with pytest.raises(UnknownCommuneError, match="not valid in 2025-Q4"):
        reg.resolve("18217", "2025-Q4")


def test_names_are_normalised_and_may_be_ambiguous():
    reg = load_registry()
    assert reg.find_by_name("Thị trấn  Tây Sơn", "2021-Q3").code == "18136"
    assert reg.find_by_name("xã An Hoà Thịnh", "2021-Q3").code == "18163"
    # "Sơn Hồng" is a 2021 unit (18139) and a 2025 unit (18160): the period decides.
    assert reg.find_by_name("Sơn Hồng", "2021-Q3").code == "18139"
    assert reg.find_by_name("Sơn Hồng", "2025-Q4").code == "18160"


@pytest.mark.parametrize(("code", "word", "committee"), [
    ("18133", "thị trấn", "UBND thị trấn"),  # Thị trấn Phố Châu
    ("18217", "xã", "UBND xã"),  # Xã Sơn Phú
])
def test_unit_words_follow_the_units_type(code, word, committee):
    unit = load_registry().resolve(code, "2021-Q3")
    assert (unit.unit_word, unit.committee) == (word, committee)

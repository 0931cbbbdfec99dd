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


def test_a_merged_unit_s_code_or_name_after_the_merger_names_the_successor():
    """Issue 14: 2025-Q3 (15/6–14/9/2025) belongs to the units valid on 14/9/2025; a predecessor's code or name
    in it is refused, naming the unit (and code) its report belongs to, through the mergers of 1/1/2025 too."""
    reg = load_registry()
    with pytest.raises(UnknownCommuneError) as err:
        reg.resolve("18175", "2025-Q3")
    assert str(err.value) == (
        "commune code 18175 is not valid in 2025-Q3 (ends 14/09/2025); it denotes Xã Sơn Ninh 15/12/2019–30/06/2025; "
        "Xã Sơn Ninh became part of Xã Hương Sơn (code 18133) from 01/07/2025: its report of 2025-Q3 is "
        "Xã Hương Sơn's, under code 18133")
    with pytest.raises(UnknownCommuneError, match=r"Xã Sơn Long became part of Xã Mỹ Long \(code 18202\) from "
                                                  r"01/01/2025: its report of 2025-Q1 is Xã Mỹ Long's"):
        reg.resolve("18205", "2025-Q1")  # Sơn Long, merged on 1/1/2025: 2025-Q1 (15/12/2024–14/3/2025) is Mỹ Long's
    with pytest.raises(UnknownCommuneError, match=r"Xã Sơn Long became part of Xã Tứ Mỹ \(code 18202\) from "
                                                  r"01/07/2025"):
        reg.resolve("18205", "2026-Q3")  # and then Tứ Mỹ's
    with pytest.raises(UnknownCommuneError, match=r"no commune named 'Xã Sơn Lĩnh' valid in 2025-Q3; Xã Sơn Lĩnh "
                                                  r"\(18160\) became part of Xã Sơn Hồng \(code 18160\)"):
        reg.find_by_name("Xã Sơn Lĩnh", "2025-Q3")
    # a code the successor kept is the successor's in the period, never the predecessor's
    assert reg.resolve("18160", "2025-Q3").key == "18160@2025-07-01"
    assert reg.resolve("18160", "2025-Q2").key == "18160@2019-12-15"
    assert [u.key for u in reg.successors_on(reg.by_key("18193@2019-12-15"), reg.resolve("18202", "2026-Q3").valid_from)
            ] == ["18202@2025-07-01"]
    with pytest.raises(UnknownCommuneError) as err:
        reg.resolve("18217", "2019-Q1")  # before the unit: no successor to name
    assert "became part of" not in str(err.value)

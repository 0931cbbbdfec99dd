import pandas as pd
import pytest

from pipeline.domain.communes import REGISTRY_COLUMNS, load_registry, merge_layers
from pipeline.errors import RegistryError, UnknownCommuneError

#: DOMAIN.md "Administrative units": the 9 successors of old Hương Sơn and the units merged into each.
SUCCESSORS = {
    "18133": ("Hương Sơn", {"18133@2019-12-15", "18175@2019-12-15", "18187@2019-12-15", "18190@2019-12-15",
                            "18217@2019-12-15"}),
    "18160": ("Sơn Hồng", {"18139@2019-12-15", "18160@2019-12-15"}),
    "18163": ("Sơn Tiến", {"18142@2019-12-15", "18148@2019-12-15", "18163@2019-12-15"}),
    "18172": ("Sơn Tây", {"18136@2019-12-15", "18172@2019-12-15"}),
    "18184": ("Sơn Giang", {"18145@2019-12-15", "18157@2019-12-15", "18184@2019-12-15"}),
    "18196": ("Sơn Kim 1", {"18196@2019-12-15"}),
    "18199": ("Sơn Kim 2", {"18199@2019-12-15"}),
    "18202": ("Tứ Mỹ", {"18178@2025-01-01", "18181@2019-12-15", "18202@2025-01-01"}),
    "18223": ("Kim Hoa", {"18211@2019-12-15", "18223@2025-01-01"}),
}


def test_25_units_of_huong_son_in_2021():
    units = load_registry().communes_in("2021-Q3", district_code="439")
    assert len(units) == 25
    assert {u.type for u in units} == {"xã", "thị trấn"}
    assert load_registry().resolve("18217", "2021-Q3").full_name == "Xã Sơn Phú"


def test_nine_successors_from_july_2025_with_predecessors():
    """The project's rows for the 9 successors take precedence over the national list's (same code and
    validity): they carry the predecessors."""
    reg = load_registry()
    linked = {u.code: u for u in reg.communes_in("2025-Q4", province_code="42") if u.predecessors}
    assert {code: (u.name, set(u.predecessors)) for code, u in linked.items()} == SUCCESSORS
    for unit in linked.values():  # every predecessor link points at a real unit, valid the day before 1/7/2025
        assert unit.key == f"{unit.code}@2025-07-01" and unit.district_code == ""
        for key in unit.predecessors:
            assert str(reg.by_key(key).valid_to) == "2025-06-30"


def test_the_national_list_of_the_two_level_government():
    """vietnam-provinces (the statistics office's codes): 34 provinces, 3,321 units from 1/7/2025, Hà Tĩnh 69."""
    reg = load_registry()
    units = reg.communes_in("2026-Q3")
    assert len(units) == 3321 and len({u.province_code for u in units}) == 34
    assert len(reg.communes_in("2026-Q3", province_code="42")) == 69
    assert len(reg.communes_in("2025-Q3", province_code="42")) == 69  # the transition quarter ends 14/9/2025
    assert {u.type for u in units} == {"xã", "phường", "đặc khu"}
    assert sum(u.type == "đặc khu" for u in units) == 13
    con_dao = reg.resolve("26732", "2026-Q3")
    assert (con_dao.full_name, con_dao.province_name, con_dao.district_code) == ("Đặc khu Côn Đảo",
                                                                                 "Thành phố Hồ Chí Minh", "")
    assert reg.resolve("18115", "2025-Q4").full_name == "Phường Bắc Hồng Lĩnh"
    assert str(reg.resolve("18115", "2025-Q4").valid_from) == "2025-07-01"
    with pytest.raises(UnknownCommuneError, match="not valid in 2025-Q2"):  # the national list starts 1/7/2025
        reg.resolve("18115", "2025-Q2")
    assert len(reg.communes_in("2021-Q3")) == 25  # before it: only the units the project keeps


def test_project_successors_agree_with_the_package():
    """Where the project keeps its own row of a 1/7/2025 unit, the package gives the same name and type."""
    from vietnam_provinces import Ward

    reg = load_registry()
    for code in SUCCESSORS:
        ward = Ward.from_code(int(code))
        unit = reg.resolve(code, "2026-Q3")
        assert ward.name == unit.full_name and ward.division_type.value == unit.type
        assert int(ward.province_code) == int(unit.province_code) == 42


def test_a_code_is_not_an_identity():
    reg = load_registry()
    assert reg.resolve("18160", "2021-Q3").name == "Sơn Lĩnh"
    assert reg.resolve("18160", "2025-Q2").name == "Sơn Lĩnh"  # ends 14/6/2025: before the two-level government
    assert reg.resolve("18160", "2025-Q4").name == "Sơn Hồng"
    assert reg.resolve("18160", "2025-Q2").key != reg.resolve("18160", "2025-Q3").key
    assert [u.name for u in reg.history("18223")] == ["Sơn Trường", "Hàm Trường", "Kim Hoa"]
    assert len({u.key for u in reg.history("18223")}) == 3
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


def test_ambiguous_names_list_codes_and_provinces():
    reg = load_registry()
    with pytest.raises(UnknownCommuneError) as err:
        reg.find_by_name("Tân Tiến", "2026-Q3")
    message = str(err.value)
    assert "ambiguous in 2026-Q3" in message and "16108 (Xã Tân Tiến, Thanh Hóa)" in message
    assert "07699 (Phường Tân Tiến, Bắc Ninh)" in message and message.count("Tân Tiến,") == 8
    assert reg.find_by_name("xã Tân Tiến", "2026-Q3", province_code="38").code == "16108"
    assert reg.find_by_name("Đặc khu Phú Quốc", "2026-Q3").code == "31078"
    # Xã Sơn Tây 18172 (Hà Tĩnh) and 21340 (Quảng Ngãi), Phường Sơn Tây 09574 (Hà Nội): the type word settles one
    assert reg.find_by_name("phường Sơn Tây", "2026-Q3").code == "09574"
    only_xa = r"\(codes 18172 \(Xã Sơn Tây, Hà Tĩnh\), 21340 \(Xã Sơn Tây, Quảng Ngãi\)\);"
    with pytest.raises(UnknownCommuneError, match=only_xa):
        reg.find_by_name("Xã Sơn Tây", "2026-Q3")


def _rows(*rows: dict, file: str) -> pd.DataFrame:
    base = dict.fromkeys(REGISTRY_COLUMNS, "") | {"type": "xã", "province_code": "42", "province_name": "Hà Tĩnh"}
    return pd.DataFrame([base | r | {"registry_row": n, "registry_file": file} for n, r in enumerate(rows, 2)])


def test_a_later_layer_replaces_the_same_identity_and_an_overlap_names_both_rows():
    lower = _rows({"code": "18160", "name": "Sơn Hồng", "valid_from": "2025-07-01"}, file="national.csv")
    same = _rows({"code": "18160", "name": "Sơn Hồng Mới", "valid_from": "2025-07-01"}, file="office.csv")
    merged = merge_layers(lower, same)
    assert list(merged["name"]) == ["Sơn Hồng Mới"] and list(merged["registry_file"]) == ["office.csv"]
    later = _rows({"code": "18160", "name": "Sơn Hồng Khác", "valid_from": "2026-01-01"}, file="office.csv")
    with pytest.raises(RegistryError) as err:
        merge_layers(lower, later)
    assert "national.csv row 2 (Sơn Hồng, from 2025-07-01)" in str(err.value)
    assert "office.csv row 2 (Sơn Hồng Khác, from 2026-01-01)" in str(err.value)
    ended = _rows({"code": "18160", "name": "Sơn Hồng", "valid_from": "2025-07-01", "valid_to": "2025-12-31"},
                  file="office.csv")
    assert len(merge_layers(lower, ended, later)) == 2  # the office ends the unit, then the new one begins
    dangling = _rows({"code": "18161", "name": "X", "valid_from": "2026-01-01", "predecessors": "18999@2019-12-15"},
                     file="office.csv")
    with pytest.raises(RegistryError, match="office.csv, row 2: predecessor 18999@2019-12-15"):
        merge_layers(lower, dangling)


@pytest.mark.parametrize(("code", "word", "committee"), [
    ("18133", "thị trấn", "UBND thị trấn"),  # Thị trấn Phố Châu
    ("18217", "xã", "UBND xã"),  # Xã Sơn Phú
])
def test_unit_words_follow_the_units_type(code, word, committee):
    unit = load_registry().resolve(code, "2021-Q3")
    assert (unit.unit_word, unit.committee) == (word, committee)

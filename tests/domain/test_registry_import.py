"""``cchc registry import``: an office's list of units and links, read by header name, checked, merged."""

from datetime import datetime

import pytest

from pipeline.config import DataPaths
from pipeline.domain.communes import load_registry
from pipeline.domain.registry_import import import_units
from pipeline.errors import RegistryError, UnknownCommuneError

GOOD_CSV = """DANH SÁCH ĐƠN VỊ HÀNH CHÍNH CẤP XÃ (tỉnh Hà Tĩnh),,,,,,
Sáp nhập từ,Hiệu lực đến,Tên,Mã xã,Loại,Hiệu lực từ,Mã tỉnh
"18139, 18160",31/12/2026,Sơn Hồng,18160,Xã,01/07/2025,42
18160,,Xã Sơn Mới,18166,,01/01/2027,42
"""


@pytest.fixture
def data(tmp_path):
    (tmp_path / "data").mkdir()
    return DataPaths(tmp_path / "data")


def test_a_csv_is_read_by_header_name_and_its_units_resolve(data, tmp_path):
    path = tmp_path / "ds.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")
    result = import_units(path, data=data)
    assert (result.read, result.added, result.replaced) == (2, ["18160@2025-07-01", "18166@2027-01-01"], [])
    reg = load_registry(data)
    son_hong = reg.resolve("18160", "2026-Q3")  # the office's row replaced the project's (same code and validity)
    assert (son_hong.full_name, str(son_hong.valid_to)) == ("Xã Sơn Hồng", "2026-12-31")
    # bare codes are the units holding them the day before the new unit begins
    assert son_hong.predecessors == ("18139@2019-12-15", "18160@2019-12-15")
    new = reg.resolve("18166", "2027-Q1")
    assert (new.full_name, new.type, new.province_name, new.predecessors) == (
        "Xã Sơn Mới", "xã", "Hà Tĩnh", ("18160@2025-07-01",))
    with pytest.raises(UnknownCommuneError, match="not valid in 2027-Q1"):
        reg.resolve("18160", "2027-Q1")
    assert reg.resolve("18160", "2021-Q3").name == "Sơn Lĩnh"  # the old identity stays
    # only this data directory's registry has them
    with pytest.raises(UnknownCommuneError, match="unknown commune code '18166'"):
        load_registry().resolve("18166", "2027-Q1")
    assert load_registry().resolve("18160", "2027-Q1").name == "Sơn Hồng"

    again = import_units(path, data=data)  # the same list again: same identities, replaced, nothing added
    assert again.added == [] and len(again.replaced) == 2 and again.stored == 2


def test_an_xlsx_is_read_by_header_name_in_any_column_order(data, tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Danh sách đặc khu"])
    sheet.append([])
    sheet.append(["Hiệu lực từ", "Tên đơn vị", "Ghi chú", "Mã"])
    sheet.append([datetime(2026, 1, 1), "Đặc khu Thử Nghiệm", "Nghị quyết số 1/2026", 18169])
    path = tmp_path / "ds.xlsx"
    book.save(path)
    result = import_units(path, data=data, province="42")
    assert result.added == ["18169@2026-01-01"]
    unit = load_registry(data).resolve("18169", "2026-Q1")
    assert (unit.full_name, unit.type, unit.province_code, unit.province_name, unit.valid_to) == (
        "Đặc khu Thử Nghiệm", "đặc khu", "42", "Hà Tĩnh", None)
    assert "Nghị quyết số 1/2026" in data.registry_file.read_text(encoding="utf-8")


HEADER = "Mã,Tên,Loại,Hiệu lực từ,Hiệu lực đến,Mã tỉnh\n"


@pytest.mark.parametrize("text, fragments", [
    ("Mã,Tên,Loại,Mã tỉnh\n18166,Sơn Mới,xã,42\n",
     ["bad.csv, row 1", "no column for the date the unit is valid from", "'Hiệu lực từ'"]),
    (HEADER + "18166,Sơn Mới,xã,01/01/2027,,42\n18167,Sơn Cũ,xã,31/02/2027,,42\n",
     ["bad.csv, row 3", "column 'Hiệu lực từ': not a date", "'31/02/2027'"]),
    (HEADER + "18166,Sơn Mới,huyện,01/01/2027,,42\n",
     ["bad.csv, row 2", "column 'Loại': unknown unit type", "'huyện'", "xã, phường, thị trấn, đặc khu"]),
    (HEADER + "18166,Sơn Mới,xã,01/01/2027,,42\n18166,Sơn Khác,xã,01/06/2027,,42\n",
     ["bad.csv, row 3", "code 18166 has overlapping validity", "bad.csv row 2 (Sơn Mới, from 2027-01-01)",
      "bad.csv row 3 (Sơn Khác, from 2027-06-01)"]),
    (HEADER + "18133,Sơn Mới,xã,01/01/2027,,42\n",  # 18133 is Xã Hương Sơn from 1/7/2025, still valid
     ["bad.csv, row 2", "code 18133 has overlapping validity", "communes.csv row 30 (Hương Sơn, from 2025-07-01)",
      "bad.csv row 2 (Sơn Mới, from 2027-01-01)"]),
    (HEADER + "18166,Sơn Mới,xã,01/01/2027,31/12/2026,42\n",
     ["bad.csv, row 2", "column 'Hiệu lực đến': before the unit's first day 2027-01-01"]),
    (HEADER + "18166,Sơn Mới,xã,01/01/2027,,\n",
     ["bad.csv, row 2", "column 'Mã tỉnh': no province code", "--province"]),
    ("Mã,Tên,Hiệu lực từ,Sáp nhập từ\n18166,Xã Sơn Mới,01/01/2027,18999\n",
     ["bad.csv, row 2", "predecessor 18999 of 18166 (Sơn Mới) is no unit on 2026-12-31"]),
])
def test_a_malformed_list_names_the_row_and_nothing_is_written(data, tmp_path, text, fragments):
    good = tmp_path / "ds.csv"
    good.write_text(GOOD_CSV, encoding="utf-8")
    import_units(good, data=data)
    before = data.registry_file.read_bytes()
    bad = tmp_path / "bad.csv"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(RegistryError) as err:
        import_units(bad, data=data, province="42" if "Sáp nhập từ" in text else None)
    for fragment in fragments:
        assert fragment in str(err.value)
    assert data.registry_file.read_bytes() == before
    assert sorted(p.name for p in data.registry.iterdir()) == ["units.csv"]  # no temporary file left


def test_an_office_list_edited_by_hand_is_checked_on_load(data):
    data.registry.mkdir()
    data.registry_file.write_text("code,name,type,province_code,valid_from,valid_to\n"
                                  "18166,Sơn Mới,xã,42,2027-13-01,\n", encoding="utf-8")
    with pytest.raises(RegistryError, match=r"units.csv, row 2: column 'valid_from' cannot be read; "
                                            r"value '2027-13-01'"):
        load_registry(data)

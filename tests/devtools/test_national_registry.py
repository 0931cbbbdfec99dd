"""The committed national list is what the generator makes from the installed vietnam-provinces package."""

from devtools.national_registry import main, national_table
from pipeline.domain.communes import NATIONAL_FILE


def test_the_committed_csv_is_the_packages_list():
    assert NATIONAL_FILE.read_text(encoding="utf-8").count("\n") == 3321 + 1
    assert main(["--check"]) == 0


def test_rows_from_the_package():
    from vietnam_provinces import Ward

    table = national_table().set_index("code")
    assert len(table) == 3321 and table.index.is_unique
    row = table.loc["18133"]  # Ward 18133 of the package is "Xã Hương Sơn" of Hà Tĩnh (42)
    assert Ward.from_code(18133).name == "Xã Hương Sơn"
    assert (row["name"], row["type"], row["province_code"], row["province_name"], row["valid_from"],
            row["valid_to"], row["district_code"]) == ("Hương Sơn", "xã", "42", "Hà Tĩnh", "2025-07-01", "", "")
    assert table.loc["00070", "name"] == "Hoàn Kiếm" and table.loc["00070", "province_code"] == "01"
    assert table.loc["31078", ["name", "type"]].tolist() == ["Phú Quốc", "đặc khu"]

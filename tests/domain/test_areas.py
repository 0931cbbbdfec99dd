"""The levels above the commune (pipeline/domain/areas.py, catalogue/provinces.yaml): Nơi nhận, comparison group."""

import pytest

from pipeline.domain.areas import comparison_group, settings
from pipeline.domain.communes import load_registry
from pipeline.errors import CatalogueError


def test_national_defaults_before_and_after_the_two_level_government():
    before, after = settings("2025-Q2", "42"), settings("2025-Q3", "42")  # 2025-Q3 ends 14/9/2025
    assert before.recipients == ("Phòng Nội vụ huyện", "Lưu: VT") and before.comparison == "district"
    assert after.recipients == ("UBND tỉnh", "Sở Nội vụ", "Lưu: VT") and after.comparison == "province"
    assert "huyện" not in " ".join([*after.recipients, after.assigned_by, after.area_word])


def test_a_province_overrides_what_it_gives_and_keeps_the_rest(tmp_path):
    path = tmp_path / "provinces.yaml"
    path.write_text("""
defaults:
  - {valid_from: 2019-12-15, valid_to: 2025-06-30, recipients: [Phòng Nội vụ huyện, "Lưu: VT"],
     comparison: district, assigned_by: "UBND tỉnh, Chủ tịch UBND huyện", area_word: huyện}
  - {valid_from: 2025-07-01, recipients: [UBND tỉnh, Sở Nội vụ, "Lưu: VT"], comparison: province,
     assigned_by: "UBND tỉnh, Chủ tịch UBND tỉnh", area_word: tỉnh}
provinces:
  "42":
    - {valid_from: 2025-07-01, recipients: [UBND tỉnh Hà Tĩnh, Sở Nội vụ tỉnh Hà Tĩnh, "Lưu: VT, VP"]}
""", encoding="utf-8")
    mine = settings("2026-Q3", "42", path=path)
    assert mine.recipients == ("UBND tỉnh Hà Tĩnh", "Sở Nội vụ tỉnh Hà Tĩnh", "Lưu: VT, VP")
    assert (mine.comparison, mine.area_word) == ("province", "tỉnh")  # taken from the national entry
    assert settings("2026-Q3", "40", path=path).recipients == ("UBND tỉnh", "Sở Nội vụ", "Lưu: VT")
    assert settings("2021-Q3", "42", path=path).recipients[0] == "Phòng Nội vụ huyện"  # before: national


@pytest.mark.parametrize(("text", "message"), [
    ("defaults:\n  - {valid_from: 2019-12-15, recipients: [a], comparison: county, assigned_by: b, area_word: c}\n",
     "comparison 'county'"),
    ("defaults:\n  - {valid_from: 2019-12-15, recipients: [], comparison: district, assigned_by: b, area_word: c}\n",
     "recipients []"),
    ("defaults:\n  - {valid_from: 2019-12-15, recipients: [a], comparison: district, assigned_by: b, area_word: c}\n"
     "  - {valid_from: 2025-07-01, recipients: [a], comparison: province, assigned_by: b, area_word: c}\n",
     "overlap"),
    ("defaults:\n  - {valid_from: 1/7/2025, recipients: [a], comparison: district, assigned_by: b, area_word: c}\n",
     "not a date"),
    ("defaults:\n  - {valid_from: 2019-12-15, recipients: [a], comparison: district, assigned_by: b, area: c}\n",
     "unknown keys ['area']"),
])
def test_a_wrong_file_is_refused_with_what_is_wrong(tmp_path, text, message):
    path = tmp_path / "provinces.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogueError, match="provinces.yaml") as caught:
        settings("2021-Q3", "42", path=path)
    assert message in str(caught.value)


def test_comparison_group_is_the_district_then_the_province():
    registry = load_registry()
    assert comparison_group(registry.resolve("18217", "2021-Q3"), "2021-Q3") == "district:439"
    assert comparison_group(registry.resolve("18133", "2025-Q3"), "2025-Q3") == "province:42"


def test_the_deadline_is_days_after_the_period_end_set_nationally_and_per_province(tmp_path):
    from pipeline.domain.areas import deadline

    # national: 6 days after the 14th, the 20th of the period's last month, in both eras
    assert deadline("2021-Q3", "42").isoformat() == "2021-09-20"
    assert deadline("2026-Q1", "01").isoformat() == "2026-03-20"
    path = tmp_path / "provinces.yaml"
    path.write_text("""
defaults:
  - {valid_from: 2019-12-15, recipients: [a], comparison: district, assigned_by: b, area_word: c}
provinces:
  "42":
    - {valid_from: 2019-12-15, deadline_days: 10}
""", encoding="utf-8")
    assert deadline("2021-Q3", "42", path=path).isoformat() == "2021-09-24"  # the province's own
    assert deadline("2021-Q4", "40", path=path).isoformat() == "2021-12-20"  # not given nationally: 6


def test_a_deadline_that_is_not_a_number_of_days_is_refused(tmp_path):
    path = tmp_path / "provinces.yaml"
    path.write_text("defaults:\n  - {valid_from: 2019-12-15, recipients: [a], comparison: district, "
                    "assigned_by: b, area_word: c, deadline_days: '6 ngày'}\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match="deadline_days '6 ngày'; expected a whole number of days"):
        settings("2021-Q3", "42", path=path)

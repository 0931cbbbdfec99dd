"""outputs/index.html (pipeline/batch/index.py): every report and every commune that has not reported."""

from pipeline.batch.index import write_index


def test_a_commune_without_data_is_listed_as_not_reported(tmp_path):
    (tmp_path / "2025-Q3" / "18133-huong-son").mkdir(parents=True)
    (tmp_path / "2025-Q3" / "18133-huong-son" / "report.html").write_text("<html></html>", encoding="utf-8")
    manifest = {
        "2025-Q3/18133": {"commune": "18133", "period": "2025-Q3", "name": "Xã Hương Sơn", "status": "ok",
                          "files": {"html": "2025-Q3/18133-huong-son/report.html"}, "figures": {}},
        "2025-Q3/18163": {"commune": "18163", "period": "2025-Q3", "name": "Xã Sơn Tiến", "status": "no_data",
                          "files": {}, "figures": {}, "error": None},
    }
    html = write_index(tmp_path, manifest).read_text(encoding="utf-8")
    assert "1 báo cáo · 1 xã chưa gửi báo cáo" in html
    row = html[html.index("<td>18163</td>"):].split("</tr>")[0]
    assert "Chưa gửi báo cáo" in row and "nhật ký" not in row and "HTML" not in row
    ok = html[html.index("<td>18133</td>"):].split("</tr>")[0]
    assert "Hoàn thành" in ok and 'href="2025-Q3/18133-huong-son/report.html"' in ok


def test_the_submission_summary_of_each_period_and_area_is_at_the_top(tmp_path):
    """The batch computes the summary from the store (status_blocks) for the areas of the manifest's units; the
    index shows it above the list: counts, the late units with their days and the source of the date, the missing."""
    from pipeline.domain.communes import load_registry
    from pipeline.metrics.submissions import status_blocks
    from tests.helpers import reporting_area

    data = reporting_area(tmp_path / "data")
    registry = load_registry(data)
    # one unit of each area named: the block covers every unit of its area valid in the period
    blocks = status_blocks(data, {"2021-Q3": [registry.resolve("18217", "2021-Q3")],
                                  "2026-Q3": [registry.resolve("18133", "2026-Q3")]})
    assert [(b["period"], b["level"], b["code"]) for b in blocks] == [("2026-Q3", "province", "42"),
                                                                       ("2021-Q3", "district", "439")]
    district = blocks[1]
    assert {k: district[k] for k in ("units", "sent", "on_time", "late", "missing", "resubmitted")} == {
        "units": 25, "sent": 3, "on_time": 1, "late": 2, "missing": 22, "resubmitted": 1}
    assert [u["name"] for u in district["late_units"]] == ["Thị trấn Phố Châu", "Thị trấn Tây Sơn"]
    assert "Xã Sơn Phú" not in district["missing_units"] and "Xã Sơn Lễ" in district["missing_units"]

    html = write_index(tmp_path / "out", {}, status=blocks).read_text(encoding="utf-8")
    top = html[:html.index('<input type="search"')]
    assert "Tình hình gửi báo cáo quý III năm 2021 – Hương Sơn (439)" in top
    assert "Hạn gửi: 20/09/2021 · Đã gửi: 3/25 · Đúng hạn: 1 · Nộp muộn: 2 · Chưa gửi: 22 · Đã nộp lại: 1" in top
    late = top[top.index("Nộp muộn: Thị trấn Phố Châu"):].split("</p>")[0]
    assert "ngày, theo thời điểm nhập)" in late and "Thị trấn Tây Sơn" in late
    assert "Chưa gửi báo cáo: Thị trấn Phố Châu" not in top and "Xã Sơn Lễ" in top
    assert top.index("quý III năm 2026") < top.index("quý III năm 2021")  # newest period first
    assert "Đã gửi: 1/69" in top  # Hà Tĩnh's 69 units in 2026-Q3, Ba Đình (Hà Nội) not among them


def test_a_word_report_is_linked_when_the_manifest_lists_it(tmp_path):
    folder = tmp_path / "2021-Q3" / "18217-son-phu"
    folder.mkdir(parents=True)
    for name in ("report.html", "report.docx"):
        (folder / name).write_bytes(b"x")
    entry = {"commune": "18217", "period": "2021-Q3", "name": "Xã Sơn Phú", "status": "ok", "figures": {},
             "files": {"html": "2021-Q3/18217-son-phu/report.html", "docx": "2021-Q3/18217-son-phu/report.docx"}}
    row = write_index(tmp_path, {"2021-Q3/18217": entry}).read_text(encoding="utf-8")
    row = row[row.index("<td>18217</td>"):].split("</tr>")[0]
    assert 'href="2021-Q3/18217-son-phu/report.docx">Word</a>' in row and "PDF" not in row
    (folder / "report.docx").unlink()  # a file gone from disk is not linked
    row = write_index(tmp_path, {"2021-Q3/18217": entry}).read_text(encoding="utf-8")
    assert "report.docx" not in row


def test_an_areas_summary_and_its_excel_come_first_then_the_communes(tmp_path):
    """The area's row links its summary report (HTML, PDF) and its tong-hop.xlsx, above the communes' reports; a
    summary whose render failed says so; a file the manifest lists but that is gone is not linked."""
    folder = tmp_path / "2021-Q3" / "439-huong-son"
    folder.mkdir(parents=True)
    for name in ("summary.html", "tong-hop.xlsx"):
        (folder / name).write_text("x", encoding="utf-8")
    manifest = {
        "2021-Q3/18217": {"commune": "18217", "period": "2021-Q3", "name": "Xã Sơn Phú", "status": "ok",
                          "files": {}},
        "2021-Q3/area-439": {"kind": "area", "area": "439", "level": "district", "period": "2021-Q3",
                             "name": "Hương Sơn", "status": "ok",
                             "files": {"xlsx": "2021-Q3/439-huong-son/tong-hop.xlsx"},
                             "units": 25, "reported": 1},
        "2021-Q3/area-439/summary": {"kind": "summary", "area": "439", "level": "district", "period": "2021-Q3",
                                     "name": "Hương Sơn", "status": "ok", "error": None,
                                     "files": {"html": "2021-Q3/439-huong-son/summary.html",
                                               "pdf": "2021-Q3/439-huong-son/summary.pdf"}},
    }
    from pipeline.batch.index import area_rows, index_rows

    assert [r["commune"] for r in index_rows(tmp_path, manifest)] == ["18217"]  # the summary is not a commune row
    (row,) = area_rows(tmp_path, manifest)
    assert row["summary_html"] == "2021-Q3/439-huong-son/summary.html" and row["summary_pdf"] is None
    html = write_index(tmp_path, manifest).read_text(encoding="utf-8")
    assert (html.index('href="2021-Q3/439-huong-son/summary.html"') < html.index('href="2021-Q3/439-huong-son/tong-hop')
            < html.index('<table id="reports">'))

    manifest["2021-Q3/area-439/summary"] |= {"status": "failed", "error": "the report notebook failed\nTraceback"}
    (folder / "summary.html").unlink()
    (row,) = area_rows(tmp_path, manifest)
    assert row["summary_html"] is None and row["summary_error"] == "the report notebook failed"

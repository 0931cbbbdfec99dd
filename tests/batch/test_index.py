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

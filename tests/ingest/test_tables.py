"""The table layer: each form a conversion produces, split into rows of cells."""

import pytest

from pipeline.ingest.tables import form_of, read_block


def cells(lines, i=0):
    block = read_block(lines, i)
    return [r.cells for r in block.rows], [r.row for r in block.rows], block.end


HEAD, ROW1, ROW3 = "| STT | Chỉ tiêu | Số liệu |", "| 1.1.1. | Số nhiệm vụ | 6 |", "| 1.1.3. | Văn bản | |"


@pytest.mark.parametrize("lines", [
    [HEAD, "|---|:---|---:|", ROW1, ROW3],
    [HEAD, ROW1, ROW3],  # no separator line
    ["STT | Chỉ tiêu | Số liệu", "--- | --- | ---", "1.1.1. | Số nhiệm vụ | 6",
     "1.1.3. | Văn bản | "],  # no outer pipes
])
def test_pipe_tables(lines):
    got, rows, _ = cells(lines)
    assert got[0] == ("STT", "Chỉ tiêu", "Số liệu")
    assert got[-2:] == [("1.1.1.", "Số nhiệm vụ", "6"), ("1.1.3.", "Văn bản", "")]  # the blank cell stays blank
    assert rows[-1] == len(lines)


def test_pipe_cells_lose_markdown_but_keep_escaped_pipes():
    got, _, _ = cells(["| 1\\. | **Công tác** *chỉ đạo* a\\|b | 100\\% |", "| | x | |"])
    assert got[0] == ("1.", "Công tác chỉ đạo a|b", "100%")


def test_grid_table_cells_over_several_lines_and_a_spanning_cell():
    lines = [
        "+------+-----------+------+------+",
        "| STT  | Chỉ tiêu  | Kết quả     |",
        "+------+-----------+------+------+",
        "|      |           | ĐVT  | Số   |",
        "|      |           |      | liệu |",
        "+======+===========+======+======+",
        "| 7.1. | Tỷ lệ hồ  | %    | 21,1 |",
        "|      | sơ        |      |      |",
        "+------+-----------+------+------+",
        "",
        "after",
    ]
    got, rows, end = cells(lines)
    assert got == [("STT", "Chỉ tiêu", "Kết quả", ""), ("", "", "ĐVT", "Số liệu"),
                   ("7.1.", "Tỷ lệ hồ sơ", "%", "21,1")]
    assert rows == [2, 4, 7] and end == 9


def test_html_table_with_colspan_and_rowspan():
    lines = [
        "<table>",
        '<tr><th rowspan="2">STT</th><th rowspan="2">Chỉ tiêu</th><th colspan="2">Kết quả</th></tr>',
        "<tr><th>ĐVT</th><th>Số liệu</th></tr>",
        '<tr><td rowspan="2">Trong đó</td><td>Cấp huyện</td><td>Thủ tục</td><td></td></tr>',
        "<tr><td><p>Cấp</p><p>xã</p></td><td>Thủ tục</td><td>175</td></tr>",
        "</table>",
    ]
    got, rows, end = cells(lines)
    flat = [tuple(" ".join(c.split()) for c in row) for row in got]
    assert flat == [("STT", "Chỉ tiêu", "Kết quả", ""), ("", "", "ĐVT", "Số liệu"),
                    ("Trong đó", "Cấp huyện", "Thủ tục", ""), ("", "Cấp xã", "Thủ tục", "175")]
    assert rows == [2, 3, 4, 5] and end == 6


def test_columns_aligned_by_spaces_blank_cells_kept():
    lines = [
        "STT     Chỉ tiêu                 ĐVT       Số liệu",
        "1.1.1.  Số nhiệm vụ đề ra        Nhiệm vụ  6",
        "1.1.3.  Số văn bản đã ban hành   Văn bản",
        "7.2.3.2 Tổng số quy trình                  150",
    ]
    got, _, _ = cells(lines)
    assert got == [("STT", "Chỉ tiêu", "ĐVT", "Số liệu"),
                   ("1.1.1.", "Số nhiệm vụ đề ra", "Nhiệm vụ", "6"),
                   ("1.1.3.", "Số văn bản đã ban hành", "Văn bản", ""),  # the blank value stays blank
                   ("7.2.3.2", "Tổng số quy trình", "", "150")]


def test_pandoc_multiline_table_rows_over_several_lines():
    lines = [
        "  ----------------------------------------",
        "  STT      Chỉ tiêu         Số liệu",
        "  -------- ---------------- --------",
        "  1.1.1.   Số nhiệm vụ đề   6",
        "           ra trong kế",
        "           hoạch",
        "",
        "  1.1.3.   Số văn bản",
        "  ----------------------------------------",
    ]
    got, rows, _ = cells(lines)
    assert got == [("STT", "Chỉ tiêu", "Số liệu"),
                   ("1.1.1.", "Số nhiệm vụ đề ra trong kế hoạch", "6"),
                   ("1.1.3.", "Số văn bản", "")]
    assert rows == [2, 4, 8]


@pytest.mark.parametrize(("line", "form"), [
    ("1.1.1.\tSố nhiệm vụ\t6", "tab"), ("| a | b |", "pipe"), ("+---+---+", "grid"), ("<table>", "html"),
    ("1.1.1.   Số nhiệm vụ   6", "spaces"), ("1.1.1. Số nhiệm vụ đề ra trong kế hoạch 6", None), ("", None),
])
def test_form_of_a_line(line, form):
    assert form_of(line) == form


def test_a_pdf_copy_cells_wrapped_and_a_row_cut_by_a_page_break():
    """pdftotext -layout: a label wrapped in its cell, a sub-row of its own, a row continued on the next page."""
    lines = [
        "STT      Chỉ tiêu         ĐVT        Số liệu",
        "         thống kê",
        "1.1.1.   Số nhiệm vụ      Nhiệm vụ   6",
        "         đề ra trong",  # lower case: the label goes on
        "         Số TTHC cấp      Thủ tục    175",  # a capital: a row of its own (under "Trong đó")
        "         xã:",
        "1.3.2.   Số nhiệm vụ      Nhiệm vụ   01",
        "         đã hoàn",
        "\fSTT    Chỉ tiêu        ĐVT       Số liệu",  # the next page: the header repeated, other widths
        "       thống kê",
        "       thành đúng hạn",  # not in the header of the first page: the rest of 1.3.2
        "4.2.2. Tổng số         Người     19",
    ]
    got, rows, _ = cells(lines)
    assert got == [
        ("STT", "Chỉ tiêu thống kê", "ĐVT", "Số liệu"),
        ("1.1.1.", "Số nhiệm vụ đề ra trong", "Nhiệm vụ", "6"),
        ("", "Số TTHC cấp xã:", "Thủ tục", "175"),
        ("1.3.2.", "Số nhiệm vụ đã hoàn thành đúng hạn", "Nhiệm vụ", "01"),
        ("STT", "Chỉ tiêu thống kê", "ĐVT", "Số liệu"),
        ("4.2.2.", "Tổng số", "Người", "19"),
    ]
    assert rows == [1, 3, 5, 7, 9, 12]

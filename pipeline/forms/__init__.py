"""The fill-in forms sent to communes (``workbook``: the Phụ lục 2B Excel workbook of ``cchc template``)."""

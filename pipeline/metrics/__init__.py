"""Metrics: aggregated periods, ratios, trends, targets (``compute``), findings and scores (``findings``),
and the summary tables notebooks show (``summaries``)."""

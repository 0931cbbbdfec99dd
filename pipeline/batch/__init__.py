"""The batch: scheduling and manifest (``run``), the watched worker pool (``workers``), the outputs index
(``index``)."""

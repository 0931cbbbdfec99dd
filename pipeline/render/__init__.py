"""Rendering: papermill execution (``export``, the ``cchc_warm`` engine in ``engine`` over the warm
kernel of ``kernel``), nbconvert HTML and WeasyPrint PDF."""

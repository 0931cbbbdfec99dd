"""cchc-reports: commune administrative-reform (CCHC) statistics to narrative reports."""

__version__ = "0.1.0"

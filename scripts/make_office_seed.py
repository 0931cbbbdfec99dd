"""Write the seed report's content as realistic Office files (and, with --fixtures, the
malformed Office files the tests use).  The writers live in :mod:`pipeline.office_writer`.

Usage: ``python scripts/make_office_seed.py [-o DIR] [--pages] [--fixtures DIR]``
"""

from pipeline.office_writer import main

if __name__ == "__main__":
    raise SystemExit(main())

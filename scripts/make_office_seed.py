"""Write the seed report's content as realistic Office files (and, with --fixtures, the
malformed Office files the tests use).  The writers live in :mod:`devtools.office_writer`.

Usage: ``python scripts/make_office_seed.py [-o DIR] [--pages] [--fixtures DIR]``
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project root: devtools is not installed

from devtools.office_writer import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main())

"""The national list of commune-level units of the two-level local government (from 1/7/2025), written as the
registry CSV ``pipeline/domain/catalogue/communes_national.csv`` from the ``vietnam-provinces`` package (the
statistics office's codes: 34 provinces, 3,321 communes, wards and special zones).

    python -m devtools.national_registry          # rewrite the committed CSV from the installed package
    python -m devtools.national_registry --check  # exit 1 when the committed CSV differs from the package

The CSV, not the package, is what the pipeline reads (see README "Registry"): after upgrading the package,
run this, read the diff and commit it.  ``tests/devtools/test_national_registry.py`` fails while the two differ.
"""

from __future__ import annotations

import argparse
import io
import sys

import pandas as pd

from pipeline.domain.communes import NATIONAL_FILE, NATIONAL_VALID_FROM, REGISTRY_COLUMNS, TYPES
from pipeline.domain.text import clean


def national_table() -> pd.DataFrame:
    """The package's wards, communes and special zones as registry rows, by province code then code."""
    import vietnam_provinces
    from vietnam_provinces import Province, Ward

    provinces = {p.code: clean(p.name) for p in Province.iter_all()}
    source = (f"vietnam-provinces {vietnam_provinces.__version__} (data of {vietnam_provinces.__data_version__}); "
              f"two-level local government from 01/07/2025 (no district)")
    rows = []
    for ward in Ward.iter_all():
        kind = ward.division_type.value
        name = clean(ward.name)
        if kind not in TYPES or not name.lower().startswith(f"{kind} "):
            raise ValueError(f"vietnam-provinces: ward {int(ward.code)} {name!r} of type {kind!r}: "
                             f"expected a name starting with its type, one of {TYPES}")
        rows.append({
            "code": f"{int(ward.code):05d}", "name": name[len(kind) + 1:], "type": kind,
            "district_code": "", "district_name": "",
            "province_code": f"{int(ward.province_code):02d}", "province_name": provinces[ward.province_code],
            "valid_from": NATIONAL_VALID_FROM, "valid_to": "", "predecessors": "", "source": source,
        })
    table = pd.DataFrame(rows, columns=REGISTRY_COLUMNS)
    return table.sort_values(["province_code", "code"], kind="stable").reset_index(drop=True)


def national_csv() -> str:
    buffer = io.StringIO()
    national_table().to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.national_registry", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 when the CSV differs")
    args = parser.parse_args(argv)
    text = national_csv()
    if args.check:
        same = NATIONAL_FILE.is_file() and NATIONAL_FILE.read_text(encoding="utf-8") == text
        print(f"{NATIONAL_FILE.name}: " + ("up to date" if same else "differs from the installed package"))
        return 0 if same else 1
    NATIONAL_FILE.write_text(text, encoding="utf-8")
    print(f"{NATIONAL_FILE.name}: {text.count(chr(10)) - 1} units written", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

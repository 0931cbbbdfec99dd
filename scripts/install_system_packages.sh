#!/bin/sh
# System libraries the pipeline needs beyond Python packages (Debian):
#   libpango-1.0-0, libpangoft2-1.0-0  WeasyPrint's text layout (PDF rendering)
#   libharfbuzz-subset0                WeasyPrint's font subsetting (without it WeasyPrint falls back to
#                                      fontTools, ~0.15 s slower per report; see docs/performance.md)
#   poppler-utils                      pdftotext / pdffonts / pdftoppm (tests, checking PDFs)
# Installs what is missing when run as root with apt-get; otherwise says what to install.
set -eu
PKGS="libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
else
    echo "Please install these Debian packages (as root):$missing" >&2
    exit 1
fi

#!/usr/bin/env bash
# Installs the Debian packages vmmap needs to build and test, if any are missing.
# Called by `make demo` and `make test`; safe to run again (does nothing when all are present).
set -eu
# `scripts/deps.sh --preview`: LibreOffice Calc (headless) and poppler-utils as well, to render
# workbooks as a person sees them (make report-preview); make test does not need them.
PKGS="gcc g++ make libc6-dev libcjson-dev libxlsxwriter-dev libxlsxwriter4 libcmocka-dev zlib1g-dev liblzma-dev libbz2-dev clang valgrind procps python3 python3-openpyxl jq wine64 wine gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64 libz-mingw-w64-dev xz-utils bzip2 dpkg-dev cmake groff-base gdb"
# libxlsxwriter4 by name: vmmap loads it only to write a workbook (report/xlsx_lib.c), so nothing
# at build time would notice it missing; libxlsxwriter-dev gives the headers.
[ "${1:-}" = "--preview" ] && PKGS="$PKGS libreoffice-calc-nogui poppler-utils"
missing=()
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "vmmap: installing missing packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
        echo "vmmap: error: need root (or sudo) to install: ${missing[*]}" >&2
        echo "vmmap: hint: run as root: apt-get install ${missing[*]}" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || true
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

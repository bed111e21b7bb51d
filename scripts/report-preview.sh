#!/usr/bin/env bash
# `make report-preview`: a report of the bundled sample process (or of vmmap itself when the
# sample is not built), converted to PDF by LibreOffice headless and its first page (the Summary
# sheet) to PNG, for a person to look at: build/report-preview/summary.png.
# Installs LibreOffice Calc (no GUI) and poppler-utils with apt-get when they are missing.
set -eu
BUILD=${1:-build}
OUT=$BUILD/report-preview
mkdir -p "$OUT"

missing=()
command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-calc-nogui)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO=sudo
    echo "report-preview: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq || true
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

report=$OUT/report.xlsx
if [ -x "$BUILD/samples/sample" ]; then
    coproc SAMPLE { exec "$BUILD/samples/sample"; }
    sample_pid=$SAMPLE_PID
    cleanup() { exec {SAMPLE[1]}>&- 2>/dev/null || true; kill "$sample_pid" 2>/dev/null || true; wait "$sample_pid" 2>/dev/null || true; }
    trap cleanup EXIT
    read -r _truth <&"${SAMPLE[0]}"
    "$BUILD/vmmap" report "$sample_pid" -o "$report"
else
    "$BUILD/vmmap" report --self -o "$report"
fi

# LibreOffice wants a writable profile; keep it inside the output directory.
profile="file://$(cd "$OUT" && pwd)/lo-profile"
soffice -env:UserInstallation="$profile" --headless --convert-to pdf --outdir "$OUT" "$report" >/dev/null 2>&1
pdftoppm -png -r 80 -f 1 -l 1 -singlefile "$OUT/report.pdf" "$OUT/summary"
echo "report-preview: $report -> $OUT/report.pdf -> $OUT/summary.png (the Summary page)"

#!/usr/bin/env bash
# `make report-preview`: a report of the bundled sample process (or of vmmap itself when the
# sample is not built), converted to PDF by LibreOffice headless and its first page (the Summary
# sheet) to PNG, for a person to look at: build/report-preview/summary.png.
# LibreOffice Calc (no GUI) and poppler-utils come from scripts/deps.sh --preview.
set -eu
BUILD=${1:-build}
OUT=$BUILD/report-preview
mkdir -p "$OUT"

scripts/deps.sh --preview # LibreOffice Calc and poppler-utils, installed with the rest

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

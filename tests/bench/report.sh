#!/usr/bin/env bash
# The report export benchmark (issue 4), one section of `make bench`:
#   tests/bench/report.sh BUILD
# A synthetic snapshot of 60,000 regions (REPORT_BENCH_REGIONS) is exported to .xlsx and .csv by
# `vmmap report`; the floor is libxlsxwriter (and plain fprintf for CSV) writing the same number
# of rows and cells with none of our logic (tests/bench/report/floor.c, compiled here).
# `vmmap report` also reads the snapshot JSON, which the floor does not: that load is measured on
# its own (`vmmap summary big.json`, which loads the file and prints a 12-line table) and
# subtracted, so "export" is report time minus load time.  Each figure is the median of 5 runs (BENCH_RUNS);
# peak RSS is the process's maximum resident set (wait4), which for vmmap includes the loaded
# snapshot.
set -eu
BUILD=${1:-build}
N=${REPORT_BENCH_REGIONS:-60000}
OUT=$BUILD/bench/report
mkdir -p "$OUT"
GEN=$BUILD/bench/bench_report
[ -x "$GEN" ] || cc -std=c11 -D_GNU_SOURCE -O2 -o "$GEN" tests/bench/bench_report.c
cc -std=c11 -D_GNU_SOURCE -O2 -o "$OUT/floor" tests/bench/report/floor.c -lxlsxwriter
VMMAP=$BUILD/vmmap

read -r rows cells < <("$GEN" gen "$N" "$OUT/big.json")

# median SECONDS (and peak RSS_KB) over BENCH_RUNS (default 5) runs of a command that must succeed
best() {
    local runs=${BENCH_RUNS:-5} t m rc ts="" peak=0
    for ((i = 0; i < runs; i++)); do
        read -r t m rc < <("$GEN" time "$@")
        [ "$rc" = 0 ] || { echo "report bench: $* failed (exit $rc)" >&2; exit 1; }
        ts="$ts $t"
        [ "$m" -gt "$peak" ] && peak=$m
    done
    echo "$(printf '%s\n' $ts | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }') $peak"
}

read -r load_t load_m < <(best "$VMMAP" summary "$OUT/big.json" --color=never)
read -r x_t x_m < <(best "$VMMAP" report -q "$OUT/big.json" -o "$OUT/big.xlsx")
read -r xf_t xf_m < <(best "$OUT/floor" xlsx "$rows" "$OUT/floor.xlsx")
read -r c_t c_m < <(best "$VMMAP" report -q "$OUT/big.json" -o "$OUT/big.csv")
read -r cf_t cf_m < <(best "$OUT/floor" csv "$rows" "$OUT/floor.csv")

line() { printf "  %-34s %7.3f s %8.1f MB\n" "$1" "$2" "$(awk "BEGIN{print $3/1024}")"; }
ratio() { awk "BEGIN{e=$1-$2; if (e<0) e=0; printf \"%.3f s, %.2fx the floor\", e, e/$3}"; }

echo "== report export: $N regions, $rows rows x 15 columns = $cells cells in Regions"
line "load: vmmap summary big.json" "$load_t" "$load_m"
line "vmmap report -o big.xlsx" "$x_t" "$x_m"
line "floor: libxlsxwriter, same cells" "$xf_t" "$xf_m"
echo "  xlsx export (report - load): $(ratio "$x_t" "$load_t" "$xf_t") (target <= 1.5x)"
line "vmmap report -o big.csv" "$c_t" "$c_m"
line "floor: fprintf, same cells" "$cf_t" "$cf_m"
echo "  csv export (report - load):  $(ratio "$c_t" "$load_t" "$cf_t")"
echo "  sizes: $(du -h "$OUT/big.xlsx" | cut -f1) xlsx (floor $(du -h "$OUT/floor.xlsx" | cut -f1)), $(du -h "$OUT/big.csv" | cut -f1) csv"

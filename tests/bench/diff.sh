#!/usr/bin/env bash
# The diff benchmark (issue 5), one section of `make bench`:
#   tests/bench/diff.sh BUILD
# Two synthetic snapshots of 60,000 regions (DIFF_BENCH_REGIONS): a.json from bench_report's
# generator, b.json a copy with every 10th region changed (committed halved, protection changed,
# removed, or a copy added elsewhere: tests/bench/diff/helper.c, compiled here with -lcjson).
# Measured, median of 5 runs (BENCH_RUNS; wall time, and the peak RSS, from wait4):
#   load    `vmmap summary a.json`: reads, parses, validates and classifies the snapshot and prints
#           a 12-line table
#   floor   the helper reading a.json and parsing it with cJSON alone (then freeing it)
#   diff    `vmmap diff a.json b.json --format csv` to /dev/null, with VMMAP_DIFF_TIMINGS=1: the
#           command prints its own load, diff and write times, so "diff" is the comparison alone,
#           measured inside the process (vm_diff_compute), not a subtraction
# Targets: load within 2x the cJSON floor; diff under 10% of one load.
set -eu
BUILD=${1:-build}
N=${DIFF_BENCH_REGIONS:-60000}
OUT=$BUILD/bench/diff
mkdir -p "$OUT"
GEN=$BUILD/bench/bench_report
[ -x "$GEN" ] || cc -std=c11 -D_GNU_SOURCE -O2 -o "$GEN" tests/bench/bench_report.c
cc -std=c11 -D_GNU_SOURCE -O2 -o "$OUT/helper" tests/bench/diff/helper.c -lcjson
VMMAP=$BUILD/vmmap

"$GEN" gen "$N" "$OUT/a.json" > /dev/null
changed=$("$OUT/helper" mutate "$OUT/a.json" "$OUT/b.json")

# median SECONDS (and peak RSS_KB) over BENCH_RUNS (default 5) runs of a command that must succeed
best() {
    local runs=${BENCH_RUNS:-5} t m rc ts="" peak=0
    for ((i = 0; i < runs; i++)); do
        read -r t m rc < <("$GEN" time "$@")
        [ "$rc" = 0 ] || { echo "diff bench: $* failed (exit $rc)" >&2; exit 1; }
        ts="$ts $t"
        [ "$m" -gt "$peak" ] && peak=$m
    done
    echo "$(printf '%s\n' $ts | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }') $peak"
}

# The smallest internal figures over 3 runs: "LOAD_OLD LOAD_NEW DIFF WRITE" (seconds).
internal() {
    local best="" line
    for _ in 1 2 3; do
        line=$(VMMAP_DIFF_TIMINGS=1 "$VMMAP" diff "$OUT/a.json" "$OUT/b.json" --format csv -q 2>&1 >/dev/null |
               sed -n 's/.*load old \([0-9.]*\) s, load new \([0-9.]*\) s, diff \([0-9.]*\) s, write \([0-9.]*\) s.*/\1 \2 \3 \4/p')
        [ -n "$line" ] || { echo "diff bench: no timings from vmmap diff" >&2; exit 1; }
        if [ -z "$best" ] || awk -v a="${line#* * }" -v b="${best#* * }" 'BEGIN{split(a,x," ");split(b,y," ");exit !(x[1] < y[1])}'; then
            best=$line
        fi
    done
    echo "$best"
}

read -r load_t load_m < <(best "$VMMAP" summary "$OUT/a.json" --color=never)
read -r parse_t parse_m < <(best "$OUT/helper" parse "$OUT/a.json")
read -r run_t run_m < <(best "$VMMAP" diff "$OUT/a.json" "$OUT/b.json" --format csv -q)
read -r in_old in_new in_diff in_write < <(internal)

line() { printf "  %-46s %7.3f s %8.1f MB\n" "$1" "$2" "$(awk "BEGIN{print $3/1024}")"; }
verdict() { awk "BEGIN{exit !($1)}" && echo met || echo MISSED; }

echo "== diff: two snapshots of $N regions, $changed regions changed ($(du -h "$OUT/a.json" | cut -f1) each)"
line "load: vmmap summary a.json" "$load_t" "$load_m"
line "floor: cJSON parse of a.json alone" "$parse_t" "$parse_m"
line "vmmap diff a.json b.json (load 2, diff, CSV)" "$run_t" "$run_m"
printf "  inside vmmap diff: load old %.3f s, load new %.3f s, diff %.4f s, write %.3f s\n" \
    "$in_old" "$in_new" "$in_diff" "$in_write"
load_ratio=$(awk "BEGIN{printf \"%.2f\", $load_t/$parse_t}")
diff_pct=$(awk "BEGIN{printf \"%.1f\", 100*$in_diff/$in_old}")
echo "  load / cJSON parse: ${load_ratio}x (target <= 2x): $(verdict "$load_ratio <= 2")"
echo "  diff / load: ${diff_pct}% (target < 10%): $(verdict "$diff_pct < 10")"
echo "  (the whole diff run is listed for its time and peak RSS: both snapshots are in memory at once)"

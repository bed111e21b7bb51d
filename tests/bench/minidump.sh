#!/usr/bin/env bash
# Benchmark: mapping the largest real minidump available against merely reading it.
#   tests/bench/minidump.sh BUILD      (called from tests/bench/run.sh; prints, never fails on time)
# The dump comes from ../shared/testdata/minidumps (skipped with a message when absent); a .xz is
# decompressed first, so both sides read the same plain file.  Each command runs 3 times under
# BUILD/bench/runstat ("wall_seconds max_rss_kb cpu_seconds"); the best wall time and the peak RSS are shown.
set -u
BUILD=${1:-build}
VMMAP="$BUILD/vmmap"
RUNSTAT="$BUILD/bench/runstat"
DUMPS=../shared/testdata/minidumps
echo "== minidump: vmmap snapshot DUMP vs cat DUMP > /dev/null (best of 3) =="
if [ ! -d "$DUMPS" ]; then
    echo "  skipped: $DUMPS is absent"
    exit 0
fi
for need in "$VMMAP" "$RUNSTAT"; do
    [ -x "$need" ] || { echo "  cannot run: $need is missing (make all $RUNSTAT)"; exit 1; }
done
TMPD=$(mktemp -d /tmp/vmmap-bench-md-XXXXXX)
trap 'rm -rf "$TMPD"' EXIT

# The largest dump once decompressed.
best="" best_size=0
for f in "$DUMPS"/*.dmp "$DUMPS"/*.dmp.xz; do
    [ -f "$f" ] || continue
    case "$f" in
        *.xz) size=$(xz -dc "$f" 2>/dev/null | wc -c) ;;
        *) size=$(wc -c < "$f") ;;
    esac
    if [ "$size" -gt "$best_size" ]; then best=$f best_size=$size; fi
done
[ -n "$best" ] || { echo "  skipped: no dump in $DUMPS"; exit 0; }
dump=$best
case "$best" in
    *.xz) dump="$TMPD/$(basename "$best" .xz)"; xz -dc "$best" > "$dump" ;;
esac

best_of() { # N CMD...: sets BEST_WALL and PEAK_RSS
    local n=$1 i wall rss; shift
    BEST_WALL="" PEAK_RSS=0
    for ((i = 0; i < n; i++)); do
        "$RUNSTAT" -o "$TMPD/stat" "$@" > /dev/null 2> "$TMPD/err" || { echo "  failed: $* : $(head -c 300 "$TMPD/err")"; return 1; }
        read -r wall rss _ < "$TMPD/stat"
        if [ -z "$BEST_WALL" ] || awk -v a="$wall" -v b="$BEST_WALL" 'BEGIN { exit !(a < b) }'; then BEST_WALL=$wall; fi
        [ "$rss" -gt "$PEAK_RSS" ] && PEAK_RSS=$rss
    done
    return 0
}
ms() { awk -v s="$1" 'BEGIN { printf "%.1f", s * 1000 }'; }

echo "  dump: $(basename "$best") ($best_size bytes$( [ "$dump" != "$best" ] && echo ", decompressed"))"
best_of 3 sh -c 'cat "$1" > /dev/null' sh "$dump" || exit 1
t_cat=$BEST_WALL rss_cat=$PEAK_RSS
best_of 3 "$VMMAP" snapshot "$dump" -o "$TMPD/x.json" -q || exit 1
t_snap=$BEST_WALL rss_snap=$PEAK_RSS
best_of 3 "$VMMAP" "$dump" -q || exit 1
t_sum=$BEST_WALL rss_sum=$PEAK_RSS
printf '  %-34s %10s %14s\n' "command" "wall ms" "peak RSS kB"
printf '  %-34s %10s %14s\n' "cat DUMP > /dev/null" "$(ms "$t_cat")" "$rss_cat"
printf '  %-34s %10s %14s\n' "vmmap snapshot DUMP -o x.json" "$(ms "$t_snap")" "$rss_snap"
printf '  %-34s %10s %14s\n' "vmmap DUMP (summary)" "$(ms "$t_sum")" "$rss_sum"
echo "  vmmap snapshot / cat = $(awk -v a="$t_snap" -v b="$t_cat" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "n/a" }')x" \
     "  (RSS: $(awk -v a="$rss_snap" -v b="$best_size" 'BEGIN { printf "%.1f", a * 1024 / b }')x the dump's size)"

#!/usr/bin/env bash
# The heap-walk benchmark (issue 11), one section of `make bench`:
#   tests/bench/heaps.sh BUILD
# A process with 1 GiB of committed glibc heap in 10 million blocks (tests/bench/heap_fill.c:
# HEAPS_BENCH_BLOCKS x malloc(96), one thread, all in [heap]).  Measured, the three in turn for
# HEAPS_BENCH_RUNS rounds (default 5), median wall time and peak RSS (wait4, tests/bench/runstat.c):
#   bare read  tests/bench/bare_read.c: the same heap memory through process_vm_readv in 1 MiB
#              pieces into one buffer, nothing else (the floor)
#   heaps      `vmmap heaps PID` (capture, walk of every block, statistics, owners, the table)
#   snapshot   `vmmap snapshot PID` without the walk: the RSS baseline the walk adds to
# Targets: heaps within 1.5x the bare read; heaps' peak RSS under 64 MB above the snapshot's.
set -u
BUILD=${1:-build}
VMMAP=$BUILD/vmmap
BENCH=$BUILD/bench
RUNSTAT=$BENCH/runstat
BLOCKS=${HEAPS_BENCH_BLOCKS:-10000000}
RUNS=${HEAPS_BENCH_RUNS:-5}
TMPD=$(mktemp -d /tmp/vmmap-heapbench-XXXXXX)
FILL_PID=""

cleanup() {
    [ -n "${HOLD:-}" ] && exec {HOLD}>&-
    [ -n "$FILL_PID" ] && kill "$FILL_PID" 2>/dev/null && wait "$FILL_PID" 2>/dev/null
    rm -rf "$TMPD"
}
trap cleanup EXIT

echo "== heap walk: vmmap heaps on 1 GiB of glibc heap in $BLOCKS blocks vs reading it alone (median of $RUNS) =="
for need in "$VMMAP" "$BENCH/heap_fill" "$BENCH/bare_read" "$RUNSTAT"; do
    [ -x "$need" ] || { echo "  cannot run: $need is missing (make all $need)"; exit 1; }
done

mkfifo "$TMPD/in"
"$BENCH/heap_fill" "$BLOCKS" < "$TMPD/in" > "$TMPD/fill.out" &
FILL_PID=$!
exec {HOLD}> "$TMPD/in"
for _ in $(seq 600); do
    [ -s "$TMPD/fill.out" ] && break
    kill -0 "$FILL_PID" 2>/dev/null || break
    sleep 0.1
done
read -r pid word heap_bytes < "$TMPD/fill.out" || true
if [ "${word:-}" != ready ] || [ "$pid" != "$FILL_PID" ]; then
    echo "  cannot run: heap_fill did not get ready"
    exit 1
fi

# The three commands run in turn, RUNS rounds (so that a busy moment of the machine falls on all
# of them alike); then each one's median wall time and peak RSS.
one() {
    local name=$1; shift
    if ! "$RUNSTAT" -o "$TMPD/one" "$@" > /dev/null 2> "$TMPD/err"; then
        echo "  $name: failed: $(head -c 300 "$TMPD/err")"
        return 1
    fi
    cat "$TMPD/one" >> "$TMPD/runs.$name"
}
: > "$TMPD/runs.bare"; : > "$TMPD/runs.heaps"; : > "$TMPD/runs.snap"
for _ in $(seq "$RUNS"); do
    one bare "$BENCH/bare_read" "$pid" || exit 1
    one heaps "$VMMAP" heaps "$pid" -q || exit 1
    one snap "$VMMAP" snapshot "$pid" -q -o "$TMPD/s.json" || exit 1
done
median() {
    sort -n -k1,1 "$TMPD/runs.$1" | awk -v n="$RUNS" 'NR == int((n + 1) / 2) { w = $1 } { if ($2 > m) m = $2 } END { print w, m }'
}
read -r t_bare m_bare < <(median bare)
read -r t_heaps m_heaps < <(median heaps)
read -r t_snap m_snap < <(median snap)
"$VMMAP" heaps "$pid" -q --top 3 > "$TMPD/table" || true

printf "  %-40s %8.3f s %8.1f MB\n" "bare read ($(awk -v b="$heap_bytes" 'BEGIN{printf "%.2f GiB", b/1073741824}'))" \
    "$t_bare" "$(awk -v m="$m_bare" 'BEGIN{print m/1024}')"
printf "  %-40s %8.3f s %8.1f MB\n" "vmmap heaps" "$t_heaps" "$(awk -v m="$m_heaps" 'BEGIN{print m/1024}')"
printf "  %-40s %8.3f s %8.1f MB\n" "vmmap snapshot (no walk)" "$t_snap" "$(awk -v m="$m_snap" 'BEGIN{print m/1024}')"
sed -n '/glibc main arena/p' "$TMPD/table" | head -1 | sed 's/^/  walked: /'
ratio=$(awk -v a="$t_heaps" -v b="$t_bare" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
extra=$(awk -v a="$m_heaps" -v b="$m_snap" 'BEGIN { printf "%.1f", (a - b) / 1024 }')
echo "  heaps / bare read   = ${ratio}x    (target: <= 1.5x)   $(awk -v r="$ratio" 'BEGIN { print (r != "n/a" && r <= 1.5) ? "met" : "MISSED" }')"
echo "  peak RSS above the snapshot's = ${extra} MB   (target: < 64 MB)  $(awk -v e="$extra" 'BEGIN { print (e < 64) ? "met" : "MISSED" }')"
exit 0

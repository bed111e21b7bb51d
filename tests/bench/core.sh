#!/usr/bin/env bash
# Benchmark: mapping a large ELF core against merely reading it.
#   tests/bench/core.sh BUILD      (called from tests/bench/run.sh; prints, never fails on time)
# A process holding 1 GiB of heap (BUILD/bench/big_heap) is cored with gdb's gcore (skipped with a
# message when gcore is missing or cannot attach), and a 256 MiB one too, to show that vmmap's
# peak RSS does not grow with the core's size.  Each command runs 5 times under BUILD/bench/runstat;
# the median and best wall times and the peak RSS are shown.  The cores live in $TMPDIR (about
# 1.3 GB) and are removed at the end.
set -u
BUILD=${1:-build}
VMMAP="$BUILD/vmmap"
RUNSTAT="$BUILD/bench/runstat"
BIG="$BUILD/bench/big_heap"
echo "== core: vmmap snapshot CORE vs cat CORE > /dev/null (5 runs: median, best; peak RSS) =="
for need in "$VMMAP" "$RUNSTAT" "$BIG"; do
    [ -x "$need" ] || { echo "  cannot run: $need is missing (make all bench)"; exit 1; }
done
command -v gcore >/dev/null || { echo "  skipped: gcore (Debian's gdb package) is not installed"; exit 0; }
TMPD=$(mktemp -d "${TMPDIR:-/tmp}/vmmap-bench-core-XXXXXX")
PIDS=()
cleanup() { local p; for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$TMPD"; }
trap cleanup EXIT

# make_core MIB: a core of a big_heap process holding MIB MiB; prints its path.
make_core() {
    local mib=$1 fifo="$TMPD/in.$1" line pid
    mkfifo "$fifo"
    "$BIG" "$mib" < "$fifo" > "$TMPD/out.$mib" &
    PIDS+=($!)
    exec {hold}> "$fifo" # keep its stdin open while we core it
    for _ in $(seq 100); do read -r line < "$TMPD/out.$mib" 2>/dev/null && [ -n "$line" ] && break; sleep 0.1; done
    pid=${line#ready }
    gcore -o "$TMPD/core$mib" "$pid" > "$TMPD/gcore.$mib.log" 2>&1 || { exec {hold}>&-; return 1; }
    exec {hold}>&-
    echo "$TMPD/core$mib.$pid"
}

# runs N CMD...: sets MEDIAN, BEST (seconds) and PEAK_RSS (kB)
runs() {
    local n=$1 i wall rss; shift
    local -a walls=()
    PEAK_RSS=0
    for ((i = 0; i < n; i++)); do
        "$RUNSTAT" -o "$TMPD/stat" "$@" > /dev/null 2> "$TMPD/err" || { echo "  failed: $* : $(head -c 300 "$TMPD/err")"; return 1; }
        read -r wall rss _ < "$TMPD/stat"
        walls+=("$wall")
        [ "$rss" -gt "$PEAK_RSS" ] && PEAK_RSS=$rss
    done
    MEDIAN=$(printf '%s\n' "${walls[@]}" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
    BEST=$(printf '%s\n' "${walls[@]}" | sort -g | head -n 1)
}
ms() { awk -v s="$1" 'BEGIN { printf "%.1f", s * 1000 }'; }

printf '  %-36s %12s %10s %10s %14s\n' "command" "core size" "median ms" "best ms" "peak RSS kB"
for mib in 256 1024; do
    core=$(make_core "$mib") || { echo "  skipped: gcore could not attach ($(tail -n 1 "$TMPD/gcore.$mib.log"))"; exit 0; }
    size=$(stat -c %s "$core")
    runs 5 sh -c 'cat "$1" > /dev/null' sh "$core" || exit 1
    printf '  %-36s %12s %10s %10s %14s\n' "cat CORE > /dev/null" "$size" "$(ms "$MEDIAN")" "$(ms "$BEST")" "$PEAK_RSS"
    t_cat=$MEDIAN
    runs 5 "$VMMAP" snapshot "$core" -o "$TMPD/x.json" -q || exit 1
    printf '  %-36s %12s %10s %10s %14s\n' "vmmap snapshot CORE -o x.json" "$size" "$(ms "$MEDIAN")" "$(ms "$BEST")" "$PEAK_RSS"
    echo "    vmmap / cat = $(awk -v a="$MEDIAN" -v b="$t_cat" 'BEGIN { printf "%.2f", a / b }')x (medians)"
    # Every heap block walked in the core's memory (about 4 chunks per page held: the reads the
    # heap statistics step makes through the core's reader).
    runs 5 "$VMMAP" snapshot "$core" --heap-blocks -o "$TMPD/x.json" -q || exit 1
    printf '  %-36s %12s %10s %10s %14s\n' "vmmap snapshot CORE --heap-blocks" "$size" "$(ms "$MEDIAN")" "$(ms "$BEST")" "$PEAK_RSS"
    rm -f "$core"
done
echo "  (peak RSS of vmmap should stay about the same for both sizes: the core is read through"
echo "   pread and a 2 MiB cache, never loaded; the page cache is warm for both commands)"

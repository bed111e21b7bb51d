#!/usr/bin/env bash
# The object-census benchmark (issue 12), one section of `make bench`:
#   tests/bench/census.sh BUILD
# A C++ process with about 1 GiB of committed glibc heap holding 4 million objects of 300 classes
# (tests/bench/census_fill.cpp; CENSUS_BENCH_OBJECTS to change).  Measured, median of 5 runs
# (wall time and peak RSS from wait4, tests/bench/runstat.c):
#   bare read  tests/bench/bare_read.c: the same heap memory through process_vm_readv in 4 MiB
#              pieces into one buffer, nothing else (the floor)
#   objects    `vmmap objects PID` (capture, walk of every block, census of every word, table)
#   heaps      `vmmap heaps PID`: the block walk alone, for where the time goes
# Target: objects within 2x the bare read.  The census checks its own count (4,000,000 objects
# of 300 types) so a fast wrong answer does not pass.
set -u
BUILD=${1:-build}
VMMAP=$BUILD/vmmap
BENCH=$BUILD/bench
RUNSTAT=$BENCH/runstat
OBJECTS=${CENSUS_BENCH_OBJECTS:-4000000}
RUNS=${CENSUS_BENCH_RUNS:-5}
TMPD=$(mktemp -d /tmp/vmmap-censusbench-XXXXXX)
FILL_PID=""

cleanup() {
    [ -n "${HOLD:-}" ] && exec {HOLD}>&-
    [ -n "$FILL_PID" ] && kill "$FILL_PID" 2>/dev/null && wait "$FILL_PID" 2>/dev/null
    rm -rf "$TMPD"
}
trap cleanup EXIT

echo "== object census: vmmap objects on ~1 GiB of C++ heap ($OBJECTS objects, 300 types) vs reading it alone (median of $RUNS) =="
for need in "$VMMAP" "$BENCH/census_fill" "$BENCH/bare_read" "$RUNSTAT"; do
    [ -x "$need" ] || { echo "  cannot run: $need is missing (make bench builds it)"; exit 1; }
done

mkfifo "$TMPD/in"
"$BENCH/census_fill" "$OBJECTS" < "$TMPD/in" > "$TMPD/fill.out" &
FILL_PID=$!
exec {HOLD}> "$TMPD/in"
for _ in $(seq 600); do
    [ -s "$TMPD/fill.out" ] && break
    kill -0 "$FILL_PID" 2>/dev/null || break
    sleep 0.1
done
read -r pid word heap_bytes nobjects < "$TMPD/fill.out" || true
if [ "${word:-}" != ready ] || [ "$pid" != "$FILL_PID" ]; then
    echo "  cannot run: census_fill did not get ready"
    exit 1
fi

# median WALL, max RSS over RUNS runs of a command that must succeed (its stdout to /dev/null)
median() {
    local label=$1; shift
    : > "$TMPD/runs"
    for _ in $(seq "$RUNS"); do
        if ! "$RUNSTAT" -o "$TMPD/one" "$@" > /dev/null 2> "$TMPD/err"; then
            echo "  $label: failed: $(head -c 300 "$TMPD/err")" >&2
            return 1
        fi
        cat "$TMPD/one" >> "$TMPD/runs"
    done
    sort -n -k1,1 "$TMPD/runs" | awk -v n="$RUNS" 'NR == int((n + 1) / 2) { w = $1 } { if ($2 > m) m = $2 } END { print w, m }'
}

read -r t_bare m_bare < <(median "bare read" "$BENCH/bare_read" "$pid" 4) || exit 1
read -r t_obj m_obj < <(median "vmmap objects" "$VMMAP" objects "$pid" -q --top 1) || exit 1
read -r t_heaps m_heaps < <(median "vmmap heaps" "$VMMAP" heaps "$pid" -q) || exit 1
"$VMMAP" objects "$pid" -q --top 1 > "$TMPD/table" || true
with_commas=$(echo "$nobjects" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta')
if ! grep -q "^C++ objects of census_fill (PID $pid): $with_commas objects of 300 types" "$TMPD/table"; then
    echo "  WRONG: the census did not find $nobjects objects of 300 types:"
    head -2 "$TMPD/table" | sed 's/^/    /'
    exit 1
fi

mb() { awk -v m="$1" 'BEGIN { printf "%.1f", m / 1024 }'; }
printf "  %-40s %8.3f s %8s MB\n" "bare read ($(awk -v b="$heap_bytes" 'BEGIN{printf "%.2f GiB", b/1073741824}'))" "$t_bare" "$(mb "$m_bare")"
printf "  %-40s %8.3f s %8s MB\n" "vmmap objects" "$t_obj" "$(mb "$m_obj")"
printf "  %-40s %8.3f s %8s MB\n" "vmmap heaps (the walk alone)" "$t_heaps" "$(mb "$m_heaps")"
sed -n 1p "$TMPD/table" | sed 's/^/  found: /'
ratio=$(awk -v a="$t_obj" -v b="$t_bare" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
echo "  threads: $(nproc) CPUs (the walk reads a window ahead on a second one; VMMAP_THREADS=1: none)"
echo "  objects / bare read = ${ratio}x    (target: <= 2x)   $(awk -v r="$ratio" 'BEGIN { print (r != "n/a" && r <= 2) ? "met" : "MISSED" }')"
exit 0

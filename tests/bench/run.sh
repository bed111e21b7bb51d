#!/usr/bin/env bash
# shellcheck disable=SC2317  # functions are called indirectly, through SECTIONS
# Benchmarks: `tests/bench/run.sh BUILD` (make bench).  Each section is a function that prints its
# own table; sections are listed in SECTIONS at the bottom (append new ones there).
# Benchmarks print, they never fail on time: the exit status is non-zero only when something could
# not run at all.
set -u
BUILD=${1:-build}
VMMAP="$BUILD/vmmap"
BENCH="$BUILD/bench"
RUNSTAT="$BENCH/runstat"
TMPD=$(mktemp -d /tmp/vmmap-bench-XXXXXX)
CHILD_PIDS=()

cleanup() {
    local p
    for p in "${CHILD_PIDS[@]}"; do
        kill "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    rm -rf "$TMPD"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '%s\n' "$*"; }

# best_of N LABEL CMD...: runs CMD (stdout to /dev/null) N times under runstat; sets BEST_WALL
# (minimum wall seconds) and PEAK_RSS (maximum of max_rss_kb).  Returns non-zero when CMD failed.
# BEFORE_EACH, when set, is a command run (untimed) before each run.
best_of() {
    local n=$1 label=$2; shift 2
    local i wall rss stat="$TMPD/runstat.out"
    BEST_WALL="" PEAK_RSS=0
    for ((i = 0; i < n; i++)); do
        [ -n "${BEFORE_EACH:-}" ] && eval "$BEFORE_EACH"
        if ! "$RUNSTAT" -o "$stat" "$@" > /dev/null 2> "$TMPD/stderr"; then
            say "  $label: failed: $(head -c 300 "$TMPD/stderr")"
            return 1
        fi
        read -r wall rss < "$stat"
        if [ -z "$BEST_WALL" ] || awk -v a="$wall" -v b="$BEST_WALL" 'BEGIN { exit !(a < b) }'; then
            BEST_WALL=$wall
        fi
        [ "$rss" -gt "$PEAK_RSS" ] && PEAK_RSS=$rss
    done
    return 0
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
ms() { awk -v s="$1" 'BEGIN { printf "%.1f", s * 1000 }'; }

# ---- section: a process with 60,000 mappings: vmmap vs cat smaps vs pmap -X ----
bench_many_maps() {
    say "== many mappings: vmmap snapshot vs cat /proc/PID/smaps vs pmap -X (best of 5, pmap best of 3) =="
    local need
    for need in "$VMMAP" "$BENCH/many_maps" "$RUNSTAT"; do
        if [ ! -x "$need" ]; then
            say "  cannot run: $need is missing (make all $BENCH/many_maps $RUNSTAT)"
            return 1
        fi
    done
    local have_pmap=1
    command -v pmap > /dev/null || have_pmap=0

    local fifo="$TMPD/many_maps.in" line pid nmaps i hold
    mkfifo "$fifo"
    "$BENCH/many_maps" < "$fifo" > "$TMPD/many_maps.out" &
    local mm=$!
    CHILD_PIDS+=("$mm")
    exec {hold}> "$fifo"          # keeps its stdin open; closing it lets many_maps exit
    for ((i = 0; i < 600; i++)); do
        [ -s "$TMPD/many_maps.out" ] && break
        kill -0 "$mm" 2>/dev/null || break
        sleep 0.05
    done
    read -r pid line nmaps < "$TMPD/many_maps.out" || true
    if [ "${line:-}" != ready ] || [ "$pid" != "$mm" ]; then
        say "  cannot run: many_maps did not get ready"
        exec {hold}>&-
        return 1
    fi
    nmaps=$(grep -c . "/proc/$pid/maps")
    say "  target: pid $pid with $nmaps mappings"

    local rc=0 t_cat t_vmmap t_pmap="" rss_vmmap
    best_of 5 "cat smaps" cat "/proc/$pid/smaps" || rc=1
    t_cat=$BEST_WALL
    # A new file each time, as when saving a snapshot under a new name: replacing an existing
    # file makes ext4 start writing it back at the rename (auto_da_alloc), 15-30 ms here.
    BEFORE_EACH="rm -f '$TMPD/x.json'" best_of 5 "vmmap snapshot" "$VMMAP" snapshot "$pid" -o "$TMPD/x.json" || rc=1
    t_vmmap=$BEST_WALL rss_vmmap=$PEAK_RSS
    rm -f "$TMPD/x.json"
    VMMAP_TIMINGS=1 "$VMMAP" snapshot "$pid" -o "$TMPD/x.json" -q 2> "$TMPD/timings" || rc=1
    rm -f "$TMPD/x.json"
    if [ "$have_pmap" = 1 ]; then
        best_of 3 "pmap -X" pmap -X "$pid" || rc=1
        t_pmap=$BEST_WALL
    else
        say "  pmap not installed (procps): skipping that column"
    fi

    exec {hold}>&-
    wait "$mm" 2>/dev/null
    CHILD_PIDS=()

    if [ "$rc" -ne 0 ] || [ -z "$t_cat" ] || [ -z "$t_vmmap" ]; then
        say "  (incomplete: see the failures above)"
        return 1
    fi
    printf '  %-28s %12s\n' "command" "wall ms"
    printf '  %-28s %12s\n' "cat /proc/PID/smaps" "$(ms "$t_cat")"
    printf '  %-28s %12s   peak RSS %s kB\n' "vmmap snapshot PID -o x.json" "$(ms "$t_vmmap")" "$rss_vmmap"
    [ -n "$t_pmap" ] && printf '  %-28s %12s\n' "pmap -X PID" "$(ms "$t_pmap")"
    say "  where vmmap's time goes (one more run, VMMAP_TIMINGS=1).  Everything down to \"classify"
    say "  (early)\" runs while a reader thread has the kernel generate smaps; \"read smaps\" is the"
    say "  rest of that read, with parsing, checking and printing regions as they become final:"
    sed -n 's/^vmmap: timing: /    /p' "$TMPD/timings" | grep -v '(start)'
    say "  threads: $(nproc) CPUs; the JSON is printed on all of them (VMMAP_THREADS=1: one)"
    local r1 r2
    r1=$(ratio "$t_vmmap" "$t_cat")
    say "  vmmap / cat   = ${r1}x   (target: <= 1.5x)  $(awk -v r="$r1" 'BEGIN { print (r != "n/a" && r <= 1.5) ? "met" : "MISSED" }')"
    if [ -n "$t_pmap" ]; then
        r2=$(ratio "$t_pmap" "$t_vmmap")
        say "  pmap / vmmap  = ${r2}x   (target: >= 5x)    $(awk -v r="$r2" 'BEGIN { print (r != "n/a" && r >= 5) ? "met" : "MISSED" }')"
    fi
    return 0
}

bench_report() { tests/bench/report.sh "$BUILD"; }

bench_minidump() { tests/bench/minidump.sh "$BUILD"; }

bench_diff() { tests/bench/diff.sh "$BUILD"; }

bench_heaps() { tests/bench/heaps.sh "$BUILD"; }

bench_core() { tests/bench/core.sh "$BUILD"; }

bench_census() { tests/bench/census.sh "$BUILD"; }

SECTIONS=(${BENCH_SECTIONS:-bench_many_maps bench_report bench_minidump bench_diff bench_heaps bench_core bench_census})  # BENCH_SECTIONS="..." runs some

status=0
for section in "${SECTIONS[@]}"; do
    "$section" || status=1
    say ""
done
exit $status

#!/usr/bin/env bash
# shellcheck disable=SC2317  # functions are called indirectly, through SECTIONS
# Benchmarks: `tests/bench/run.sh BUILD` (make bench).  Each section is a function that prints its
# own table; sections are listed in SECTIONS at the bottom (append new ones there).
#   BENCH_SECTIONS="bench_shapes bench_scaling" runs some sections only
#   BENCH_RUNS=N                                runs per figure in the live sections (default 5)
#   BENCH_SHAPES="guards threads"               some shapes only (alternate guards threads libs anon)
# Benchmarks print, they never fail on time: the exit status is non-zero only when something could
# not run at all.
set -u
BUILD=${1:-build}
VMMAP="$BUILD/vmmap"
BENCH="$BUILD/bench"
RUNSTAT="$BENCH/runstat"
RUNS=${BENCH_RUNS:-5}
TMPD=$(mktemp -d /tmp/vmmap-bench-XXXXXX)
TARGET_PID="" TARGET_HOLD=""
VM_EXTRA=()   # more vmmap snapshot options for measure() (a variant of a shape)

cleanup() {
    stop_target
    rm -rf "$TMPD"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '%s\n' "$*"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

need() {
    local n
    for n in "$@"; do
        if [ ! -e "$n" ]; then
            say "  cannot run: $n is missing (make bench builds it)"
            return 1
        fi
    done
}

# ---- a target process of a given shape (tests/bench/shapes.c) ----

# start_target SHAPE ARGS...: sets TARGET_PID and TARGET_MAPS; the target lives until stop_target.
start_target() {
    local fifo="$TMPD/target.in" out="$TMPD/target.out" i pid word
    rm -f "$fifo" "$out"
    mkfifo "$fifo"
    "$BENCH/shapes" "$@" < "$fifo" > "$out" 2> "$TMPD/target.err" &
    TARGET_PID=$!
    exec {TARGET_HOLD}> "$fifo"   # keeps its stdin open; closing it lets the target exit
    for ((i = 0; i < 1200; i++)); do
        [ -s "$out" ] && break
        kill -0 "$TARGET_PID" 2>/dev/null || break
        sleep 0.05
    done
    read -r pid word TARGET_MAPS < "$out" 2>/dev/null || true
    if [ "${word:-}" != ready ] || [ "$pid" != "$TARGET_PID" ]; then
        say "  cannot run: shapes $1 ${2:-} did not get ready: $(head -c 300 "$TMPD/target.err")"
        stop_target
        return 1
    fi
    TARGET_MAPS=$(grep -c . "/proc/$TARGET_PID/maps")
}

stop_target() {
    if [ -n "$TARGET_HOLD" ]; then
        exec {TARGET_HOLD}>&-
        TARGET_HOLD=""
    fi
    if [ -n "$TARGET_PID" ]; then
        wait "$TARGET_PID" 2>/dev/null
        TARGET_PID=""
    fi
}

# ---- figures ----

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print ""; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ms() { awk -v s="$1" 'BEGIN { printf "%.1f", s * 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
verdict() { awk "BEGIN { exit !($1) }" && echo met || echo MISSED; }

# run_once LABEL FILE CMD...: one run under runstat (stdout to /dev/null), its
# "wall rss cpu" line appended to FILE.  Returns non-zero when CMD failed.
run_once() {
    local label=$1 file=$2; shift 2
    if ! "$RUNSTAT" -o "$TMPD/one" "$@" > /dev/null 2> "$TMPD/stderr"; then
        say "  $label: failed: $(head -c 300 "$TMPD/stderr")"
        return 1
    fi
    cat "$TMPD/one" >> "$file"
}

# col FILE N: column N of every line (1 wall s, 2 max RSS kB, 3 cpu s)
col() { awk -v n="$2" '{ print $n }' "$1"; }

# snapshot of the target into a new file each time, as when saving under a new name: replacing
# an existing file makes ext4 start writing it back at the rename (auto_da_alloc, 15-30 ms here)
vmmap_snapshot() {
    rm -f "$TMPD/x.json"
    run_once "vmmap snapshot" "$1" "$VMMAP" snapshot "$TARGET_PID" -o "$TMPD/x.json" -q "${VM_EXTRA[@]}"
    local rc=$?
    rm -f "$TMPD/x.json"
    return $rc
}

# measure WITH_PMAP: RUNS rounds of cat smaps then vmmap (pmap too when asked), interleaved so that
# a slow moment of the machine hits both sides.  Sets CAT VM PMAP (median wall s), CAT_CPU VM_CPU
# (median cpu s), RATIO (median of the per-round vmmap/cat), PMAP_RATIO (median pmap/vmmap),
# RSS (peak kB of vmmap) and TIMINGS (one more run with VMMAP_TIMINGS=1).
measure() {
    local with_pmap=$1 r rc=0
    local fc="$TMPD/cat.runs" fv="$TMPD/vmmap.runs" fp="$TMPD/pmap.runs"
    rm -f "$fc" "$fv" "$fp"
    for ((r = 0; r < RUNS; r++)); do
        run_once "cat smaps" "$fc" cat "/proc/$TARGET_PID/smaps" || rc=1
        vmmap_snapshot "$fv" || rc=1
        if [ "$with_pmap" = 1 ]; then run_once "pmap -X" "$fp" pmap -X "$TARGET_PID" || rc=1; fi
    done
    [ "$rc" = 0 ] || return 1
    CAT=$(col "$fc" 1 | median) VM=$(col "$fv" 1 | median)
    CAT_CPU=$(col "$fc" 3 | median) VM_CPU=$(col "$fv" 3 | median)
    RSS=$(col "$fv" 2 | sort -n | tail -1)
    RATIO=$(paste -d' ' "$fv" "$fc" | awk '{ print $1 / $4 }' | median)
    PMAP="" PMAP_RATIO=""
    if [ "$with_pmap" = 1 ]; then
        PMAP=$(col "$fp" 1 | median)
        PMAP_RATIO=$(paste -d' ' "$fp" "$fv" | awk '{ print $1 / $4 }' | median)
    fi
    rm -f "$TMPD/x.json"
    VMMAP_TIMINGS=1 "$VMMAP" snapshot "$TARGET_PID" -o "$TMPD/x.json" -q "${VM_EXTRA[@]}" 2> "$TMPD/timings" > /dev/null
    rm -f "$TMPD/x.json"
    TIMINGS=$(sed -n 's/^vmmap: timing: //p' "$TMPD/timings" | grep -v '(start)' | tr -s ' ' |
              sed 's/ \([0-9.]*\) ms$/ \1/' | paste -sd'|' | sed 's/|/ | /g')
}

SUMMARY="$TMPD/summary"

# The wall time vmmap cannot go below on this machine at its CPU cost: its CPU time (its threads'
# and the kernel's work for it) spread over every core, against cat's CPU time (cat is one thread
# that never waits, and CPU times do not count the moments a shared machine takes the cores away).
# When that alone is above 1.3x, the target is out of reach here until vmmap's CPU time falls: a
# figure to tell "slow because of waiting" from "slow because of work".
cpu_floor() {
    local n f
    n=$(nproc)
    f=$(awk -v c="$VM_CPU" -v n="$n" -v w="$CAT_CPU" 'BEGIN { if (w > 0) printf "%.2f", c / n / w; else print "n/a" }')
    say "  CPU floor: vmmap's CPU time over $n cores = $(awk -v c="$VM_CPU" -v n="$n" 'BEGIN { printf "%.1f", c * 1000 / n }') ms = ${f}x cat's CPU time$(
        awk -v f="$f" 'BEGIN { if (f + 0 > 1.3) print " (above 1.3x: out of reach on this machine at this CPU cost)" }')"
}

# variant LABEL OPTION...: the shape's target measured again with more vmmap options, one line
# (what a part of vmmap's work costs on this shape).
variant() {
    local label=$1; shift
    VM_EXTRA=("$@")
    if measure 0; then
        say "  $label: vmmap $(ms "$VM") ms, cpu $(ms "$VM_CPU") ms, vmmap / cat = $(awk -v x="$RATIO" 'BEGIN { printf "%.2f", x }')x"
    fi
    VM_EXTRA=()
}

# shape_row NAME: prints the figures measure() left and adds a row to the summary table.
shape_row() {
    local name=$1 r pr=""
    r=$(awk -v x="$RATIO" 'BEGIN { printf "%.2f", x }')
    printf '  %-30s %9s ms  cpu %7s ms\n' "cat /proc/PID/smaps" "$(ms "$CAT")" "$(ms "$CAT_CPU")"
    printf '  %-30s %9s ms  cpu %7s ms  peak RSS %s MB\n' "vmmap snapshot PID -o x.json" "$(ms "$VM")" \
        "$(ms "$VM_CPU")" "$(awk -v k="$RSS" 'BEGIN { printf "%.1f", k / 1024 }')"
    if [ -n "$PMAP" ]; then
        pr=$(awk -v x="$PMAP_RATIO" 'BEGIN { printf "%.2f", x }')
        printf '  %-30s %9s ms\n' "pmap -X PID" "$(ms "$PMAP")"
    fi
    say "  vmmap / cat = ${r}x (median of $RUNS per-round ratios; target <= 1.3x): $(verdict "$r <= 1.3")"
    [ -n "$pr" ] && say "  pmap / vmmap = ${pr}x (target >= 4x): $(verdict "$pr >= 4")"
    cpu_floor
    say "  where vmmap's time went (one more run, VMMAP_TIMINGS=1, ms; the phases up to \"early pass\" run"
    say "  while a reader thread has the kernel generate smaps, \"read smaps\" is the rest of that read with"
    say "  the blocks made, classified and printed as they come):"
    say "$TIMINGS" | fold -s -w 96 | sed 's/^/    /'
    printf '%-10s %8s %8s %8s %7s %7s %8s %8s %8s  %s\n' "$name" "$TARGET_MAPS" "$(ls "/proc/$TARGET_PID/task" | wc -l)" \
        "$(ms "$CAT")" "$(ms "$VM")" "$r" "${pr:--}" "$(awk -v k="$RSS" 'BEGIN { printf "%.1f", k / 1024 }')" \
        "$(ms "$VM_CPU")" "$(load)" >> "$SUMMARY"
}

# shape NAME WITH_PMAP DESCRIPTION SHAPE-ARGS...
shape() {
    local name=$1 with_pmap=$2 what=$3; shift 3
    case " ${BENCH_SHAPES:-$name} " in *" $name "*) ;; *) return 0 ;; esac
    say "-- $name: $what"
    start_target "$@" || return 1
    say "  target: pid $TARGET_PID, $TARGET_MAPS mappings, $(ls "/proc/$TARGET_PID/task" | wc -l) threads; load $(load)"
    local rc=0
    measure "$with_pmap" || rc=1
    [ "$rc" = 0 ] && shape_row "$name"
    # Libraries: each one's section table is read from its file (cat reads none of them).
    [ "$rc" = 0 ] && [ "$name" = libs ] && variant "the same without the section split (--no-sections: no module file read)" --no-sections
    stop_target
    return $rc
}

# ---- section: live snapshots of several shapes of process ----
bench_shapes() {
    say "== live snapshots: vmmap snapshot vs cat /proc/PID/smaps on several shapes of process"
    say "   (median of $RUNS interleaved rounds; pmap -X where the issue asks; $(nproc) CPUs; load $(load)) =="
    need "$VMMAP" "$BENCH/shapes" "$RUNSTAT" "$BENCH/libshape.so" || return 1
    local have_pmap=1 rc=0 i
    command -v pmap > /dev/null || { have_pmap=0; say "  pmap not installed (procps): no pmap column"; }
    rm -f "$SUMMARY"
    shape alternate "$have_pmap" "60,000 one-page mappings, read-only and read/write in turn (each touched)" \
        alternate 60000 || rc=1
    shape guards "$have_pmap" "65k mappings: two-page read/write mmaps, the second page mprotect'ed PROT_NONE (guard pages charged to commit: smaps 'ac')" \
        guards 65000 || rc=1
    shape threads 0 "2,000 threads blocked on a condition variable (default stacks) plus 20,000 small mmaps" \
        threads 2000 20000 || rc=1
    # A few hundred distinct libraries: copies of one, each its own file (dlopen loads a path once).
    local libs=() n=${BENCH_LIBS:-300}
    mkdir -p "$TMPD/libs"
    for ((i = 0; i < n; i++)); do
        cp "$BENCH/libshape.so" "$TMPD/libs/libshape$i.so" && libs+=("$TMPD/libs/libshape$i.so")
    done
    shape libs 0 "$n shared libraries loaded (copies of tests/bench/lib/shape_lib.c, each dlopen'ed)" \
        libs "${libs[@]}" || rc=1
    shape anon 0 "${BENCH_ANON_MIB:-4096} MiB of anonymous memory, every page written, no huge pages (the kernel's page-table walk dominates)" \
        anon "${BENCH_ANON_MIB:-4096}" || rc=1
    if [ -s "$SUMMARY" ]; then
        say ""
        say "  summary (ms: medians of $RUNS; ratio: vmmap / cat smaps, target <= 1.3x; pmap: pmap -X / vmmap, target >= 4x)"
        printf '  %-10s %8s %8s %8s %7s %7s %8s %8s %8s  %s\n' shape mappings threads "cat" vmmap ratio pmap "RSS MB" \
            "cpu ms" "load (1, 5, 15 min)"
        sed 's/^/  /' "$SUMMARY"
    fi
    return $rc
}

# ---- section: the scaling curve, time per mapping ----
bench_scaling() {
    say "== scaling: one-page mappings as in 'alternate', 1k to 65k (median of $RUNS interleaved rounds; load $(load)) =="
    need "$VMMAP" "$BENCH/shapes" "$RUNSTAT" || return 1
    printf '  %8s %9s %9s %7s %12s %12s\n' mappings "cat ms" "vmmap ms" ratio "cat us/map" "vmmap us/map"
    local n rc=0
    for n in 1000 4000 16000 65000; do
        start_target alternate "$n" || { rc=1; continue; }
        if measure 0; then
            printf '  %8s %9s %9s %7.2f %12.2f %12.2f\n' "$TARGET_MAPS" "$(ms "$CAT")" "$(ms "$VM")" "$RATIO" \
                "$(awk -v s="$CAT" -v n="$TARGET_MAPS" 'BEGIN { print s * 1e6 / n }')" \
                "$(awk -v s="$VM" -v n="$TARGET_MAPS" 'BEGIN { print s * 1e6 / n }')"
        else
            rc=1
        fi
        stop_target
    done
    say "  (time per mapping should stay flat; at 1k mappings vmmap's fixed costs, a few ms, show)"
    return $rc
}

bench_report() { tests/bench/report.sh "$BUILD"; }

bench_minidump() { tests/bench/minidump.sh "$BUILD"; }

bench_diff() { tests/bench/diff.sh "$BUILD"; }

bench_heaps() { tests/bench/heaps.sh "$BUILD"; }

bench_core() { tests/bench/core.sh "$BUILD"; }

bench_census() { tests/bench/census.sh "$BUILD"; }

SECTIONS=(${BENCH_SECTIONS:-bench_shapes bench_scaling bench_report bench_minidump bench_diff bench_heaps bench_core bench_census})

status=0
for section in "${SECTIONS[@]}"; do
    "$section" || status=1
    say ""
done
exit $status

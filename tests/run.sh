#!/usr/bin/env bash
# Runs test binaries and keeps a tally across the stages of `make test`.
#   tests/run.sh --label NAME --build DIR [--valgrind] BIN...   run, print "NAME: N passed, N failed"
#   tests/run.sh --tally                                         print the total over all stages
# Each cmocka binary prints "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s)..."; we add those.
# A binary that dies before cmocka's summary (crash, sanitizer abort) counts as one failure.
set -u
TALLY=build/test-tally.txt
mkdir -p build

if [ "${1:-}" = "--tally" ]; then
    passed=0; failed=0
    if [ -f "$TALLY" ]; then
        while read -r label p f; do
            passed=$((passed + p)); failed=$((failed + f))
        done < "$TALLY"
    fi
    echo "== all stages =="
    [ -f "$TALLY" ] && sed 's/^/  /' "$TALLY"
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
    exit $?
fi

label=plain build=build valgrind=0
while [ $# -gt 0 ]; do
    case "$1" in
        --label) label=$2; shift 2 ;;
        --build) build=$2; shift 2 ;;
        --valgrind) valgrind=1; shift ;;
        *) break ;;
    esac
done
# The plain stage opens a new tally.
[ "$label" = plain ] && : > "$TALLY"

export VMMAP_BUILD="$build"
passed=0; failed=0; broken=()
for bin in "$@"; do
    log="$build/logs/$(basename "$bin").log"
    mkdir -p "$build/logs"
    if [ "$valgrind" = 1 ]; then
        valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
            --error-exitcode=99 "$bin" > "$log" 2>&1
    else
        "$bin" > "$log" 2>&1
    fi
    rc=$?
    p=$(sed -n 's/.*\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
    f=$(sed -n 's/.*\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
    p=${p:-0}; f=${f:-0}
    if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1   # crashed, leaked or sanitizer-aborted without a cmocka failure
    fi
    passed=$((passed + p)); failed=$((failed + f))
    if [ $rc -ne 0 ] || [ "$f" -ne 0 ]; then
        broken+=("$bin")
        echo "--- $label: $bin failed (exit $rc); its log:"
        tail -n 60 "$log"
    fi
done
echo "$label: $passed passed, $failed failed"
echo "$label $passed $failed" >> "$TALLY"
[ ${#broken[@]} -eq 0 ]

#!/usr/bin/env bash
# Builds every libFuzzer target (clang, ASan+UBSan) and runs each for SECONDS.
#   scripts/fuzz.sh SECONDS tests/fuzz/fuzz_*.c
# Seeds come from tests/fuzz/corpus/NAME/ when present, a libFuzzer dictionary from
# tests/fuzz/NAME.dict; the working corpus goes to build-fuzz/.
# A crash, leak, timeout or sanitizer report fails the run and leaves the input in build-fuzz/.
set -u
secs=$1; shift
[ $# -gt 0 ] || { echo "fuzz: no targets"; exit 0; }
B=build-fuzz
SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all"
make --no-print-directory CC=clang BUILD=$B OPT=-O1 SANITIZE="$SAN" $B/libvmmap.a >/dev/null || exit 1
passed=0; failed=0
for src in "$@"; do
    name=$(basename "$src" .c)
    bin=$B/fuzz/$name
    mkdir -p $B/fuzz $B/corpus/$name $B/artifacts
    if ! clang -std=c11 -D_GNU_SOURCE -I. -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
            -o "$bin" "$src" $B/libvmmap.a -lcjson -llzma -lbz2 -lz -lm -ldl -pthread; then
        echo "fuzz: $name: build failed"; failed=$((failed + 1)); continue
    fi
    seeds=() dict=()
    [ -d "tests/fuzz/corpus/$name" ] && seeds+=("tests/fuzz/corpus/$name")
    [ -f "tests/fuzz/$name.dict" ] && dict+=("-dict=tests/fuzz/$name.dict")
    # Real files as seeds where the shared test data is present (never copied into the repo).
    case $name in
    fuzz_elfcore) [ -d ../shared/testdata/cores ] && seeds+=("../shared/testdata/cores") ;;
    fuzz_minidump) [ -d ../shared/testdata/minidumps ] && seeds+=("../shared/testdata/minidumps") ;;
    esac
    if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=0 "${dict[@]}" \
            -artifact_prefix=$B/artifacts/ "$B/corpus/$name" "${seeds[@]}" > "$B/$name.log" 2>&1; then
        echo "fuzz: $name: ok ($(grep -c . "$B/$name.log") log lines, $(ls "$B/corpus/$name" | wc -l) corpus inputs)"
        passed=$((passed + 1))
    else
        echo "fuzz: $name: FAILED; last lines of $B/$name.log:"; tail -n 40 "$B/$name.log"
        failed=$((failed + 1))
    fi
done
echo "fuzz: $passed passed, $failed failed"
mkdir -p build && echo "fuzz $passed $failed" >> build/test-tally.txt
[ $failed -eq 0 ]

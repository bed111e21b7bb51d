#!/usr/bin/env bash
# `make demo`: start the bundled sample process, map it, print the summary and the heaps and
# stacks, and write its snapshot.  The sample prints its own ground truth, shown for comparison.
set -eu
BUILD=${1:-build}
OUT=$BUILD/demo
mkdir -p "$OUT"
coproc SAMPLE { exec "$BUILD/samples/sample"; }
sample_pid=$SAMPLE_PID
cleanup() { exec {SAMPLE[1]}>&- 2>/dev/null || true; kill "$sample_pid" 2>/dev/null || true; wait "$sample_pid" 2>/dev/null || true; }
trap cleanup EXIT
read -r truth <&"${SAMPLE[0]}"
echo "$truth" > "$OUT/sample-ground-truth.json"
echo "== sample process $sample_pid started; its ground truth is in $OUT/sample-ground-truth.json"
echo
echo "== vmmap $sample_pid"
"$BUILD/vmmap" "$sample_pid" --color=never
echo
echo "== vmmap show $sample_pid --type heap,stack,shareable,mapped --regions-only"
"$BUILD/vmmap" show "$sample_pid" --type heap,stack,shareable,mapped --regions-only --color=never
echo
"$BUILD/vmmap" snapshot "$sample_pid" -o "$OUT/sample-snapshot.json"
echo "== snapshot written to $OUT/sample-snapshot.json; view it again with:"
echo "   $BUILD/vmmap show $OUT/sample-snapshot.json --sort committed"

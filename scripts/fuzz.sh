#!/usr/bin/env bash
# Builds every libFuzzer target with coverage instrumentation and runs each for SECONDS,
# starting from its kept corpus (Fuzz/corpus/<name>/). New inputs go to Fuzz/work/<name>/;
# a crash is reported and fails the run. Keep a fixed crasher by copying it into the corpus:
# the tests replay the corpora.
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail

seconds=${1:-60}
# product:corpus
targets=(
    dh-wire-fuzz:wire-reader
    dh-rpc-fuzz:frame-decoder
)
# SwiftPM's --sanitize=fuzzer alone can leave modules without coverage counters; passing the
# flag to swiftc as well instruments every module.
flags=(--scratch-path .build-fuzz -c release --sanitize=fuzzer --sanitize=address
    -Xswiftc -sanitize=fuzzer,address)

for entry in "${targets[@]}"; do
    product=${entry%%:*}
    swift build "${flags[@]}" --product "$product" 2>&1 | grep -E 'error|Compiling|Build complete' | tail -1
done
bin=$(swift build "${flags[@]}" --show-bin-path)

failed=0
for entry in "${targets[@]}"; do
    product=${entry%%:*}
    name=${entry##*:}
    corpus=Fuzz/corpus/$name
    work=Fuzz/work/$name
    mkdir -p "$corpus" "$work"
    echo "== $product for ${seconds}s (kept corpus: $corpus)"
    "$bin/$product" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$work/" "$work" "$corpus" 2>&1 |
        grep -E '^(INFO: Loaded|stat::(number_of_executed_units|average_exec_per_sec|new_units_added)|#[0-9]+ +DONE|==[0-9]+==ERROR|SUMMARY)' ||
        true
    if compgen -G "$work/crash-*" >/dev/null || compgen -G "$work/timeout-*" >/dev/null; then
        echo "fuzz: $product found failures in $work" >&2
        failed=1
    fi
done
exit "$failed"

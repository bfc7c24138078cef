#!/usr/bin/env bash
# Builds every libFuzzer target in Fuzz/ with -sanitize=fuzzer,address and runs each
# for SECONDS, starting from its kept corpus (Fuzz/Corpus/<target>/).
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail

seconds=${1:-60}
flags=(--package-path Fuzz -c debug --sanitize=fuzzer --sanitize=address)
swift build "${flags[@]}" 2>&1 | grep -v 'ld.gold: warning' || true
swift build "${flags[@]}" >/dev/null
bin=$(swift build "${flags[@]}" --show-bin-path)

mapfile -t targets < <(find Fuzz/Targets -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | LC_ALL=C sort)
for target in "${targets[@]}"; do
    corpus=Fuzz/Corpus/$target
    work=Fuzz/work/$target
    mkdir -p "$corpus" "$work"
    echo "== $target for ${seconds}s (kept corpus: $corpus)"
    # New inputs go to the work directory; crashes are written there as crash-*.
    # Copy a fixed crasher into the kept corpus so every later run replays it.
    "$bin/$target" -max_total_time="$seconds" -print_final_stats=1 \
        -artifact_prefix="$work/" "$work" "$corpus" 2>&1 |
        grep -E '^(stat::(number_of_executed_units|average_exec_per_sec|new_units_added)|#[0-9]+ +DONE|==[0-9]+==ERROR|SUMMARY)' || true
    if compgen -G "$work/crash-*" >/dev/null || compgen -G "$work/timeout-*" >/dev/null; then
        echo "fuzz: $target found failures in $work" >&2
        exit 1
    fi
done

#!/usr/bin/env bash
# Builds every libFuzzer target with coverage instrumentation and runs each for SECONDS from
# its kept inputs; new inputs go to Fuzz/work/<name>/. A crash or timeout fails the run: keep
# the input in the target's kept corpus once it is fixed, so it is replayed from then on.
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail

seconds=${1:-60}
sanitize=(--sanitize=fuzzer --sanitize=address)
failed=0

# run NAME BINARY WORK_DIR [CORPUS_DIR...] -- runs one target and reports what it did.
run() {
    local name=$1 binary=$2 work=$3
    shift 3
    mkdir -p "$work"
    echo "== $name for ${seconds}s"
    "$binary" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 -artifact_prefix="$work/" \
        "$work" "$@" 2>&1 |
        grep -E '^(INFO: Loaded [0-9]+ modules|stat::(number_of_executed_units|average_exec_per_sec|new_units_added)|==[0-9]+==ERROR|SUMMARY)' ||
        true
    if compgen -G "$work/crash-*" >/dev/null || compgen -G "$work/timeout-*" >/dev/null; then
        echo "fuzz: $name found failures in $work" >&2
        failed=1
    fi
}

# The dh-rpc/1 frame decoder and state machines. Passing -sanitize=fuzzer to swiftc as well
# instruments every module (SwiftPM's flag alone can leave them without coverage counters).
swift build --scratch-path .build-fuzz -c release "${sanitize[@]}" -Xswiftc -sanitize=fuzzer,address \
    --product dh-rpc-fuzz 2>&1 | tail -1
run dh-rpc-fuzz .build-fuzz/release/dh-rpc-fuzz Fuzz/work/frame-decoder Fuzz/corpus/frame-decoder

# The compiler front end (lexer, parser, linker).
swift build --scratch-path .build-fuzz-compiler -c release -Xswiftc -sanitize=fuzzer,address \
    -Xswiftc -DFUZZING -Xswiftc -parse-as-library --product DHProtoCompilerFuzz 2>&1 | tail -1
run DHProtoCompilerFuzz .build-fuzz-compiler/release/DHProtoCompilerFuzz Fuzz/work/compiler \
    Fuzz/corpus/compiler Tests/DHProtoCompilerTests/Corpus/valid -max_len=4096

# DHWire's binary and JSON decoders over generated messages (a package of its own, Fuzz/).
swift build --package-path Fuzz -c release "${sanitize[@]}" \
    -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp 2>&1 | tail -1
run FuzzBinary Fuzz/.build/release/FuzzBinary Fuzz/work/binary Fuzz/Seeds/binary Fuzz/FailCases
run FuzzJSON Fuzz/.build/release/FuzzJSON Fuzz/work/json Fuzz/Seeds/json Fuzz/FailCases

exit "$failed"

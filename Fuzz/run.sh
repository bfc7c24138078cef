#!/usr/bin/env bash
# Fuzzes dh-protoc's lexer, parser and linker with libFuzzer.
#   Fuzz/run.sh [SECONDS]     (default 60)
# Inputs that crash or hang are written to Fuzz/work/; copy each into Fuzz/corpus/compiler/
# once fixed, so the corpus keeps every past failure (the tests replay it).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-${FUZZ_SECONDS:-60}}"
swift build -c release --product DHProtoCompilerFuzz --build-path .build-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -parse-as-library
mkdir -p Fuzz/work/corpus
cp -n Fuzz/corpus/compiler/* Fuzz/work/corpus/ 2>/dev/null || true
cp -n Tests/DHProtoCompilerTests/Corpus/valid/*.proto Fuzz/work/corpus/ 2>/dev/null || true
.build-fuzz/release/DHProtoCompilerFuzz Fuzz/work/corpus \
    -max_total_time="$seconds" -timeout=10 -max_len=4096 -artifact_prefix=Fuzz/work/ -print_final_stats=1

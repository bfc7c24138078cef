#!/usr/bin/env bash
# Regenerates the wire benchmark's committed code from Benchmarks/Schema/bench_care.proto:
# dh-protoc's Swift (BenchCareDH) and protoc-c's C (CBenchCare); with a second argument also
# swift-protobuf's Swift (BenchCareSwiftProtobuf; protoc-gen-swift must be 1.39.0, matching
# the runtime the benchmark package pins).
#   scripts/bench-generate.sh PROTOC_GEN_DH [PROTOC_GEN_SWIFT]
set -euo pipefail

plugin=${1:?usage: bench-generate.sh PROTOC_GEN_DH [PROTOC_GEN_SWIFT]}
schema=Benchmarks/Schema
sources=Benchmarks/Sources
protoc -I "$schema" --plugin=protoc-gen-dh="$plugin" \
    --dh_out=Visibility=Public:"$sources/BenchCareDH" bench_care.proto
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
protoc-c -I "$schema" --c_out="$work" bench_care.proto
cp "$work/bench_care.pb-c.c" "$sources/CBenchCare/bench_care.pb-c.c"
cp "$work/bench_care.pb-c.h" "$sources/CBenchCare/include/bench_care.pb-c.h"
if [[ -n "${2:-}" ]]; then
    protoc -I "$schema" --plugin=protoc-gen-swift="$2" \
        --swift_out=Visibility=Public:"$sources/BenchCareSwiftProtobuf" bench_care.proto
fi
echo "bench-generate: done"

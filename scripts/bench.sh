#!/usr/bin/env bash
# Runs DataHealth's benchmarks (Benchmarks/, ordo-one/benchmark) in release mode.
# Each benchmark compares against its named peer in the same run; BENCH_FILTER
# narrows the run to benchmarks whose names match a regular expression.
#
# The compiler benchmark ("compiler": dh-protoc against protoc on Protos/ and the
# compiler corpus, scripts/bench-compiler.py) runs first, unless BENCH_FILTER excludes it;
# COMPILER_RUNS sets its rounds (default 20), COMPILER_CALLGRIND=0 skips its instruction counts.
set -euo pipefail

filter=()
if [[ -n "${BENCH_FILTER:-}" ]]; then
    filter=(--filter "$BENCH_FILTER")
fi

if [[ -z "${BENCH_FILTER:-}" ]] || [[ compiler =~ ${BENCH_FILTER} ]]; then
    callgrind=()
    if [[ "${COMPILER_CALLGRIND:-1}" != 0 ]]; then callgrind=(--callgrind); fi
    # As `swift build -c release` makes it (Swift runtime and Foundation as shared libraries) ...
    swift build -c release --product dh-protoc
    echo "dh-protoc, shared Swift libraries:"
    python3 scripts/bench-compiler.py .build/release/dh-protoc --runs "${COMPILER_RUNS:-20}" "${callgrind[@]}"
    # ... and linked statically (--static-swift-stdlib), which saves most of the start-up.
    swift build -c release --product dh-protoc --static-swift-stdlib --scratch-path .build-static
    echo "dh-protoc, --static-swift-stdlib:"
    python3 scripts/bench-compiler.py .build-static/release/dh-protoc --runs "${COMPILER_RUNS:-20}" "${callgrind[@]}"
fi

swift package --package-path Benchmarks --allow-writing-to-package-directory \
    benchmark --no-progress "${filter[@]}"

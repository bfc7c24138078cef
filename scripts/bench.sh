#!/usr/bin/env bash
# Runs DataHealth's benchmarks (Benchmarks/, ordo-one/benchmark) in release mode.
# Each benchmark compares against its named peer in the same run; BENCH_FILTER
# narrows the run to benchmarks whose names match a regular expression (the whole
# name: "CareRecord.*" selects the wire comparison).
# Then the wire comparison (DHWire, swift-protobuf, protobuf-c on one care record):
# `wire-ops time` prints throughput and ratios from one run, and scripts/bench-callgrind.sh
# instructions per operation (BENCH_CALLGRIND=0 skips the callgrind part).
set -uo pipefail

filter=()
if [[ -n "${BENCH_FILTER:-}" ]]; then
    filter=(--filter "$BENCH_FILTER")
fi
swift package --package-path Benchmarks --allow-writing-to-package-directory \
    benchmark --no-progress "${filter[@]}"
status=$?

echo
echo "== Wire comparison: throughput (wire-ops time) =="
swift build -c release --package-path Benchmarks --product wire-ops >/dev/null || exit 1
"$(swift build -c release --package-path Benchmarks --show-bin-path)/wire-ops" time 1 || exit 1

if [[ "${BENCH_CALLGRIND:-1}" != 0 ]]; then
    echo
    echo "== Wire comparison: instructions per operation (callgrind) =="
    scripts/bench-callgrind.sh || exit 1
fi
exit "$status"

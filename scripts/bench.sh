#!/usr/bin/env bash
# Runs DataHealth's benchmarks (Benchmarks/, ordo-one/benchmark) in release mode.
# Each benchmark compares against its named peer in the same run; BENCH_FILTER
# narrows the run to benchmarks whose names match a regular expression.
set -euo pipefail

filter=()
if [[ -n "${BENCH_FILTER:-}" ]]; then
    filter=(--filter "$BENCH_FILTER")
fi
swift package --package-path Benchmarks --allow-writing-to-package-directory \
    benchmark --no-progress "${filter[@]}"

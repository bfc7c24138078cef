#!/usr/bin/env bash
# Runs the already-built tests and ends with one plain summary line.
set -euo pipefail

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
swift test --skip-build "$@" 2>&1 | tee "$log" || status=$?

# Swift Testing's own summary, e.g. "✔ Test run with 212 tests in 39 suites passed after 11.0 seconds."
passed=$(grep -Eo 'Test run with [0-9]+ tests? in [0-9]+ suites? passed' "$log" | grep -Eo '[0-9]+' | head -1 || true)
failed_tests=$(grep -cE '^✘ Test .* failed' "$log" || true)
if [[ $status -eq 0 && -n "$passed" ]]; then
    echo "tests: $passed passed, 0 failed"
elif [[ $status -ne 0 ]]; then
    total=$(grep -Eo 'Test run with [0-9]+ tests?' "$log" | grep -Eo '[0-9]+' | head -1 || echo 0)
    echo "tests: $((total - failed_tests)) passed, $failed_tests failed"
fi
exit "$status"

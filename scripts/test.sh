#!/usr/bin/env bash
# Runs the already-built tests and ends with one plain summary line.
set -euo pipefail

# A run that does not end (a test waiting for something that never comes) is stopped after
# TEST_TIME_LIMIT seconds and named, rather than holding CI until its own limit.
limit=${TEST_TIME_LIMIT:-1200}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
timeout --kill-after=30 "$limit" swift test --skip-build "$@" 2>&1 | tee "$log" || status=$?

if [[ $status -eq 124 || $status -eq 137 ]]; then
    echo
    echo "tests: the run did not end within ${limit}s (TEST_TIME_LIMIT); tests that started and did not end:"
    comm -23 \
        <(sed -n 's/^◇ Test \(.*\) started\.$/\1/p' "$log" | grep -v -e '^case ' -e '^run$' | sort -u) \
        <(sed -nE 's/^[✔✘] Test (.*) (passed|failed) after .*/\1/p' "$log" | sed -E 's/ with [0-9]+ test cases?$//' | sort -u) |
        sed 's/^/  /'
    exit "$status"
fi

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

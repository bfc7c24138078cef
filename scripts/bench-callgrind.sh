#!/usr/bin/env bash
# Instructions per operation for the wire benchmark (Benchmarks/Sources/WireBenchCases):
# DHWire, swift-protobuf 1.39 and protobuf-c encoding and decoding the same 2 KB care record,
# counted by `valgrind --tool=callgrind` (load-independent, unlike time on a shared machine).
# Each operation runs LOW and HIGH times in a stripped copy of the release wire-ops (valgrind
# 3.19 cannot read Swift 6.3's debug info); the difference of the two totals divided by
# HIGH - LOW is the cost of one operation, without the setup both runs share.
#   scripts/bench-callgrind.sh            (WIRE_CALLGRIND_LOW/HIGH override 20/220)
set -euo pipefail

low=${WIRE_CALLGRIND_LOW:-20}
high=${WIRE_CALLGRIND_HIGH:-220}
if ! command -v valgrind >/dev/null; then
    echo "bench-callgrind: valgrind is not installed (apt-get install -y valgrind)" >&2
    exit 1
fi

swift build -c release --package-path Benchmarks --product wire-ops >&2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$(swift build -c release --package-path Benchmarks --show-bin-path)/wire-ops" "$work/wire-ops"
strip "$work/wire-ops"

instructions() { # OPERATION COUNT -> total instructions of the run
    valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" \
        --log-file="$work/valgrind.log" "$work/wire-ops" run "$1" "$2" >/dev/null
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$work/valgrind.log"
}

"$work/wire-ops" info
declare -A per_op
for operation in $("$work/wire-ops" list); do
    a=$(instructions "$operation" "$low")
    b=$(instructions "$operation" "$high")
    per_op[$operation]=$(( (b - a) / (high - low) ))
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
printf '%-28s %14s  %s\n' "operation" "instructions" "ratio to DHWire"
for task in encode decode json-encode json-decode; do
    dh=${per_op[$task-dhwire]}
    for impl in dhwire swift-protobuf protobuf-c; do
        operation=$task-$impl
        [[ -n "${per_op[$operation]:-}" ]] || continue
        if [[ $impl == dhwire ]]; then
            printf '%-28s %14d\n' "$operation" "${per_op[$operation]}"
        else
            printf '%-28s %14d  %s×\n' "$operation" "${per_op[$operation]}" "$(ratio "${per_op[$operation]}" "$dh")"
        fi
    done
done

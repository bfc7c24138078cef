#!/usr/bin/env bash
# Runs protobuf's conformance runner against dh-conformance.
#   scripts/conformance.sh RUNNER PROTOBUF_SRC
# RUNNER: a conformance_test_runner built from protobuf's sources; PROTOBUF_SRC: the src/
# directory of the same protobuf release (for test_messages_proto3.proto). Neither is part of
# this project. Proto2, editions and text-format tests are answered "skipped".
set -euo pipefail
runner=${1:?usage: conformance.sh RUNNER PROTOBUF_SRC}
source=${2:?usage: conformance.sh RUNNER PROTOBUF_SRC}
swift build --product dh-conformance >/dev/null
swift build --product dh-protoc >/dev/null
bin=$(swift build --show-bin-path)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin/dh-protoc" -I"$source" --include_imports --descriptor_set_out="$work/test_messages.pb" \
    google/protobuf/test_messages_proto3.proto
printf '#!/bin/sh\nexec "%s" --descriptor-set "%s"\n' "$bin/dh-conformance" "$work/test_messages.pb" >"$work/testee"
chmod +x "$work/testee"
"$runner" --enforce_recommended "$work/testee" 2>&1 | grep -E "CONFORMANCE SUITE|^  (Required|Recommended)\." || true

#!/usr/bin/env bash
# Fails when the committed generated code differs from what dh-protoc makes of Protos/ now.
#   scripts/check-generated.sh DH_PROTOC
set -euo pipefail

protoc=${1:?usage: check-generated.sh DH_PROTOC}
committed=Sources/DHSchemas/Generated
fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT

bash scripts/generate.sh "$protoc" "$fresh/out" >/dev/null
if [[ ! -d "$fresh/out" && ! -d "$committed" ]]; then
    echo "check-generated: no schemas and no generated code: up to date"
    exit 0
fi
mkdir -p "$fresh/out"
if [[ ! -d "$committed" ]]; then
    echo "check-generated: $committed is missing; run 'make generate' and commit it" >&2
    exit 1
fi
if ! diff -ru "$committed" "$fresh/out"; then
    echo "check-generated: $committed is stale; run 'make generate' and commit the result" >&2
    exit 1
fi
echo "check-generated: $committed is up to date"

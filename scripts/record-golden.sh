#!/usr/bin/env bash
# Re-records the generator's golden files: the torture corpus, the runtime's and the RPC
# layer's test messages. Run after a reviewed change to the generator; commit the result.
#   scripts/record-golden.sh PROTOC_GEN_DH
set -euo pipefail

plugin=${1:?usage: record-golden.sh PROTOC_GEN_DH}
corpus=Tests/DHSwiftGeneratorTests/Corpus
run() { protoc -I "$corpus" --plugin=protoc-gen-dh="$plugin" "$@"; }
run --dh_out=Tests/GeneratedCodeTests/Generated torture.proto imported.proto
run --dh_out=Tests/DHWireTests/Messages dhtest.proto dhtest_wkt.proto
run --dh_out=Tests/DHRPCCallTests/Generated echo.proto
echo "golden: recorded"

#!/usr/bin/env bash
# The transport benchmark's grpc-swift-2 peer (Benchmarks/Peers/GRPCSwift): grpc-swift-2 2.4.3
# with grpc-swift-nio-transport 2.9.2, HTTP/2 over swift-nio-ssl with mutual TLS 1.3 on
# loopback, measured as TransportBenchmarks measures dh-rpc/1 and printed in its format.
# Certificates come from `dh pki init`, made for the run and removed after it.
#   scripts/bench-peer-grpc-swift.sh [--quick]
set -euo pipefail

cd "$(dirname "$0")/.."
package=Benchmarks/Peers/GRPCSwift

swift build -c release --product dh >/dev/null
swift build -c release --package-path "$package" >/dev/null
bin=$(swift build -c release --package-path "$package" --show-bin-path)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A second authority's client must be refused: the peer checks that the server verifies
# client certificates against its own CA.
.build/release/dh pki init "$work/pki" >/dev/null
.build/release/dh pki init "$work/foreign" >/dev/null
"$bin/GRPCSwiftPeer" "$work/pki" "$work/foreign" "$@"

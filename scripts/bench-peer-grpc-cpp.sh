#!/usr/bin/env bash
# The gRPC C++ peer of the RPC transport benchmark (Benchmarks/Peers/grpc-cpp): figures (a)-(d)
# of TransportBenchmarks with Debian's gRPC C++, the server and the client in separate processes,
# mutual TLS on loopback with a development PKI made by `dh pki init`.
#
#   scripts/bench-peer-grpc-cpp.sh [--quick] [--in-flight threads]
#
# Installs what is missing from Debian's packages (as scripts/setup.sh does), generates and
# compiles into .build-peers/grpc-cpp (only when a source changed), then runs the benchmark.
# GRPC_CPP_API=sync runs the server on gRPC's synchronous API instead of the callback API;
# arguments go to the client: --quick (fewer calls), --in-flight threads ((b) with 32 threads
# sharing the channel through the synchronous stub instead of the callback API).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
sources="$root/Benchmarks/Peers/grpc-cpp"
build="$root/.build-peers/grpc-cpp"
api=${GRPC_CPP_API:-callback}

packages=(
    libgrpc++-dev           # gRPC C++ and its headers
    protobuf-compiler-grpc  # grpc_cpp_plugin
    protobuf-compiler       # protoc
    libprotobuf-dev
    pkg-config
    g++
    openssl                 # s_client shows the negotiated TLS version
)
bash "$root/scripts/setup.sh" "${packages[@]}"

# Generate and compile when a source is newer than the programs.
mkdir -p "$build"
stale=0
for program in echo_server echo_client; do
    [[ -x "$build/$program" ]] || stale=1
    for source in "$sources"/echo.proto "$sources"/*.cc; do
        [[ -x "$build/$program" && "$source" -ot "$build/$program" ]] || stale=1
    done
done
if ((stale)); then
    echo "bench-peer-grpc-cpp: building into ${build#"$root"/}"
    protoc -I"$sources" --cpp_out="$build" --grpc_out="$build" \
        --plugin=protoc-gen-grpc="$(command -v grpc_cpp_plugin)" "$sources/echo.proto"
    read -r -a cflags <<<"$(pkg-config --cflags grpc++ protobuf)"
    read -r -a libs <<<"$(pkg-config --libs grpc++ protobuf)"
    compile=(g++ -O2 -std=c++17 -I"$build" "${cflags[@]}")
    "${compile[@]}" -c "$build/echo.pb.cc" -o "$build/echo.pb.o"
    "${compile[@]}" -c "$build/echo.grpc.pb.cc" -o "$build/echo.grpc.pb.o"
    for program in echo_server echo_client; do
        "${compile[@]}" "$sources/$program.cc" "$build/echo.pb.o" "$build/echo.grpc.pb.o" \
            -o "$build/$program" "${libs[@]}" -lpthread
    done
fi

# A fresh development PKI for this run, made by our own CLI.
(cd "$root" && swift build -c release --product dh >/dev/null) || {
    echo "bench-peer-grpc-cpp: swift build --product dh failed" >&2
    exit 1
}
work=$(mktemp -d "${TMPDIR:-/tmp}/dh-peer-grpc-cpp.XXXXXX")
server_pid=
cleanup() {
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
"$root/.build/release/dh" pki init "$work/pki" >/dev/null
pki="$work/pki"

# The server on 127.0.0.1, a port of the system's choice; it prints "port N pid P".
"$build/echo_server" --api "$api" --ca "$pki/ca.crt.pem" \
    --cert "$pki/server.crt.pem" --key "$pki/server.key.pem" >"$work/server.out" 2>"$work/server.err" &
server_pid=$!
for _ in $(seq 100); do
    [[ -s "$work/server.out" ]] && break
    sleep 0.1
done
read -r _ port _ pid <"$work/server.out" || {
    echo "bench-peer-grpc-cpp: the server did not start" >&2
    cat "$work/server.err" >&2
    exit 1
}

# The TLS version and ALPN the server settles on with a client offering TLS 1.2 and 1.3.
handshake=$(echo | timeout 10 openssl s_client -connect "127.0.0.1:$port" -alpn h2 \
    -CAfile "$pki/ca.crt.pem" -cert "$pki/clients/gateway.crt.pem" -key "$pki/clients/gateway.key.pem" \
    -verify_return_error 2>/dev/null | grep -a -E '^(New,|ALPN protocol:)' | tr '\n' ' ' || true)
echo "server ($api API): openssl s_client with the gateway certificate: ${handshake:-no handshake}"

"$build/echo_client" --target "127.0.0.1:$port" --server-pid "$pid" --ca "$pki/ca.crt.pem" \
    --cert "$pki/clients/gateway.crt.pem" --key "$pki/clients/gateway.key.pem" "$@"

kill "$server_pid"
wait "$server_pid" || true
server_pid=
# The server logs how its first caller authenticated (the client certificate's names).
grep -a 'first caller' "$work/server.err" | sed 's/^echo_server: /server: /' || true

#!/usr/bin/env bash
# Runs DataHealth's benchmarks (Benchmarks/, ordo-one/benchmark) in release mode.
# Each benchmark compares against its named peer in the same run; BENCH_FILTER
# narrows the run to benchmarks whose names match a regular expression (the whole
# name: "CareRecord.*" selects the wire comparison).
#
# 1. The compiler: dh-protoc against protoc on Protos/ and the compiler corpus
#    (scripts/bench-compiler.py), unless BENCH_FILTER excludes "compiler"; COMPILER_RUNS sets
#    its rounds (default 20), COMPILER_CALLGRIND=0 skips its instruction counts.
# 2. The benchmark package: the wire comparison (DHWire, swift-protobuf, protobuf-c on one care
#    record), varints, and audit-log appends.
# 3. The wire comparison's throughput (`wire-ops time`) and instructions per operation
#    (scripts/bench-callgrind.sh; BENCH_CALLGRIND=0 skips it).
# 4. The RPC transport over mutual TLS 1.3 on loopback (TransportBenchmarks) and gRPC C++
#    (scripts/bench-peer-grpc-cpp.sh) right after it; the transport again with its server in a
#    process of its own (--two-processes) and with the program's tasks on the event loops
#    (--event-loops-as-global-executor); both stacks pinned to one CPU; the ratios of the run
#    (scripts/bench-transport-ratios.py); then grpc-swift-2 (scripts/bench-peer-grpc-swift.sh,
#    when present). Unless BENCH_FILTER excludes "transport".
# 5. Durable care-record intake into the assembled server with 1, 8 and 32 gateways against a
#    raw COPY (IntakeBenchmarks; INTAKE_RECORDS, INTAKE_BATCH, INTAKE_BATCHES_PER_CALL), unless BENCH_FILTER excludes
#    "intake".
set -uo pipefail

filter=()
if [[ -n "${BENCH_FILTER:-}" ]]; then
    filter=(--filter "$BENCH_FILTER")
fi

if [[ -z "${BENCH_FILTER:-}" ]] || [[ compiler =~ ${BENCH_FILTER} ]]; then
    callgrind=()
    if [[ "${COMPILER_CALLGRIND:-1}" != 0 ]]; then callgrind=(--callgrind); fi
    # As `swift build -c release` makes it (Swift runtime and Foundation as shared libraries) ...
    swift build -c release --product dh-protoc || exit 1
    echo "dh-protoc, shared Swift libraries:"
    python3 scripts/bench-compiler.py .build/release/dh-protoc --runs "${COMPILER_RUNS:-20}" "${callgrind[@]}"
    # ... and linked statically (--static-swift-stdlib), which saves most of the start-up.
    swift build -c release --product dh-protoc --static-swift-stdlib --scratch-path .build-static || exit 1
    echo "dh-protoc, --static-swift-stdlib:"
    python3 scripts/bench-compiler.py .build-static/release/dh-protoc --runs "${COMPILER_RUNS:-20}" "${callgrind[@]}"
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
if [[ -z "${BENCH_FILTER:-}" ]] || [[ transport =~ ${BENCH_FILTER} ]]; then
    transport_out=$(mktemp -d)
    swift build -c release --package-path Benchmarks --product TransportBenchmarks >/dev/null || exit 1
    transport_bin="$(swift build -c release --package-path Benchmarks --show-bin-path)/TransportBenchmarks"
    echo
    echo "== RPC transport over mutual TLS 1.3 on loopback =="
    "$transport_bin" | tee "$transport_out/ours" || exit 1
    echo
    echo "== Peer: gRPC C++ over mutual TLS on loopback =="
    bash scripts/bench-peer-grpc-cpp.sh | tee "$transport_out/grpc" || exit 1
    echo
    echo "== RPC transport, the server in a process of its own (as gRPC C++'s) =="
    "$transport_bin" --two-processes --only "a,a',b,c" | tee "$transport_out/ours-two" || exit 1
    # The calls again, with the program's tasks on the transport's event loops (an opt-in).
    echo
    "$transport_bin" --only "a,a',b" --event-loops-as-global-executor | tee "$transport_out/ours-loops" || exit 1
    # Both stacks on one CPU: the work per call without the wake-ups of a thread on the other
    # CPU, which on a small virtual machine cost more than the calls themselves.
    if command -v taskset >/dev/null && [[ $(nproc) -gt 1 ]]; then
        echo
        echo "== Both stacks on one CPU (taskset -c 0) =="
        taskset -c 0 "$transport_bin" --only "a,a',b,c" | tee "$transport_out/ours-cpu0" || exit 1
        taskset -c 0 bash scripts/bench-peer-grpc-cpp.sh | tee "$transport_out/grpc-cpu0" || exit 1
    fi
    echo
    echo "== dh-rpc/1 ÷ gRPC C++, this run =="
    python3 scripts/bench-transport-ratios.py "$transport_out"
    rm -rf "$transport_out"
    if [[ -f scripts/bench-peer-grpc-swift.sh ]]; then
        echo
        echo "== Peer: grpc-swift-2 over mutual TLS on loopback =="
        bash scripts/bench-peer-grpc-swift.sh || exit 1
    fi
fi
if [[ -z "${BENCH_FILTER:-}" ]] || [[ intake =~ ${BENCH_FILTER} ]]; then
    echo
    echo "== Care-record intake: the assembled server against a raw COPY =="
    swift build -c release --package-path Benchmarks --product IntakeBenchmarks >/dev/null || exit 1
    "$(swift build -c release --package-path Benchmarks --show-bin-path)/IntakeBenchmarks" || exit 1
fi
exit "$status"

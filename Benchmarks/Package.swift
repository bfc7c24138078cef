// swift-tools-version: 6.1
//
// DataHealth's benchmarks, kept in their own package so that `make test` never
// builds the benchmark harness. Run them with `make bench`.

import PackageDescription

let package = Package(
    name: "DataHealthBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "DataHealth", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.0", traits: ["MallocInterposer"]),
        // The wire benchmark's peer: swift-protobuf's runtime for its committed generated code.
        .package(url: "https://github.com/apple/swift-protobuf.git", exact: "1.39.0"),
    ],
    targets: [
        .executableTarget(
            name: "WireBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "DHWire", package: "DataHealth"),
                "WireBenchCases",
            ],
            path: "Benchmarks/WireBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // AuditLog over PostgresAuditStore against a throwaway embedded cluster: entries/s
        // for 1, 8, 32 and 256 concurrent appenders, synchronous_commit on.
        .executableTarget(
            name: "AuditBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "DHRepositories", package: "DataHealth"),
            ],
            path: "Benchmarks/AuditBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The RPC transport over mutual TLS 1.3 on loopback (a plain executable: it runs a
        // server and a client and prints calls/s, latency percentiles and stream throughput).
        .executableTarget(
            name: "TransportBenchmarks",
            dependencies: [
                .product(name: "DHTransport", package: "DataHealth"),
                .product(name: "DHRPC", package: "DataHealth"),
                .product(name: "DHTLS", package: "DataHealth"),
                .product(name: "DHIdentity", package: "DataHealth"),
                .product(name: "DHWire", package: "DataHealth"),
                "CHeapStats",
            ],
            path: "Tools/TransportBenchmarks"
        ),
        // glibc's heap statistics, for the transport benchmark's memory figure.
        .target(name: "CHeapStats", path: "Sources/CHeapStats"),
        // Care-record intake into the assembled server against a raw COPY (scripts/bench.sh).
        .executableTarget(
            name: "IntakeBenchmarks",
            dependencies: [
                .product(name: "DHServer", package: "DataHealth"),
                .product(name: "DHRepositories", package: "DataHealth"),
                .product(name: "DHTransport", package: "DataHealth"),
                .product(name: "DHRPC", package: "DataHealth"),
                .product(name: "DHTLS", package: "DataHealth"),
                .product(name: "DHIdentity", package: "DataHealth"),
                .product(name: "DHWire", package: "DataHealth"),
            ],
            path: "Tools/IntakeBenchmarks"
        ),

        // --- Wire benchmark: one care record (Schema/bench_care.proto) through DHWire,
        // swift-protobuf 1.39 and protobuf-c, on the same bytes. See scripts/bench-callgrind.sh.
        // dh-protoc's output for the schema.
        .target(
            name: "BenchCareDH",
            dependencies: [.product(name: "DHWire", package: "DataHealth")],
            path: "Sources/BenchCareDH"
        ),
        // protoc-gen-swift 1.39.0's output for the schema (generated once, committed).
        .target(
            name: "BenchCareSwiftProtobuf",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
            path: "Sources/BenchCareSwiftProtobuf"
        ),
        // protoc-c 1.4.1's output for the schema (committed) and a small C API over it.
        .target(
            name: "CBenchCare",
            path: "Sources/CBenchCare",
            linkerSettings: [.linkedLibrary("protobuf-c")]
        ),
        // The record, its bytes and JSON, and each measured operation, shared by the
        // benchmarks and by wire-ops.
        .target(
            name: "WireBenchCases",
            dependencies: [
                "BenchCareDH", "BenchCareSwiftProtobuf", "CBenchCare",
                .product(name: "DHWire", package: "DataHealth"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            path: "Sources/WireBenchCases"
        ),
        // Runs one operation N times (for callgrind) or times all of them and prints ratios.
        .executableTarget(
            name: "wire-ops",
            dependencies: ["WireBenchCases"],
            path: "Sources/wire-ops"
        ),
    ]
)

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
    ],
    targets: [
        .executableTarget(
            name: "WireBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "DHWire", package: "DataHealth"),
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
            ],
            path: "Benchmarks/TransportBenchmarks"
        ),
    ]
)

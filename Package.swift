// swift-tools-version: 6.1
//
// DataHealth: the service layer of Japan's national health-data platform.
// The layers and how a request flows through them: docs/ARCHITECTURE.md.

import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "DataHealth",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "dh", targets: ["dh"]),
        .executable(name: "dh-protoc", targets: ["dh-protoc"]),
        // Libraries the benchmark package (Benchmarks/) measures.
        .library(name: "DHWire", targets: ["DHWire"]),
        // --- RPC transport: measured by Benchmarks/TransportBenchmarks.
        .library(name: "DHTransport", targets: ["DHTransport"]),
        .library(name: "DHRPC", targets: ["DHRPC"]),
        .library(name: "DHTLS", targets: ["DHTLS"]),
        .library(name: "DHIdentity", targets: ["DHIdentity"]),
        // --- end RPC transport
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        // --- RPC transport (docs/TRANSPORT.md)
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        // --- end RPC transport
    ],
    targets: [
        // C libraries, found through pkg-config. Only DHTLS imports COpenSSL and only
        // DHStorage imports CLibPQ; CProtobufC serves the interop tests.
        .systemLibrary(
            name: "COpenSSL", path: "Sources/COpenSSL", pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]),
        .systemLibrary(
            name: "CLibPQ", path: "Sources/CLibPQ", pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]),
        .systemLibrary(
            name: "CProtobufC", path: "Sources/CProtobufC", pkgConfig: "libprotobuf-c",
            providers: [.apt(["libprotobuf-c-dev"])]),

        // The protobuf wire runtime: binary format, and later JSON and dynamic messages.
        // Knows nothing of networking or TLS.
        .target(name: "DHWire", swiftSettings: swiftSettings),

        // TLS 1.3 with mutual authentication over the system's OpenSSL.
        .target(name: "DHTLS", dependencies: ["COpenSSL", "DHIdentity"], swiftSettings: swiftSettings),
        // PostgreSQL through libpq.
        .target(name: "DHStorage", dependencies: ["CLibPQ"], swiftSettings: swiftSettings),

        // The tamper-evident audit log: an RFC 9162 Merkle tree over audit entries.
        .target(name: "DHAudit", dependencies: ["DHTLS"], swiftSettings: swiftSettings),

        // The protobuf compiler front end (lexer, parser, linker) and its command line.
        .target(name: "DHProtoCompiler", path: "Codegen/DHProtoCompiler", swiftSettings: swiftSettings),
        .executableTarget(
            name: "dh-protoc", dependencies: ["DHProtoCompiler"], path: "Codegen/dh-protoc",
            swiftSettings: swiftSettings),

        // The ops CLI and the server.
        .target(
            name: "DHCLI",
            dependencies: [
                "DHIdentity", "DHTLS", "DHStorage",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // RPC transport: dh serve.
                "DHRPC", "DHTransport",
            ],
            swiftSettings: swiftSettings),
        .executableTarget(name: "dh", dependencies: ["DHCLI"], swiftSettings: swiftSettings),

        .testTarget(name: "DHAuditTests", dependencies: ["DHAudit", "DHTLS"], swiftSettings: swiftSettings),
        .testTarget(name: "DHWireTests", dependencies: ["DHWire"], swiftSettings: swiftSettings),

        // --- RPC protocol (docs/PROTOCOL.md): frames and connection state machines, no sockets, no TLS.
        .target(name: "DHRPC", dependencies: ["DHIdentity", "DHWire"], swiftSettings: swiftSettings),
        .testTarget(
            name: "DHRPCCallTests", dependencies: ["DHRPC", "DHIdentity", "DHWire"], swiftSettings: swiftSettings),
        .testTarget(name: "DHRPCTests", dependencies: ["DHRPC", "DHRPCFuzzing"], swiftSettings: swiftSettings),
        // The frame decoder's fuzz check, and its libFuzzer entry point (build: Fuzz/dh-rpc-fuzz/main.swift).
        .target(name: "DHRPCFuzzing", dependencies: ["DHRPC"], swiftSettings: swiftSettings),
        .executableTarget(
            name: "dh-rpc-fuzz", dependencies: ["DHRPCFuzzing"], path: "Fuzz/dh-rpc-fuzz", swiftSettings: swiftSettings),
        // --- end RPC protocol
        .testTarget(
            name: "SystemLibraryTests",
            dependencies: ["DHTLS", "DHStorage", "CProtobufC"],
            swiftSettings: swiftSettings),

        // DHTLS: certificate machinery and the TLS engine, tested without sockets.
        .testTarget(
            name: "DHTLSTests", dependencies: ["DHIdentity", "DHTLS", "COpenSSL"], swiftSettings: swiftSettings),

        // DHIdentity: who is calling (the dh://ORG/ROLE/ID certificate identity, the acting
        // user and purpose a gateway asserts), the authorization policy and patient consent.
        // No dependencies, so services see typed identities without importing DHTLS.
        .target(name: "DHIdentity", swiftSettings: swiftSettings),
        .testTarget(name: "DHIdentityTests", dependencies: ["DHIdentity"], swiftSettings: swiftSettings),
        // dh pki and dh policy, run in-process.
        .testTarget(
            name: "DHCLITests",
            dependencies: [
                "DHCLI", "DHIdentity", "DHTLS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings),

        // --- RPC transport (docs/TRANSPORT.md): TCP + TLS 1.3 (mutual) + dh-rpc/1 over SwiftNIO.
        .target(
            name: "DHTransport",
            dependencies: [
                "DHRPC", "DHTLS", "DHIdentity",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "DHTransportTests",
            dependencies: [
                "DHTransport", "DHRPC", "DHTLS", "DHIdentity", "DHWire", "COpenSSL", "DHCLI",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings),
        // --- end RPC transport

        // DHStorage against a throwaway embedded PostgreSQL cluster.
        .testTarget(name: "DHStorageTests", dependencies: ["DHStorage"], swiftSettings: swiftSettings),
    ]
)

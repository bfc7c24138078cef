// swift-tools-version: 6.1
//
// DataHealth: the service layer of Japan's national health-data platform.
// The layers and how a request flows through them: docs/ARCHITECTURE.md.

import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

// Care records (docs/CARE_RECORDS.md): PostgresCareRecordRepository in DHRepositories implements
// DHCareRecord's CareRecordRepository; its tests build records with DHSchemas and call the
// service over DHRPC's in-process transport.
let careRecordRepositoryDependencies: [Target.Dependency] = ["DHCareRecord", "DHSchemas"]
let careRecordRepositoryTestDependencies: [Target.Dependency] = careRecordRepositoryDependencies + ["DHRPC", "DHWire"]

let package = Package(
    name: "DataHealth",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "dh", targets: ["dh"]),
        .executable(name: "dh-protoc", targets: ["dh-protoc"]),
        .executable(name: "protoc-gen-dh", targets: ["protoc-gen-dh"]),
        // Libraries the benchmark package (Benchmarks/) measures.
        .library(name: "DHWire", targets: ["DHWire"]),
        .library(name: "DHRepositories", targets: ["DHRepositories", "DHAudit", "DHStorage", "DHTLS"]),
        .library(name: "DHTransport", targets: ["DHTransport"]),
        .library(name: "DHRPC", targets: ["DHRPC"]),
        .library(name: "DHTLS", targets: ["DHTLS"]),
        .library(name: "DHIdentity", targets: ["DHIdentity"]),
        .library(name: "DHServer", targets: ["DHServer", "DHSynth", "DHSchemas", "DHCareRecord"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
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

        // Wire: the protobuf runtime (binary, JSON, well-known types). Knows nothing of
        // networking or TLS.
        .target(name: "DHWire", swiftSettings: swiftSettings),
        // descriptor.proto as Swift values, shared by the compiler, the emitter and the CLI.
        .target(name: "DHDescriptor", dependencies: ["DHWire"], swiftSettings: swiftSettings),

        // Generator: dh-protoc's front end (lexer, parser, linker), the Swift emitter, and
        // their command lines.
        .target(
            name: "DHProtoCompiler", dependencies: ["DHDescriptor", "DHWire"], path: "Codegen/DHProtoCompiler",
            swiftSettings: swiftSettings),
        .target(
            name: "DHSwiftGenerator", dependencies: ["DHDescriptor", "DHWire"], path: "Codegen/DHSwiftGenerator",
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "dh-protoc", dependencies: ["DHProtoCompiler", "DHDescriptor", "DHSwiftGenerator"],
            path: "Codegen/dh-protoc", swiftSettings: swiftSettings),
        .executableTarget(
            name: "protoc-gen-dh", dependencies: ["DHProtoCompiler", "DHSwiftGenerator"],
            path: "Codegen/protoc-gen-dh", swiftSettings: swiftSettings),

        // Identity: who is calling (certificate identity, acting user, purpose), the
        // authorization policy and patient consent. No dependencies.
        .target(name: "DHIdentity", swiftSettings: swiftSettings),
        // TLS 1.3 with mutual authentication over the system's OpenSSL; also the crypto
        // primitives (SHA-256, signatures) other modules need.
        .target(name: "DHTLS", dependencies: ["COpenSSL", "DHIdentity"], swiftSettings: swiftSettings),
        // The dh-rpc/1 protocol (docs/PROTOCOL.md) as state machines, and the call layer
        // (typed client and server, interceptors, in-process transport). No sockets, no TLS.
        .target(name: "DHRPC", dependencies: ["DHIdentity", "DHWire"], swiftSettings: swiftSettings),
        // The real transport: TCP + TLS 1.3 (mutual) + dh-rpc/1 over SwiftNIO (docs/TRANSPORT.md).
        .target(
            name: "DHTransport",
            dependencies: [
                "DHRPC", "DHTLS", "DHIdentity",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings),
        // PostgreSQL through libpq.
        .target(name: "DHStorage", dependencies: ["CLibPQ"], swiftSettings: swiftSettings),
        // The tamper-evident audit log: an RFC 9162 Merkle tree over audit entries.
        .target(name: "DHAudit", dependencies: ["DHTLS"], swiftSettings: swiftSettings),
        // The project's schema (versioned migrations) and the repositories over it: the only
        // SQL outside DHStorage (audit log store and queries, consent store).
        .target(
            name: "DHRepositories", dependencies: ["DHStorage", "DHAudit", "DHIdentity", "DHTLS"] + careRecordRepositoryDependencies,
            swiftSettings: swiftSettings),

        // Access control for every call: caller context, method-level policy, audit entries.
        .target(name: "DHAccess", dependencies: ["DHRPC", "DHIdentity", "DHAudit"], swiftSettings: swiftSettings),

        // Schemas: generated Swift for Protos/ (make generate; make check-generated fails when stale).
        .target(name: "DHSchemas", dependencies: ["DHWire", "DHRPC"], swiftSettings: swiftSettings),
        // Services.
        .target(
            name: "DHCareRecord", dependencies: ["DHSchemas", "DHWire", "DHRPC", "DHIdentity", "DHAudit", "DHTLS", "DHAccess"],
            swiftSettings: swiftSettings),

        // Messages known only from descriptors (dh call, reflection clients): binary and proto3 JSON.
        .target(name: "DHDynamic", dependencies: ["DHDescriptor", "DHWire"], swiftSettings: swiftSettings),

        // The testee for protobuf's conformance runner (dh-conformance).
        .target(name: "DHConformance", dependencies: ["DHDynamic", "DHWire"], swiftSettings: swiftSettings),
        .executableTarget(
            name: "dh-conformance", dependencies: ["DHConformance", "DHDynamic", "DHDescriptor", "DHProtoCompiler"],
            swiftSettings: swiftSettings),

        // Synthetic Japanese health data for demos, tests and benchmarks (dh synth).
        .target(name: "DHSynth", dependencies: ["DHSchemas", "DHWire", "DHCareRecord"], swiftSettings: swiftSettings),

        // Services every server hosts: health and reflection.
        .target(name: "DHOps", dependencies: ["DHRPC", "DHSchemas", "DHDescriptor", "DHWire"], swiftSettings: swiftSettings),

        // The assembled server: database, audit log, policy, consent, services, transport.
        .target(
            name: "DHServer",
            dependencies: [
                "DHAccess", "DHAudit", "DHCareRecord", "DHIdentity", "DHOps", "DHRepositories", "DHRPC", "DHStorage",
                "DHTLS", "DHTransport",
            ],
            swiftSettings: swiftSettings),

        // The ops CLI and the server.
        .target(
            name: "DHCLI",
            dependencies: [
                "DHIdentity", "DHTLS", "DHStorage", "DHAudit", "DHRepositories", "DHRPC", "DHTransport", "DHServer", "DHSynth",
                "DHSchemas", "DHWire", "DHDynamic", "DHDescriptor",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings),
        .executableTarget(name: "dh", dependencies: ["DHCLI"], swiftSettings: swiftSettings),

        // Fuzzing: checks shared by the tests (which replay the kept corpora) and the libFuzzer
        // entry points in Fuzz/, which do nothing unless built by `make fuzz`.
        .target(name: "DHRPCFuzzing", dependencies: ["DHRPC"], swiftSettings: swiftSettings),
        .executableTarget(
            name: "dh-rpc-fuzz", dependencies: ["DHRPCFuzzing"], path: "Fuzz/dh-rpc-fuzz", swiftSettings: swiftSettings),
        .executableTarget(
            name: "DHProtoCompilerFuzz", dependencies: ["DHProtoCompiler"], path: "Fuzz/DHProtoCompilerFuzz",
            swiftSettings: swiftSettings),

        // Tests. DHTestSupport runs helper programs (protoc, protoc-c, cc, python) safely.
        .target(name: "DHTestSupport", path: "Tests/DHTestSupport", swiftSettings: swiftSettings),
        .testTarget(
            name: "SystemLibraryTests", dependencies: ["DHTLS", "DHStorage", "CProtobufC"],
            swiftSettings: swiftSettings),
        .testTarget(name: "DHWireTests", dependencies: ["DHWire", "DHTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "DHDescriptorTests", dependencies: ["DHDescriptor", "DHWire"], swiftSettings: swiftSettings),
        .testTarget(
            name: "DHProtoCompilerTests", dependencies: ["DHProtoCompiler", "DHDescriptor", "DHTestSupport"], exclude: ["Corpus"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "DHSwiftGeneratorTests", dependencies: ["DHSwiftGenerator", "DHDescriptor", "DHWire", "DHTestSupport"],
            exclude: ["Corpus"], swiftSettings: swiftSettings),
        // Compiles the generator's golden output and exercises it against protoc's encoder.
        .testTarget(name: "GeneratedCodeTests", dependencies: ["DHWire", "DHTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "DHIdentityTests", dependencies: ["DHIdentity"], swiftSettings: swiftSettings),
        .testTarget(
            name: "DHTLSTests", dependencies: ["DHIdentity", "DHTLS", "COpenSSL"], swiftSettings: swiftSettings),
        .testTarget(name: "DHRPCTests", dependencies: ["DHRPC", "DHRPCFuzzing"], swiftSettings: swiftSettings),
        .testTarget(
            name: "DHRPCCallTests", dependencies: ["DHRPC", "DHIdentity", "DHWire"], swiftSettings: swiftSettings),
        .testTarget(name: "DHStorageTests", dependencies: ["DHStorage"], swiftSettings: swiftSettings),
        // Over real TLS on loopback, with certificates the test run makes.
        .testTarget(
            name: "DHTransportTests",
            dependencies: [
                "DHTransport", "DHRPC", "DHTLS", "DHIdentity", "DHWire", "COpenSSL", "DHCLI",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings),
        // Builds the C client kit (deploy/clients/c) with make and runs its test program against a TLS server.
        .testTarget(
            name: "CClientKitTests",
            dependencies: [
                "DHTransport", "DHRPC", "DHTLS", "DHIdentity", "DHWire", "DHCareRecord", "DHSchemas", "DHTestSupport",
            ],
            swiftSettings: swiftSettings),
        // Against a throwaway embedded cluster; also runs dh migrate and dh audit in-process.
        .testTarget(
            name: "DHRepositoriesTests",
            dependencies: [
                "DHRepositories", "DHStorage", "DHAudit", "DHIdentity", "DHTLS", "DHCLI", "DHSynth",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ] + careRecordRepositoryTestDependencies,
            swiftSettings: swiftSettings),
        .testTarget(
            name: "DHAccessTests", dependencies: ["DHAccess", "DHRPC", "DHIdentity", "DHAudit", "DHTLS", "DHWire"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "DHServerTests",
            dependencies: [
                "DHServer", "DHAudit", "DHCareRecord", "DHDescriptor", "DHIdentity", "DHRepositories", "DHRPC", "DHSchemas",
                "DHStorage", "DHTestSupport", "DHTLS", "DHTransport", "DHWire",
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "DHSynthTests", dependencies: ["DHSynth", "DHCareRecord", "DHSchemas", "DHWire"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "DHDynamicTests",
            dependencies: ["DHDynamic", "DHConformance", "DHDescriptor", "DHProtoCompiler", "DHSchemas", "DHSynth", "DHWire", "DHTestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(name: "DHAuditTests", dependencies: ["DHAudit", "DHTLS"], swiftSettings: swiftSettings),
        .testTarget(
            name: "DHCareRecordTests",
            dependencies: ["DHCareRecord", "DHSchemas", "DHWire", "DHRPC", "DHIdentity", "DHAudit", "DHSynth"],
            swiftSettings: swiftSettings),
        // dh pki and dh policy, run in-process.
        .testTarget(
            name: "DHCLITests",
            dependencies: [
                "DHCLI", "DHIdentity", "DHTLS", "DHSchemas", "DHWire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings),
    ]
)

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
        .executable(name: "protoc-gen-dh", targets: ["protoc-gen-dh"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
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
        .target(name: "DHTLS", dependencies: ["COpenSSL"], swiftSettings: swiftSettings),
        // PostgreSQL through libpq.
        .target(name: "DHStorage", dependencies: ["CLibPQ"], swiftSettings: swiftSettings),

        // The protobuf compiler front end (lexer, parser, linker) and its command line.
        // DHDescriptor is descriptor.proto as Swift values, shared with the emitter,
        // dynamic messages and the CLI.
        .target(name: "DHDescriptor", dependencies: ["DHWire"], swiftSettings: swiftSettings),
        .target(
            name: "DHProtoCompiler", dependencies: ["DHDescriptor", "DHWire"], path: "Codegen/DHProtoCompiler",
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "dh-protoc", dependencies: ["DHProtoCompiler", "DHDescriptor"], path: "Codegen/dh-protoc",
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "protoc-gen-dh", dependencies: ["DHProtoCompiler"], path: "Codegen/protoc-gen-dh",
            swiftSettings: swiftSettings),
        // libFuzzer target for the compiler front end (Fuzz/run.sh); a corpus replayer otherwise.
        .executableTarget(
            name: "DHProtoCompilerFuzz", dependencies: ["DHProtoCompiler"], path: "Fuzz/DHProtoCompilerFuzz",
            swiftSettings: swiftSettings),

        // The ops CLI and the server.
        .target(
            name: "DHCLI",
            dependencies: [
                "DHTLS", "DHStorage",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings),
        .executableTarget(name: "dh", dependencies: ["DHCLI"], swiftSettings: swiftSettings),

        .testTarget(name: "DHWireTests", dependencies: ["DHWire"], swiftSettings: swiftSettings),
        .testTarget(
            name: "DHDescriptorTests", dependencies: ["DHDescriptor", "DHWire"], swiftSettings: swiftSettings),
        .testTarget(
            name: "DHProtoCompilerTests", dependencies: ["DHProtoCompiler", "DHDescriptor"],
            exclude: ["Corpus"], swiftSettings: swiftSettings),
        .testTarget(
            name: "SystemLibraryTests",
            dependencies: ["DHTLS", "DHStorage", "CProtobufC"],
            swiftSettings: swiftSettings),
    ]
)

// swift-tools-version:6.1
// grpc-swift-2 over HTTP/2 and mutual TLS 1.3 (swift-nio-ssl): the peer for the transport
// benchmark (docs/TRANSPORT.md). A package of its own so that the project never depends on
// gRPC. scripts/bench-peer-grpc-swift.sh builds and runs it.

import PackageDescription

let package = Package(
    name: "GRPCSwiftPeer",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/grpc/grpc-swift-2", exact: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", exact: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", exact: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0"),
        // Already in the graph through grpc-swift-nio-transport; named to read the TLS version.
        .package(url: "https://github.com/apple/swift-nio", from: "2.96.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.34.0"),
    ],
    targets: [
        .executableTarget(
            name: "GRPCSwiftPeer",
            dependencies: [
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: [
                .swiftLanguageMode(.v6),
                .enableUpcomingFeature("ExistentialAny"),
                .enableUpcomingFeature("InternalImportsByDefault"),
            ])
    ])

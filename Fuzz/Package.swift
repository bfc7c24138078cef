// swift-tools-version: 6.1
//
// libFuzzer targets, kept in their own package and built with
// `-sanitize=fuzzer,address` by `make fuzz` (scripts/fuzz.sh). Each target's kept
// corpus of past failures lives in Fuzz/Corpus/<target>/ and is replayed on every run.

import PackageDescription

let package = Package(
    name: "DataHealthFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "DataHealth", path: "..")
    ],
    targets: [
        .executableTarget(
            name: "FuzzWireReader",
            dependencies: [.product(name: "DHWire", package: "DataHealth")],
            path: "Targets/FuzzWireReader"
        )
    ]
)

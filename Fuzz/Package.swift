// swift-tools-version: 6.1
//
// libFuzzer targets for the DHWire binary and JSON decoders, built apart from the main
// package because they need sanitizers and coverage instrumentation (swiftc's
// -sanitize=fuzzer alone does not add the coverage libFuzzer reads):
//
//   swift build --package-path Fuzz -c release --sanitize=fuzzer --sanitize=address \
//       -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp
//   mkdir -p Fuzz/work/binary Fuzz/work/json
//   Fuzz/.build/release/FuzzBinary -max_total_time=300 Fuzz/work/binary Fuzz/Seeds/binary
//   Fuzz/.build/release/FuzzJSON -max_total_time=300 Fuzz/work/json Fuzz/Seeds/json
//
// Inputs that ever made a target fail are kept in Fuzz/FailCases/ and run as regressions:
//   Fuzz/.build/release/FuzzBinary Fuzz/FailCases/*   (a directory of files, each run once)
// The sources are links to the runtime and the hand-written test messages.

import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "DHWireFuzz",
    platforms: [.macOS(.v15)],
    targets: [
        .target(name: "DHWire", swiftSettings: swiftSettings),
        .executableTarget(name: "FuzzBinary", dependencies: ["DHWire"], swiftSettings: swiftSettings),
        .executableTarget(name: "FuzzJSON", dependencies: ["DHWire"], swiftSettings: swiftSettings),
    ]
)

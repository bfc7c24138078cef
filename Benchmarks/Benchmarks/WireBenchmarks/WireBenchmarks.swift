import Benchmark
import DHWire
import WireBenchCases

/// Varint encoding of a spread of magnitudes: the innermost loop of every protobuf encoder.
/// And the care record (about 2 KB, Benchmarks/Schema/bench_care.proto) encoded, decoded and
/// written and read as JSON by DHWire, swift-protobuf 1.39 and protobuf-c on the same value and
/// bytes. `wire-ops time` prints the ratios; scripts/bench-callgrind.sh counts instructions.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .instructions, .mallocCountTotal],
        maxDuration: .seconds(2),
        maxIterations: 1_000
    )

    let values: [UInt64] = (0..<1024).map { index in
        UInt64(1) << UInt64(index % 64) | UInt64(index)
    }

    Benchmark("Varint encode 1024 values") { benchmark in
        for _ in benchmark.scaledIterations {
            var writer = BinaryWriter(capacity: 1024 * 10)
            for value in values { writer.writeVarint(value) }
            blackHole(writer.bytes.count)
        }
    }

    var encoded = BinaryWriter(capacity: 1024 * 10)
    for value in values { encoded.writeVarint(value) }
    let bytes = encoded.bytes

    Benchmark("Varint decode 1024 values") { benchmark in
        for _ in benchmark.scaledIterations {
            var reader = BinaryReader(bytes)
            var sum: UInt64 = 0
            while !reader.isAtEnd { sum &+= (try? reader.readVarint()) ?? 0 }
            blackHole(sum)
        }
    }

    let cases: WireBenchCases
    do {
        cases = try WireBenchCases()
    } catch {
        fatalError("wire benchmark setup: \(error)")
    }
    for operation in WireOperation.allCases {
        // Named "CareRecord <task> <implementation>" so that a filter such as
        // "CareRecord encode" selects one comparison.
        Benchmark(
            "CareRecord \(operation.task) \(operation.implementation)",
            configuration: .init(
                metrics: [.wallClock, .throughput, .instructions, .mallocCountTotal],
                scalingFactor: .kilo,
                maxDuration: .seconds(2),
                maxIterations: 1_000
            )
        ) { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(cases.run(operation))
            }
        }
    }
}

import Benchmark
import DHWire

/// Varint encoding of a spread of magnitudes: the innermost loop of every protobuf encoder.
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
}

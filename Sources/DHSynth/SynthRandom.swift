/// SplitMix64: a small, fast generator whose output depends on the seed alone, on every
/// platform and Swift version (unlike `SystemRandomNumberGenerator`), so a seed always gives the
/// same data.
public struct SynthRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in `range`, without the modulo bias of `next() % n`.
    public mutating func int(in range: ClosedRange<Int>) -> Int {
        let span = UInt64(range.upperBound - range.lowerBound) + 1
        let limit = UInt64.max - UInt64.max % span
        var value = next()
        while value >= limit { value = next() }
        return range.lowerBound + Int(value % span)
    }

    /// True with probability `p`.
    public mutating func chance(_ p: Double) -> Bool { unit() < p }

    /// A uniform value in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// One element, uniformly.
    public mutating func pick<T>(_ items: [T]) -> T { items[int(in: 0...(items.count - 1))] }

    /// A value near `mean` (normal, Box–Muller), for lab values.
    public mutating func normal(mean: Double, deviation: Double) -> Double {
        let u1 = max(unit(), 1e-12)
        let u2 = unit()
        return mean + deviation * (-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2)
    }
}

// Platform-independent elementary functions, so that values do not differ with libm.
@inline(__always) func _log(_ x: Double) -> Double {
    // log(x) = 2 atanh((x-1)/(x+1)), after scaling x into [0.5, 1) by its exponent.
    let exponent = Double(x.exponent + 1)
    let m = x.significand / 2
    let t = (m - 1) / (m + 1)
    var term = t
    var sum = 0.0
    var n = 1.0
    for _ in 0..<40 {
        sum += term / n
        term *= t * t
        n += 2
    }
    return 2 * sum + exponent * 0.693_147_180_559_945_3
}

@inline(__always) func _cos(_ x: Double) -> Double {
    var y = x.truncatingRemainder(dividingBy: 2 * Double.pi)
    if y > Double.pi { y -= 2 * Double.pi }
    if y < -Double.pi { y += 2 * Double.pi }
    var term = 1.0
    var sum = 1.0
    for n in stride(from: 2.0, through: 40.0, by: 2.0) {
        term *= -y * y / (n * (n - 1))
        sum += term
    }
    return sum
}

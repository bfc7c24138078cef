@testable import DHRPC

/// Bytes from hex text such as "00 0a ff"; spaces and `|` are ignored.
func hex(_ text: String) -> [UInt8] {
    let digits = text.filter { $0.isHexDigit }
    var bytes: [UInt8] = []
    var index = digits.startIndex
    while index < digits.endIndex {
        let next = digits.index(index, offsetBy: 2)
        bytes.append(UInt8(digits[index..<next], radix: 16)!)
        index = next
    }
    return bytes
}

/// A seeded generator (SplitMix64), so random tests repeat exactly.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

typealias Action = RPCConnectionStateMachine.Action

extension Array where Element == Action {
    var frames: [Frame] {
        compactMap { if case .send(let frame) = $0 { frame } else { nil } }
    }
    var events: [Action] {
        filter { if case .send = $0 { false } else { true } }
    }
    var closedStatuses: [UInt32: RPCStatus] {
        var result: [UInt32: RPCStatus] = [:]
        for case .callClosed(let id, let status, _) in self { result[id] = status }
        return result
    }
    var messages: [[UInt8]] {
        compactMap { if case .receivedMessage(_, let message) = $0 { message } else { nil } }
    }
}

typealias Link = InMemoryConnectionPair

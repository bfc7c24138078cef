import Testing

@testable import DHRPC

@Suite("Message deframer")
struct MessageDeframerTests {
    /// A message byte stream: each message with its 4-byte big-endian length prefix.
    static func stream(_ messages: [[UInt8]]) -> [UInt8] {
        var bytes: [UInt8] = []
        for message in messages { FrameEncoder.appendMessage(message, to: &bytes) }
        return bytes
    }

    @Test("messages come out whole however the stream is split", arguments: 0..<40)
    func randomSplits(seed: Int) throws {
        var generator = SeededGenerator(seed: UInt64(seed))
        let messages: [[UInt8]] = (0..<12).map { index in
            let size = [0, 1, 3, 4, 5, 300, 70_000][Int.random(in: 0..<7, using: &generator)]
            return (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
        }
        let bytes = Self.stream(messages)
        var deframer = MessageDeframer(maxMessageSize: 100_000)
        var out: [[UInt8]] = []
        var index = 0
        while index < bytes.count {
            // Pieces of 1 to 9 bytes, or larger, so that prefixes and bodies split anywhere.
            let size =
                Bool.random(using: &generator)
                ? Int.random(in: 1...9, using: &generator) : Int.random(in: 1...4_000, using: &generator)
            let end = min(bytes.count, index + size)
            out += try deframer.append(Array(bytes[index..<end]))
            index = end
        }
        #expect(out == messages)
        #expect(!deframer.hasPartialMessage)
        #expect(deframer.bufferedByteCount == 0)
    }

    @Test("a length above the limit is refused when its prefix is read, whole or in pieces")
    func tooLarge() {
        let bytes = Self.stream([[1, 2, 3], Array(repeating: 7, count: 101)])
        var whole = MessageDeframer(maxMessageSize: 100)
        #expect(throws: MessageDeframer.TooLarge.self) { _ = try whole.append(bytes) }
        var pieces = MessageDeframer(maxMessageSize: 100)
        var first: [[UInt8]] = []
        #expect(throws: MessageDeframer.TooLarge.self) {
            for byte in bytes.prefix(11) { first += try pieces.append([byte]) }
        }
        #expect(first == [[1, 2, 3]])
    }
}

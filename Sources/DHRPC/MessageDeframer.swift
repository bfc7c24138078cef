/// Reassembles length-prefixed messages from the pieces of one stream's message byte stream.
///
/// A message larger than the limit is rejected as soon as its length prefix is read, before its
/// body is buffered.
struct MessageDeframer: Sendable {
    let maxMessageSize: Int
    private var prefix: [UInt8] = []
    private var body: [UInt8] = []
    private var expected: Int?

    init(maxMessageSize: Int) { self.maxMessageSize = maxMessageSize }

    /// Bytes of the message in progress that have been received (prefix included).
    var bufferedByteCount: Int { prefix.count + body.count + (expected == nil ? 0 : FrameLayout.messagePrefixSize) }

    /// Whether a message has started and not yet completed.
    var hasPartialMessage: Bool { !prefix.isEmpty || expected != nil }

    /// Bytes still needed to complete the message in progress (0 when none is in progress).
    var bytesToCompleteMessage: Int {
        if let expected { return expected - body.count }
        return prefix.isEmpty ? 0 : FrameLayout.messagePrefixSize - prefix.count
    }

    struct TooLarge: Error { let size: Int }

    /// Feeds bytes; returns the messages they complete.
    mutating func append(_ bytes: [UInt8]) throws(TooLarge) -> [[UInt8]] {
        var messages: [[UInt8]] = []
        try append(bytes, into: &messages)
        return messages
    }

    /// Feeds bytes; appends the messages they complete to `messages` (a caller's reused array).
    mutating func append(_ bytes: [UInt8], into messages: inout [[UInt8]]) throws(TooLarge) {
        var index = 0
        while index < bytes.count {
            if let expected {
                let take = min(expected - body.count, bytes.count - index)
                body.append(contentsOf: bytes[index..<index + take])
                index += take
                if body.count == expected {
                    messages.append(body)
                    body = []
                    self.expected = nil
                }
            } else if prefix.isEmpty && bytes.count - index >= FrameLayout.messagePrefixSize {
                // The whole prefix at hand (the usual case): read in place.
                let length =
                    Int(bytes[index]) << 24 | Int(bytes[index + 1]) << 16 | Int(bytes[index + 2]) << 8
                    | Int(bytes[index + 3])
                index += FrameLayout.messagePrefixSize
                guard length <= maxMessageSize else { throw TooLarge(size: length) }
                if length == 0 {
                    messages.append([])
                } else {
                    expected = length
                    body.reserveCapacity(length)
                }
            } else {
                let take = min(FrameLayout.messagePrefixSize - prefix.count, bytes.count - index)
                prefix.append(contentsOf: bytes[index..<index + take])
                index += take
                if prefix.count == FrameLayout.messagePrefixSize {
                    let length =
                        Int(prefix[0]) << 24 | Int(prefix[1]) << 16 | Int(prefix[2]) << 8 | Int(prefix[3])
                    prefix = []
                    guard length <= maxMessageSize else { throw TooLarge(size: length) }
                    if length == 0 {
                        messages.append([])
                    } else {
                        expected = length
                        body.reserveCapacity(length)
                    }
                }
            }
        }
    }
}

/// Call metadata: an ordered list of key/value pairs; a key may repeat.
///
/// Keys are lowercase ASCII from `0-9 a-z - _ .`, 1 ... 255 bytes. A key ending in `-bin` has a
/// binary value; any other key has a text value of printable ASCII (docs/PROTOCOL.md §2.1).
/// Construction does not check the rules; ``validationError`` does, and so does every encoder.
public struct Metadata: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    public enum Value: Sendable, Hashable {
        case string(String)
        case binary([UInt8])

        /// The bytes sent on the wire.
        public var bytes: [UInt8] {
            switch self {
            case .string(let text): Array(text.utf8)
            case .binary(let bytes): bytes
            }
        }
    }

    public struct Entry: Sendable, Hashable {
        public var key: String
        public var value: Value
        public init(key: String, value: Value) {
            self.key = key
            self.value = value
        }
    }

    public private(set) var entries: [Entry]

    public init() { entries = [] }

    public init(dictionaryLiteral elements: (String, Value)...) {
        entries = elements.map { Entry(key: $0.0, value: $0.1) }
    }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }

    public mutating func addString(_ value: String, forKey key: String) {
        entries.append(Entry(key: key, value: .string(value)))
    }

    public mutating func addBinary(_ value: [UInt8], forKey key: String) {
        entries.append(Entry(key: key, value: .binary(value)))
    }

    public mutating func append(_ entry: Entry) { entries.append(entry) }

    public mutating func removeAll(forKey key: String) { entries.removeAll { $0.key == key } }

    /// Every value for a key, in order.
    public subscript(key: String) -> [Value] { entries.filter { $0.key == key }.map(\.value) }

    /// The first text value for a key.
    public func firstString(forKey key: String) -> String? {
        for entry in entries where entry.key == key {
            if case .string(let text) = entry.value { return text }
        }
        return nil
    }

    public func makeIterator() -> IndexingIterator<[Entry]> { entries.makeIterator() }

    public static func isBinaryKey(_ key: some StringProtocol) -> Bool { key.hasSuffix("-bin") }

    static func isValidKeyByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
            true
        default: false
        }
    }

    static func isValidTextByte(_ byte: UInt8) -> Bool { byte >= 0x20 && byte <= 0x7E }

    /// Why this metadata cannot be sent, or nil if it can.
    public var validationError: String? {
        if entries.count > Int(UInt16.max) { return "more than \(UInt16.max) metadata entries" }
        for entry in entries {
            let key = entry.key.utf8
            guard !key.isEmpty, key.count <= 255 else { return "metadata key of \(key.count) bytes" }
            guard key.allSatisfy(Self.isValidKeyByte) else {
                return "metadata key '\(entry.key)' has a disallowed character"
            }
            let binaryKey = Self.isBinaryKey(entry.key)
            switch entry.value {
            case .binary(let bytes):
                guard binaryKey else { return "binary value for '\(entry.key)', whose name does not end in -bin" }
                guard bytes.count <= Int(UInt16.max) else { return "metadata value for '\(entry.key)' too long" }
            case .string(let text):
                guard !binaryKey else { return "text value for '\(entry.key)', whose name ends in -bin" }
                let bytes = text.utf8
                guard bytes.count <= Int(UInt16.max) else { return "metadata value for '\(entry.key)' too long" }
                guard bytes.allSatisfy(Self.isValidTextByte) else {
                    return "metadata value for '\(entry.key)' is not printable ASCII"
                }
            }
        }
        return nil
    }

    public var description: String {
        "["
            + entries.map { entry in
                switch entry.value {
                case .string(let text): "\(entry.key): \(text)"
                case .binary(let bytes): "\(entry.key): <\(bytes.count) bytes>"
                }
            }.joined(separator: ", ") + "]"
    }
}

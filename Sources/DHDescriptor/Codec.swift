public import DHWire

/// A message of `google/protobuf/descriptor.proto` that encodes to and decodes from the
/// binary wire format.
///
/// Encoding writes known fields in field-number order, as protoc does, and then the
/// unknown fields (extensions such as custom options) exactly as they were read or set.
public protocol DescriptorMessage: Sendable, Hashable {
    init()
    /// Fields not known to this model, as wire-format bytes (keys included).
    var unknownFields: [UInt8] { get set }
    /// Writes the message's fields (without a length prefix).
    func encode(to writer: inout BinaryWriter)
    /// Decodes one field whose key was just read; returns false for a field this
    /// message does not know, which the caller then keeps in `unknownFields`. `depth` is the
    /// message's nesting depth, passed on to nested messages so that decoding stays bounded.
    mutating func decodeField(_ tag: FieldTag, from reader: inout BinaryReader, depth: Int) throws(WireError) -> Bool
}

extension DescriptorMessage {
    /// Decodes a message from its wire-format bytes.
    ///
    /// - Throws: `WireError` with the codes of `BinaryReader` when the bytes are malformed.
    public init(serializedBytes bytes: [UInt8]) throws(WireError) {
        self.init()
        var reader = BinaryReader(bytes)
        try merge(from: &reader, depth: 0)
    }

    /// The message's wire-format bytes.
    public func serializedBytes() -> [UInt8] {
        var writer = BinaryWriter()
        encode(to: &writer)
        return writer.bytes
    }

    mutating func merge(from reader: inout BinaryReader, depth: Int) throws(WireError) {
        guard depth < DescriptorCodec.maximumDepth else {
            throw WireError(code: .recursionTooDeep, offset: reader.offset, message: "descriptor nested too deeply")
        }
        while let tag = try reader.readTag() {
            let start = reader.offset
            if try decodeField(tag, from: &reader, depth: depth) { continue }
            try reader.skipField(tag, depth: depth)
            var key = BinaryWriter()
            key.writeTag(tag.fieldNumber, tag.wireType)
            unknownFields.append(contentsOf: key.bytes)
            unknownFields.append(contentsOf: reader.bytes[start..<reader.offset])
        }
    }
}

enum DescriptorCodec {
    /// Descriptors nest as deeply as the messages they describe; this bounds decoding.
    static let maximumDepth = 100
}

// MARK: - Writing fields

extension BinaryWriter {
    mutating func write(_ number: Int32, _ value: String?) {
        guard let value else { return }
        writeTag(number, .lengthDelimited)
        writeString(value)
    }

    mutating func write(_ number: Int32, _ values: [String]) {
        for value in values { write(number, value) }
    }

    mutating func write(_ number: Int32, _ value: Int32?) {
        guard let value else { return }
        writeTag(number, .varint)
        writeVarint(UInt64(bitPattern: Int64(value)))
    }

    mutating func write(_ number: Int32, _ values: [Int32]) {
        for value in values { write(number, value) }
    }

    mutating func write(_ number: Int32, _ value: Bool?) {
        guard let value else { return }
        writeTag(number, .varint)
        writeVarint(value ? 1 : 0)
    }

    mutating func write<E: RawRepresentable<Int32>>(_ number: Int32, _ value: E?) {
        write(number, value?.rawValue)
    }

    mutating func write(_ number: Int32, _ message: (some DescriptorMessage)?) {
        guard let message else { return }
        writeTag(number, .lengthDelimited)
        writeLengthDelimited(message.serializedBytes())
    }

    mutating func write(_ number: Int32, _ messages: [some DescriptorMessage]) {
        for message in messages { write(number, message) }
    }
}

// MARK: - Reading fields

extension BinaryReader {
    /// Skips a field's value, groups included (custom options may be groups).
    mutating func skipField(_ tag: FieldTag, depth: Int) throws(WireError) {
        switch tag.wireType {
        case .startGroup:
            guard depth < DescriptorCodec.maximumDepth else {
                throw WireError(code: .recursionTooDeep, offset: offset, message: "groups nested too deeply")
            }
            while let inner = try readTag() {
                if inner.wireType == .endGroup {
                    guard inner.fieldNumber == tag.fieldNumber else {
                        throw WireError(code: .unexpectedEndGroup, offset: offset, message: "end-group key does not match")
                    }
                    return
                }
                try skipField(inner, depth: depth + 1)
            }
            throw WireError(code: .truncated, offset: offset, message: "group runs past the end of the input")
        case .endGroup:
            throw WireError(code: .unexpectedEndGroup, offset: offset, message: "end-group key with no matching start")
        default:
            try skip(tag.wireType)
        }
    }

    mutating func expect(_ tag: FieldTag, _ wireType: WireType) throws(WireError) {
        guard tag.wireType == wireType else {
            throw WireError(
                code: .invalidWireType, offset: offset,
                message: "field \(tag.fieldNumber) has wire type \(tag.wireType.rawValue), expected \(wireType.rawValue)")
        }
    }

    mutating func readString(_ tag: FieldTag) throws(WireError) -> String {
        try expect(tag, .lengthDelimited)
        return try readString()
    }

    mutating func readInt32(_ tag: FieldTag) throws(WireError) -> Int32 {
        try expect(tag, .varint)
        return Int32(truncatingIfNeeded: try readVarint())
    }

    /// A repeated int32 field, packed or not.
    mutating func readInt32s(_ tag: FieldTag, into values: inout [Int32]) throws(WireError) {
        if tag.wireType == .lengthDelimited {
            var inner = BinaryReader(Array(try readLengthDelimited()))
            while !inner.isAtEnd { values.append(Int32(truncatingIfNeeded: try inner.readVarint())) }
        } else {
            values.append(try readInt32(tag))
        }
    }

    mutating func readBool(_ tag: FieldTag) throws(WireError) -> Bool {
        try expect(tag, .varint)
        return try readVarint() != 0
    }

    mutating func readMessage<M: DescriptorMessage>(_ tag: FieldTag, depth: Int) throws(WireError) -> M {
        try expect(tag, .lengthDelimited)
        var message = M()
        var inner = BinaryReader(Array(try readLengthDelimited()))
        try message.merge(from: &inner, depth: depth + 1)
        return message
    }

    /// An optional message field met again merges into the value read before, as protobuf requires.
    mutating func mergeMessage<M: DescriptorMessage>(
        _ tag: FieldTag, into message: inout M?, depth: Int
    ) throws(WireError) {
        try expect(tag, .lengthDelimited)
        var value = message ?? M()
        var inner = BinaryReader(Array(try readLengthDelimited()))
        try value.merge(from: &inner, depth: depth + 1)
        message = value
    }
}

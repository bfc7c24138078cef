/// A protobuf message: the contract that dh-protoc's generated structs implement.
///
/// Generated code implements the four requirements below; everything else (encoding to
/// bytes, decoding with limits, merging) comes from this module. The exact shape of the
/// generated code is specified in docs/RUNTIME.md.
public protocol Message: Sendable, Hashable {
    /// A message with every field at its default.
    init()

    /// Fields read from the wire that this message's schema does not know, kept in order
    /// and written back byte for byte.
    var unknownFields: UnknownFields { get set }

    /// The size of this message's encoding in bytes (without a length prefix).
    func serializedSize() -> Int

    /// Writes this message's fields back to front (see `WireWriter`): unknown fields first,
    /// then fields from the highest field number to the lowest.
    func encode(to writer: inout WireWriter)

    /// Reads fields until the end of the message, merging them into `self`: a scalar that
    /// occurs again replaces the earlier value, a message merges, a repeated field appends.
    mutating func decodeMessage(from reader: inout WireReader) throws(WireError)

    /// Writes this message's fields as JSON object members (proto3 JSON mapping), in
    /// field-number order; the writer adds braces and commas.
    func encodeJSONFields(to writer: inout JSONWriter)

    /// Reads the value of the JSON member `name` (a field's JSON name or .proto name) into
    /// `self`, returning false without reading anything when no field has that name.
    mutating func decodeJSONField(_ name: String, from reader: inout JSONReader) throws(WireError) -> Bool
}

extension Message {
    /// The binary encoding of this message, in one exactly sized allocation.
    @inlinable
    public func serializedBytes() -> [UInt8] {
        let size = serializedSize()
        return [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            if size > 0 {
                var writer = WireWriter(base: buffer.baseAddress!, count: size)
                encode(to: &writer)
                precondition(writer.free == 0, "serializedSize() does not match encode(to:)")
            }
            initialized = size
        }
    }

    /// Encodes this message into the start of `buffer`, which must hold at least
    /// `serializedSize()` bytes, and returns the number of bytes written. For framing a
    /// message behind a header without another copy.
    @inlinable
    public func serialize(into buffer: UnsafeMutableRawBufferPointer, size: Int) -> Int {
        precondition(size <= buffer.count, "buffer is smaller than the message")
        guard size > 0 else { return 0 }
        var writer = WireWriter(base: buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), count: size)
        encode(to: &writer)
        precondition(writer.free == 0, "serializedSize() does not match encode(to:)")
        return size
    }

    /// Decodes a message from its binary encoding.
    ///
    /// Throws `WireError` with `.messageTooLarge`, `.recursionTooDeep`, `.truncated`,
    /// `.malformedVarint`, `.invalidWireType`, `.invalidFieldNumber`, `.lengthPastEnd`,
    /// `.invalidUTF8`, `.groupsNotSupported` or `.unexpectedEndGroup`.
    @inlinable
    public init(
        serializedBytes bytes: [UInt8], configuration: WireReader.Configuration = .init()
    ) throws(WireError) {
        self.init()
        try merge(serializedBytes: bytes, configuration: configuration)
    }

    /// Decodes a message from borrowed bytes.
    @inlinable
    public init(
        serializedBytes bytes: UnsafeRawBufferPointer, configuration: WireReader.Configuration = .init()
    ) throws(WireError) {
        self.init()
        try merge(serializedBytes: bytes, configuration: configuration)
    }

    /// Decodes bytes into this message, merging with what it holds.
    @inlinable
    public mutating func merge(
        serializedBytes bytes: [UInt8], configuration: WireReader.Configuration = .init()
    ) throws(WireError) {
        let result: Result<Void, WireError> = bytes.withUnsafeBytes { raw in
            do throws(WireError) {
                try merge(serializedBytes: raw, configuration: configuration)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    /// Decodes borrowed bytes into this message, merging with what it holds.
    @inlinable
    public mutating func merge(
        serializedBytes bytes: UnsafeRawBufferPointer, configuration: WireReader.Configuration = .init()
    ) throws(WireError) {
        guard bytes.count <= configuration.maxMessageSize else {
            throw WireError(
                code: .messageTooLarge, offset: 0,
                message: "message of \(bytes.count) bytes exceeds the limit of \(configuration.maxMessageSize)")
        }
        var reader = WireReader(bytes, configuration: configuration)
        try decodeMessage(from: &reader)
    }

    /// Merges `other` into this message with protobuf's rules: scalars and oneofs set in
    /// `other` replace, messages merge, repeated fields and maps append.
    @inlinable
    public mutating func merge(_ other: Self) {
        let bytes = other.serializedBytes()
        do {
            try merge(serializedBytes: bytes, configuration: .init(maxMessageSize: .max, maxDepth: .max))
        } catch {
            preconditionFailure("re-decoding an encoded message failed: \(error)")
        }
    }
}

extension Message {
    /// The proto3 JSON mapping of this message, as UTF-8.
    public func jsonUTF8Bytes(configuration: JSONWriter.Configuration = .init()) -> [UInt8] {
        var writer = JSONWriter(configuration: configuration)
        writer.writeMessage(self)
        return writer.output
    }

    /// The proto3 JSON mapping of this message.
    public func jsonString(configuration: JSONWriter.Configuration = .init()) -> String {
        String(decoding: jsonUTF8Bytes(configuration: configuration), as: UTF8.self)
    }

    /// Decodes a message from the proto3 JSON mapping.
    ///
    /// Throws `WireError` with `.invalidJSON`, `.unknownJSONField`, `.invalidJSONValue`,
    /// `.invalidUTF8`, `.recursionTooDeep` or `.messageTooLarge`.
    public init(jsonUTF8Bytes bytes: [UInt8], configuration: JSONReader.Configuration = .init()) throws(WireError) {
        self.init()
        guard bytes.count <= configuration.maxMessageSize else {
            throw WireError(
                code: .messageTooLarge, offset: 0,
                message: "JSON of \(bytes.count) bytes exceeds the limit of \(configuration.maxMessageSize)")
        }
        let result: Result<Self, WireError> = bytes.withUnsafeBufferPointer { buffer in
            var message = Self()
            var reader = JSONReader(buffer, configuration: configuration)
            do throws(WireError) {
                try reader.readMessage(into: &message)
                if reader.peek() != nil { throw reader.syntaxError("text after the JSON object") }
                return .success(message)
            } catch {
                return .failure(error)
            }
        }
        self = try result.get()
    }

    /// Decodes a message from the proto3 JSON mapping.
    public init(jsonString: String, configuration: JSONReader.Configuration = .init()) throws(WireError) {
        try self.init(jsonUTF8Bytes: Array(jsonString.utf8), configuration: configuration)
    }
}

/// Fields a message's schema does not know, as their original bytes (keys and values).
public struct UnknownFields: Sendable, Hashable {
    /// The fields' bytes in the order they were read.
    public var bytes: [UInt8] { storage }
    @usableFromInline internal var storage: [UInt8]

    @inlinable
    public init() { storage = [] }

    public init(bytes: [UInt8]) { storage = bytes }

    @inlinable
    public var isEmpty: Bool { storage.isEmpty }

    @inlinable
    public var count: Int { storage.count }

    @usableFromInline
    internal mutating func append(_ fieldBytes: UnsafeRawBufferPointer) {
        storage.append(contentsOf: fieldBytes)
    }
}

/// A protobuf enum. Generated enums have one case per value and `unrecognized(Int32)` for
/// values the schema does not name, so every value read from the wire is kept.
public protocol ProtoEnum: Sendable, Hashable {
    /// The enum's value for `rawValue`; `unrecognized(rawValue)` when the schema has none.
    init(rawValue: Int32)
    var rawValue: Int32 { get }
    /// The value's name in the .proto file (its JSON form); nil for unrecognized values.
    var protoName: StaticString? { get }
    /// The value named `protoName` in the .proto file, or nil.
    init?(protoName: String)
}

/// Heap storage for a message field that would otherwise make a struct contain itself
/// (`message Node { Node child = 1; }`). Value semantics: copies share until written.
public enum Indirect<Value: Sendable & Hashable>: Sendable, Hashable {
    indirect case value(Value)

    @inlinable
    public init(_ value: Value) { self = .value(value) }

    @inlinable
    public var value: Value {
        get {
            switch self { case .value(let value): value }
        }
        set { self = .value(newValue) }
    }
}

/// The runtime API version generated code is written against. Generated files refer to
/// it (`typealias _DHWireRuntimeCheck = DHWire.WireRuntimeAPI_1`), so code generated for a
/// different API version fails to compile instead of misbehaving.
public enum WireRuntimeAPI_1 {}

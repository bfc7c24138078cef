/// Writes an encoded message back to front into a buffer of exactly its size.
///
/// Encoding is two passes: `Message.serializedSize()` computes the size once, the runtime
/// allocates one buffer of that size, and `Message.encode(to:)` fills it from the end towards
/// the start. Writing backwards means a nested message's length prefix is known when it is
/// written (it is the number of bytes written since the nested message began), so no size is
/// ever computed twice and nothing is moved.
///
/// Generated code therefore writes a message's parts in reverse: unknown fields first, then
/// fields from the highest field number to the lowest, each value before its key. The
/// `write…` helpers below take care of the order within one field.
///
/// A writer lives only inside `Message.serializedBytes()` and its siblings; generated code
/// receives it `inout` and never creates or keeps one. Writing more bytes than the buffer
/// holds (a size that does not match the encoding) stops the process rather than writing
/// out of bounds.
public struct WireWriter: ~Copyable {
    @usableFromInline
    internal let base: UnsafeMutablePointer<UInt8>
    /// The number of bytes still free in front of what has been written.
    @usableFromInline
    internal var free: Int

    @usableFromInline
    internal init(base: UnsafeMutablePointer<UInt8>, count: Int) {
        self.base = base
        self.free = count
    }

    /// A mark for measuring what was written since: pass it to `bytesWritten(since:)`.
    @inlinable
    public var mark: Int { free }

    /// How many bytes were written since `mark` was taken.
    @inlinable
    public func bytesWritten(since mark: Int) -> Int { mark &- free }

    /// Claims `count` bytes in front of what has been written and returns their start.
    @inlinable @inline(__always)
    internal mutating func claim(_ count: Int) -> UnsafeMutablePointer<UInt8> {
        if _slowPath(count > free) { WireWriter.overflow(count: count, free: free) }
        free &-= count
        return base + free
    }

    @usableFromInline
    internal static func overflow(count: Int, free: Int) -> Never {
        fatalError("WireWriter: encoding needs \(count) more bytes but \(free) remain; serializedSize() does not match encode(to:)")
    }

    // MARK: Primitives

    @inlinable
    public mutating func writeByte(_ byte: UInt8) {
        claim(1).pointee = byte
    }

    @inlinable
    public mutating func writeVarint(_ value: UInt64) {
        if value < 0x80 {
            claim(1).pointee = UInt8(truncatingIfNeeded: value)
            return
        }
        let count = Varint.encodedSize(value)
        var pointer = claim(count)
        var value = value
        while value >= 0x80 {
            pointer.pointee = UInt8(truncatingIfNeeded: value) | 0x80
            pointer += 1
            value &>>= 7
        }
        pointer.pointee = UInt8(truncatingIfNeeded: value)
    }

    @inlinable
    public mutating func writeVarint(_ value: UInt32) {
        if value < 0x80 {
            claim(1).pointee = UInt8(truncatingIfNeeded: value)
            return
        }
        writeVarint(UInt64(value))
    }

    /// Writes a field key, `(fieldNumber << 3) | wireType`, as a varint.
    @inlinable
    public mutating func writeKey(_ key: UInt32) {
        writeVarint(key)
    }

    @inlinable
    public mutating func writeFixed32(_ value: UInt32) {
        UnsafeMutableRawPointer(claim(4)).storeBytes(of: value.littleEndian, as: UInt32.self)
    }

    @inlinable
    public mutating func writeFixed64(_ value: UInt64) {
        UnsafeMutableRawPointer(claim(8)).storeBytes(of: value.littleEndian, as: UInt64.self)
    }

    @inlinable
    public mutating func writeRawBytes(_ bytes: UnsafeRawBufferPointer) {
        let count = bytes.count
        guard count > 0, let source = bytes.baseAddress else { return }
        UnsafeMutableRawPointer(claim(count)).copyMemory(from: source, byteCount: count)
    }

    @inlinable
    public mutating func writeRawBytes(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { writeRawBytes($0) }
    }

    /// Writes the UTF-8 of `string`, without a length prefix.
    @inlinable
    public mutating func writeRawUTF8(_ string: String) {
        let done: Void? = string.utf8.withContiguousStorageIfAvailable {
            writeRawBytes(UnsafeRawBufferPointer($0))
        }
        if done == nil {
            var copy = string
            copy.withUTF8 { writeRawBytes(UnsafeRawBufferPointer($0)) }
        }
    }

    // MARK: Fields

    /// Writes one field: the value, then its key.
    @inlinable
    public mutating func write<C: FieldCodec>(_ codec: C.Type, _ value: C.Value, key: UInt32) {
        C.write(value, to: &self)
        writeKey(key)
    }

    /// Writes a nested message field: the message, its length, then the key.
    @inlinable
    public mutating func writeMessage<M: Message>(_ message: M, key: UInt32) {
        let start = mark
        message.encode(to: &self)
        writeVarint(UInt64(bytesWritten(since: start)))
        writeKey(key)
    }

    /// Writes a repeated field unpacked: one key and value per element, in order.
    @inlinable
    public mutating func writeRepeated<C: FieldCodec>(_ codec: C.Type, _ values: [C.Value], key: UInt32) {
        var index = values.endIndex
        while index > values.startIndex {
            index &-= 1
            C.write(values[index], to: &self)
            writeKey(key)
        }
    }

    /// Writes a packed repeated field (key with wire type 2): nothing when `values` is empty.
    @inlinable
    public mutating func writePacked<C: FieldCodec>(_ codec: C.Type, _ values: [C.Value], key: UInt32) {
        guard !values.isEmpty else { return }
        let start = mark
        var index = values.endIndex
        while index > values.startIndex {
            index &-= 1
            C.write(values[index], to: &self)
        }
        writeVarint(UInt64(bytesWritten(since: start)))
        writeKey(key)
    }

    /// Writes a map field: one entry message (key = 1, value = 2) per element. Entries are
    /// written in the dictionary's iteration order; both key and value are always written.
    @inlinable
    public mutating func writeMap<K: FieldCodec, V: FieldCodec>(
        _ keyCodec: K.Type, _ valueCodec: V.Type, _ map: [K.Value: V.Value], key: UInt32
    ) {
        for (entryKey, entryValue) in map {
            let start = mark
            V.write(entryValue, to: &self)
            writeKey(2 << 3 | UInt32(V.wireType.rawValue))
            K.write(entryKey, to: &self)
            writeKey(1 << 3 | UInt32(K.wireType.rawValue))
            writeVarint(UInt64(bytesWritten(since: start)))
            writeKey(key)
        }
    }

    /// Writes the unknown fields kept from decoding, byte for byte.
    @inlinable
    public mutating func writeUnknownFields(_ fields: UnknownFields) {
        if !fields.isEmpty { writeRawBytes(fields.bytes) }
    }
}

/// Sizes of encoded fields, for `Message.serializedSize()`.
public enum WireSize {
    /// The size of one field: key and value.
    @inlinable
    public static func field<C: FieldCodec>(_ codec: C.Type, _ value: C.Value, key: UInt32) -> Int {
        Varint.encodedSize(UInt64(key)) &+ C.encodedSize(of: value)
    }

    /// The size of a nested message field: key, length and message.
    @inlinable
    public static func message<M: Message>(_ message: M, key: UInt32) -> Int {
        let size = message.serializedSize()
        return Varint.encodedSize(UInt64(key)) &+ Varint.encodedSize(UInt64(size)) &+ size
    }

    /// The size of an unpacked repeated field.
    @inlinable
    public static func repeated<C: FieldCodec>(_ codec: C.Type, _ values: [C.Value], key: UInt32) -> Int {
        var total = values.count &* Varint.encodedSize(UInt64(key))
        if let fixed = C.fixedSize {
            return total &+ values.count &* fixed
        }
        for value in values { total &+= C.encodedSize(of: value) }
        return total
    }

    /// The size of a packed repeated field; 0 when `values` is empty.
    @inlinable
    public static func packed<C: FieldCodec>(_ codec: C.Type, _ values: [C.Value], key: UInt32) -> Int {
        guard !values.isEmpty else { return 0 }
        var payload = 0
        if let fixed = C.fixedSize {
            payload = values.count &* fixed
        } else {
            for value in values { payload &+= C.encodedSize(of: value) }
        }
        return Varint.encodedSize(UInt64(key)) &+ Varint.encodedSize(UInt64(payload)) &+ payload
    }

    /// The size of a map field.
    @inlinable
    public static func map<K: FieldCodec, V: FieldCodec>(
        _ keyCodec: K.Type, _ valueCodec: V.Type, _ map: [K.Value: V.Value], key: UInt32
    ) -> Int {
        let keySize = Varint.encodedSize(UInt64(key))
        var total = 0
        for (entryKey, entryValue) in map {
            let entry = 2 &+ K.encodedSize(of: entryKey) &+ V.encodedSize(of: entryValue)
            total &+= keySize &+ Varint.encodedSize(UInt64(entry)) &+ entry
        }
        return total
    }
}

/// Reads an encoded message from borrowed bytes, with limits and typed errors.
///
/// A reader lives only inside `Message.init(serializedBytes:)` and its siblings, for as long
/// as the input bytes are borrowed; generated code receives it `inout` in
/// `Message.decodeMessage(from:)` and never creates or keeps one. Every read checks the bounds
/// of the current message, so malformed input throws a `WireError` and never traps.
public struct WireReader: ~Copyable {
    /// Limits for decoding. The defaults are safe for input from the network.
    public struct Configuration: Sendable, Hashable {
        /// The largest input accepted, in bytes. Default: 64 MiB.
        public var maxMessageSize: Int
        /// How deeply messages may nest (maps and repeated messages count too). Default: 100.
        public var maxDepth: Int
        /// Drop unknown fields instead of keeping them for re-encoding. Default: false.
        public var discardUnknownFields: Bool

        public init(maxMessageSize: Int = 64 << 20, maxDepth: Int = 100, discardUnknownFields: Bool = false) {
            self.maxMessageSize = maxMessageSize
            self.maxDepth = maxDepth
            self.discardUnknownFields = discardUnknownFields
        }
    }

    @usableFromInline internal let base: UnsafeRawPointer
    /// The offset of the next byte to read.
    @usableFromInline internal var position: Int
    /// The end of the message being read (a nested message's end while it is read).
    @usableFromInline internal var limit: Int
    /// Where the key read last began, for keeping unknown fields.
    @usableFromInline internal var keyStart: Int
    @usableFromInline internal var depth: Int
    @usableFromInline internal let maxDepth: Int
    @usableFromInline internal let discardUnknownFields: Bool

    @usableFromInline
    internal init(_ bytes: UnsafeRawBufferPointer, configuration: Configuration) {
        // An empty buffer may have no base address; no byte is ever read from it then.
        self.base = bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
        self.position = 0
        self.limit = bytes.count
        self.keyStart = 0
        self.depth = 0
        self.maxDepth = configuration.maxDepth
        self.discardUnknownFields = configuration.discardUnknownFields
    }

    /// The offset of the next byte, from the start of the whole input.
    public var offset: Int { position }

    // MARK: Keys

    /// Reads the next key, or returns nil at the end of the current message.
    ///
    /// Keys are not validated here: generated code switches over the keys its fields accept
    /// and hands every other key to `skipField(key:into:)`, which rejects field number 0,
    /// wire types 6 and 7, and groups.
    @inlinable
    public mutating func nextKey() throws(WireError) -> UInt32? {
        guard position < limit else { return nil }
        keyStart = position
        let first = base.load(fromByteOffset: position, as: UInt8.self)
        if first < 0x80 {
            position &+= 1
            return UInt32(first)
        }
        let key = try readVarint()
        guard key <= UInt64(UInt32.max) else {
            throw WireError(code: .invalidFieldNumber, offset: keyStart, message: "key does not fit 32 bits")
        }
        return UInt32(truncatingIfNeeded: key)
    }

    /// Skips the field whose key was just read, keeping its bytes (key and value) in
    /// `unknownFields` unless the configuration discards them.
    ///
    /// Throws `.invalidFieldNumber` (field 0), `.invalidWireType` (6 or 7),
    /// `.groupsNotSupported` (3), `.unexpectedEndGroup` (4), or an error of the value.
    public mutating func skipField(key: UInt32, into unknownFields: inout UnknownFields) throws(WireError) {
        try skipValue(key: key)
        if !discardUnknownFields {
            unknownFields.append(UnsafeRawBufferPointer(start: base + keyStart, count: position - keyStart))
        }
    }

    /// Skips the value of the field whose key was just read, validating the key.
    public mutating func skipValue(key: UInt32) throws(WireError) {
        guard key >> 3 != 0 else {
            throw WireError(code: .invalidFieldNumber, offset: keyStart, message: "field number 0")
        }
        switch key & 7 {
        case 0: _ = try readVarint()
        case 1: try skipBytes(8, what: "fixed64")
        case 2:
            let length = try readLength()
            position &+= length
        case 5: try skipBytes(4, what: "fixed32")
        case 3:
            throw WireError(
                code: .groupsNotSupported, offset: keyStart, message: "field \(key >> 3) is a group")
        case 4:
            throw WireError(
                code: .unexpectedEndGroup, offset: keyStart, message: "end-group key for field \(key >> 3)")
        default:
            throw WireError(
                code: .invalidWireType, offset: keyStart, message: "wire type \(key & 7) does not exist")
        }
    }

    @usableFromInline
    internal mutating func skipBytes(_ count: Int, what: StaticString) throws(WireError) {
        guard limit &- position >= count else {
            throw WireError(code: .truncated, offset: position, message: "\(what) runs past the end of the message")
        }
        position &+= count
    }

    // MARK: Values

    @inlinable
    public mutating func readVarint() throws(WireError) -> UInt64 {
        let available = limit &- position
        if _fastPath(available >= 2) {
            let first = base.load(fromByteOffset: position, as: UInt8.self)
            if first < 0x80 {
                position &+= 1
                return UInt64(first)
            }
            let second = base.load(fromByteOffset: position &+ 1, as: UInt8.self)
            if second < 0x80 {
                position &+= 2
                return UInt64(first & 0x7F) | UInt64(second) &<< 7
            }
        } else if available == 1 {
            let first = base.load(fromByteOffset: position, as: UInt8.self)
            if first < 0x80 {
                position &+= 1
                return UInt64(first)
            }
        }
        return try readVarintSlow()
    }

    @usableFromInline
    internal mutating func readVarintSlow() throws(WireError) -> UInt64 {
        let start = position
        let available = limit &- position
        if available >= 8 {
            // No bounds checks needed within the eight bytes loaded. Up to eight bytes, one
            // load: the first byte below 0x80 ends it, and the 7-bit groups are packed
            // together in three steps.
            let word = base.loadUnaligned(fromByteOffset: position, as: UInt64.self).littleEndian
            let ends = ~word & 0x8080_8080_8080_8080
            if ends != 0 {
                let bits = ends.trailingZeroBitCount &+ 1  // through the last byte's top bit
                let value = Self.packGroups(bits == 64 ? word : word & ((1 &<< UInt64(bits)) &- 1))
                position &+= bits &>> 3
                return value
            }
            if available >= 10 {
                // Nine or ten bytes (negative int32 and int64 values take ten): eight groups
                // from the word, then the ninth byte's seven bits and the tenth byte's one.
                let value = Self.packGroups(word)
                let ninth = base.load(fromByteOffset: position &+ 8, as: UInt8.self)
                if ninth < 0x80 {
                    position &+= 9
                    return value | UInt64(ninth) &<< 56
                }
                let last = base.load(fromByteOffset: position &+ 9, as: UInt8.self)
                if last > 1 {
                    throw WireError(
                        code: .malformedVarint, offset: start,
                        message: last < 0x80 ? "varint overflows 64 bits" : "varint longer than ten bytes")
                }
                position &+= 10
                return value | UInt64(ninth & 0x7F) &<< 56 | UInt64(last) &<< 63
            }
        }
        // Near the end of the message (fewer than ten bytes left): byte by byte, within the
        // limit; a varint that runs into the limit is truncated.
        var cursor = position
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while cursor < limit {
            let byte = base.load(fromByteOffset: cursor, as: UInt8.self)
            cursor &+= 1
            result |= UInt64(byte & 0x7F) &<< shift
            if byte < 0x80 {
                position = cursor
                return result
            }
            shift &+= 7
        }
        throw WireError(code: .truncated, offset: start, message: "varint runs past the end of the message")
    }

    /// The 7-bit groups of up to eight little-endian varint bytes, packed together (the
    /// bytes' top bits are dropped).
    @inline(__always)
    internal static func packGroups(_ bytes: UInt64) -> UInt64 {
        var value = (bytes & 0x007F_007F_007F_007F) | ((bytes & 0x7F00_7F00_7F00_7F00) &>> 1)
        value = (value & 0x0000_3FFF_0000_3FFF) | ((value & 0x3FFF_0000_3FFF_0000) &>> 2)
        return (value & 0x0000_0000_0FFF_FFFF) | ((value & 0x0FFF_FFFF_0000_0000) &>> 4)
    }

    @inlinable
    public mutating func readFixed32() throws(WireError) -> UInt32 {
        guard _fastPath(limit &- position >= 4) else { throw truncated("fixed32") }
        let value = base.loadUnaligned(fromByteOffset: position, as: UInt32.self)
        position &+= 4
        return UInt32(littleEndian: value)
    }

    @inlinable
    public mutating func readFixed64() throws(WireError) -> UInt64 {
        guard _fastPath(limit &- position >= 8) else { throw truncated("fixed64") }
        let value = base.loadUnaligned(fromByteOffset: position, as: UInt64.self)
        position &+= 8
        return UInt64(littleEndian: value)
    }

    @usableFromInline
    internal func truncated(_ what: StaticString) -> WireError {
        WireError(code: .truncated, offset: position, message: "\(what) runs past the end of the message")
    }

    /// Reads a length prefix and checks that so many bytes remain in the current message.
    @inlinable
    public mutating func readLength() throws(WireError) -> Int {
        let start = position
        let length = try readVarint()
        guard _fastPath(length <= UInt64(limit &- position)) else {
            throw WireError(
                code: .lengthPastEnd, offset: start, message: "length \(length) runs past the end of the message")
        }
        return Int(truncatingIfNeeded: length)
    }

    @inlinable
    public mutating func readString() throws(WireError) -> String {
        let start = position
        let length = try readLength()
        let bytes = UnsafeBufferPointer(
            start: (base + position).assumingMemoryBound(to: UInt8.self), count: length)
        let check = UTF8Check.validate(bytes)
        guard _fastPath(check != .invalid) else {
            throw WireError(code: .invalidUTF8, offset: start, message: "string field is not valid UTF-8")
        }
        let text = String(copying: UTF8Span(unchecked: bytes.span, isKnownASCII: check == .ascii))
        position &+= length
        return text
    }

    @inlinable
    public mutating func readBytes() throws(WireError) -> [UInt8] {
        let length = try readLength()
        let bytes = [UInt8](UnsafeRawBufferPointer(start: base + position, count: length))
        position &+= length
        return bytes
    }

    /// Reads one value of a field whose key was just read.
    @inlinable
    public mutating func read<C: FieldCodec>(_ codec: C.Type) throws(WireError) -> C.Value {
        try C.read(from: &self)
    }

    // MARK: Nested messages

    /// Runs `body` over the next length-delimited value as if it were the whole input,
    /// one level deeper; throws `.recursionTooDeep` past the configured depth.
    @inlinable
    internal mutating func withNestedMessage(
        _ body: (inout WireReader) throws(WireError) -> Void
    ) throws(WireError) {
        let length = try readLength()
        guard _fastPath(depth < maxDepth) else {
            throw WireError(
                code: .recursionTooDeep, offset: position, message: "messages nest deeper than \(maxDepth)")
        }
        let outerLimit = limit
        limit = position &+ length
        depth &+= 1
        try body(&self)
        depth &-= 1
        limit = outerLimit
    }

    /// Reads a nested message field, merging it into `message` (protobuf's rule when a
    /// message field occurs more than once).
    @inlinable
    public mutating func readMessage<M: Message>(into message: inout M) throws(WireError) {
        try withNestedMessage { (reader: inout WireReader) throws(WireError) in
            try message.decodeMessage(from: &reader)
        }
    }

    /// Reads a nested message field into an optional, creating the message when absent and
    /// merging into it when present.
    @inlinable
    public mutating func readMessage<M: Message>(into message: inout M?) throws(WireError) {
        if message == nil { message = M() }
        try readMessage(into: &message!)
    }

    /// Reads a repeated field's occurrence: one element (any wire type but 2 for scalars), or
    /// a packed run of elements (wire type 2 for scalars). Generated code routes both keys
    /// of a repeated scalar field here: `case 0x20, 0x22:`.
    @inlinable
    public mutating func readRepeated<C: FieldCodec>(
        _ codec: C.Type, key: UInt32, into values: inout [C.Value]
    ) throws(WireError) {
        if key & 7 == 2 && C.wireType != .lengthDelimited {
            let length = try readLength()
            let outerLimit = limit
            limit = position &+ length
            if let fixed = C.fixedSize {
                values.reserveCapacity(values.count &+ length / fixed)
            } else if length <= 16 {
                // Short runs: the byte count bounds the element count closely enough.
                values.reserveCapacity(values.count &+ length)
            } else {
                // Each varint ends in exactly one byte below 0x80.
                values.reserveCapacity(values.count &+ UTF8Check.countVarintEnds(base + position, length))
            }
            while position < limit {
                values.append(try C.read(from: &self))
            }
            limit = outerLimit
        } else if C.wireType == .lengthDelimited {
            if values.isEmpty {
                values.reserveCapacity(countRun())
            }
            let (keyOffset, keyLength) = (keyStart, position &- keyStart)
            values.append(try C.read(from: &self))
            // The occurrences that follow with the same key are read here, not one by one
            // through the message's field switch.
            while nextKeyRepeats(keyOffset, keyLength) {
                values.append(try C.read(from: &self))
            }
        } else {
            values.append(try C.read(from: &self))
        }
    }

    /// Reads a repeated message field's occurrence, and those that follow it with the same
    /// key, each decoded in place at the end of `values`.
    @inlinable
    public mutating func readRepeated<M: Message>(
        _ codec: ProtoMessageField<M>.Type, key: UInt32, into values: inout [M]
    ) throws(WireError) {
        if values.isEmpty {
            values.reserveCapacity(countRun())
        }
        let (keyOffset, keyLength) = (keyStart, position &- keyStart)
        repeat {
            values.append(M())
            try readMessage(into: &values[values.count &- 1])
        } while nextKeyRepeats(keyOffset, keyLength)
    }

    /// Whether the next key is the same as the `keyLength` bytes at `keyOffset` (a key read
    /// before); if so, reads it (as `nextKey()` would).
    @inlinable
    internal mutating func nextKeyRepeats(_ keyOffset: Int, _ keyLength: Int) -> Bool {
        guard keyRepeats(at: position, keyOffset, keyLength) else { return false }
        keyStart = position
        position &+= keyLength
        return true
    }

    /// Whether the `keyLength` bytes at `offset` are those at `keyOffset` (a key read before),
    /// with at least one byte after them within the limit.
    @inlinable
    internal func keyRepeats(at offset: Int, _ keyOffset: Int, _ keyLength: Int) -> Bool {
        guard limit &- offset > keyLength else { return false }
        if keyLength == 1 {  // fields 1 to 15
            return base.load(fromByteOffset: offset, as: UInt8.self)
                == base.load(fromByteOffset: keyOffset, as: UInt8.self)
        }
        var index = 0
        while index < keyLength {
            guard
                base.load(fromByteOffset: offset &+ index, as: UInt8.self)
                    == base.load(fromByteOffset: keyOffset &+ index, as: UInt8.self)
            else { return false }
            index &+= 1
        }
        return true
    }

    /// How many fields with the key just read follow one another from it (at least 1).
    /// Sizes arrays and dictionaries once instead of growing them element by element; stops
    /// quietly at anything unexpected, which the decoding itself then reports. Call it right
    /// after `nextKey()`, before reading the value.
    @usableFromInline
    internal func countRun() -> Int {
        let keyLength = position &- keyStart
        var cursor = keyStart
        var count = 0
        while keyRepeats(at: cursor, keyStart, keyLength) {
            var length = UInt64(base.load(fromByteOffset: cursor &+ keyLength, as: UInt8.self))
            var afterLength = cursor &+ keyLength &+ 1
            if length >= 0x80 {
                guard let (long, after) = peekVarint(at: cursor &+ keyLength) else { break }
                length = long
                afterLength = after
            }
            guard length <= UInt64(limit &- afterLength) else { break }
            count &+= 1
            cursor = afterLength &+ Int(truncatingIfNeeded: length)
        }
        return Swift.max(count, 1)
    }

    @usableFromInline
    internal func peekVarint(at offset: Int) -> (UInt64, Int)? {
        var cursor = offset
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while cursor < limit && shift < 64 {
            let byte = base.load(fromByteOffset: cursor, as: UInt8.self)
            cursor &+= 1
            result |= UInt64(byte & 0x7F) &<< shift
            if byte < 0x80 { return (result, cursor) }
            shift &+= 7
        }
        return nil
    }

    /// Reads one map entry and stores it in `map` (a later entry with the same key wins).
    /// A missing key or value takes its type's default; other fields in the entry are skipped.
    @inlinable
    public mutating func readMapEntry<K: FieldCodec, V: FieldCodec>(
        _ keyCodec: K.Type, _ valueCodec: V.Type, into map: inout [K.Value: V.Value]
    ) throws(WireError) {
        if map.isEmpty {
            map.reserveCapacity(countRun())
        }
        // This entry and those that follow it with the same key.
        let (keyOffset, keyLength) = (keyStart, position &- keyStart)
        repeat {
            var entryKey = K.defaultValue
            var entryValue = V.defaultValue
            try withNestedMessage { (reader: inout WireReader) throws(WireError) in
                let keyKey = 1 << 3 | UInt32(K.wireType.rawValue)
                let valueKey = 2 << 3 | UInt32(V.wireType.rawValue)
                while let key = try reader.nextKey() {
                    if key == keyKey {
                        entryKey = try K.read(from: &reader)
                    } else if key == valueKey {
                        entryValue = try V.read(from: &reader)
                    } else {
                        try reader.skipValue(key: key)
                    }
                }
            }
            map[entryKey] = entryValue
        } while nextKeyRepeats(keyOffset, keyLength)
    }
}

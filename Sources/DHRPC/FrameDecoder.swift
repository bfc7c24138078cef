/// An incremental frame decoder: feed it bytes in any pieces, take whole frames out.
///
/// It checks everything a single frame can break (docs/PROTOCOL.md §2 and §9.1): the frame length
/// against the maximum frame size (checked from the header alone, before any payload is buffered),
/// the type, the flags, the reserved bit, the stream id for the type, and the payload layout.
/// Rules that need the connection's state (stream ids, directions) are the state machine's.
/// After an error the decoder keeps failing with the same error.
public struct FrameDecoder: Sendable {
    /// The largest payload accepted.
    public let maxFrameSize: Int
    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var failure: RPCConnectionError?
    public init(maxFrameSize: Int = FrameLayout.minimumMaxFrameSize) {
        self.maxFrameSize = min(max(maxFrameSize, FrameLayout.minimumMaxFrameSize), FrameLayout.hardMaxFrameSize)
    }

    /// Bytes of buffer held, for measuring memory per connection.
    public var bufferCapacity: Int { buffer.capacity }

    /// Bytes received but not yet returned as frames.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// Whether the bytes received so far end inside a frame; if the connection ends now, the last
    /// frame is truncated.
    public var hasPartialFrame: Bool { bufferedByteCount > 0 }

    public mutating func append(_ bytes: some Sequence<UInt8>) {
        guard failure == nil else { return }
        if readIndex == buffer.count, let whole = bytes as? [UInt8] {
            // Nothing is waiting (the usual case): the received array becomes the buffer, uncopied.
            buffer = whole
            readIndex = 0
            return
        }
        if readIndex > 0 && readIndex >= buffer.count / 2 {
            buffer.removeSubrange(..<readIndex)
            readIndex = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next whole frame, or nil when more bytes are needed.
    public mutating func next() throws(RPCConnectionError) -> Frame? {
        if let failure { throw failure }
        guard bufferedByteCount >= FrameLayout.headerSize else { return nil }
        let header = readIndex
        let length =
            Int(buffer[header]) << 24 | Int(buffer[header + 1]) << 16 | Int(buffer[header + 2]) << 8
            | Int(buffer[header + 3])
        let typeValue = buffer[header + 4]
        let flags = buffer[header + 5]
        let rawStream =
            UInt32(buffer[header + 6]) << 24 | UInt32(buffer[header + 7]) << 16 | UInt32(buffer[header + 8]) << 8
            | UInt32(buffer[header + 9])
        do throws(RPCConnectionError) {
            guard length <= maxFrameSize else {
                throw RPCConnectionError(
                    code: .frameTooLarge, reason: "frame of \(length) bytes is above the maximum of \(maxFrameSize)")
            }
            guard let type = FrameType(rawValue: typeValue) else {
                throw .protocolError("unknown frame type 0x\(String(typeValue, radix: 16))")
            }
            guard flags & ~type.allowedFlags == 0 else {
                throw .protocolError("undefined flags 0x\(String(flags, radix: 16)) on \(type)")
            }
            guard rawStream & 0x8000_0000 == 0 else { throw .protocolError("reserved bit set in the stream id") }
            if type.isConnectionLevel {
                guard rawStream == 0 else { throw .protocolError("\(type) on stream \(rawStream), not 0") }
            } else if type != .windowUpdate {
                guard rawStream != 0 else { throw .protocolError("\(type) on stream 0") }
            }
            guard bufferedByteCount >= FrameLayout.headerSize + length else { return nil }
            let payloadStart = header + FrameLayout.headerSize
            var reader = PayloadReader(buffer: buffer, start: payloadStart, end: payloadStart + length, type: type)
            let frame = try Self.parse(type: type, flags: flags, streamID: rawStream, reader: &reader)
            readIndex = payloadStart + length
            if readIndex == buffer.count {
                // Everything is decoded: the buffer goes (the next read usually brings its own
                // array; an idle connection holds none).
                buffer = []
                readIndex = 0
            }
            return frame
        } catch {
            failure = error
            buffer = []
            readIndex = 0
            throw error
        }
    }

    /// Decodes every whole frame in `bytes` (and fails if any byte is left over): for tests and tools.
    public static func decodeAll(
        _ bytes: [UInt8], maxFrameSize: Int = FrameLayout.hardMaxFrameSize
    ) throws(RPCConnectionError) -> [Frame] {
        var decoder = FrameDecoder(maxFrameSize: maxFrameSize)
        decoder.append(bytes)
        var frames: [Frame] = []
        while let frame = try decoder.next() { frames.append(frame) }
        guard !decoder.hasPartialFrame else { throw .protocolError("truncated frame at the end of the input") }
        return frames
    }

    private static func parse(
        type: FrameType, flags: UInt8, streamID: UInt32, reader: inout PayloadReader
    ) throws(RPCConnectionError) -> Frame {
        let flag = flags & 0x01 != 0
        let frame: Frame
        switch type {
        case .settings:
            if flag {
                guard reader.remaining == 0 else { throw .protocolError("SETTINGS ACK with a payload") }
                frame = .settingsAck
            } else {
                guard reader.remaining % 6 == 0 else {
                    throw .protocolError("SETTINGS payload of \(reader.remaining) bytes is not a multiple of 6")
                }
                var settings: [Setting] = []
                while reader.remaining > 0 {
                    let id = try reader.readUInt16()
                    settings.append(Setting(SettingID(rawValue: id), try reader.readUInt32()))
                }
                frame = .settings(settings)
            }
        case .call:
            let path = try reader.readString16()
            guard !path.isEmpty, path.utf8.count <= FrameLayout.maxPathLength else {
                throw .protocolError("CALL method path of \(path.utf8.count) bytes")
            }
            let timeout = UInt64(try reader.readUInt32()) << 32 | UInt64(try reader.readUInt32())
            let metadata = try reader.readMetadata()
            frame = .call(
                streamID: streamID, path: path, timeoutMicroseconds: timeout, metadata: metadata, endStream: flag)
        case .headers:
            frame = .headers(streamID: streamID, metadata: try reader.readMetadata())
        case .message:
            // An empty MESSAGE carries nothing but END_STREAM; without it, it is only a cost.
            guard reader.remaining > 0 || flag else { throw .protocolError("empty MESSAGE without END_STREAM") }
            frame = .message(streamID: streamID, bytes: reader.readRest(), endStream: flag)
        case .trailers:
            let code = RPCStatus.Code(wireValue: try reader.readUInt8())
            let message = try reader.readString16()
            let metadata = try reader.readMetadata()
            frame = .trailers(streamID: streamID, status: RPCStatus(code: code, message: message), metadata: metadata)
        case .rstStream:
            let code = RPCStatus.Code(wireValue: try reader.readUInt8())
            let message = try reader.readString16()
            frame = .rstStream(streamID: streamID, status: RPCStatus(code: code, message: message), refused: flag)
        case .windowUpdate:
            guard reader.remaining == 4 else {
                throw .protocolError("WINDOW_UPDATE payload of \(reader.remaining) bytes, not 4")
            }
            let increment = try reader.readUInt32()
            guard increment & 0x8000_0000 == 0 else { throw .protocolError("reserved bit set in a window increment") }
            guard increment > 0 else { throw .protocolError("WINDOW_UPDATE with increment 0") }
            frame = .windowUpdate(streamID: streamID, increment: increment)
        case .ping:
            guard reader.remaining == 8 else {
                throw .protocolError("PING payload of \(reader.remaining) bytes, not 8")
            }
            let data = UInt64(try reader.readUInt32()) << 32 | UInt64(try reader.readUInt32())
            frame = .ping(data: data, ack: flag)
        case .goaway:
            let last = try reader.readUInt32()
            guard last & 0x8000_0000 == 0 else { throw .protocolError("reserved bit set in GOAWAY's last stream id") }
            let code = RPCConnectionError.Code(wireValue: try reader.readUInt32())
            frame = .goaway(lastStreamID: last, code: code, reason: try reader.readString16())
        default:
            throw .protocolError("unknown frame type")
        }
        guard reader.remaining == 0 else {
            throw .protocolError("\(type) payload has \(reader.remaining) bytes past its end")
        }
        return frame
    }
}

/// Reads the fields of one frame payload; running past the payload is a protocol error.
struct PayloadReader {
    let buffer: [UInt8]
    var offset: Int
    let end: Int
    let type: FrameType

    init(buffer: [UInt8], start: Int, end: Int, type: FrameType) {
        self.buffer = buffer
        self.offset = start
        self.end = end
        self.type = type
    }

    var remaining: Int { end - offset }

    private func need(_ count: Int, _ what: String) throws(RPCConnectionError) {
        guard remaining >= count else {
            throw .protocolError("\(type) payload too short for its \(what)")
        }
    }

    mutating func readUInt8() throws(RPCConnectionError) -> UInt8 {
        try need(1, "fields")
        defer { offset += 1 }
        return buffer[offset]
    }

    mutating func readUInt16() throws(RPCConnectionError) -> UInt16 {
        try need(2, "fields")
        defer { offset += 2 }
        return UInt16(buffer[offset]) << 8 | UInt16(buffer[offset + 1])
    }

    mutating func readUInt32() throws(RPCConnectionError) -> UInt32 {
        try need(4, "fields")
        defer { offset += 4 }
        return UInt32(buffer[offset]) << 24 | UInt32(buffer[offset + 1]) << 16 | UInt32(buffer[offset + 2]) << 8
            | UInt32(buffer[offset + 3])
    }

    mutating func readBytes(_ count: Int, _ what: String) throws(RPCConnectionError) -> ArraySlice<UInt8> {
        try need(count, what)
        defer { offset += count }
        return buffer[offset..<offset + count]
    }

    mutating func readRest() -> [UInt8] {
        defer { offset = end }
        return Array(buffer[offset..<end])
    }

    mutating func readString16() throws(RPCConnectionError) -> String {
        let count = Int(try readUInt16())
        let bytes = try readBytes(count, "string")
        // Method paths are ASCII, which is valid UTF-8 as it is.
        if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
        guard let string = String(validating: bytes, as: UTF8.self) else {
            throw .protocolError("\(type) carries a string that is not UTF-8")
        }
        return string
    }

    mutating func readMetadata() throws(RPCConnectionError) -> Metadata {
        let count = Int(try readUInt16())
        var metadata = Metadata()
        for _ in 0..<count {
            let keyLength = Int(try readUInt8())
            let key = try readBytes(keyLength, "metadata key")
            guard keyLength > 0, key.allSatisfy(Metadata.isValidKeyByte) else {
                throw .protocolError("\(type) metadata key is empty or has a disallowed character")
            }
            let keyString = String(decoding: key, as: UTF8.self)
            let valueLength = Int(try readUInt16())
            let value = try readBytes(valueLength, "metadata value")
            if Metadata.isBinaryKey(keyString) {
                metadata.addBinary(Array(value), forKey: keyString)
            } else {
                guard value.allSatisfy(Metadata.isValidTextByte) else {
                    throw .protocolError("\(type) metadata value for '\(keyString)' is not printable ASCII")
                }
                metadata.addString(String(decoding: value, as: UTF8.self), forKey: keyString)
            }
        }
        return metadata
    }
}

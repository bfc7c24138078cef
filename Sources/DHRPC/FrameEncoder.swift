/// Why a frame could not be encoded: a string, metadata or payload breaks a limit of the format.
public struct FrameEncodingError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Writes frames in the dh-rpc/1 byte layout (docs/PROTOCOL.md §2).
public enum FrameEncoder {
    /// Appends one frame (header and payload) to `buffer`. On error `buffer` is unchanged.
    public static func encode(_ frame: Frame, into buffer: inout [UInt8]) throws(FrameEncodingError) {
        let start = buffer.count
        // Room for the frame, growing geometrically: a flush appends many frames to one buffer,
        // and reserving just enough for each would reallocate it for every frame.
        let needed = start + FrameLayout.headerSize + estimatedPayloadSize(frame)
        if buffer.capacity < needed { buffer.reserveCapacity(max(needed, 2 * buffer.capacity)) }
        // The length is patched in once the payload is written.
        appendUInt32(0, to: &buffer)
        buffer.append(frame.type.rawValue)
        buffer.append(flags(of: frame))
        appendUInt32(frame.streamID, to: &buffer)
        do {
            try writePayload(of: frame, into: &buffer)
        } catch {
            buffer.removeSubrange(start...)
            throw error
        }
        let length = buffer.count - start - FrameLayout.headerSize
        guard length <= FrameLayout.hardMaxFrameSize, frame.streamID <= FrameLayout.maxStreamID else {
            buffer.removeSubrange(start...)
            throw FrameEncodingError("frame payload of \(length) bytes or stream id above the limits")
        }
        buffer[start] = UInt8(truncatingIfNeeded: length >> 24)
        buffer[start + 1] = UInt8(truncatingIfNeeded: length >> 16)
        buffer[start + 2] = UInt8(truncatingIfNeeded: length >> 8)
        buffer[start + 3] = UInt8(truncatingIfNeeded: length)
    }

    /// The encoded frame as a new array.
    public static func encode(_ frame: Frame) throws(FrameEncodingError) -> [UInt8] {
        var buffer: [UInt8] = []
        try encode(frame, into: &buffer)
        return buffer
    }

    /// Appends one message, with its length prefix, to a message byte stream.
    public static func appendMessage(_ message: [UInt8], to buffer: inout [UInt8]) {
        appendUInt32(UInt32(truncatingIfNeeded: message.count), to: &buffer)
        buffer.append(contentsOf: message)
    }

    /// The payload size of a CALL, HEADERS or TRAILERS frame, for checking it fits a frame: the
    /// payload writer run against a counter, so the same checks fail and nothing is allocated.
    static func payloadSize(of frame: Frame) throws(FrameEncodingError) -> Int {
        var counter = ByteCounter()
        try writePayload(of: frame, into: &counter)
        return counter.count
    }

    private static func estimatedPayloadSize(_ frame: Frame) -> Int {
        if case .message(_, let bytes, _) = frame { return bytes.count }
        return 64
    }

    private static func flags(of frame: Frame) -> UInt8 {
        switch frame {
        case .settingsAck: FrameLayout.flagAck
        case .call(_, _, _, _, let endStream), .message(_, _, let endStream):
            endStream ? FrameLayout.flagEndStream : 0
        case .rstStream(_, _, let refused): refused ? FrameLayout.flagRefused : 0
        case .ping(_, let ack): ack ? FrameLayout.flagAck : 0
        default: 0
        }
    }

    private static func writePayload(of frame: Frame, into buffer: inout some ByteSink) throws(FrameEncodingError) {
        switch frame {
        case .settings(let settings):
            for setting in settings {
                appendUInt16(setting.id.rawValue, to: &buffer)
                appendUInt32(setting.value, to: &buffer)
            }
        case .settingsAck:
            break
        case .call(_, let path, let timeout, let metadata, _):
            guard !path.utf8.isEmpty, path.utf8.count <= FrameLayout.maxPathLength else {
                throw FrameEncodingError("method path of \(path.utf8.count) bytes")
            }
            try appendString16(path, to: &buffer)
            appendUInt32(UInt32(truncatingIfNeeded: timeout >> 32), to: &buffer)
            appendUInt32(UInt32(truncatingIfNeeded: timeout), to: &buffer)
            try appendMetadata(metadata, to: &buffer)
        case .headers(_, let metadata):
            try appendMetadata(metadata, to: &buffer)
        case .message(_, let bytes, let endStream):
            guard !bytes.isEmpty || endStream else { throw FrameEncodingError("empty MESSAGE without END_STREAM") }
            buffer.appendBytes(bytes)
        case .trailers(_, let status, let metadata):
            buffer.append(status.code.rawValue)
            try appendString16(status.message, to: &buffer)
            try appendMetadata(metadata, to: &buffer)
        case .rstStream(_, let status, _):
            buffer.append(status.code.rawValue)
            try appendString16(status.message, to: &buffer)
        case .windowUpdate(_, let increment):
            guard increment >= 1, increment <= UInt32(FrameLayout.maxWindow) else {
                throw FrameEncodingError("window increment \(increment) out of range")
            }
            appendUInt32(increment, to: &buffer)
        case .ping(let data, _):
            appendUInt32(UInt32(truncatingIfNeeded: data >> 32), to: &buffer)
            appendUInt32(UInt32(truncatingIfNeeded: data), to: &buffer)
        case .goaway(let lastStreamID, let code, let reason):
            guard lastStreamID <= FrameLayout.maxStreamID else {
                throw FrameEncodingError("last stream id out of range")
            }
            appendUInt32(lastStreamID, to: &buffer)
            appendUInt32(code.rawValue, to: &buffer)
            try appendString16(reason, to: &buffer)
        }
    }

    private static func appendMetadata(_ metadata: Metadata, to buffer: inout some ByteSink) throws(FrameEncodingError)
    {
        if let problem = metadata.validationError { throw FrameEncodingError(problem) }
        appendUInt16(UInt16(metadata.count), to: &buffer)
        for entry in metadata {
            let key = entry.key.utf8
            buffer.append(UInt8(truncatingIfNeeded: key.count))
            buffer.appendBytes(key)
            switch entry.value {
            case .string(let value):
                appendUInt16(UInt16(truncatingIfNeeded: value.utf8.count), to: &buffer)
                buffer.appendBytes(value.utf8)
            case .binary(let value):
                appendUInt16(UInt16(truncatingIfNeeded: value.count), to: &buffer)
                buffer.appendBytes(value)
            }
        }
    }

    private static func appendString16(_ string: String, to buffer: inout some ByteSink) throws(FrameEncodingError) {
        let bytes = string.utf8
        guard bytes.count <= Int(UInt16.max) else { throw FrameEncodingError("string of \(bytes.count) bytes") }
        appendUInt16(UInt16(bytes.count), to: &buffer)
        buffer.appendBytes(bytes)
    }

    static func appendUInt16(_ value: UInt16, to buffer: inout some ByteSink) {
        buffer.append(UInt8(truncatingIfNeeded: value >> 8))
        buffer.append(UInt8(truncatingIfNeeded: value))
    }

    static func appendUInt32(_ value: UInt32, to buffer: inout some ByteSink) {
        buffer.append(UInt8(truncatingIfNeeded: value >> 24))
        buffer.append(UInt8(truncatingIfNeeded: value >> 16))
        buffer.append(UInt8(truncatingIfNeeded: value >> 8))
        buffer.append(UInt8(truncatingIfNeeded: value))
    }
}

/// Where the encoder writes bytes: a buffer, or a counter that only adds up their number.
protocol ByteSink {
    mutating func append(_ byte: UInt8)
    mutating func appendBytes(_ bytes: some Collection<UInt8>)
}

extension Array: ByteSink where Element == UInt8 {
    mutating func appendBytes(_ bytes: some Collection<UInt8>) { append(contentsOf: bytes) }
}

struct ByteCounter: ByteSink {
    var count = 0
    mutating func append(_ byte: UInt8) { count += 1 }
    mutating func appendBytes(_ bytes: some Collection<UInt8>) { count += bytes.count }
}

extension String {
    /// The longest prefix whose UTF-8 form fits `maxBytes`, cut between characters.
    func truncatedUTF8(maxBytes: Int) -> String {
        guard utf8.count > maxBytes else { return self }
        var result = ""
        var size = 0
        for character in self {
            let characterSize = character.utf8.count
            if size + characterSize > maxBytes { break }
            result.append(character)
            size += characterSize
        }
        return result
    }
}

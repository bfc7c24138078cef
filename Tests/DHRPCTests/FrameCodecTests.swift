import Testing

@testable import DHRPC

@Suite("Frame encoding: golden bytes from docs/PROTOCOL.md")
struct FrameCodecTests {
    /// Each frame with the exact bytes docs/PROTOCOL.md §4-5 shows for it.
    static let golden: [(String, Frame, String)] = [
        (
            "client SETTINGS",
            .settings([
                Setting(.maxFrameSize, 16384), Setting(.initialStreamWindow, 65536),
                Setting(.initialConnectionWindow, 1_048_576), Setting(.maxMessageSize, 4_194_304),
            ]),
            "00 00 00 18 00 00 00 00 00 00  |  00 01 00 00 40 00 00 03 00 01 00 00 00 04 00 10 00 00 00 05 00 40 00 00"
        ),
        (
            "server SETTINGS", .settings([Setting(.maxConcurrentStreams, 100), Setting(.initialStreamWindow, 65536)]),
            "00 00 00 0c 00 00 00 00 00 00  |  00 02 00 00 00 64 00 03 00 01 00 00"
        ),
        ("SETTINGS ACK", .settingsAck, "00 00 00 00 00 01 00 00 00 00"),
        (
            "unary CALL",
            .call(
                streamID: 1, path: "/health.v1.Records/Get", timeoutMicroseconds: 5_000_000,
                metadata: ["x-request-id": .string("42"), "trace-bin": .binary([0x00, 0xFF])], endStream: false),
            """
            00 00 00 41 01 00 00 00 00 01  |  00 16 2f 68 65 61 6c 74 68 2e 76 31 2e 52 65 63 6f 72 64 73 2f 47 65 74
            00 00 00 00 00 4c 4b 40
            00 02 0c 78 2d 72 65 71 75 65 73 74 2d 69 64 00 02 34 32
            09 74 72 61 63 65 2d 62 69 6e 00 02 00 ff
            """
        ),
        (
            "request MESSAGE with END_STREAM", .message(streamID: 1, bytes: [0, 0, 0, 3, 0x08, 0x96, 0x01], endStream: true),
            "00 00 00 07 03 01 00 00 00 01  |  00 00 00 03 08 96 01"
        ),
        ("empty HEADERS", .headers(streamID: 1, metadata: [:]), "00 00 00 02 02 00 00 00 00 01  |  00 00"),
        (
            "response MESSAGE", .message(streamID: 1, bytes: [0, 0, 0, 4, 0x0A, 0x02, 0x6F, 0x6B], endStream: false),
            "00 00 00 08 03 00 00 00 00 01  |  00 00 00 04 0a 02 6f 6b"
        ),
        ("TRAILERS OK", .trailers(streamID: 1, status: .ok, metadata: [:]), "00 00 00 05 04 00 00 00 00 01  |  00 00 00 00 00"),
        ("empty MESSAGE with END_STREAM", .message(streamID: 3, bytes: [], endStream: true), "00 00 00 00 03 01 00 00 00 03"),
        (
            "HEADERS with metadata", .headers(streamID: 5, metadata: ["x-shard": .string("7")]),
            "00 00 00 0d 02 00 00 00 00 05  |  00 01 07 78 2d 73 68 61 72 64 00 01 37"
        ),
        (
            "TRAILERS with metadata", .trailers(streamID: 5, status: .ok, metadata: ["x-count": .string("2")]),
            "00 00 00 10 04 00 00 00 00 05  |  00 00 00 00 01 07 78 2d 63 6f 75 6e 74 00 01 32"
        ),
        (
            "TRAILERS NOT_FOUND",
            .trailers(streamID: 7, status: RPCStatus(code: .notFound, message: "record not found"), metadata: [:]),
            "00 00 00 15 04 00 00 00 00 07  |  05 00 10 72 65 63 6f 72 64 20 6e 6f 74 20 66 6f 75 6e 64 00 00"
        ),
        (
            "RST_STREAM CANCELLED", .rstStream(streamID: 7, status: RPCStatus(code: .cancelled), refused: false),
            "00 00 00 03 05 00 00 00 00 07  |  01 00 00"
        ),
        (
            "RST_STREAM REFUSED",
            .rstStream(streamID: 11, status: RPCStatus(code: .unavailable, message: "server is shutting down"), refused: true),
            "00 00 00 1a 05 01 00 00 00 0b  |  0e 00 17 73 65 72 76 65 72 20 69 73 20 73 68 75 74 74 69 6e 67 20 64 6f 77 6e"
        ),
        ("WINDOW_UPDATE connection", .windowUpdate(streamID: 0, increment: 65536), "00 00 00 04 06 00 00 00 00 00  |  00 01 00 00"),
        ("WINDOW_UPDATE stream", .windowUpdate(streamID: 1, increment: 32768), "00 00 00 04 06 00 00 00 00 01  |  00 00 80 00"),
        ("PING", .ping(data: 0x0102_0304_0506_0708, ack: false), "00 00 00 08 07 00 00 00 00 00  |  01 02 03 04 05 06 07 08"),
        ("PING ACK", .ping(data: 0x0102_0304_0506_0708, ack: true), "00 00 00 08 07 01 00 00 00 00  |  01 02 03 04 05 06 07 08"),
        (
            "GOAWAY graceful", .goaway(lastStreamID: 7, code: .noError, reason: "shutdown"),
            "00 00 00 12 08 00 00 00 00 00  |  00 00 00 07 00 00 00 00 00 08 73 68 75 74 64 6f 77 6e"
        ),
        (
            "GOAWAY FRAME_TOO_LARGE", .goaway(lastStreamID: 9, code: .frameTooLarge, reason: "frame too large"),
            "00 00 00 19 08 00 00 00 00 00  |  00 00 00 09 00 00 00 02 00 0f 66 72 61 6d 65 20 74 6f 6f 20 6c 61 72 67 65"
        ),
    ]

    @Test("each frame encodes to the documented bytes and decodes back", arguments: golden)
    func goldenBytes(name: String, frame: Frame, bytes: String) throws {
        let expected = hex(bytes)
        #expect(try FrameEncoder.encode(frame) == expected, "\(name)")
        #expect(try FrameDecoder.decodeAll(expected) == [frame], "\(name)")
    }

    @Test("every hex dump in docs/PROTOCOL.md is a valid frame that re-encodes to the same bytes")
    func documentDumps() throws {
        let docURL = #filePath.split(separator: "/").dropLast(3).joined(separator: "/")
        let text = try readFile("/" + docURL + "/docs/PROTOCOL.md")
        // A dump starts with a line holding a 10-byte header (alone or before `|` and payload);
        // while the header's length asks for more bytes, the following hex lines continue it.
        var dumps: [[UInt8]] = []
        func needsMore(_ dump: [UInt8]) -> Bool {
            dump.count < 10 || dump.count < 10 + (Int(dump[0]) << 24 | Int(dump[1]) << 16 | Int(dump[2]) << 8 | Int(dump[3]))
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingPrefix(while: { $0 == " " })
            let tokens = trimmed.split(separator: " ")
            let isHexLine = !tokens.isEmpty && tokens.allSatisfy { ($0.count == 2 && $0.allSatisfy(\.isHexDigit)) || $0 == "|" }
            if let last = dumps.last, needsMore(last), isHexLine {
                dumps[dumps.count - 1] += hex(String(trimmed))
            } else if let range = line.firstRange(of: "00 00 0"), isHeaderLine(line[range.lowerBound...]) {
                dumps.append(hex(String(line[range.lowerBound...])))
            }
        }
        #expect(dumps.count >= 35)
        for dump in dumps {
            let frames = try FrameDecoder.decodeAll(dump)
            #expect(frames.count == 1)
            #expect(try FrameEncoder.encode(frames[0]) == dump)
        }
    }

    private func isHeaderLine(_ text: Substring) -> Bool {
        let tokens = text.split(separator: " ")
        return tokens.count >= 10 && tokens.prefix(10).allSatisfy { $0.count == 2 && $0.allSatisfy(\.isHexDigit) }
            && (tokens.count == 10 || tokens[10] == "|")
    }

    @Test("the encoder rejects what the format cannot carry, leaving the buffer unchanged")
    func encoderLimits() {
        var buffer: [UInt8] = [0xAA]
        let bad: [Frame] = [
            .call(streamID: 1, path: "", timeoutMicroseconds: 0, metadata: [:], endStream: false),
            .call(streamID: 1, path: "/" + String(repeating: "a", count: 1024), timeoutMicroseconds: 0, metadata: [:], endStream: false),
            .headers(streamID: 1, metadata: ["Upper": .string("x")]),
            .headers(streamID: 1, metadata: ["x-bin": .string("text under a -bin key")]),
            .headers(streamID: 1, metadata: ["x": .binary([1])]),
            .headers(streamID: 1, metadata: ["x": .string("tab\there")]),
            .trailers(streamID: 1, status: RPCStatus(code: .ok, message: String(repeating: "x", count: 70_000)), metadata: [:]),
            .windowUpdate(streamID: 1, increment: 0),
            .windowUpdate(streamID: 1, increment: 0x8000_0000),
            .goaway(lastStreamID: 0x8000_0000, code: .noError, reason: ""),
        ]
        for frame in bad {
            #expect(throws: FrameEncodingError.self) { try FrameEncoder.encode(frame, into: &buffer) }
            #expect(buffer == [0xAA])
        }
    }

    @Test("status and connection error codes keep their wire values; unknown values map to UNKNOWN / INTERNAL_ERROR")
    func codes() {
        #expect(RPCStatus.Code.ok.rawValue == 0)
        #expect(RPCStatus.Code.deadlineExceeded.rawValue == 4)
        #expect(RPCStatus.Code.resourceExhausted.rawValue == 8)
        #expect(RPCStatus.Code.unimplemented.rawValue == 12)
        #expect(RPCStatus.Code.unavailable.rawValue == 14)
        #expect(RPCStatus.Code.unauthenticated.rawValue == 16)
        #expect(RPCStatus.Code(wireValue: 17) == .unknown)
        #expect(RPCStatus.Code(wireValue: 255) == .unknown)
        #expect(RPCStatus.Code.unauthenticated.description == "UNAUTHENTICATED")
        #expect(RPCConnectionError.Code(wireValue: 2) == .frameTooLarge)
        #expect(RPCConnectionError.Code(wireValue: 99) == .internalError)
        #expect(RPCConnectionError.Code.frameTooLarge.callStatusCode == .resourceExhausted)
        #expect(RPCConnectionError.Code.protocolError.callStatusCode == .internal)
        #expect(RPCConnectionError.Code.noError.callStatusCode == .unavailable)
        #expect(RPCError(status: .ok) == nil)
        #expect(RPCError(status: RPCStatus(code: .notFound, message: "x"))?.code == .notFound)
    }
}

/// Reads a whole file with the C library (the tests use no Foundation).
func readFile(_ path: String) throws -> String {
    struct ReadError: Error { let path: String }
    guard let file = fopen(path, "rb") else { throw ReadError(path: path) }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = fread(&chunk, 1, chunk.count, file)
        if count <= 0 { break }
        bytes += chunk[0..<count]
    }
    return String(decoding: bytes, as: UTF8.self)
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

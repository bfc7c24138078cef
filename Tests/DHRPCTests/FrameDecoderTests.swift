import Testing

@testable import DHRPC

@Suite("Frame decoder: any split of the input, every bad input")
struct FrameDecoderTests {
    /// A stream of frames of every type, some with payloads larger than one read.
    static let sampleFrames: [Frame] = [
        .settings([Setting(.maxFrameSize, 32768), Setting(.maxConcurrentStreams, 10), Setting(SettingID(rawValue: 0x99), 7)]),
        .settingsAck,
        .call(
            streamID: 1, path: "/health.v1.Records/Get", timeoutMicroseconds: 1_500_000,
            metadata: ["a": .string("b"), "c-bin": .binary([0, 1, 2]), "a": .string("again")], endStream: false),
        .message(streamID: 1, bytes: (0..<5000).map { UInt8(truncatingIfNeeded: $0) }, endStream: false),
        .message(streamID: 1, bytes: [], endStream: true),
        .headers(streamID: 1, metadata: [:]),
        .trailers(streamID: 1, status: RPCStatus(code: .permissionDenied, message: "日本語のメッセージ"), metadata: ["x": .string("y")]),
        .rstStream(streamID: 3, status: RPCStatus(code: .cancelled), refused: false),
        .windowUpdate(streamID: 0, increment: 0x7FFF_FFFF),
        .ping(data: 42, ack: false),
        .ping(data: 42, ack: true),
        .goaway(lastStreamID: 3, code: .noError, reason: "bye"),
    ]

    static var sampleBytes: [UInt8] {
        var bytes: [UInt8] = []
        for frame in sampleFrames { try! FrameEncoder.encode(frame, into: &bytes) }
        return bytes
    }

    /// Feeds `bytes` in pieces of the given sizes, collecting frames after each piece.
    private func decode(_ bytes: [UInt8], pieces: [Int]) throws -> [Frame] {
        var decoder = FrameDecoder(maxFrameSize: 32768)
        var frames: [Frame] = []
        var offset = 0
        for size in pieces {
            decoder.append(bytes[offset..<offset + size])
            offset += size
            while let frame = try decoder.next() { frames.append(frame) }
        }
        #expect(offset == bytes.count)
        #expect(!decoder.hasPartialFrame)
        return frames
    }

    @Test("all at once")
    func allAtOnce() throws {
        let bytes = Self.sampleBytes
        #expect(try decode(bytes, pieces: [bytes.count]) == Self.sampleFrames)
    }

    @Test("one byte at a time")
    func oneByteAtATime() throws {
        let bytes = Self.sampleBytes
        #expect(try decode(bytes, pieces: Array(repeating: 1, count: bytes.count)) == Self.sampleFrames)
    }

    @Test("random splits, seeded", arguments: [1, 2, 3, 42, 1234, 99_999] as [UInt64])
    func randomSplits(seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed)
        let bytes = Self.sampleBytes
        var pieces: [Int] = []
        var remaining = bytes.count
        while remaining > 0 {
            let size = min(remaining, Int.random(in: 1...64, using: &generator) * (Bool.random(using: &generator) ? 1 : 37))
            pieces.append(size)
            remaining -= size
        }
        #expect(try decode(bytes, pieces: pieces) == Self.sampleFrames)
    }

    @Test("a frame arrives only when its last byte does; a cut frame is reported as partial")
    func partialFrames() throws {
        let bytes = try FrameEncoder.encode(.ping(data: 7, ack: false))
        var decoder = FrameDecoder()
        for byte in bytes.dropLast() {
            decoder.append([byte])
            #expect(try decoder.next() == nil)
            #expect(decoder.hasPartialFrame)
        }
        decoder.append([bytes.last!])
        #expect(try decoder.next() == .ping(data: 7, ack: false))
        #expect(!decoder.hasPartialFrame)
        #expect(throws: RPCConnectionError.self) { try FrameDecoder.decodeAll(Array(bytes.dropLast())) }
    }

    private func error(for bytes: [UInt8], maxFrameSize: Int = 16384) -> RPCConnectionError? {
        var decoder = FrameDecoder(maxFrameSize: maxFrameSize)
        decoder.append(bytes)
        do {
            while try decoder.next() != nil {}
            return nil
        } catch {
            return error
        }
    }

    @Test("a frame above the maximum size fails from its header alone, as FRAME_TOO_LARGE")
    func oversized() throws {
        // Only the header: the decoder must not wait for (or buffer) the 16 KiB + 1 payload.
        let header = hex("00 00 40 01 03 00 00 00 00 01")
        #expect(error(for: header)?.code == .frameTooLarge)
        // A garbage length of 4 GiB - 1.
        #expect(error(for: hex("ff ff ff ff 03 00 00 00 00 01"))?.code == .frameTooLarge)
        // Exactly the maximum is fine.
        var decoder = FrameDecoder(maxFrameSize: 16384)
        decoder.append(try FrameEncoder.encode(.message(streamID: 1, bytes: Array(repeating: 1, count: 16384), endStream: false)))
        #expect(try decoder.next() != nil)
        // A larger configured maximum admits larger frames, up to the hard cap.
        #expect(error(for: hex("00 00 40 01 03 00 00 00 00 01") + Array(repeating: 0, count: 16385), maxFrameSize: 65536) == nil)
        #expect(FrameDecoder(maxFrameSize: Int.max).maxFrameSize == FrameLayout.hardMaxFrameSize)
        #expect(FrameDecoder(maxFrameSize: 1).maxFrameSize == FrameLayout.minimumMaxFrameSize)
    }

    static let malformed: [(String, String)] = [
        ("unknown frame type", "00 00 00 00 09 00 00 00 00 01"),
        ("frame type 0xff", "00 00 00 00 ff 00 00 00 00 01"),
        ("undefined flag on MESSAGE", "00 00 00 00 03 02 00 00 00 01"),
        ("a flag on HEADERS", "00 00 00 02 02 01 00 00 00 01 | 00 00"),
        ("reserved stream id bit", "00 00 00 00 03 00 80 00 00 01"),
        ("CALL on stream 0", "00 00 00 0c 01 00 00 00 00 00 | 00 02 2f 61 00 00 00 00 00 00 00 00"),
        ("MESSAGE on stream 0", "00 00 00 00 03 00 00 00 00 00"),
        ("SETTINGS on stream 1", "00 00 00 00 00 00 00 00 00 01"),
        ("PING on stream 1", "00 00 00 08 07 00 00 00 00 01 | 00 00 00 00 00 00 00 00"),
        ("GOAWAY on stream 3", "00 00 00 0a 08 00 00 00 00 03 | 00 00 00 00 00 00 00 00 00 00"),
        ("SETTINGS length not a multiple of 6", "00 00 00 05 00 00 00 00 00 00 | 00 01 00 00 40"),
        ("SETTINGS ACK with payload", "00 00 00 06 00 01 00 00 00 00 | 00 01 00 00 40 00"),
        ("PING of 7 bytes", "00 00 00 07 07 00 00 00 00 00 | 00 00 00 00 00 00 00"),
        ("PING of 9 bytes", "00 00 00 09 07 00 00 00 00 00 | 00 00 00 00 00 00 00 00 00"),
        ("WINDOW_UPDATE of 3 bytes", "00 00 00 03 06 00 00 00 00 00 | 00 00 01"),
        ("WINDOW_UPDATE of 0", "00 00 00 04 06 00 00 00 00 01 | 00 00 00 00"),
        ("WINDOW_UPDATE reserved bit", "00 00 00 04 06 00 00 00 00 01 | 80 00 00 01"),
        ("GOAWAY too short", "00 00 00 09 08 00 00 00 00 00 | 00 00 00 00 00 00 00 00 00"),
        ("GOAWAY reason runs past the payload", "00 00 00 0a 08 00 00 00 00 00 | 00 00 00 00 00 00 00 00 00 05"),
        ("GOAWAY with bytes after the reason", "00 00 00 0b 08 00 00 00 00 00 | 00 00 00 00 00 00 00 00 00 00 41"),
        ("GOAWAY reserved bit in last stream id", "00 00 00 0a 08 00 00 00 00 00 | 80 00 00 00 00 00 00 00 00 00"),
        ("CALL with empty path", "00 00 00 0c 01 00 00 00 00 01 | 00 00 00 00 00 00 00 00 00 00 00 00"),
        ("CALL path not UTF-8", "00 00 00 0d 01 00 00 00 00 01 | 00 01 ff 00 00 00 00 00 00 00 00 00 00"),
        ("CALL without metadata count", "00 00 00 0c 01 00 00 00 00 01 | 00 02 2f 61 00 00 00 00 00 00 00 00"),
        ("CALL metadata count past the payload", "00 00 00 0e 01 00 00 00 00 01 | 00 02 2f 61 00 00 00 00 00 00 00 00 00 01"),
        ("metadata key with upper case", "00 00 00 08 02 00 00 00 00 01 | 00 01 01 41 00 01 61 00"),
        ("metadata key empty", "00 00 00 06 02 00 00 00 00 01 | 00 01 00 00 01 61"),
        ("metadata text value with a control byte", "00 00 00 07 02 00 00 00 00 01 | 00 01 01 61 00 01 0a"),
        ("metadata text value not ASCII", "00 00 00 07 02 00 00 00 00 01 | 00 01 01 61 00 01 e3"),
        ("metadata value past the payload", "00 00 00 07 02 00 00 00 00 01 | 00 01 01 61 00 05 61"),
        ("HEADERS with bytes after the block", "00 00 00 03 02 00 00 00 00 01 | 00 00 00"),
        ("TRAILERS too short", "00 00 00 02 04 00 00 00 00 01 | 00 00"),
        ("TRAILERS message not UTF-8", "00 00 00 06 04 00 00 00 00 01 | 0d 00 01 c3 00 00"),
        ("RST_STREAM empty", "00 00 00 00 05 00 00 00 00 01"),
        ("RST_STREAM message past the payload", "00 00 00 03 05 00 00 00 00 01 | 01 00 01"),
    ]

    @Test("malformed frames are PROTOCOL_ERROR", arguments: malformed)
    func malformedFrames(name: String, bytes: String) {
        #expect(error(for: hex(bytes))?.code == .protocolError, "\(name)")
    }

    @Test("binary metadata may hold any byte")
    func binaryMetadata() throws {
        let frames = try FrameDecoder.decodeAll(hex("00 00 00 0d 02 00 00 00 00 01 | 00 01 05 61 2d 62 69 6e 00 03 00 0a ff"))
        #expect(frames == [.headers(streamID: 1, metadata: ["a-bin": .binary([0x00, 0x0A, 0xFF])])])
    }

    @Test("after an error the decoder keeps failing and drops its buffer")
    func sticky() throws {
        var decoder = FrameDecoder()
        decoder.append(hex("00 00 00 00 09 00 00 00 00 01"))
        #expect(throws: RPCConnectionError.self) { try decoder.next() }
        decoder.append(try FrameEncoder.encode(.settingsAck))
        #expect(throws: RPCConnectionError.self) { try decoder.next() }
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test("garbage never traps: random bytes decode to frames or fail with a connection error", arguments: [7, 8, 9, 10, 11] as [UInt64])
    func garbage(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        for _ in 0..<300 {
            let count = Int.random(in: 0...200, using: &generator)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            // Half the time make the header plausible, so payload parsing is exercised too.
            if bytes.count >= 10 && Bool.random(using: &generator) {
                let length = bytes.count - 10
                bytes[0] = 0
                bytes[1] = 0
                bytes[2] = UInt8(length >> 8)
                bytes[3] = UInt8(length & 0xFF)
                bytes[4] %= 9
                bytes[5] &= 1
                bytes[6] &= 0x7F
            }
            var decoder = FrameDecoder()
            decoder.append(bytes)
            var consumed = 0
            do {
                while let frame = try decoder.next() {
                    consumed += 1
                    // Whatever decodes must re-encode to something that decodes to the same frame.
                    let again = try? FrameDecoder.decodeAll(FrameEncoder.encode(frame))
                    #expect(again == [frame])
                }
            } catch {
                #expect(error.code == .protocolError || error.code == .frameTooLarge)
            }
            #expect(consumed <= bytes.count / 10)
        }
    }
}

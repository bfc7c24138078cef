import Testing

@testable import DHRPC

@Suite("State machines: the four call kinds, end to end in memory")
struct CallKindTests {
    @Test("connection start: SETTINGS both ways, ACKs, then both sides are ready")
    func handshake() {
        var link = Link()
        #expect(!link.client.isReady)
        link.connect()
        #expect(link.client.isReady && link.server.isReady)
        #expect(link.clientEvents == [.connectionReady])
        #expect(link.serverEvents == [.connectionReady])
        #expect(link.clientFrames.first?.type == .settings)
        #expect(link.serverFrames.first?.type == .settings)
        #expect(link.clientFrames.contains(.settingsAck) && link.serverFrames.contains(.settingsAck))
        #expect(link.client.peerSettings.maxConcurrentStreams == 100)
        #expect(link.client.nextTimeout == nil)
    }

    @Test("a call cannot start before the server's SETTINGS arrives")
    func notReady() {
        var client = RPCConnectionStateMachine(role: .client)
        _ = client.start(now: .zero)
        #expect(throws: RPCError.self) { try client.startCall(path: "/a/b", now: .zero) }
        #expect(!client.canStartCall)
    }

    @Test("unary: the client's bytes are exactly docs/PROTOCOL.md §5.1, and the outcome is OK")
    func unary() throws {
        var link = Link()
        link.connect()
        let handshakeBytes = link.clientBytes.count
        let id = try link.startCall(
            "/health.v1.Records/Get", metadata: ["x-request-id": .string("42"), "trace-bin": .binary([0x00, 0xFF])],
            timeout: .seconds(5))
        #expect(id == 1)
        link.executeClient(try link.client.sendMessage(streamID: id, [0x08, 0x96, 0x01], endStream: true))
        #expect(
            Array(link.clientBytes[handshakeBytes...])
                == hex(
                    """
                    00 00 00 41 01 00 00 00 00 01 00 16 2f 68 65 61 6c 74 68 2e 76 31 2e 52 65 63 6f 72 64 73 2f 47 65 74
                    00 00 00 00 00 4c 4b 40 00 02 0c 78 2d 72 65 71 75 65 73 74 2d 69 64 00 02 34 32
                    09 74 72 61 63 65 2d 62 69 6e 00 02 00 ff
                    00 00 00 07 03 01 00 00 00 01 00 00 00 03 08 96 01
                    """))
        link.pump()
        #expect(
            link.serverEvents.events.dropFirst()
                == [
                    .callStarted(
                        streamID: 1, path: "/health.v1.Records/Get",
                        metadata: ["x-request-id": .string("42"), "trace-bin": .binary([0x00, 0xFF])],
                        deadline: RPCInstant.zero.advanced(by: .seconds(5))),
                    .receivedMessage(streamID: 1, message: [0x08, 0x96, 0x01]),
                    .receivedEndOfStream(streamID: 1),
                ])
        let serverStart = link.serverBytes.count
        link.executeServer(try link.server.sendHeaders(streamID: 1, metadata: [:]))
        link.executeServer(try link.server.sendMessage(streamID: 1, [0x0A, 0x02, 0x6F, 0x6B]))
        link.executeServer(try link.server.sendTrailers(streamID: 1, status: .ok))
        #expect(
            Array(link.serverBytes[serverStart...])
                == hex(
                    """
                    00 00 00 02 02 00 00 00 00 01 00 00
                    00 00 00 08 03 00 00 00 00 01 00 00 00 04 0a 02 6f 6b
                    00 00 00 05 04 00 00 00 00 01 00 00 00 00 00
                    """))
        #expect(link.serverEvents.last == .callClosed(streamID: 1, status: .ok, trailers: [:]))
        link.pump()
        #expect(
            link.clientEvents.dropFirst()
                == [
                    .receivedHeaders(streamID: 1, metadata: [:]),
                    .receivedMessage(streamID: 1, message: [0x0A, 0x02, 0x6F, 0x6B]),
                    .callClosed(streamID: 1, status: .ok, trailers: [:]),
                ])
        #expect(link.client.openStreamIDs.isEmpty && link.server.openStreamIDs.isEmpty)
    }

    @Test("client streaming: many requests, half-close, one response")
    func clientStreaming() throws {
        var link = Link()
        link.connect()
        let id = try link.startCall("/health.v1.Records/Upload")
        for value in 1...50 as ClosedRange<UInt8> {
            link.executeClient(try link.client.sendMessage(streamID: id, [0x08, value]))
        }
        link.executeClient(try link.client.halfClose(streamID: id))
        #expect(link.clientFrames.last == .message(streamID: id, bytes: [], endStream: true))
        link.pump()
        let received = link.serverEvents.messages
        #expect(received == (1...50).map { [0x08, UInt8($0)] })
        #expect(link.serverEvents.last == .receivedEndOfStream(streamID: id))
        #expect(throws: RPCError.self) { try link.client.sendMessage(streamID: id, [1]) }
        link.executeServer(try link.server.sendMessage(streamID: id, [0x08, 50]))
        link.executeServer(try link.server.sendTrailers(streamID: id, status: .ok, metadata: ["x-count": .string("50")]))
        link.pump()
        #expect(link.clientEvents.messages == [[0x08, 50]])
        #expect(link.clientEvents.last == .callClosed(streamID: id, status: .ok, trailers: ["x-count": .string("50")]))
    }

    @Test("server streaming: one request, headers, many responses, trailers")
    func serverStreaming() throws {
        var link = Link()
        link.connect()
        let id = try link.startCall("/health.v1.Records/Watch")
        link.executeClient(try link.client.sendMessage(streamID: id, [0x08, 0x07], endStream: true))
        link.pump()
        #expect(link.serverEvents.messages == [[0x08, 0x07]])
        link.executeServer(try link.server.sendHeaders(streamID: id, metadata: ["x-shard": .string("7")]))
        #expect(throws: RPCError.self) { try link.server.sendHeaders(streamID: id, metadata: [:]) }
        for value in 0..<20 as Range<UInt8> { link.executeServer(try link.server.sendMessage(streamID: id, [0x08, value])) }
        link.executeServer(try link.server.sendTrailers(streamID: id, status: .ok))
        link.pump()
        #expect(link.clientEvents.contains(.receivedHeaders(streamID: id, metadata: ["x-shard": .string("7")])))
        #expect(link.clientEvents.messages == (0..<20).map { [0x08, UInt8($0)] })
        #expect(link.clientEvents.last == .callClosed(streamID: id, status: .ok, trailers: [:]))
    }

    @Test("bidirectional: messages interleave; the server may end with an error status")
    func bidirectional() throws {
        var link = Link()
        link.connect()
        let id = try link.startCall("/health.v1.Records/Chat", timeout: .seconds(30))
        link.executeClient(try link.client.sendMessage(streamID: id, [0x08, 0x01]))
        link.pump()
        link.executeServer(try link.server.sendMessage(streamID: id, [0x08, 0x0B]))
        link.pump()
        link.executeClient(try link.client.sendMessage(streamID: id, [0x08, 0x02], endStream: true))
        link.pump()
        link.executeServer(try link.server.sendMessage(streamID: id, [0x08, 0x0C]))
        link.executeServer(try link.server.sendTrailers(streamID: id, status: RPCStatus(code: .notFound, message: "record not found")))
        link.pump()
        #expect(link.serverEvents.messages == [[0x08, 0x01], [0x08, 0x02]])
        #expect(link.clientEvents.messages == [[0x08, 0x0B], [0x08, 0x0C]])
        #expect(
            link.clientEvents.last
                == .callClosed(streamID: id, status: RPCStatus(code: .notFound, message: "record not found"), trailers: [:]))
        // The last server frame is the TRAILERS of §5.4.
        #expect(
            try FrameEncoder.encode(link.serverFrames.last!)
                == hex("00 00 00 15 04 00 00 00 00 07 05 00 10 72 65 63 6f 72 64 20 6e 6f 74 20 66 6f 75 6e 64 00 00")
                    .enumerated().map { $0.offset == 9 ? UInt8(id) : $0.element })
    }

    @Test("many calls multiplex on one connection with odd increasing ids")
    func multiplexing() throws {
        var link = Link()
        link.connect()
        var ids: [UInt32] = []
        for index in 0..<10 {
            let id = try link.startCall("/test.Echo/Get")
            ids.append(id)
            link.executeClient(try link.client.sendMessage(streamID: id, [UInt8(index)], endStream: true))
        }
        #expect(ids == [1, 3, 5, 7, 9, 11, 13, 15, 17, 19])
        link.pump()
        for id in ids.reversed() {
            link.executeServer(try link.server.sendMessage(streamID: id, [UInt8(id)]))
            link.executeServer(try link.server.sendTrailers(streamID: id, status: .ok))
        }
        link.pump()
        let closed = link.clientEvents.closedStatuses
        #expect(closed.count == 10 && closed.values.allSatisfy(\.isOK))
        #expect(link.clientEvents.messages.count == 10)
    }

    @Test("CALL with END_STREAM: a call with no request message")
    func callWithEndStream() throws {
        var link = Link()
        link.connect()
        let (id, actions) = try link.client.startCall(path: "/a/b", endStream: true, now: link.now)
        link.executeClient(actions)
        #expect(link.clientFrames.last == .call(streamID: id, path: "/a/b", timeoutMicroseconds: 0, metadata: [:], endStream: true))
        link.pump()
        #expect(link.serverEvents.suffix(2) == [
            .callStarted(streamID: id, path: "/a/b", metadata: [:], deadline: nil), .receivedEndOfStream(streamID: id),
        ])
        #expect(throws: RPCError.self) { try link.client.sendMessage(streamID: id, [1]) }
    }
}

@Suite("State machines: stream errors reset one call and the connection goes on")
struct StreamErrorTests {
    @Test("HEADERS after a message, or twice, resets the call with INTERNAL")
    func headersOrder() throws {
        var link = Link()
        link.connect()
        let first = try link.startCall()
        let second = try link.startCall()
        link.pump()
        link.executeServer(try link.server.sendMessage(streamID: first, [1]))
        link.pump()
        var actions = link.client.receive(try FrameEncoder.encode(.headers(streamID: first, metadata: [:])), now: link.now)
        #expect(actions.closedStatuses[first]?.code == .internal)
        #expect(actions.frames.first?.type == .rstStream)
        _ = link.client.receive(try FrameEncoder.encode(.headers(streamID: second, metadata: [:])), now: link.now)
        actions = link.client.receive(try FrameEncoder.encode(.headers(streamID: second, metadata: [:])), now: link.now)
        #expect(actions.closedStatuses[second]?.code == .internal)
        #expect(link.client.isReady)
    }

    @Test("MESSAGE after the client's END_STREAM resets the call with INTERNAL")
    func messageAfterEnd() throws {
        var link = Link()
        link.connect()
        let id = try link.startCall()
        link.executeClient(try link.client.halfClose(streamID: id))
        link.pump()
        let actions = link.server.receive(try FrameEncoder.encode(.message(streamID: id, bytes: [0, 0, 0, 0], endStream: false)), now: link.now)
        #expect(actions.closedStatuses[id]?.code == .internal)
        #expect(link.server.isReady)
    }

    @Test("the server's trailing metadata that cannot be sent becomes INTERNAL without metadata")
    func badTrailers() throws {
        var link = Link()
        link.connect()
        let id = try link.startCall()
        link.pump()
        link.executeServer(try link.server.sendTrailers(streamID: id, status: .ok, metadata: ["NOT valid": .string("x")]))
        link.pump()
        #expect(link.clientEvents.closedStatuses[id]?.code == .internal)
        #expect(link.encodingFailures.isEmpty)
    }
}

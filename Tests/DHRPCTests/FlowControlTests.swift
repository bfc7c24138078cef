import Testing

@testable import DHRPC

@Suite("State machines: flow control and limits")
struct FlowControlTests {
    @Test("a slow reader stops the sender: the receiver holds at most one stream window, the sender's buffer is bounded")
    func slowReader() throws {
        var server = RPCConnectionConfiguration()
        server.outboundBufferLimit = 8 * 1024
        var link = Link(server: server)
        link.connect()
        let id = try link.startCall()
        link.pump()
        let message = Array(repeating: UInt8(0xAB), count: 1000)
        var sent = 0
        // The server streams as fast as it is allowed; the client application never reads.
        while link.server.isWritable(streamID: id) && sent < 1000 {
            link.executeServer(try link.server.sendMessage(streamID: id, message))
            sent += 1
            link.pump()
        }
        #expect(sent < 1000)
        #expect(!link.server.isWritable(streamID: id))
        #expect(throws: RPCError.self) { try link.server.sendMessage(streamID: id, message) }
        let window = RPCConnectionConfiguration().initialStreamWindow
        #expect(link.client.bufferedInboundBytes(streamID: id) <= window)
        #expect(link.server.bufferedOutboundBytes(streamID: id) <= server.outboundBufferLimit + message.count + 4)
        #expect(link.server.sendWindow(streamID: id)! < 1004)
        let delivered = link.clientEvents.messages.count
        #expect(delivered == sent - (link.server.bufferedOutboundBytes(streamID: id) + 1003) / 1004)
        // Now the reader catches up: credit flows back, the sender becomes writable again.
        for _ in 0..<delivered { link.executeClient(link.client.messageConsumed(streamID: id, byteCount: 1000)) }
        link.pump()
        #expect(link.serverEvents.contains(.streamWritable(streamID: id)))
        #expect(link.server.isWritable(streamID: id))
        #expect(link.clientEvents.messages.count > delivered)
    }

    @Test("a message larger than the stream window still arrives without the reader consuming anything")
    func messageLargerThanWindow() throws {
        var link = Link()
        link.connect()
        let id = try link.startCall()
        let big = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        link.executeClient(try link.client.sendMessage(streamID: id, big))
        var rounds = 0
        while link.serverEvents.messages.isEmpty && rounds < 100 {
            link.pump()
            rounds += 1
        }
        #expect(link.serverEvents.messages == [big])
        #expect(link.client.bufferedOutboundBytes(streamID: id) == 0)
        // Each frame stays within the peer's frame size.
        for case .message(_, let bytes, _) in link.clientFrames { #expect(bytes.count <= 16384) }
    }

    @Test("a reader that never consumes blocks the connection window only up to the configured amount")
    func connectionWindow() throws {
        var clientConfig = RPCConnectionConfiguration()
        clientConfig.initialConnectionWindow = 100_000
        var link = Link(client: clientConfig)
        link.connect()
        #expect(link.server.connectionSendWindow == 100_000)
        let ids = try (0..<4).map { _ in try link.startCall() }
        link.pump()
        for id in ids {
            for _ in 0..<100 where link.server.isWritable(streamID: id) {
                link.executeServer(try link.server.sendMessage(streamID: id, Array(repeating: 1, count: 1000)))
            }
        }
        link.pump()
        let held = ids.map { link.client.bufferedInboundBytes(streamID: $0) }.reduce(0, +)
        #expect(held <= 100_000)
        #expect(held > 0)
    }

    @Test("a peer that sends beyond its credit is a FLOW_CONTROL_ERROR")
    func windowOverrun() throws {
        var config = RPCConnectionConfiguration()
        config.initialStreamWindow = 1000
        var link = Link(server: config)
        link.connect()
        let id = try link.startCall()
        link.pump()
        let overrun = Frame.message(streamID: id, bytes: Array(repeating: 0, count: 1001), endStream: false)
        let actions = link.server.receive(try FrameEncoder.encode(overrun), now: link.now)
        #expect(actions.frames.last?.type == .goaway)
        guard case .goaway(_, let code, _) = actions.frames.last else { return }
        #expect(code == .flowControlError)
        #expect(actions.closedStatuses[id]?.code == .internal)
    }

    @Test("WINDOW_UPDATE beyond 2^31-1 is a FLOW_CONTROL_ERROR")
    func windowOverflow() throws {
        var link = Link()
        link.connect()
        let actions = link.client.receive(try FrameEncoder.encode(.windowUpdate(streamID: 0, increment: 0x7FFF_FFFF)), now: link.now)
        guard case .goaway(_, let code, _) = actions.frames.last else {
            Issue.record("no GOAWAY")
            return
        }
        #expect(code == .flowControlError)
    }

    @Test("a message above the receiver's limit resets only that call, with RESOURCE_EXHAUSTED, before it is buffered")
    func oversizedMessage() throws {
        var server = RPCConnectionConfiguration()
        server.maxMessageSize = 100
        var link = Link(server: server)
        link.connect()
        #expect(link.client.peerSettings.maxMessageSize == 100)
        let id = try link.startCall()
        link.pump()
        // A client that ignores the announced limit: a prefix claiming 101 bytes.
        let actions = link.server.receive(try FrameEncoder.encode(.message(streamID: id, bytes: [0, 0, 0, 101, 1], endStream: false)), now: link.now)
        #expect(actions.frames.contains { if case .rstStream(id, let status, false) = $0 { status.code == .resourceExhausted } else { false } })
        #expect(actions.closedStatuses[id]?.code == .resourceExhausted)
        #expect(link.server.isReady)
        // The sending side refuses locally, too.
        let second = try link.startCall()
        let local = try link.client.sendMessage(streamID: second, Array(repeating: 0, count: 101))
        #expect(local.closedStatuses[second]?.code == .resourceExhausted)
        #expect(local.frames.first?.type == .rstStream)
        // Exactly the limit passes.
        let third = try link.startCall()
        link.executeClient(try link.client.sendMessage(streamID: third, Array(repeating: 0, count: 100)))
        link.pump()
        #expect(link.serverEvents.messages.last?.count == 100)
    }

    @Test("a stream that ends inside a message is reset with INTERNAL")
    func endInsideMessage() throws {
        var link = Link()
        link.connect()
        let id = try link.startCall()
        link.pump()
        let actions = link.server.receive(try FrameEncoder.encode(.message(streamID: id, bytes: [0, 0, 0, 5, 1, 2], endStream: true)), now: link.now)
        #expect(actions.closedStatuses[id]?.code == .internal)
        #expect(link.server.isReady)
    }

    @Test("messages split across frames at every point reassemble; zero-length messages count")
    func splitMessages() throws {
        var link = Link()
        link.connect()
        let id = try link.startCall()
        link.pump()
        var stream: [UInt8] = []
        let expected: [[UInt8]] = [[1, 2, 3], [], [4], Array(repeating: 5, count: 300)]
        for message in expected { FrameEncoder.appendMessage(message, to: &stream) }
        for byte in stream {
            link.executeServer(link.server.receive(try FrameEncoder.encode(.message(streamID: id, bytes: [byte], endStream: false)), now: link.now))
        }
        #expect(link.serverEvents.messages == expected)
    }

    @Test("a server above its concurrent stream limit refuses the call with RESOURCE_EXHAUSTED + REFUSED")
    func streamLimit() throws {
        var server = RPCConnectionConfiguration()
        server.maxConcurrentStreams = 2
        var link = Link(server: server)
        link.connect()
        _ = try link.startCall()
        _ = try link.startCall()
        #expect(!link.client.canStartCall)
        #expect(throws: RPCError.self) { try link.client.startCall(path: "/a/b", now: link.now) }
        link.pump()
        // A client that ignores the limit.
        let actions = link.server.receive(try FrameEncoder.encode(.call(streamID: 5, path: "/a/b", timeoutMicroseconds: 0, metadata: [:], endStream: false)), now: link.now)
        #expect(actions.frames == [.rstStream(streamID: 5, status: RPCStatus(code: .resourceExhausted, message: "too many concurrent streams"), refused: true)])
        #expect(link.server.openStreamIDs == [1, 3])
        // A client told REFUSED learns the call was not processed.
        var client = RPCConnectionStateMachine(role: .client)
        _ = client.start(now: .zero)
        _ = client.receive(try FrameEncoder.encode(.settings([])), now: .zero)
        let (id, _) = try client.startCall(path: "/a/b", now: .zero)
        let refused = client.receive(try FrameEncoder.encode(actions.frames[0]).enumerated().map { $0.offset == 9 ? UInt8(id) : $0.element }, now: .zero)
        #expect(refused.events == [.callRefused(streamID: id), .callClosed(streamID: id, status: RPCStatus(code: .resourceExhausted, message: "too many concurrent streams"), trailers: [:])])
    }

    @Test("call metadata that does not fit one frame fails locally with RESOURCE_EXHAUSTED; bad metadata with INVALID_ARGUMENT")
    func callLimits() throws {
        var link = Link()
        link.connect()
        var big = Metadata()
        big.addBinary(Array(repeating: 1, count: 20_000), forKey: "blob-bin")
        do {
            _ = try link.client.startCall(path: "/a/b", metadata: big, now: link.now)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .resourceExhausted)
        }
        do {
            _ = try link.client.startCall(path: "/a/b", metadata: ["Bad Key": .string("x")], now: link.now)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .invalidArgument)
        }
        #expect(link.client.openStreamIDs.isEmpty)
        #expect(try link.startCall() == 1)
    }
}

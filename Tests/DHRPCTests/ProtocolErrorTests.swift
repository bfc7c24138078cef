import Testing

@testable import DHRPC

@Suite("State machines: protocol errors close the connection with GOAWAY and a reason")
struct ProtocolErrorTests {
    /// A ready side with (for the server) one open call on stream 1.
    private func ready(_ role: RPCConnectionStateMachine.Role) throws -> RPCConnectionStateMachine {
        var link = Link()
        link.connect()
        _ = try link.startCall()
        link.pump()
        return role == .client ? link.client : link.server
    }

    private func goawayCode(_ actions: [Action]) -> RPCConnectionError.Code? {
        for case .goaway(_, let code, _) in actions.frames { return code }
        return nil
    }

    static let serverSide: [(String, Frame)] = [
        ("second SETTINGS", .settings([])),
        ("unexpected SETTINGS ACK", .settingsAck),
        ("CALL with an even id", .call(streamID: 4, path: "/a/b", timeoutMicroseconds: 0, metadata: [:], endStream: false)),
        ("CALL reusing an id", .call(streamID: 1, path: "/a/b", timeoutMicroseconds: 0, metadata: [:], endStream: false)),
        ("MESSAGE for a stream never opened", .message(streamID: 9, bytes: [], endStream: false)),
        ("RST_STREAM for a stream never opened", .rstStream(streamID: 9, status: RPCStatus(code: .cancelled), refused: false)),
        ("WINDOW_UPDATE for a stream never opened", .windowUpdate(streamID: 9, increment: 1)),
        ("HEADERS from a client", .headers(streamID: 1, metadata: [:])),
        ("TRAILERS from a client", .trailers(streamID: 1, status: .ok, metadata: [:])),
        ("RST_STREAM REFUSED from a client", .rstStream(streamID: 1, status: RPCStatus(code: .cancelled), refused: true)),
    ]

    @Test("server-side protocol errors", arguments: serverSide)
    func serverErrors(name: String, frame: Frame) throws {
        var server = try ready(.server)
        let actions = server.receive(try FrameEncoder.encode(frame), now: .zero)
        #expect(goawayCode(actions) == .protocolError, "\(name)")
        #expect(actions.frames.last == actions.frames.first { $0.type == .goaway })
        #expect(actions.closedStatuses[1]?.code == .internal, "\(name)")
        #expect(server.isClosed)
        // Nothing more is processed.
        #expect(server.receive(try FrameEncoder.encode(.ping(data: 1, ack: false)), now: .zero).isEmpty)
    }

    static let clientSide: [(String, Frame)] = [
        ("CALL from a server", .call(streamID: 3, path: "/a/b", timeoutMicroseconds: 0, metadata: [:], endStream: false)),
        ("END_STREAM from a server", .message(streamID: 1, bytes: [], endStream: true)),
        ("HEADERS for a stream never opened", .headers(streamID: 3, metadata: [:])),
        ("TRAILERS for an even stream", .trailers(streamID: 2, status: .ok, metadata: [:])),
    ]

    @Test("client-side protocol errors", arguments: clientSide)
    func clientErrors(name: String, frame: Frame) throws {
        var client = try ready(.client)
        let actions = client.receive(try FrameEncoder.encode(frame), now: .zero)
        #expect(goawayCode(actions) == .protocolError, "\(name)")
        #expect(actions.closedStatuses[1]?.code == .internal, "\(name)")
    }

    @Test("the first frame must be SETTINGS")
    func firstFrame() throws {
        var server = RPCConnectionStateMachine(role: .server)
        _ = server.start(now: .zero)
        let actions = server.receive(try FrameEncoder.encode(.ping(data: 1, ack: false)), now: .zero)
        #expect(goawayCode(actions) == .protocolError)
    }

    @Test("bad SETTINGS values are PROTOCOL_ERROR; unknown settings are ignored")
    func badSettings() throws {
        for settings in [
            [Setting(.maxFrameSize, 100)], [Setting(.maxFrameSize, 16_777_216)], [Setting(.initialStreamWindow, 0)],
            [Setting(.initialConnectionWindow, 0x8000_0000)], [Setting(.maxFrameSize, 20000), Setting(.maxFrameSize, 20000)],
        ] {
            var client = RPCConnectionStateMachine(role: .client)
            _ = client.start(now: .zero)
            #expect(goawayCode(client.receive(try FrameEncoder.encode(.settings(settings)), now: .zero)) == .protocolError)
        }
        var client = RPCConnectionStateMachine(role: .client)
        _ = client.start(now: .zero)
        let actions = client.receive(try FrameEncoder.encode(.settings([Setting(SettingID(rawValue: 0x77), 5), Setting(.maxFrameSize, 65536)])), now: .zero)
        #expect(actions == [.send(.settingsAck), .connectionReady])
        #expect(client.peerSettings.maxFrameSize == 65536)
    }

    @Test("an oversized frame closes with FRAME_TOO_LARGE; open calls fail RESOURCE_EXHAUSTED")
    func frameTooLarge() throws {
        var server = try ready(.server)
        let actions = server.receive(hex("00 01 00 00 03 00 00 00 00 01"), now: .zero)
        #expect(goawayCode(actions) == .frameTooLarge)
        #expect(actions.closedStatuses[1]?.code == .resourceExhausted)
        #expect(actions.last == .closeConnection(RPCConnectionError(code: .frameTooLarge, reason: "frame of 65536 bytes is above the maximum of 16384")))
    }

    @Test("garbage bytes close the connection with a reason and never trap", arguments: [21, 22, 23, 24] as [UInt64])
    func garbage(seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed)
        for _ in 0..<50 {
            var server = try ready(.server)
            let bytes = (0..<Int.random(in: 10...300, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var actions: [Action] = []
            for byte in bytes { actions += server.receive([byte], now: .zero) }
            if server.isClosed {
                let code = goawayCode(actions)
                #expect(code == .protocolError || code == .frameTooLarge || code == .flowControlError)
                #expect(actions.last.map { if case .closeConnection(.some) = $0 { true } else { false } } == true)
            }
        }
    }

    @Test("frames for a stream that was closed are ignored, and their bytes still count and are returned")
    func closedStreamFrames() throws {
        var config = RPCConnectionConfiguration()
        config.initialConnectionWindow = 4096
        var link = Link(server: config)
        link.connect()
        let id = try link.startCall()
        link.pump()
        link.executeServer(link.server.cancel(streamID: id))
        // The client did not see the reset yet and keeps sending; the server ignores it.
        for _ in 0..<20 {
            let actions = link.server.receive(try FrameEncoder.encode(.message(streamID: id, bytes: Array(repeating: 0, count: 1000), endStream: false)), now: link.now)
            #expect(!actions.contains { if case .receivedMessage = $0 { true } else { false } })
            link.executeServer(actions)
        }
        #expect(link.server.isReady)
        // 20,000 bytes crossed a 4,096-byte connection window: credit went back as they arrived.
        let returned = link.serverFrames.reduce(0) { sum, frame in
            if case .windowUpdate(0, let increment) = frame { sum + Int(increment) } else { sum }
        }
        #expect(returned >= 20_000 - 4096)
    }
}

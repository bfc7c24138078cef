import Testing

@testable import DHRPC

@Suite("Configuration, metadata and timers")
struct ConfigurationTests {
    @Test("out-of-range limits are clamped into their valid ranges, and announced as such")
    func clamping() throws {
        var config = RPCConnectionConfiguration()
        config.maxFrameSize = 10
        config.initialStreamWindow = 0
        config.initialConnectionWindow = Int.max
        config.maxMessageSize = -5
        config.maxConcurrentStreams = -1
        let clamped = config.clamped
        #expect(clamped.maxFrameSize == FrameLayout.minimumMaxFrameSize)
        #expect(clamped.initialStreamWindow == 1)
        #expect(clamped.initialConnectionWindow == FrameLayout.maxWindow)
        #expect(clamped.maxMessageSize == 0)
        #expect(clamped.maxConcurrentStreams == 0)
        // What a machine announces is what its peer accepts as valid SETTINGS.
        var machine = RPCConnectionStateMachine(role: .server, configuration: config)
        guard case .send(.settings(let settings)) = machine.start(now: .zero).first else {
            Issue.record("no SETTINGS")
            return
        }
        let announced = try PeerSettings(settings)
        #expect(announced.maxFrameSize == FrameLayout.minimumMaxFrameSize)
        #expect(announced.initialConnectionWindow == FrameLayout.maxWindow)
        #expect(announced.maxConcurrentStreams == 0)
    }

    @Test("defaults match docs/PROTOCOL.md §4, and the presets differ only in their timers")
    func defaults() {
        let config = RPCConnectionConfiguration()
        #expect(config.maxFrameSize == 16384)
        #expect(config.maxConcurrentStreams == 100)
        #expect(config.initialStreamWindow == 65536)
        #expect(config.initialConnectionWindow == 1_048_576)
        #expect(config.maxMessageSize == 4_194_304)
        #expect(PeerSettings() == (try? PeerSettings([])))
        #expect(RPCConnectionConfiguration.client.keepaliveInterval == .seconds(30))
        #expect(RPCConnectionConfiguration.server.idleTimeout == .seconds(300))
        #expect(RPCConnectionStateMachine.alpnIdentifier == "dh-rpc/1")
    }

    @Test("the agreed minor version is the smaller of the two")
    func minorVersion() throws {
        var client = RPCConnectionStateMachine(role: .client)
        _ = client.start(now: .zero)
        _ = client.receive(try FrameEncoder.encode(.settings([Setting(.minorVersion, 5)])), now: .zero)
        #expect(client.peerSettings.minorVersion == 5)
        #expect(client.agreedMinorVersion == 0)
    }

    @Test("nextTimeout is the earliest of deadlines, keepalive and idle timers")
    func nextTimeout() throws {
        var client = RPCConnectionConfiguration()
        client.keepaliveInterval = .seconds(30)
        var server = RPCConnectionConfiguration()
        server.idleTimeout = .seconds(60)
        var link = Link(client: client, server: server)
        link.connect()
        #expect(link.client.nextTimeout == RPCInstant(offset: .seconds(30)))
        #expect(link.server.nextTimeout == RPCInstant(offset: .seconds(60)))
        _ = try link.startCall(timeout: .seconds(7))
        link.pump()
        #expect(link.client.nextTimeout == RPCInstant(offset: .seconds(7)))
        #expect(link.server.nextTimeout == RPCInstant(offset: .seconds(7)))
        link.advance(by: .seconds(7))
        link.pump()
        // Both sides reset the call at 7 s; the client heard from the server then, so its next
        // keepalive PING is due 30 s later.
        #expect(link.client.nextTimeout == RPCInstant(offset: .seconds(37)))
        #expect(link.server.nextTimeout == RPCInstant(offset: .seconds(67)))
    }

    @Test("metadata keeps order and repeats, and names what it cannot carry")
    func metadata() {
        var metadata: Metadata = ["a": .string("1")]
        metadata.addString("2", forKey: "a")
        metadata.addBinary([0, 1], forKey: "b-bin")
        #expect(metadata["a"] == [.string("1"), .string("2")])
        #expect(metadata.firstString(forKey: "a") == "1")
        #expect(metadata.firstString(forKey: "b-bin") == nil)
        #expect(metadata.validationError == nil)
        #expect(metadata.description == "[a: 1, a: 2, b-bin: <2 bytes>]")
        metadata.removeAll(forKey: "a")
        #expect(metadata.count == 1)
        #expect((["": .string("x")] as Metadata).validationError != nil)
        #expect((["k": .string("é")] as Metadata).validationError != nil)
        #expect((["k": .string(String(repeating: "x", count: 70_000))] as Metadata).validationError != nil)
        #expect(([String(repeating: "k", count: 256): .string("x")] as Metadata).validationError != nil)
    }

    @Test("status messages and reasons too long for the wire are cut between characters")
    func truncation() throws {
        var link = Link()
        link.connect()
        let id = try link.startCall()
        link.pump()
        let long = String(repeating: "日", count: 2000)
        link.executeServer(try link.server.sendTrailers(streamID: id, status: RPCStatus(code: .internal, message: long)))
        link.pump()
        let message = link.clientEvents.closedStatuses[id]?.message ?? ""
        #expect(message.utf8.count <= 1024 && message.utf8.count > 1000)
        #expect(message.allSatisfy { $0 == "日" })
        #expect(link.encodingFailures.isEmpty)
    }
}

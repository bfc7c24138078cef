import Testing

@testable import DHRPC

@Suite("State machines: cancellation, deadlines, keepalive, GOAWAY")
struct LifecycleTests {
    /// A connected link with one call open, its CALL delivered.
    private func openCall(timeout: Duration? = nil, client: RPCConnectionConfiguration = .init(), server: RPCConnectionConfiguration = .init()) throws -> (Link, UInt32) {
        var link = Link(client: client, server: server)
        link.connect()
        let id = try link.startCall(timeout: timeout)
        link.pump()
        return (link, id)
    }

    @Test("the client cancels: RST_STREAM CANCELLED; both sides close the call once; late frames are ignored")
    func clientCancels() throws {
        var (link, id) = try openCall()
        link.executeClient(link.client.cancel(streamID: id))
        #expect(link.clientFrames.last == .rstStream(streamID: id, status: RPCStatus(code: .cancelled, message: "cancelled"), refused: false))
        // The server answers before it sees the RST; its frames cross on the wire.
        link.executeServer(try link.server.sendMessage(streamID: id, [1, 2, 3]))
        link.pump()
        #expect(link.serverEvents.closedStatuses[id]?.code == .cancelled)
        #expect(link.clientEvents.closedStatuses[id]?.code == .cancelled)
        #expect(link.clientEvents.messages.isEmpty)
        #expect(link.clientEvents.filter { if case .callClosed = $0 { true } else { false } }.count == 1)
        #expect(link.client.isReady && link.server.isReady)
        // Sending on the closed stream is a harmless no-op.
        #expect(try link.server.sendTrailers(streamID: id, status: .ok).isEmpty)
    }

    @Test("the server resets: the client's call fails with the server's code")
    func serverResets() throws {
        var (link, id) = try openCall()
        link.executeServer(link.server.cancel(streamID: id, status: RPCStatus(code: .permissionDenied, message: "no")))
        link.pump()
        #expect(link.clientEvents.closedStatuses[id] == RPCStatus(code: .permissionDenied, message: "no"))
        #expect(link.client.openStreamIDs.isEmpty)
    }

    @Test("the server answers before the client half-closes; the client's later messages are dropped")
    func earlyTrailers() throws {
        var (link, id) = try openCall()
        link.executeServer(try link.server.sendTrailers(streamID: id, status: RPCStatus(code: .unimplemented, message: "unknown method")))
        link.executeClient(try link.client.sendMessage(streamID: id, Array(repeating: 7, count: 1000)))
        link.pump()
        #expect(link.clientEvents.closedStatuses[id]?.code == .unimplemented)
        #expect(link.serverEvents.messages.isEmpty)
        #expect(link.server.isReady)
    }

    @Test("client deadline: at the deadline the client resets with DEADLINE_EXCEEDED, the server's handler is told")
    func clientDeadline() throws {
        var (link, id) = try openCall(timeout: .milliseconds(1500))
        #expect(link.client.nextTimeout == RPCInstant.zero.advanced(by: .milliseconds(1500)))
        guard case .call(_, _, let micros, _, _) = link.clientFrames.first(where: { $0.type == .call }) else {
            Issue.record("no CALL")
            return
        }
        #expect(micros == 1_500_000)
        link.now = link.now.advanced(by: .milliseconds(1499))
        link.executeClient(link.client.tick(now: link.now))
        #expect(link.clientEvents.closedStatuses.isEmpty)
        link.now = link.now.advanced(by: .milliseconds(1))
        link.executeClient(link.client.tick(now: link.now))
        #expect(link.clientEvents.closedStatuses[id]?.code == .deadlineExceeded)
        link.pump()
        #expect(link.serverEvents.closedStatuses[id]?.code == .deadlineExceeded)
    }

    @Test("server deadline: the server enforces the timeout from the CALL on its own clock")
    func serverDeadline() throws {
        var link = Link()
        link.connect()
        link.now = RPCInstant(offset: .seconds(100))
        let id = try link.startCall(timeout: .seconds(2))
        link.pump()
        #expect(link.server.nextTimeout == RPCInstant(offset: .seconds(102)))
        link.now = RPCInstant(offset: .seconds(102))
        link.executeServer(link.server.tick(now: link.now))
        #expect(link.serverEvents.closedStatuses[id]?.code == .deadlineExceeded)
        link.pump()
        #expect(link.clientEvents.closedStatuses[id]?.code == .deadlineExceeded)
    }

    @Test("a timeout of zero fails at once, locally")
    func zeroTimeout() throws {
        var link = Link()
        link.connect()
        #expect(throws: RPCError.self) { try link.client.startCall(path: "/a/b", timeout: .zero, now: link.now) }
    }

    @Test("keepalive: PING after the interval; no ACK in time closes with KEEPALIVE_TIMEOUT and calls fail UNAVAILABLE")
    func keepaliveTimeout() throws {
        var config = RPCConnectionConfiguration()
        config.keepaliveInterval = .seconds(30)
        config.keepaliveTimeout = .seconds(10)
        var (link, id) = try openCall(client: config)
        link.now = link.now.advanced(by: .seconds(30))
        let actions = link.client.tick(now: link.now)
        #expect(actions.frames.count == 1)
        guard case .ping(let data, false) = actions.frames.first else {
            Issue.record("expected a PING")
            return
        }
        // The server acknowledges: the ping is settled.
        let ack = link.server.receive(try FrameEncoder.encode(.ping(data: data, ack: false)), now: link.now)
        #expect(ack.frames == [.ping(data: data, ack: true)])
        #expect(link.client.receive(try FrameEncoder.encode(.ping(data: data, ack: true)), now: link.now).isEmpty)
        // Next interval: a new PING, this time never answered.
        link.now = link.now.advanced(by: .seconds(30))
        #expect(link.client.tick(now: link.now).frames.count == 1)
        link.now = link.now.advanced(by: .seconds(10))
        let closing = link.client.tick(now: link.now)
        #expect(closing.frames.first?.type == .goaway)
        #expect(closing.closedStatuses[id]?.code == .unavailable)
        #expect(closing.last == .closeConnection(RPCConnectionError(code: .keepaliveTimeout, reason: "keepalive PING not acknowledged in time")))
        #expect(link.client.isClosed)
    }

    @Test("ping flood: the server closes with ENHANCE_YOUR_CALM after too many early PINGs")
    func pingFlood() throws {
        var server = RPCConnectionStateMachine(role: .server)
        _ = server.start(now: .zero)
        _ = server.receive(try FrameEncoder.encode(.settings([])), now: .zero)
        var now = RPCInstant.zero
        var last: [Action] = []
        for index in 0..<4 {
            now = now.advanced(by: .seconds(1))
            last = server.receive(try FrameEncoder.encode(.ping(data: UInt64(index), ack: false)), now: now)
            if index < 3 { #expect(last.frames == [.ping(data: UInt64(index), ack: true)]) }
        }
        #expect(last.frames.last == .goaway(lastStreamID: 0, code: .enhanceYourCalm, reason: "too many PINGs"))
        #expect(server.isClosed)
    }

    @Test("well-spaced PINGs are always answered")
    func politePings() throws {
        var server = RPCConnectionStateMachine(role: .server)
        _ = server.start(now: .zero)
        _ = server.receive(try FrameEncoder.encode(.settings([])), now: .zero)
        for index in 1...10 {
            let now = RPCInstant(offset: .seconds(5 * index))
            #expect(server.receive(try FrameEncoder.encode(.ping(data: 9, ack: false)), now: now).frames == [.ping(data: 9, ack: true)])
        }
    }

    @Test("settings timeout: a silent peer is dropped with SETTINGS_TIMEOUT")
    func settingsTimeout() {
        var client = RPCConnectionStateMachine(role: .client)
        _ = client.start(now: .zero)
        #expect(client.nextTimeout == RPCInstant(offset: .seconds(10)))
        #expect(client.tick(now: RPCInstant(offset: .seconds(9))).isEmpty)
        let actions = client.tick(now: RPCInstant(offset: .seconds(10)))
        #expect(actions.frames == [.goaway(lastStreamID: 0, code: .settingsTimeout, reason: "no SETTINGS or SETTINGS ACK in time")])
        #expect(client.isClosed)
    }

    @Test("graceful shutdown: in-flight calls finish, new calls are refused, then the connection closes")
    func gracefulShutdown() throws {
        var (link, first) = try openCall()
        // A second CALL is on the wire when the server sends GOAWAY: it crosses it.
        let second = try link.startCall()
        link.executeServer(link.server.beginShutdown())
        #expect(link.serverFrames.last == .goaway(lastStreamID: first, code: .noError, reason: "shutdown"))
        link.pump()
        #expect(link.clientEvents.contains(.goawayReceived(lastStreamID: first, code: .noError, reason: "shutdown")))
        // The crossing call was not processed: refused (and failed at the client as UNAVAILABLE).
        #expect(link.serverFrames.contains(.rstStream(streamID: second, status: RPCStatus(code: .unavailable, message: "server is shutting down"), refused: true)))
        #expect(link.clientEvents.closedStatuses[second]?.code == .unavailable)
        #expect(link.clientEvents.contains(.callRefused(streamID: second)))
        #expect(!link.clientEvents.contains(.callRefused(streamID: first)))
        #expect(!link.serverEvents.contains { if case .callStarted(second, _, _, _) = $0 { true } else { false } })
        // No new calls on a draining connection.
        #expect(throws: RPCError.self) { try link.client.startCall(path: "/a/b", now: link.now) }
        #expect(!link.client.canStartCall)
        // The first call still completes normally.
        link.executeClient(try link.client.sendMessage(streamID: first, [1], endStream: true))
        link.pump()
        #expect(link.serverEvents.messages == [[1]])
        link.executeServer(try link.server.sendMessage(streamID: first, [2]))
        link.executeServer(try link.server.sendTrailers(streamID: first, status: .ok))
        #expect(link.serverEvents.last == .closeConnection(nil))
        link.pump()
        #expect(link.clientEvents.closedStatuses[first] == .ok)
        #expect(link.clientEvents.last == .closeConnection(nil))
        #expect(link.client.isClosed && link.server.isClosed)
    }

    @Test("an error after a graceful GOAWAY sends a second GOAWAY whose lastStreamID did not grow")
    func secondGoaway() throws {
        var (link, first) = try openCall()
        link.executeServer(link.server.beginShutdown())
        // A call crossing the GOAWAY is refused; then the client breaks a rule.
        _ = link.server.receive(try FrameEncoder.encode(.call(streamID: first + 2, path: "/a/b", timeoutMicroseconds: 0, metadata: [:], endStream: false)), now: link.now)
        let actions = link.server.receive(try FrameEncoder.encode(.headers(streamID: first, metadata: [:])), now: link.now)
        #expect(actions.frames.last == .goaway(lastStreamID: first, code: .protocolError, reason: "HEADERS from a client"))
        #expect(actions.closedStatuses[first]?.code == .internal)
    }

    @Test("GOAWAY received: calls above lastStreamID fail UNAVAILABLE, those below go on")
    func goawayLastStreamID() throws {
        var link = Link()
        link.connect()
        let ids = try (0..<3).map { _ in try link.startCall() }
        link.pump()
        let actions = link.client.receive(try FrameEncoder.encode(.goaway(lastStreamID: ids[0], code: .noError, reason: "restart")), now: link.now)
        #expect(actions.closedStatuses.keys.sorted() == [ids[1], ids[2]])
        #expect(actions.closedStatuses.values.allSatisfy { $0.code == .unavailable })
        #expect(link.client.openStreamIDs == [ids[0]])
        #expect(!link.client.isClosed)
    }

    @Test("GOAWAY with an error code fails every call with the code's status")
    func goawayWithError() throws {
        var (link, id) = try openCall()
        let actions = link.client.receive(try FrameEncoder.encode(.goaway(lastStreamID: id, code: .frameTooLarge, reason: "frame too large")), now: link.now)
        #expect(actions.closedStatuses[id]?.code == .resourceExhausted)
        #expect(actions.last == .closeConnection(RPCConnectionError(code: .frameTooLarge, reason: "frame too large")))
        #expect(link.client.isClosed)
    }

    @Test("the client shuts down: GOAWAY with last stream 0, calls finish, then it closes")
    func clientShutdown() throws {
        var (link, id) = try openCall()
        link.executeClient(link.client.beginShutdown())
        #expect(link.clientFrames.last == .goaway(lastStreamID: 0, code: .noError, reason: "shutdown"))
        link.pump()
        #expect(!link.client.isClosed)
        link.executeServer(try link.server.sendTrailers(streamID: id, status: .ok))
        #expect(link.server.isClosed)
        link.pump()
        #expect(link.client.isClosed)
        #expect(link.clientEvents.last == .closeConnection(nil))
    }

    @Test("idle timeout: a server without streams closes gracefully after the idle time")
    func idleTimeout() throws {
        var config = RPCConnectionConfiguration()
        config.idleTimeout = .seconds(60)
        var (link, id) = try openCall(server: config)
        link.now = link.now.advanced(by: .seconds(120))
        #expect(link.server.tick(now: link.now).isEmpty)  // a call is open
        link.executeServer(try link.server.sendTrailers(streamID: id, status: .ok))
        link.now = link.now.advanced(by: .seconds(59))
        #expect(link.server.tick(now: link.now).isEmpty)
        link.now = link.now.advanced(by: .seconds(1))
        let actions = link.server.tick(now: link.now)
        #expect(actions.frames == [.goaway(lastStreamID: id, code: .noError, reason: "idle")])
        #expect(actions.last == .closeConnection(nil))
    }

    @Test("the transport drops: open calls fail UNAVAILABLE; a cut frame is named as truncated")
    func transportDrops() throws {
        var (link, id) = try openCall()
        let partial = Array(try FrameEncoder.encode(.message(streamID: id, bytes: [0, 0, 0, 1, 9], endStream: false)).prefix(7))
        #expect(link.client.receive(partial, now: link.now).isEmpty)
        let actions = link.client.transportClosed()
        #expect(actions.closedStatuses[id]?.code == .unavailable)
        #expect(actions.closedStatuses[id]?.message.contains("truncated") == true)
        #expect(link.client.isClosed)
        #expect(link.server.transportClosed().closedStatuses[id]?.message == "connection closed")
    }
}

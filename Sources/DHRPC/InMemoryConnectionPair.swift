/// A client and a server state machine joined in memory, with no sockets and no TLS.
///
/// Frames one side sends are encoded to bytes and fed to the other, in order, when ``pump()``
/// runs; time moves only through ``now`` and ``advance(by:)``. Everything else the machines ask
/// for is recorded as events, for the caller to act on (deliver messages, consume them, answer
/// calls). It is the skeleton of the in-process transport and the harness of the protocol tests.
public struct InMemoryConnectionPair: Sendable {
    public typealias Action = RPCConnectionStateMachine.Action

    public var client: RPCConnectionStateMachine
    public var server: RPCConnectionStateMachine
    public var now = RPCInstant.zero
    /// Bytes on the wire, not yet delivered.
    public var toServer: [UInt8] = []
    public var toClient: [UInt8] = []
    /// Everything each side asked for, except sending frames.
    public private(set) var clientEvents: [Action] = []
    public private(set) var serverEvents: [Action] = []
    /// Every frame each side sent, and its bytes.
    public private(set) var clientFrames: [Frame] = []
    public private(set) var serverFrames: [Frame] = []
    public private(set) var clientBytes: [UInt8] = []
    public private(set) var serverBytes: [UInt8] = []
    /// Frames a machine asked to send that could not be encoded (always empty unless a bug).
    public private(set) var encodingFailures: [FrameEncodingError] = []
    /// Whether frames and bytes sent are kept in `clientFrames` ... `serverBytes`. Turn it off for
    /// long runs; drain the events with `takeClientEvents` and `takeServerEvents`.
    public var recordsTraffic = true

    public init(
        client: RPCConnectionConfiguration = RPCConnectionConfiguration(),
        server: RPCConnectionConfiguration = RPCConnectionConfiguration()
    ) {
        self.client = RPCConnectionStateMachine(role: .client, configuration: client)
        self.server = RPCConnectionStateMachine(role: .server, configuration: server)
    }

    /// Carries out what the client asked for: frames go on the wire, the rest is recorded.
    public mutating func executeClient(_ actions: consuming [Action]) {
        var actions = actions
        defer { client.recycle(&actions) }
        for action in actions {
            guard case .send(let frame) = action else {
                clientEvents.append(action)
                continue
            }
            do {
                let start = toServer.count
                try FrameEncoder.encode(frame, into: &toServer)
                if recordsTraffic {
                    clientFrames.append(frame)
                    clientBytes += toServer[start...]
                }
            } catch {
                encodingFailures.append(error)
            }
        }
    }

    /// Carries out what the server asked for.
    public mutating func executeServer(_ actions: consuming [Action]) {
        var actions = actions
        defer { server.recycle(&actions) }
        for action in actions {
            guard case .send(let frame) = action else {
                serverEvents.append(action)
                continue
            }
            do {
                let start = toClient.count
                try FrameEncoder.encode(frame, into: &toClient)
                if recordsTraffic {
                    serverFrames.append(frame)
                    serverBytes += toClient[start...]
                }
            } catch {
                encodingFailures.append(error)
            }
        }
    }

    /// The client's events so far, removing them.
    public mutating func takeClientEvents() -> [Action] {
        defer { clientEvents = [] }
        return clientEvents
    }

    /// The server's events so far, removing them.
    public mutating func takeServerEvents() -> [Action] {
        defer { serverEvents = [] }
        return serverEvents
    }

    /// Delivers bytes both ways until the wire is quiet, or `maxRounds` exchanges have run.
    public mutating func pump(maxRounds: Int = 10_000) {
        var rounds = 0
        while (!toServer.isEmpty || !toClient.isEmpty) && rounds < maxRounds {
            rounds += 1
            if !toServer.isEmpty {
                let bytes = toServer
                toServer = []
                executeServer(server.receive(bytes, now: now))
            }
            if !toClient.isEmpty {
                let bytes = toClient
                toClient = []
                executeClient(client.receive(bytes, now: now))
            }
        }
    }

    /// Starts both sides and exchanges SETTINGS.
    public mutating func connect() {
        executeClient(client.start(now: now))
        executeServer(server.start(now: now))
        pump()
    }

    /// Client: starts a call; its CALL is on the wire after the next `pump`.
    public mutating func startCall(
        _ path: String = "/test.Echo/Get", metadata: Metadata = Metadata(), timeout: Duration? = nil
    ) throws(RPCError) -> UInt32 {
        let (id, actions) = try client.startCall(path: path, metadata: metadata, timeout: timeout, now: now)
        executeClient(actions)
        return id
    }

    /// Moves time on and lets both sides act on it.
    public mutating func advance(by duration: Duration) {
        now = now.advanced(by: duration)
        executeClient(client.tick(now: now))
        executeServer(server.tick(now: now))
    }
}

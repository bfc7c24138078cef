@testable import DHRPC

/// Bytes from hex text such as "00 0a ff"; spaces and `|` are ignored.
func hex(_ text: String) -> [UInt8] {
    let digits = text.filter { $0.isHexDigit }
    var bytes: [UInt8] = []
    var index = digits.startIndex
    while index < digits.endIndex {
        let next = digits.index(index, offsetBy: 2)
        bytes.append(UInt8(digits[index..<next], radix: 16)!)
        index = next
    }
    return bytes
}

/// A seeded generator (SplitMix64), so random tests repeat exactly.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

typealias Action = RPCConnectionStateMachine.Action

extension Array where Element == Action {
    var frames: [Frame] {
        compactMap { if case .send(let frame) = $0 { frame } else { nil } }
    }
    var events: [Action] {
        filter { if case .send = $0 { false } else { true } }
    }
    var closedStatuses: [UInt32: RPCStatus] {
        var result: [UInt32: RPCStatus] = [:]
        for case .callClosed(let id, let status, _) in self { result[id] = status }
        return result
    }
    var messages: [[UInt8]] {
        compactMap { if case .receivedMessage(_, let message) = $0 { message } else { nil } }
    }
}

/// A client and a server state machine joined in memory: frames one side sends are encoded to
/// bytes and fed to the other, in order. Time moves only when a test moves it.
struct Link {
    var client: RPCConnectionStateMachine
    var server: RPCConnectionStateMachine
    var now = RPCInstant.zero
    /// Bytes on the wire, not yet delivered.
    var toServer: [UInt8] = []
    var toClient: [UInt8] = []
    /// Everything each side was told to do, except sending.
    var clientEvents: [Action] = []
    var serverEvents: [Action] = []
    /// Every frame each side sent.
    var clientFrames: [Frame] = []
    var serverFrames: [Frame] = []
    /// The raw bytes each side sent.
    var clientBytes: [UInt8] = []
    var serverBytes: [UInt8] = []

    init(client: RPCConnectionConfiguration = RPCConnectionConfiguration(), server: RPCConnectionConfiguration = RPCConnectionConfiguration()) {
        self.client = RPCConnectionStateMachine(role: .client, configuration: client)
        self.server = RPCConnectionStateMachine(role: .server, configuration: server)
    }

    mutating func fromClient(_ actions: [Action]) {
        for action in actions {
            if case .send(let frame) = action {
                clientFrames.append(frame)
                let bytes = try! FrameEncoder.encode(frame)
                toServer += bytes
                clientBytes += bytes
            } else {
                clientEvents.append(action)
            }
        }
    }

    mutating func fromServer(_ actions: [Action]) {
        for action in actions {
            if case .send(let frame) = action {
                serverFrames.append(frame)
                let bytes = try! FrameEncoder.encode(frame)
                toClient += bytes
                serverBytes += bytes
            } else {
                serverEvents.append(action)
            }
        }
    }

    /// Delivers bytes both ways until the wire is quiet (bounded).
    mutating func pump() {
        var rounds = 0
        while (!toServer.isEmpty || !toClient.isEmpty) && rounds < 10_000 {
            rounds += 1
            if !toServer.isEmpty {
                let bytes = toServer
                toServer = []
                fromServer(server.receive(bytes, now: now))
            }
            if !toClient.isEmpty {
                let bytes = toClient
                toClient = []
                fromClient(client.receive(bytes, now: now))
            }
        }
    }

    /// Starts both sides and exchanges SETTINGS.
    mutating func connect() {
        fromClient(client.start(now: now))
        fromServer(server.start(now: now))
        pump()
    }

    mutating func startCall(_ path: String = "/test.Echo/Get", metadata: Metadata = [:], timeout: Duration? = nil) throws -> UInt32 {
        let (id, actions) = try client.startCall(path: path, metadata: metadata, timeout: timeout, now: now)
        fromClient(actions)
        return id
    }

    mutating func advance(_ duration: Duration) {
        now = now.advanced(by: duration)
        fromClient(client.tick(now: now))
        fromServer(server.tick(now: now))
    }
}

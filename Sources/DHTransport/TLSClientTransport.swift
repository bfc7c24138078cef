public import DHRPC
public import DHTLS
public import NIOCore
internal import NIOPosix
internal import Synchronization

/// A dh-rpc/1 client over TCP and TLS 1.3 with mutual authentication, to one target.
///
/// Calls share one multiplexed connection, made when the first call needs it and made again
/// after it drops, with exponential backoff and jitter between failed attempts. A call waits for
/// a connection until its deadline (a call without a deadline waits for one attempt) and then
/// fails with `UNAVAILABLE`. A call the server refused without processing it (GOAWAY, or
/// RST_STREAM with REFUSED) is retried on a fresh connection.
///
/// ```swift
/// let transport = TLSClientTransport(host: "records.example.jp", port: 7443, tls: clientContext)
/// let client = RPCClient(transport: transport)
/// // …
/// await transport.close()
/// ```
public final class TLSClientTransport: ClientTransport {
    public struct Configuration: Sendable {
        /// The dh-rpc/1 limits and timers of the connection (default: keepalive every 30 s).
        public var connection: RPCConnectionConfiguration
        /// Time allowed for the TCP connect.
        public var connectTimeout: Duration
        /// Time allowed for the TLS handshake.
        public var handshakeTimeout: Duration
        /// The delay after the first failed connection attempt.
        public var initialBackoff: Duration
        /// The delay never grows beyond this.
        public var maximumBackoff: Duration
        /// Each further failure multiplies the delay by this.
        public var backoffMultiplier: Double
        /// Each delay is varied at random by up to this fraction, up or down.
        public var backoffJitter: Double
        /// How many times a refused call is retried on a fresh connection.
        public var maxRefusedRetries: Int
        /// Told about buffering and flow control, for tests and metrics.
        package var observer: TransportObserver?

        public init(
            connection: RPCConnectionConfiguration = .client, connectTimeout: Duration = .seconds(10),
            handshakeTimeout: Duration = .seconds(10), initialBackoff: Duration = .seconds(1),
            maximumBackoff: Duration = .seconds(60), backoffMultiplier: Double = 1.6, backoffJitter: Double = 0.2,
            maxRefusedRetries: Int = 2
        ) {
            self.connection = connection
            self.connectTimeout = connectTimeout
            self.handshakeTimeout = handshakeTimeout
            self.initialBackoff = initialBackoff
            self.maximumBackoff = maximumBackoff
            self.backoffMultiplier = backoffMultiplier
            self.backoffJitter = backoffJitter
            self.maxRefusedRetries = maxRefusedRetries
        }

        /// The delay before attempt `failures + 1`, jitter included (`random` in 0...1).
        func backoff(afterFailures failures: Int, random: Double) -> Duration {
            let initial = Double(initialBackoff.nanoseconds)
            let maximum = Double(maximumBackoff.nanoseconds)
            var base = initial
            for _ in 0..<min(max(failures - 1, 0), 64) where base < maximum { base *= max(backoffMultiplier, 1) }
            base = min(base, maximum)
            let jitter = max(0, min(backoffJitter, 1))
            let factor = 1 + jitter * (2 * random - 1)
            return .nanoseconds(Int64(max(0, base * factor)))
        }
    }

    private struct Waiter {
        var continuation: CheckedContinuation<ConnectionHandle, any Error>
        var deadline: ContinuousClock.Instant?
        var timeout: Scheduled<Void>?
    }

    private enum Current {
        case none
        case connecting(attempt: UInt64)
        case ready(attempt: UInt64, ConnectionHandle)
    }

    private struct State {
        var current = Current.none
        var attempts: UInt64 = 0
        var failures = 0
        var backoffUntil: ContinuousClock.Instant?
        var backoffScheduled = false
        var lastError: String?
        var waiters: [UInt64: Waiter] = [:]
        var nextWaiterID: UInt64 = 0
        var closed = false
        var channels: [UInt64: any Channel] = [:]
    }

    public let host: String
    public let port: Int
    public let configuration: Configuration
    private let tls: ReloadableTLSContext
    private let serverName: String?
    private let group: any EventLoopGroup
    private let state = Mutex(State())

    /// - Parameters:
    ///   - serverName: the name the server's certificate must carry; by default `host`.
    public init(
        host: String, port: Int, tls: ReloadableTLSContext, serverName: String? = nil,
        configuration: Configuration = Configuration(), eventLoopGroup: (any EventLoopGroup)? = nil
    ) {
        self.host = host
        self.port = port
        self.tls = tls
        self.serverName = serverName ?? host
        self.configuration = configuration
        self.group = eventLoopGroup ?? MultiThreadedEventLoopGroup.singleton
    }

    public convenience init(
        host: String, port: Int, tls: TLSContext, serverName: String? = nil,
        configuration: Configuration = Configuration(), eventLoopGroup: (any EventLoopGroup)? = nil
    ) {
        self.init(
            host: host, port: port, tls: ReloadableTLSContext(tls), serverName: serverName,
            configuration: configuration, eventLoopGroup: eventLoopGroup)
    }

    /// Closes the connection (calls in flight fail with `UNAVAILABLE`); later calls fail too.
    public func close() async {
        let (channels, waiters) = state.withLock { state in
            state.closed = true
            state.current = .none
            defer { state.waiters = [:] }
            return (Array(state.channels.values), Array(state.waiters.values))
        }
        for waiter in waiters {
            waiter.timeout?.cancel()
            waiter.continuation.resume(throwing: RPCError(code: .unavailable, message: "the client was closed"))
        }
        for channel in channels {
            try? await channel.close()
        }
    }

    /// Opens a call and runs `body` with it (see ``ClientTransport``).
    ///
    /// Throws ``RPCError``: `UNAVAILABLE` when no connection could be had in time or the
    /// connection dropped, `DEADLINE_EXCEEDED`, `CANCELLED` when the calling task was cancelled,
    /// and whatever status the server ended the call with, as `body` reports it.
    public func withStream<Result: Sendable>(
        method: MethodDescriptor, options: CallOptions,
        _ body: @escaping @Sendable (ClientStream) async throws -> Result
    ) async throws -> Result {
        let deadline = options.timeout.map { ContinuousClock.now.advanced(by: $0) }
        var attempt = 0
        while true {
            attempt += 1
            let canRetry = attempt <= configuration.maxRefusedRetries
            let connection = try await self.connection(deadline: deadline)
            let call: ClientCall
            do {
                call = try await withCheckedThrowingContinuation { continuation in
                    connection.run {
                        $0.openCall(
                            path: method.path, metadata: options.metadata, deadline: deadline, continuation)
                    }
                }
            } catch let error as RPCError where error.code == .unavailable && canRetry {
                // The connection began closing: nothing was sent, try a fresh one.
                connectionUnusable(connection)
                continue
            }
            let stream = ClientStream(
                requests: RPCWriter { bytes in try await call.write(bytes) },
                finishRequests: { try await call.halfClose() },
                responses: RPCAsyncSequence(InboxSequence(inbox: call.responses)))
            do {
                let result = try await body(stream)
                if !call.isClosed { call.cancel() }
                return result
            } catch {
                if !call.isClosed { call.cancel() }
                if call.wasRefused, canRetry {
                    connectionUnusable(connection)
                    continue
                }
                if error is CancellationError {
                    throw RPCError(code: .cancelled, message: "the call was cancelled")
                }
                throw error
            }
        }
    }

    // MARK: The connection

    /// A ready connection, waiting at most until `deadline`.
    private func connection(deadline: ContinuousClock.Instant?) async throws -> ConnectionHandle {
        if let deadline, deadline <= .now {
            throw RPCError(code: .deadlineExceeded, message: "the deadline passed before the call started")
        }
        let id = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                enum Step {
                    case resume(ConnectionHandle)
                    case fail(RPCError)
                    case wait(connect: UInt64?, scheduleBackoff: Duration?)
                }
                let step = state.withLock { state -> Step in
                    if state.closed { return .fail(RPCError(code: .unavailable, message: "the client was closed")) }
                    if Task.isCancelled { return .fail(RPCError(code: .cancelled, message: "the call was cancelled")) }
                    switch state.current {
                    case .ready(_, let handle):
                        return .resume(handle)
                    case .connecting:
                        state.waiters[id] = Waiter(continuation: continuation, deadline: deadline)
                        return .wait(connect: nil, scheduleBackoff: nil)
                    case .none:
                        if let until = state.backoffUntil, ContinuousClock.now < until {
                            guard let deadline, deadline > until else {
                                return .fail(self.noConnection(state, retryAt: until))
                            }
                            state.waiters[id] = Waiter(continuation: continuation, deadline: deadline)
                            guard !state.backoffScheduled else { return .wait(connect: nil, scheduleBackoff: nil) }
                            state.backoffScheduled = true
                            return .wait(connect: nil, scheduleBackoff: until - .now)
                        }
                        state.attempts += 1
                        state.current = .connecting(attempt: state.attempts)
                        state.waiters[id] = Waiter(continuation: continuation, deadline: deadline)
                        return .wait(connect: state.attempts, scheduleBackoff: nil)
                    }
                }
                switch step {
                case .resume(let handle):
                    continuation.resume(returning: handle)
                case .fail(let error):
                    continuation.resume(throwing: error)
                case .wait(let connect, let backoff):
                    if let deadline { scheduleTimeout(waiter: id, at: deadline) }
                    if let connect { self.connect(attempt: connect) }
                    if let backoff { scheduleBackoffEnd(after: backoff) }
                }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.timeout?.cancel()
            waiter?.continuation.resume(throwing: RPCError(code: .cancelled, message: "the call was cancelled"))
        }
    }

    private func noConnection(_ state: State, retryAt: ContinuousClock.Instant?) -> RPCError {
        var message = "no connection to \(host):\(port)"
        if let lastError = state.lastError { message += ": \(lastError)" }
        if let retryAt { message += "; next attempt in \(retryAt - .now)" }
        return RPCError(code: .unavailable, message: message)
    }

    private func scheduleTimeout(waiter id: UInt64, at deadline: ContinuousClock.Instant) {
        let scheduled = group.next().scheduleTask(in: .nanoseconds((deadline - .now).nanoseconds)) {
            let waiter = self.state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.continuation.resume(
                throwing: RPCError(code: .unavailable, message: "no connection to \(self.host):\(self.port) within the deadline"))
        }
        let keep = state.withLock { state -> Bool in
            guard state.waiters[id] != nil else { return false }
            state.waiters[id]!.timeout = scheduled
            return true
        }
        if !keep { scheduled.cancel() }
    }

    private func scheduleBackoffEnd(after delay: Duration) {
        group.next().scheduleTask(in: .nanoseconds(delay.nanoseconds)) {
            let attempt = self.state.withLock { state -> UInt64? in
                state.backoffScheduled = false
                guard !state.closed, case .none = state.current, !state.waiters.isEmpty else { return nil }
                state.attempts += 1
                state.current = .connecting(attempt: state.attempts)
                return state.attempts
            }
            if let attempt { self.connect(attempt: attempt) }
        }
    }

    private func connect(attempt: UInt64) {
        let tls = self.tls
        let configuration = self.configuration
        let serverName = self.serverName
        ClientBootstrap(group: group)
            .connectTimeout(.nanoseconds(configuration.connectTimeout.nanoseconds))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let connection = try TLSConnection(context: tls.current, serverName: serverName)
                    let handler = RPCConnectionHandler(
                        side: .client, configuration: configuration.connection, observer: configuration.observer,
                        events: { [weak self] event in self?.connectionEvent(attempt: attempt, event) })
                    try channel.pipeline.syncOperations.addHandlers([
                        TLSHandler(connection: connection, handshakeTimeout: configuration.handshakeTimeout),
                        handler,
                    ])
                }
            }
            .connect(host: host, port: port)
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    let keep = self.state.withLock { state -> Bool in
                        guard !state.closed else { return false }
                        state.channels[attempt] = channel
                        return true
                    }
                    if !keep { channel.close(promise: nil) }
                case .failure(let error):
                    self.connectFailed(attempt: attempt, reason: "\(error)")
                }
            }
    }

    private func connectionEvent(attempt: UInt64, _ event: ConnectionEvent) {
        switch event {
        case .ready(let handle):
            let waiters = state.withLock { state -> [Waiter] in
                guard case .connecting(attempt) = state.current, !state.closed else { return [] }
                state.current = .ready(attempt: attempt, handle)
                state.failures = 0
                state.backoffUntil = nil
                state.lastError = nil
                defer { state.waiters = [:] }
                return Array(state.waiters.values)
            }
            for waiter in waiters {
                waiter.timeout?.cancel()
                waiter.continuation.resume(returning: handle)
            }
        case .draining:
            state.withLock { state in
                if case .ready(attempt, _) = state.current { state.current = .none }
            }
        case .closed(let reason):
            let wasConnecting = state.withLock { state -> Bool in
                state.channels.removeValue(forKey: attempt)
                switch state.current {
                case .ready(attempt, _):
                    state.current = .none
                    return false
                case .connecting(attempt):
                    return true
                default:
                    return false
                }
            }
            if wasConnecting { connectFailed(attempt: attempt, reason: reason ?? "the server closed the connection") }
        }
    }

    private func connectFailed(attempt: UInt64, reason: String) {
        let random = Double.random(in: 0...1)
        let (failed, backoff) = state.withLock { state -> ([Waiter], Duration?) in
            guard case .connecting(attempt) = state.current else { return ([], nil) }
            state.current = .none
            state.failures += 1
            state.lastError = reason
            let delay = configuration.backoff(afterFailures: state.failures, random: random)
            let until = ContinuousClock.now.advanced(by: delay)
            state.backoffUntil = until
            var failed: [Waiter] = []
            for (id, waiter) in state.waiters {
                guard let deadline = waiter.deadline, deadline > until else {
                    failed.append(waiter)
                    state.waiters.removeValue(forKey: id)
                    continue
                }
            }
            guard !state.waiters.isEmpty, !state.backoffScheduled else { return (failed, nil) }
            state.backoffScheduled = true
            return (failed, delay)
        }
        let error = RPCError(code: .unavailable, message: "no connection to \(host):\(port): \(reason)")
        for waiter in failed {
            waiter.timeout?.cancel()
            waiter.continuation.resume(throwing: error)
        }
        if let backoff { scheduleBackoffEnd(after: backoff) }
    }

    /// The connection refused a call or began closing: new calls go to a fresh one.
    private func connectionUnusable(_ handle: ConnectionHandle) {
        state.withLock { state in
            if case .ready(_, let current) = state.current, current.channel === handle.channel {
                state.current = .none
            }
        }
    }
}


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

        var poolBackoff: ConnectionPoolStateMachine<ConnectionHandle, PoolWaiter>.Backoff {
            .init(
                initial: initialBackoff, maximum: maximumBackoff, multiplier: backoffMultiplier, jitter: backoffJitter)
        }
    }

    /// A task waiting for a connection.
    struct PoolWaiter: Sendable {
        var id: UInt64
        var continuation: CheckedContinuation<ConnectionHandle, any Error>
    }

    private struct State {
        var pool: ConnectionPoolStateMachine<ConnectionHandle, PoolWaiter>
        var nextWaiterID: UInt64 = 0
        var timeouts: [UInt64: Scheduled<Void>] = [:]
        var channels: [UInt64: any Channel] = [:]
    }

    public let host: String
    public let port: Int
    public let configuration: Configuration
    private let tls: ReloadableTLSContext
    private let serverName: String?
    private let group: any EventLoopGroup
    /// The loop every connection of this client runs on.
    private let eventLoop: any EventLoop
    private let loopExecutor: EventLoopTaskExecutor
    private let state: Mutex<State>

    /// Runs tasks on the event loop of this client's connections. A task that calls with this
    /// executor preferred (`withTaskExecutorPreference(client.executor) { … }`) hands its requests
    /// to the connection and gets its responses without a thread wake-up: the lowest latency for
    /// a task that makes calls one after another. Such a task must not block its thread, as it
    /// would hold up the connection.
    public var executor: any TaskExecutor { loopExecutor }

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
        self.eventLoop = group.next()
        self.loopExecutor = EventLoopTaskExecutor(eventLoop)
        self.state = Mutex(
            State(pool: ConnectionPoolStateMachine(target: "\(host):\(port)", backoff: configuration.poolBackoff)))
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
            defer { state.timeouts = [:] }
            for timeout in state.timeouts.values { timeout.cancel() }
            return (Array(state.channels.values), state.pool.close())
        }
        for waiter in waiters {
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
        try await withCall(method: method, options: options) { call in
            let stream = ClientStream(
                requests: RPCWriter { bytes in try await call.write(bytes) },
                finishRequests: { try await call.halfClose() },
                writeLastRequest: { bytes in try await call.writeLast(bytes) },
                responses: RPCAsyncSequence(ClientCallResponses(call: call)))
            return try await body(stream)
        }
    }

    /// A unary call straight on the call's outbox and inbox, without a ``ClientStream``.
    public func unaryCall(method: MethodDescriptor, options: CallOptions, request: [UInt8]) async throws -> [UInt8] {
        try await withCall(method: method, options: options) { call in
            try await call.writeLast(request)
            return try await RPCClient.singleResponse(method: method) { try await call.responses.next() }
        }
    }

    /// Makes a call on a connection and runs `body` with it; retries a call the server refused
    /// (nothing of it was processed) on a fresh connection.
    private func withCall<Result: Sendable>(
        method: MethodDescriptor, options: CallOptions, _ body: (ClientCall) async throws -> Result
    ) async throws -> Result {
        let deadline = options.timeout.map { ContinuousClock.now.advanced(by: $0) }
        var attempt = 0
        while true {
            attempt += 1
            let canRetry = attempt <= configuration.maxRefusedRetries
            let connection = try await self.connection(deadline: deadline)
            // Opened on the event loop by its first write or read.
            let call = ClientCall(
                connection: connection, outboundLimit: configuration.connection.clamped.outboundBufferLimit,
                target: ClientCall.Target(path: method.path, metadata: options.metadata, deadline: deadline))
            do {
                let result = try await body(call)
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
        let (ready, id) = state.withLock { state -> (ConnectionHandle?, UInt64) in
            if let ready = state.pool.readyConnection { return (ready.connection, 0) }
            state.nextWaiterID += 1
            return (nil, state.nextWaiterID)
        }
        if let ready { return ready }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let request = state.withLock { state in
                    state.pool.requestConnection(
                        id: id, waiter: PoolWaiter(id: id, continuation: continuation), deadline: deadline, now: .now)
                }
                switch request {
                case .ready(let handle):
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
            let waiter = state.withLock { state in
                state.timeouts.removeValue(forKey: id)?.cancel()
                return state.pool.cancelled(id: id)
            }
            waiter?.continuation.resume(throwing: RPCError(code: .cancelled, message: "the call was cancelled"))
        }
    }

    private func resume(_ waiters: [PoolWaiter], with result: Result<ConnectionHandle, RPCError>) {
        guard !waiters.isEmpty else { return }
        state.withLock { state in
            for waiter in waiters { state.timeouts.removeValue(forKey: waiter.id)?.cancel() }
        }
        for waiter in waiters { waiter.continuation.resume(with: result.mapError { $0 as any Error }) }
    }

    private func scheduleTimeout(waiter id: UInt64, at deadline: ContinuousClock.Instant) {
        let target = "\(host):\(port)"
        let scheduled = group.next().scheduleTask(in: .nanoseconds((deadline - .now).nanoseconds)) {
            let waiter = self.state.withLock { state in
                state.timeouts.removeValue(forKey: id)
                return state.pool.timedOut(id: id)
            }
            waiter?.continuation.resume(
                throwing: RPCError(code: .unavailable, message: "no connection to \(target) within the deadline"))
        }
        let keep = state.withLock { state -> Bool in
            guard state.pool.waiterCount > 0, !state.pool.isClosed else { return false }
            state.timeouts[id] = scheduled
            return true
        }
        if !keep { scheduled.cancel() }
    }

    private func scheduleBackoffEnd(after delay: Duration) {
        group.next().scheduleTask(in: .nanoseconds(delay.nanoseconds)) {
            if let attempt = self.state.withLock({ $0.pool.backoffEnded() }) { self.connect(attempt: attempt) }
        }
    }

    private func connect(attempt: UInt64) {
        let tls = self.tls
        let configuration = self.configuration
        let serverName = self.serverName
        ClientBootstrap(group: eventLoop)
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
                        guard !state.pool.isClosed else { return false }
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
            resume(state.withLock { $0.pool.connected(attempt: attempt, handle) }, with: .success(handle))
        case .draining:
            state.withLock { $0.pool.connectionLost(attempt: attempt) }
        case .closed(let reason):
            let wasConnecting = state.withLock { state -> Bool in
                state.channels.removeValue(forKey: attempt)
                state.pool.connectionLost(attempt: attempt)
                return state.pool.isConnecting(attempt: attempt)
            }
            if wasConnecting { connectFailed(attempt: attempt, reason: reason ?? "the server closed the connection") }
        }
    }

    private func connectFailed(attempt: UInt64, reason: String) {
        let random = Double.random(in: 0...1)
        let failure = state.withLock {
            $0.pool.attemptFailed(attempt: attempt, reason: reason, now: .now, random: random)
        }
        resume(failure.failed, with: .failure(failure.error))
        if let backoff = failure.backoff { scheduleBackoffEnd(after: backoff) }
    }

    /// The connection refused a call or began closing: new calls go to a fresh one.
    private func connectionUnusable(_ handle: ConnectionHandle) {
        state.withLock { state in
            if let (attempt, current) = state.pool.readyConnection, current.channel === handle.channel {
                state.pool.connectionLost(attempt: attempt)
            }
        }
    }
}

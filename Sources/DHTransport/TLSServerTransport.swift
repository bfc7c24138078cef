public import DHRPC
public import DHTLS
public import NIOCore
internal import NIOPosix
internal import Synchronization

/// A dh-rpc/1 server over TCP and TLS 1.3 with mutual authentication.
///
/// Every accepted connection must complete the TLS handshake within
/// ``Configuration-swift.struct/handshakeTimeout`` with a client certificate that the
/// ``ReloadableTLSContext`` verifies and that carries a `dh://` identity; its calls then reach
/// `serve`'s handler with that identity in ``ServerCallInfo/peer``. A handler's task is
/// cancelled when the client cancels the call or the connection drops.
///
/// ```swift
/// let transport = TLSServerTransport(tls: tlsContext, configuration: .init(host: "127.0.0.1", port: 0))
/// async let serving: Void = RPCServer(services: services).serve(on: transport)
/// let port = try await transport.listeningPort()
/// // …
/// transport.beginGracefulShutdown()
/// try await serving
/// ```
public final class TLSServerTransport: ServerTransport {
    /// Limits and addresses, each with a safe default.
    public struct Configuration: Sendable {
        /// The address to listen on.
        public var host: String
        /// The port; 0 lets the system choose (see ``TLSServerTransport/listeningPort()``).
        public var port: Int
        /// The dh-rpc/1 limits and timers of each connection: max concurrent streams, max
        /// message and frame size, windows, idle timeout (default: 5 minutes), keepalive.
        public var connection: RPCConnectionConfiguration
        /// The most connections open at once; further ones are closed as they are accepted.
        public var maxConnections: Int
        /// Time allowed for the TLS handshake of each connection.
        public var handshakeTimeout: Duration
        /// The listen backlog.
        public var backlog: Int
        /// Where each call's handler runs (default: Swift's global executor).
        public var handlerExecution: HandlerExecution
        /// Told about buffering and flow control, for tests and metrics.
        package var observer: TransportObserver?

        public init(
            host: String = "127.0.0.1", port: Int = 0, connection: RPCConnectionConfiguration = .server,
            maxConnections: Int = 1024, handshakeTimeout: Duration = .seconds(10), backlog: Int = 256,
            handlerExecution: HandlerExecution = .globalExecutor
        ) {
            self.host = host
            self.port = port
            self.connection = connection
            self.maxConnections = maxConnections
            self.handshakeTimeout = handshakeTimeout
            self.backlog = backlog
            self.handlerExecution = handlerExecution
        }
    }

    /// Where the task that runs a call's handler runs.
    public enum HandlerExecution: Sendable, Hashable {
        /// On the event loop of the call's connection (a task executor preference): the request
        /// reaches the handler and the response reaches the connection without a thread
        /// hand-off, the lowest latency for short handlers. A handler that blocks its thread, or
        /// computes for long, delays the other connections of that loop.
        case connectionEventLoop
        /// On Swift's global concurrent executor: handlers that compute (decoding and validating
        /// batches, say) spread over every core while the event loops keep doing I/O.
        case globalExecutor
    }

    private struct Connection {
        var channel: any Channel
        var handle: ConnectionHandle?
    }

    private struct State {
        var serving = false
        var shuttingDown = false
        var listener: (any Channel)?
        var listenerClosed = false
        var address: SocketAddress?
        var bindError: (any Error)?
        var addressWaiters: [CheckedContinuation<SocketAddress, any Error>] = []
        var connections: [ObjectIdentifier: Connection] = [:]
        /// Runs each call; set while serving.
        var handle: (@Sendable (ServerStream) async -> Void)?
        /// Handler tasks not yet finished.
        var runningCalls = 0
        /// `serve`, waiting for the end of the shutdown.
        var finishWaiter: CheckedContinuation<Void, Never>?
        var finished = false

        var isDone: Bool {
            shuttingDown && (listenerClosed || listener == nil) && connections.isEmpty && runningCalls == 0
        }
    }

    public let configuration: Configuration
    private let tls: ReloadableTLSContext
    private let group: any EventLoopGroup
    private let state = Mutex(State())

    /// - Parameters:
    ///   - tls: the server's TLS context; each new connection uses its ``ReloadableTLSContext/current``
    ///     context, so a reload applies to connections made after it.
    ///   - eventLoopGroup: the event loops; by default NIO's shared group.
    public init(
        tls: ReloadableTLSContext, configuration: Configuration = Configuration(),
        eventLoopGroup: (any EventLoopGroup)? = nil
    ) {
        self.tls = tls
        self.configuration = configuration
        self.group = eventLoopGroup ?? MultiThreadedEventLoopGroup.singleton
    }

    public convenience init(
        tls: TLSContext, configuration: Configuration = Configuration(), eventLoopGroup: (any EventLoopGroup)? = nil
    ) {
        self.init(tls: ReloadableTLSContext(tls), configuration: configuration, eventLoopGroup: eventLoopGroup)
    }

    /// The address the server listens on, once it does.
    ///
    /// - Throws: the bind error when the server could not listen, ``TransportError`` with code
    ///   `shutDown` when it was shut down first.
    public func listeningAddress() async throws -> SocketAddress {
        try await withCheckedThrowingContinuation { continuation in
            let result = state.withLock { state -> Result<SocketAddress, any Error>? in
                if let address = state.address { return .success(address) }
                if let error = state.bindError { return .failure(error) }
                if state.shuttingDown {
                    return .failure(TransportError(code: .shutDown, message: "the server was shut down"))
                }
                state.addressWaiters.append(continuation)
                return nil
            }
            if let result { continuation.resume(with: result) }
        }
    }

    /// The port the server listens on (useful with port 0), once it does.
    public func listeningPort() async throws -> Int {
        let address = try await listeningAddress()
        guard let port = address.port else {
            throw TransportError(code: .bindFailed, message: "the listening address \(address) has no port")
        }
        return port
    }

    /// How many connections are open.
    public var connectionCount: Int { state.withLock { $0.connections.count } }

    public func serve(_ handle: @escaping @Sendable (ServerStream) async -> Void) async throws {
        let alreadyServing = state.withLock { state -> Bool in
            if state.serving || state.shuttingDown { return true }
            state.serving = true
            state.handle = handle
            return false
        }
        guard !alreadyServing else {
            throw TransportError(code: .shutDown, message: "the server is already serving or was shut down")
        }
        let listener: any Channel
        do {
            listener = try await bind()
        } catch {
            let waiters = state.withLock { state in
                state.bindError = error
                state.listenerClosed = true
                state.finished = true
                state.handle = nil
                defer { state.addressWaiters = [] }
                return state.addressWaiters
            }
            for waiter in waiters { waiter.resume(throwing: error) }
            throw TransportError(
                code: .bindFailed, message: "cannot listen on \(configuration.host):\(configuration.port): \(error)",
                cause: error)
        }
        let (closeNow, waiters) = state.withLock { state in
            state.listener = listener
            state.address = listener.localAddress
            defer { state.addressWaiters = [] }
            return (state.shuttingDown, state.addressWaiters)
        }
        for waiter in waiters {
            if let address = listener.localAddress {
                waiter.resume(returning: address)
            } else {
                waiter.resume(throwing: TransportError(code: .bindFailed, message: "no local address"))
            }
        }
        listener.closeFuture.whenComplete { _ in
            self.listenerDidClose()
        }
        if closeNow { listener.close(promise: nil) }

        // Returns once shut down: listener closed, connections closed, handlers finished.
        // Cancelling `serve` closes every connection, which cancels every handler's task.
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let done = state.withLock { state -> Bool in
                    if state.finished { return true }
                    state.finishWaiter = continuation
                    return false
                }
                if done { continuation.resume() }
            }
        } onCancel: {
            self.closeEverything()
        }
    }

    /// Starts the task that runs one call (event loop).
    private func start(_ call: IncomingCall) {
        let handle = state.withLock { state -> (@Sendable (ServerStream) async -> Void)? in
            guard let handle = state.handle else { return nil }
            state.runningCalls += 1
            return handle
        }
        guard let handle else { return }
        let stream = call.stream
        let body: @Sendable () async -> Void = {
            await handle(stream)
            self.callEnded()
        }
        let task: Task<Void, Never>
        switch configuration.handlerExecution {
        case .connectionEventLoop: task = Task(executorPreference: call.executor, operation: body)
        case .globalExecutor: task = Task(operation: body)
        }
        call.cancellation.register(task)
    }

    private func callEnded() {
        state.withLock { $0.runningCalls -= 1 }
        finishIfDone()
    }

    /// As ``beginGracefulShutdown()``, and returns once every open connection has taken the
    /// shutdown in (sent its GOAWAY): from then on a call started on any of them is refused.
    /// ``beginGracefulShutdown()`` only queues that step on each connection's event loop.
    public func beginGracefulShutdownAndWait() async {
        let handles = state.withLock { state in state.connections.values.compactMap(\.handle) }
        beginGracefulShutdown()
        for handle in handles {
            // Runs after the shutdown step queued on the same event loop.
            try? await handle.channel.eventLoop.submit {}.get()
        }
    }

    /// Stops accepting connections; sends GOAWAY on every connection, so calls in flight finish
    /// and new ones are refused with `UNAVAILABLE`. `serve` returns once the last call ended.
    public func beginGracefulShutdown() {
        let (listener, connections, waiters) = state.withLock { state in
            state.shuttingDown = true
            defer { state.addressWaiters = [] }
            return (state.listener, Array(state.connections.values), state.addressWaiters)
        }
        for waiter in waiters {
            waiter.resume(throwing: TransportError(code: .shutDown, message: "the server was shut down"))
        }
        listener?.close(promise: nil)
        for connection in connections {
            if let handle = connection.handle {
                handle.run { $0.beginShutdown() }
            } else {
                // Still in its handshake: nothing to drain.
                connection.channel.close(promise: nil)
            }
        }
        finishIfDone()
    }

    // MARK: Internals

    private func bind() async throws -> any Channel {
        let tls = self.tls
        let configuration = self.configuration
        return try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: Int32(clamping: configuration.backlog))
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard self.admit(channel) else {
                        throw TransportError(code: .tooManyConnections, message: "connection refused")
                    }
                    let connection = try TLSConnection(context: tls.current)
                    let handler = RPCConnectionHandler(
                        side: .server(onCall: { call in self.start(call) }), configuration: configuration.connection,
                        observer: configuration.observer,
                        events: { _ in })
                    try channel.pipeline.syncOperations.addHandlers([
                        TLSHandler(connection: connection, handshakeTimeout: configuration.handshakeTimeout),
                        handler,
                    ])
                    let loopBound = NIOLoopBound(handler, eventLoop: channel.eventLoop)
                    self.state.withLock { state in
                        state.connections[ObjectIdentifier(channel)]?.handle = ConnectionHandle(
                            channel: channel, handler: loopBound)
                    }
                }
            }
            .bind(host: configuration.host, port: configuration.port)
            .get()
    }

    /// Counts a new connection, or refuses it (shutting down, or too many).
    private func admit(_ channel: any Channel) -> Bool {
        let admitted = state.withLock { state -> Bool in
            guard !state.shuttingDown, state.connections.count < configuration.maxConnections else { return false }
            state.connections[ObjectIdentifier(channel)] = Connection(channel: channel)
            return true
        }
        guard admitted else { return false }
        channel.closeFuture.whenComplete { _ in
            self.state.withLock { _ = $0.connections.removeValue(forKey: ObjectIdentifier(channel)) }
            self.finishIfDone()
        }
        return true
    }

    private func listenerDidClose() {
        state.withLock { state in
            state.listenerClosed = true
            state.shuttingDown = true
        }
        finishIfDone()
        // The listener closed without a shutdown request (an error): drain the connections too.
        beginGracefulShutdown()
    }

    private func finishIfDone() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard state.serving, !state.finished, state.isDone else { return nil }
            state.finished = true
            state.handle = nil
            defer { state.finishWaiter = nil }
            return state.finishWaiter
        }
        waiter?.resume()
    }

    private func closeEverything() {
        let (listener, connections) = state.withLock { state in
            state.shuttingDown = true
            return (state.listener, Array(state.connections.values))
        }
        listener?.close(promise: nil)
        for connection in connections { connection.channel.close(promise: nil) }
        finishIfDone()
    }
}

/// Why a transport could not do what it was asked (calls fail with ``RPCError`` instead).
public struct TransportError: Error, Sendable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable, Hashable {
            case bindFailed, shutDown, tooManyConnections
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The server could not listen on its address.
        public static let bindFailed = Code(.bindFailed)
        /// The transport was shut down.
        public static let shutDown = Code(.shutDown)
        /// The server holds its maximum number of connections.
        public static let tooManyConnections = Code(.tooManyConnections)

        public var description: String { value.rawValue }
    }

    public var code: Code
    public var message: String
    public var cause: (any Error & Sendable)?

    public init(code: Code, message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String { "\(code): \(message)" }
}

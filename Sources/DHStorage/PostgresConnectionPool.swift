import Dispatch
import Synchronization

/// Limits of a ``PostgresConnectionPool``.
public struct PostgresPoolConfiguration: Sendable {
    public var connection: PostgresConnectionConfiguration
    /// The most connections open at once (idle, lent out or being opened).
    public var maxConnections: Int = 10
    /// How long a call waits for a connection when it names no timeout.
    public var checkoutTimeout: Duration = .seconds(10)
    /// A connection idle for longer than this is checked with a round trip before it is lent
    /// out; younger ones get a cheap check that reads what the server sent meanwhile.
    public var healthCheckAfterIdle: Duration = .seconds(30)
    /// The most calls waiting for a connection; more fail with `unavailable` at once.
    public var maxWaiters: Int = 10_000

    public init(connection: PostgresConnectionConfiguration) {
        self.connection = connection
    }
}

/// Counters describing a pool, for metrics and tests.
public struct PostgresPoolStatistics: Sendable, Hashable {
    /// Connections open now, including ones lent out and ones being opened.
    public var open: Int
    public var idle: Int
    public var waiting: Int
    /// The highest `open` ever reached.
    public var peakOpen: Int
    /// Connections discarded because they failed, timed out or failed a health check.
    public var discarded: Int
}

/// A bounded pool of ``PostgresConnection``s.
///
/// Calls borrow a connection for their duration. A connection that failed, timed out or was
/// left inside a transaction is discarded on return; one that sat idle is checked before it is
/// lent again. After the database restarts, dead connections are found this way and replaced,
/// so the pool recovers without help. While the database is down, calls fail with
/// `unavailable` as soon as a connection attempt fails.
public final class PostgresConnectionPool: PostgresQueryable {
    public let configuration: PostgresPoolConfiguration
    private typealias Waiter = CheckedContinuation<PoolLease<PostgresConnection>, any Error>
    private let state: Mutex<PoolStateMachine<PostgresConnection, Waiter>>
    private let waiterIDs = Atomic<UInt64>(0)

    public init(configuration: PostgresPoolConfiguration) throws {
        guard configuration.maxConnections > 0 else {
            throw PostgresError(code: .invalidArgument, message: "a pool needs at least one connection")
        }
        self.configuration = configuration
        self.state = Mutex(
            PoolStateMachine(maxConnections: configuration.maxConnections, maxWaiters: configuration.maxWaiters))
    }

    deinit {
        for connection in state.withLock({ $0.close().idle }) { connection.closeInBackground() }
    }

    public var statistics: PostgresPoolStatistics {
        state.withLock {
            PostgresPoolStatistics(
                open: $0.open, idle: $0.idle.count, waiting: $0.waiters.count, peakOpen: $0.peakOpen,
                discarded: $0.discarded)
        }
    }

    /// Closes idle connections and fails waiting calls with `poolClosed`; connections lent out
    /// close when they come back.
    public func close() async {
        let (idle, waiters) = state.withLock { $0.close() }
        for connection in idle { connection.closeInBackground() }
        for waiter in waiters { waiter.resume(throwing: PostgresError.closed) }
    }

    /// Whether the database answers a round trip within `timeout`: for health checks.
    public func ping(timeout: Duration = .seconds(2)) async -> Bool {
        do {
            return try await withConnection(timeout: timeout) { connection in
                await connection.checkHealth(roundTrip: true, timeout: timeout)
            }
        } catch {
            return false
        }
    }

    /// Borrows a connection for `body`.
    ///
    /// - Parameter timeout: how long to wait for a connection (default
    ///   ``PostgresPoolConfiguration/checkoutTimeout``).
    /// - Throws: `unavailable` if the database cannot be reached, `timeout` if no connection
    ///   came free in time, `poolClosed`, `cancelled`, or whatever `body` throws.
    public func withConnection<R: Sendable>(
        timeout: Duration? = nil, _ body: (PostgresConnection) async throws -> R
    ) async throws -> R {
        let deadline = ContinuousClock.now + (timeout ?? configuration.checkoutTimeout)
        let connection = try await checkout(deadline: deadline)
        do {
            let value = try await body(connection)
            await checkin(connection)
            return value
        } catch {
            await checkin(connection)
            throw error
        }
    }

    // MARK: Checkout

    private func checkout(deadline: ContinuousClock.Instant) async throws -> PostgresConnection {
        // Each pass either returns, throws, or discards one dead connection; bounded by the
        // number of connections that can be open, plus the final open attempt.
        for _ in 0...(configuration.maxConnections + 1) {
            switch try await acquire(deadline: deadline) {
            case .open:
                return try await openConnection(deadline: deadline)
            case .connection(let connection, let idleSince):
                let idleFor = idleSince.map { ContinuousClock.now - $0 } ?? .zero
                let remaining = deadline - ContinuousClock.now
                guard remaining > .zero else {
                    release(connection, healthy: true)
                    throw PostgresError(code: .timeout, message: "no database connection came free in time")
                }
                if await connection.checkHealth(
                    roundTrip: idleFor > configuration.healthCheckAfterIdle, timeout: remaining)
                {
                    return connection
                }
                release(connection, healthy: false)
            }
        }
        throw PostgresError.unavailable("no healthy database connection could be found")
    }

    private func openConnection(deadline: ContinuousClock.Instant) async throws -> PostgresConnection {
        do {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { throw PostgresError.deadlineExceeded }
            return try await PostgresConnection.connect(
                configuration: configuration.connection,
                timeout: min(remaining, configuration.connection.connectTimeout + .seconds(1)))
        } catch {
            if let (waiter, lease) = state.withLock({ $0.openFailed() }) { waiter.resume(returning: lease) }
            throw error
        }
    }

    /// Takes an idle connection, a slot to open one, or waits for either until the deadline.
    private func acquire(deadline: ContinuousClock.Instant) async throws -> PoolLease<PostgresConnection> {
        if Task.isCancelled { throw PostgresError.taskCancelled }
        let id = waiterIDs.add(1, ordering: .relaxed).newValue
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: Waiter) in
                switch state.withLock({ $0.checkout(id: id, waiter: continuation) }) {
                case .lease(let lease):
                    continuation.resume(returning: lease)
                case .fail(let error):
                    continuation.resume(throwing: error)
                case .wait:
                    let delay = max(deadline - ContinuousClock.now, .zero)
                    DispatchQueue.global().asyncAfter(deadline: .now() + delay.dispatchInterval) { [weak self] in
                        self?.failWaiter(
                            id, with: PostgresError(code: .timeout, message: "no database connection came free in time"))
                    }
                }
            }
        } onCancel: {
            failWaiter(id, with: PostgresError.taskCancelled)
        }
    }

    private func failWaiter(_ id: UInt64, with error: PostgresError) {
        state.withLock { $0.removeWaiter(id: id) }?.resume(throwing: error)
    }

    // MARK: Checkin

    private func checkin(_ connection: PostgresConnection) async {
        // A connection left inside a transaction (or busy after a timeout) is not reused.
        let healthy = connection.isUsable ? await connection.isIdle() : false
        release(connection, healthy: healthy)
    }

    /// Returns a connection to the pool, or discards it and frees its slot.
    private func release(_ connection: PostgresConnection, healthy: Bool) {
        let action = state.withLock { $0.release(connection, healthy: healthy, now: .now) }
        action.close?.closeInBackground()
        if let (waiter, lease) = action.resume { waiter.resume(returning: lease) }
    }
}

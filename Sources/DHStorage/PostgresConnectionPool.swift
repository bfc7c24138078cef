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
    private let state: Mutex<State>

    private struct Idle {
        var connection: PostgresConnection
        var since: ContinuousClock.Instant
    }

    private enum Lease {
        case connection(PostgresConnection, idleSince: ContinuousClock.Instant?)
        /// Permission to open a new connection (the slot is already counted).
        case open
    }

    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Lease, any Error>
    }

    private struct State {
        var idle: [Idle] = []
        var open = 0
        var peakOpen = 0
        var discarded = 0
        var waiters: [Waiter] = []
        var nextWaiterID: UInt64 = 0
        var isClosed = false

        mutating func reserveSlot() {
            open += 1
            peakOpen = max(peakOpen, open)
        }
    }

    public init(configuration: PostgresPoolConfiguration) throws {
        guard configuration.maxConnections > 0 else {
            throw PostgresError(code: .invalidArgument, message: "a pool needs at least one connection")
        }
        self.configuration = configuration
        self.state = Mutex(State())
    }

    deinit {
        for idle in state.withLock({ $0.idle }) { idle.connection.closeInBackground() }
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
        let (idle, waiters) = state.withLock { state in
            state.isClosed = true
            defer {
                state.open -= state.idle.count
                state.idle.removeAll()
                state.waiters.removeAll()
            }
            return (state.idle, state.waiters)
        }
        for entry in idle { entry.connection.closeInBackground() }
        for waiter in waiters { waiter.continuation.resume(throwing: PostgresError.closed) }
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
        // Each pass either returns, throws, or discards one dead connection; at most one pass
        // per open slot plus the final open attempt.
        for _ in 0...(configuration.maxConnections + 1) {
            let lease = try await acquire(deadline: deadline)
            switch lease {
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
            releaseSlot()
            throw error
        }
    }

    /// Takes an idle connection, a slot to open one, or waits for either.
    private func acquire(deadline: ContinuousClock.Instant) async throws -> Lease {
        enum Immediate {
            case lease(Lease)
            case wait(UInt64)
            case fail(PostgresError)
        }
        if Task.isCancelled { throw PostgresError.taskCancelled }
        let waiterID = state.withLock { state -> UInt64 in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Lease, any Error>) in
                let immediate = state.withLock { state -> Immediate in
                    if state.isClosed { return .fail(PostgresError.closed) }
                    if let idle = state.idle.popLast() {
                        return .lease(.connection(idle.connection, idleSince: idle.since))
                    }
                    if state.open < configuration.maxConnections {
                        state.reserveSlot()
                        return .lease(.open)
                    }
                    guard state.waiters.count < configuration.maxWaiters else {
                        return .fail(.unavailable("too many calls are waiting for a database connection"))
                    }
                    state.waiters.append(Waiter(id: waiterID, continuation: continuation))
                    return .wait(waiterID)
                }
                switch immediate {
                case .lease(let lease):
                    continuation.resume(returning: lease)
                case .fail(let error):
                    continuation.resume(throwing: error)
                case .wait(let id):
                    let delay = deadline - ContinuousClock.now
                    DispatchQueue.global().asyncAfter(deadline: .now() + max(delay, .zero).dispatchInterval) {
                        [weak self] in
                        self?.failWaiter(
                            id, with: PostgresError(code: .timeout, message: "no database connection came free in time"))
                    }
                }
            }
        } onCancel: {
            failWaiter(waiterID, with: PostgresError.taskCancelled)
        }
    }

    private func failWaiter(_ id: UInt64, with error: PostgresError) {
        let waiter = state.withLock { state -> Waiter? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        waiter?.continuation.resume(throwing: error)
    }

    // MARK: Checkin

    private func checkin(_ connection: PostgresConnection) async {
        // A connection left inside a transaction (or busy after a timeout) is not reused.
        let healthy = connection.isUsable ? await connection.isIdle() : false
        release(connection, healthy: healthy)
    }

    /// Returns a connection to the pool, or discards it and frees its slot.
    private func release(_ connection: PostgresConnection, healthy: Bool) {
        guard healthy else {
            connection.closeInBackground()
            releaseSlot(discarded: true)
            return
        }
        let waiter = state.withLock { state -> Waiter? in
            if state.isClosed {
                state.open -= 1
                return nil
            }
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            state.idle.append(Idle(connection: connection, since: .now))
            return nil
        }
        if let waiter {
            waiter.continuation.resume(returning: .connection(connection, idleSince: nil))
        } else if state.withLock({ $0.isClosed }) {
            connection.closeInBackground()
        }
    }

    /// Frees a slot; the first waiter, if any, gets it to open a connection of its own.
    private func releaseSlot(discarded: Bool = false) {
        let waiter = state.withLock { state -> Waiter? in
            if discarded { state.discarded += 1 }
            if !state.isClosed, !state.waiters.isEmpty {
                return state.waiters.removeFirst()  // the slot passes to the waiter
            }
            state.open -= 1
            return nil
        }
        waiter?.continuation.resume(returning: .open)
    }
}

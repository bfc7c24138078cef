/// What a call gets from the pool: a connection, or the right to open one (its slot counted).
enum PoolLease<Connection> {
    case connection(Connection, idleSince: ContinuousClock.Instant?)
    case open
}

/// The bookkeeping of a ``PostgresConnectionPool``, without I/O: which connections are idle,
/// how many are open, who waits. Every event returns what the pool must do; the pool does it
/// (resume a waiter, close a connection) outside its lock. Generic so it can be tested with
/// plain values for connections and waiters.
struct PoolStateMachine<Connection, Waiter> {
    struct Idle {
        var connection: Connection
        var since: ContinuousClock.Instant
    }

    enum CheckoutAction {
        case lease(PoolLease<Connection>)
        /// The waiter was queued; it is resumed by a later event.
        case wait
        case fail(PostgresError)
    }

    struct ReleaseAction {
        /// A connection to close.
        var close: Connection?
        /// A waiter to resume, and with what.
        var resume: (waiter: Waiter, lease: PoolLease<Connection>)?
    }

    let maxConnections: Int
    let maxWaiters: Int
    private(set) var idle: [Idle] = []
    private(set) var open = 0
    private(set) var peakOpen = 0
    private(set) var discarded = 0
    private(set) var waiters: [(id: UInt64, waiter: Waiter)] = []
    private(set) var isClosed = false

    init(maxConnections: Int, maxWaiters: Int) {
        self.maxConnections = maxConnections
        self.maxWaiters = maxWaiters
    }

    /// A call wants a connection: the most recently used idle one, a new slot, or a place in line.
    mutating func checkout(id: UInt64, waiter: Waiter) -> CheckoutAction {
        if isClosed { return .fail(PostgresError.closed) }
        if let entry = idle.popLast() {
            return .lease(.connection(entry.connection, idleSince: entry.since))
        }
        if open < maxConnections {
            open += 1
            peakOpen = max(peakOpen, open)
            return .lease(.open)
        }
        guard waiters.count < maxWaiters else {
            return .fail(.unavailable("too many calls are waiting for a database connection"))
        }
        waiters.append((id, waiter))
        return .wait
    }

    /// A waiter gave up (deadline or cancellation); returns it if it was still waiting.
    mutating func removeWaiter(id: UInt64) -> Waiter? {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return nil }
        return waiters.remove(at: index).waiter
    }

    /// A connection comes back; a healthy one goes to the first waiter or to the idle list, an
    /// unhealthy one is closed and its slot passed on.
    mutating func release(_ connection: Connection, healthy: Bool, now: ContinuousClock.Instant) -> ReleaseAction {
        guard healthy else {
            discarded += 1
            return ReleaseAction(close: connection, resume: slotFreed())
        }
        if isClosed {
            open -= 1
            return ReleaseAction(close: connection, resume: nil)
        }
        if !waiters.isEmpty {
            let first = waiters.removeFirst()
            return ReleaseAction(close: nil, resume: (first.waiter, .connection(connection, idleSince: nil)))
        }
        idle.append(Idle(connection: connection, since: now))
        return ReleaseAction(close: nil, resume: nil)
    }

    /// Opening a connection failed; its slot goes to the first waiter, if any.
    mutating func openFailed() -> (waiter: Waiter, lease: PoolLease<Connection>)? {
        slotFreed()
    }

    private mutating func slotFreed() -> (waiter: Waiter, lease: PoolLease<Connection>)? {
        if !isClosed, !waiters.isEmpty {
            return (waiters.removeFirst().waiter, .open)  // the slot stays counted
        }
        open -= 1
        return nil
    }

    /// Closes the pool: returns the idle connections to close and the waiters to fail.
    mutating func close() -> (idle: [Connection], waiters: [Waiter]) {
        isClosed = true
        let connections = idle.map(\.connection)
        let waiting = waiters.map(\.waiter)
        open -= idle.count
        idle.removeAll()
        waiters.removeAll()
        return (connections, waiting)
    }
}

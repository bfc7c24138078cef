internal import DHRPC

/// The client's connection bookkeeping for one target, with no I/O: when to connect, who waits
/// for a connection, backoff after failures, and which waiters give up. The owner
/// (``TLSClientTransport``) holds it under a lock, makes connections, runs timers, and resumes the
/// waiters it names. Generic over the connection and the waiter payload, so tests drive it with
/// plain values and an explicit clock.
struct ConnectionPoolStateMachine<Connection: Sendable, Waiter: Sendable>: Sendable {
    typealias Instant = ContinuousClock.Instant

    struct Backoff: Sendable {
        var initial: Duration
        var maximum: Duration
        var multiplier: Double
        /// 0...1: each delay is varied at random by up to this fraction, up or down.
        var jitter: Double

        /// The delay after `failures` consecutive failures (≥ 1); `random` in 0...1.
        func delay(afterFailures failures: Int, random: Double) -> Duration {
            let initial = Double(self.initial.nanoseconds)
            let maximum = Double(self.maximum.nanoseconds)
            var base = initial
            for _ in 0..<min(max(failures - 1, 0), 64) where base < maximum { base *= max(multiplier, 1) }
            base = min(base, maximum)
            let jitter = max(0, min(self.jitter, 1))
            let factor = 1 + jitter * (2 * min(max(random, 0), 1) - 1)
            return .nanoseconds(Int64(max(0, base * factor)))
        }
    }

    private enum Current {
        case none
        case connecting(attempt: UInt64)
        case ready(attempt: UInt64, Connection)
    }

    private struct Waiting {
        var waiter: Waiter
        var deadline: Instant?
    }

    /// What `requestConnection` decided.
    enum Request {
        /// Use this connection now.
        case ready(Connection)
        /// Fail the call at once.
        case fail(RPCError)
        /// The waiter was queued. Start attempt `connect` if set; schedule `backoffEnded` after
        /// `backoff` if set; schedule `timedOut` at the waiter's deadline.
        case wait(connect: UInt64?, backoff: Duration?)
    }

    /// What a failed attempt decided.
    struct Failure {
        /// Waiters to fail with `error`.
        var failed: [Waiter] = []
        var error: RPCError
        /// Schedule `backoffEnded` after this delay.
        var backoff: Duration?
    }

    let target: String
    let backoff: Backoff
    private var current = Current.none
    private var attempts: UInt64 = 0
    private var failures = 0
    private var backoffUntil: Instant?
    private var backoffScheduled = false
    private var lastError: String?
    private var waiters: [UInt64: Waiting] = [:]
    private(set) var isClosed = false

    init(target: String, backoff: Backoff) {
        self.target = target
        self.backoff = backoff
    }

    /// How many callers wait for a connection.
    var waiterCount: Int { waiters.count }

    /// A caller needs a connection by `deadline` (nil: it waits for one attempt).
    mutating func requestConnection(id: UInt64, waiter: Waiter, deadline: Instant?, now: Instant) -> Request {
        guard !isClosed else { return .fail(RPCError(code: .unavailable, message: "the client was closed")) }
        switch current {
        case .ready(_, let connection):
            return .ready(connection)
        case .connecting:
            waiters[id] = Waiting(waiter: waiter, deadline: deadline)
            return .wait(connect: nil, backoff: nil)
        case .none:
            if let until = backoffUntil, now < until {
                guard let deadline, deadline > until else {
                    var message = "no connection to \(target)"
                    if let lastError { message += ": \(lastError)" }
                    message += "; next attempt in \(until - now)"
                    return .fail(RPCError(code: .unavailable, message: message))
                }
                waiters[id] = Waiting(waiter: waiter, deadline: deadline)
                guard !backoffScheduled else { return .wait(connect: nil, backoff: nil) }
                backoffScheduled = true
                return .wait(connect: nil, backoff: until - now)
            }
            waiters[id] = Waiting(waiter: waiter, deadline: deadline)
            return .wait(connect: startAttempt(), backoff: nil)
        }
    }

    private mutating func startAttempt() -> UInt64 {
        attempts += 1
        current = .connecting(attempt: attempts)
        return attempts
    }

    /// Attempt `attempt` is ready: every waiter gets it.
    mutating func connected(attempt: UInt64, _ connection: Connection) -> [Waiter] {
        guard case .connecting(attempt) = current, !isClosed else { return [] }
        current = .ready(attempt: attempt, connection)
        failures = 0
        backoffUntil = nil
        lastError = nil
        defer { waiters = [:] }
        return waiters.values.map(\.waiter)
    }

    /// Attempt `attempt` failed before it was ready. Waiters whose deadline comes before the next
    /// attempt (or that have none) fail; the others wait for it.
    mutating func attemptFailed(attempt: UInt64, reason: String, now: Instant, random: Double) -> Failure {
        let error = RPCError(code: .unavailable, message: "no connection to \(target): \(reason)")
        guard case .connecting(attempt) = current else { return Failure(error: error) }
        current = .none
        failures += 1
        lastError = reason
        let delay = backoff.delay(afterFailures: failures, random: random)
        let until = now.advanced(by: delay)
        backoffUntil = until
        var failure = Failure(error: error)
        for (id, waiting) in waiters {
            guard let deadline = waiting.deadline, deadline > until else {
                failure.failed.append(waiting.waiter)
                waiters.removeValue(forKey: id)
                continue
            }
        }
        if !waiters.isEmpty, !backoffScheduled {
            backoffScheduled = true
            failure.backoff = delay
        }
        return failure
    }

    /// The backoff delay passed: the attempt to start, if anyone waits.
    mutating func backoffEnded() -> UInt64? {
        backoffScheduled = false
        guard !isClosed, case .none = current, !waiters.isEmpty else { return nil }
        return startAttempt()
    }

    /// The ready connection of `attempt` is draining or closed: new calls need a new one.
    mutating func connectionLost(attempt: UInt64) {
        if case .ready(attempt, _) = current { current = .none }
    }

    /// Whether `attempt` is the one being made (a close before ready is a failed attempt).
    func isConnecting(attempt: UInt64) -> Bool {
        if case .connecting(attempt) = current { return true }
        return false
    }

    /// The waiter's deadline passed; returns it if it still waited.
    mutating func timedOut(id: UInt64) -> Waiter? { waiters.removeValue(forKey: id)?.waiter }

    /// The waiting task was cancelled; returns the waiter if it still waited.
    mutating func cancelled(id: UInt64) -> Waiter? { waiters.removeValue(forKey: id)?.waiter }

    /// Closes the pool: every waiter is returned to be failed.
    mutating func close() -> [Waiter] {
        isClosed = true
        current = .none
        defer { waiters = [:] }
        return waiters.values.map(\.waiter)
    }

    /// The current ready connection, if any.
    var readyConnection: (attempt: UInt64, connection: Connection)? {
        if case .ready(let attempt, let connection) = current { return (attempt, connection) }
        return nil
    }
}

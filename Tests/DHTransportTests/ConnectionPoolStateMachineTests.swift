import DHRPC
import Testing

@testable import DHTransport

@Suite("Connection pool state machine (no sockets)")
struct ConnectionPoolStateMachineTests {
    typealias Pool = ConnectionPoolStateMachine<String, Int>
    static let backoff = Pool.Backoff(initial: .seconds(1), maximum: .seconds(10), multiplier: 2, jitter: 0.2)
    let start = ContinuousClock.now

    func at(_ seconds: Double) -> ContinuousClock.Instant { start.advanced(by: .milliseconds(Int(seconds * 1000))) }

    @Test("backoff grows by the multiplier up to the maximum, varied by the jitter")
    func backoffDelays() {
        let middle = (1...6).map { Self.backoff.delay(afterFailures: $0, random: 0.5) }
        #expect(middle == [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(10), .seconds(10)])
        #expect(Self.backoff.delay(afterFailures: 1, random: 0) == .milliseconds(800))
        #expect(Self.backoff.delay(afterFailures: 1, random: 1) == .milliseconds(1200))
        #expect(Self.backoff.delay(afterFailures: 1_000, random: 1) == .seconds(12))
    }

    @Test("the first caller starts one attempt; later callers wait for it; all get the connection")
    func oneAttemptForMany() {
        var pool = Pool(target: "db:7443", backoff: Self.backoff)
        guard case .wait(let attempt?, nil) = pool.requestConnection(id: 1, waiter: 1, deadline: nil, now: at(0)) else {
            Issue.record("expected an attempt")
            return
        }
        guard case .wait(nil, nil) = pool.requestConnection(id: 2, waiter: 2, deadline: at(5), now: at(0)) else {
            Issue.record("expected to wait for the same attempt")
            return
        }
        #expect(pool.connected(attempt: attempt, "conn-1").sorted() == [1, 2])
        guard case .ready("conn-1") = pool.requestConnection(id: 3, waiter: 3, deadline: nil, now: at(0.1)) else {
            Issue.record("expected the ready connection")
            return
        }
        #expect(pool.waiterCount == 0)
    }

    @Test("a failed attempt fails callers without a deadline or with one before the next attempt; others wait")
    func failureAndBackoff() {
        var pool = Pool(target: "db:7443", backoff: Self.backoff)
        guard case .wait(let first?, _) = pool.requestConnection(id: 1, waiter: 1, deadline: nil, now: at(0)) else {
            Issue.record("expected an attempt")
            return
        }
        _ = pool.requestConnection(id: 2, waiter: 2, deadline: at(0.5), now: at(0))
        _ = pool.requestConnection(id: 3, waiter: 3, deadline: at(30), now: at(0))
        let failure = pool.attemptFailed(attempt: first, reason: "connection refused", now: at(0.1), random: 0.5)
        #expect(failure.failed.sorted() == [1, 2])
        #expect(failure.error.code == .unavailable)
        #expect(failure.error.message.contains("connection refused"))
        #expect(failure.backoff == .seconds(1))
        #expect(pool.waiterCount == 1)

        // During the backoff: a caller that cannot wait for the next attempt fails at once.
        guard case .fail(let error) = pool.requestConnection(id: 4, waiter: 4, deadline: nil, now: at(0.2)) else {
            Issue.record("expected a failure during backoff")
            return
        }
        #expect(error.code == .unavailable)
        #expect(error.message.contains("connection refused"))
        // One that can joins the waiters, without a second backoff timer.
        guard case .wait(nil, nil) = pool.requestConnection(id: 5, waiter: 5, deadline: at(20), now: at(0.2)) else {
            Issue.record("expected to wait for the next attempt")
            return
        }
        let second = pool.backoffEnded()
        #expect(second == first + 1)
        let secondFailure = pool.attemptFailed(attempt: second!, reason: "refused again", now: at(1.2), random: 0.5)
        #expect(secondFailure.failed.isEmpty)
        #expect(secondFailure.backoff == .seconds(2))
        let third = pool.backoffEnded()!
        #expect(pool.connected(attempt: third, "conn").sorted() == [3, 5])
        // Success resets the backoff.
        pool.connectionLost(attempt: third)
        guard case .wait(_?, nil) = pool.requestConnection(id: 6, waiter: 6, deadline: nil, now: at(4)) else {
            Issue.record("expected a new attempt at once after a lost connection")
            return
        }
    }

    @Test("events of an old attempt change nothing; timeouts, cancellation and close return the waiter once")
    func staleEventsAndWaiters() {
        var pool = Pool(target: "db:7443", backoff: Self.backoff)
        guard case .wait(let attempt?, _) = pool.requestConnection(id: 1, waiter: 1, deadline: at(5), now: at(0)) else {
            Issue.record("expected an attempt")
            return
        }
        _ = pool.requestConnection(id: 2, waiter: 2, deadline: nil, now: at(0))
        _ = pool.requestConnection(id: 3, waiter: 3, deadline: nil, now: at(0))
        #expect(pool.connected(attempt: attempt + 7, "stale").isEmpty)
        #expect(pool.attemptFailed(attempt: attempt + 7, reason: "x", now: at(0), random: 0).failed.isEmpty)
        #expect(pool.timedOut(id: 1) == 1)
        #expect(pool.timedOut(id: 1) == nil)
        #expect(pool.cancelled(id: 2) == 2)
        #expect(pool.close() == [3])
        guard case .fail(let error) = pool.requestConnection(id: 4, waiter: 4, deadline: nil, now: at(0)) else {
            Issue.record("expected a closed pool to fail")
            return
        }
        #expect(error.code == .unavailable)
        #expect(pool.backoffEnded() == nil)
    }
}

@testable import DHStorage
import Testing

@Suite("Pool state machine (no database)")
struct PoolStateMachineTests {
    typealias Machine = PoolStateMachine<String, Int>
    let now = ContinuousClock.now

    func leasedConnection(_ action: Machine.CheckoutAction) -> String? {
        if case .lease(.connection(let connection, _)) = action { return connection }
        return nil
    }

    func isOpen(_ action: Machine.CheckoutAction) -> Bool {
        if case .lease(.open) = action { return true }
        return false
    }

    func isWait(_ action: Machine.CheckoutAction) -> Bool {
        if case .wait = action { return true }
        return false
    }

    @Test("slots are opened up to the bound, then calls wait in line")
    func bounded() {
        var machine = Machine(maxConnections: 2, maxWaiters: 1)
        #expect(isOpen(machine.checkout(id: 1, waiter: 1)))
        #expect(isOpen(machine.checkout(id: 2, waiter: 2)))
        #expect(isWait(machine.checkout(id: 3, waiter: 3)))
        guard case .fail(let error) = machine.checkout(id: 4, waiter: 4) else {
            Issue.record("a full waiting line must refuse")
            return
        }
        #expect(error.code == .unavailable)
        #expect(machine.open == 2)
        #expect(machine.peakOpen == 2)
        #expect(machine.waiters.map(\.id) == [3])
    }

    @Test("a returned connection goes to the first waiter, else to the idle list")
    func handOff() throws {
        var machine = Machine(maxConnections: 1, maxWaiters: 10)
        #expect(isOpen(machine.checkout(id: 1, waiter: 1)))
        #expect(isWait(machine.checkout(id: 2, waiter: 2)))
        #expect(isWait(machine.checkout(id: 3, waiter: 3)))

        let first = machine.release("c1", healthy: true, now: now)
        #expect(first.close == nil)
        let resumed = try #require(first.resume)
        #expect(resumed.waiter == 2)
        if case .connection(let connection, let since) = resumed.lease {
            #expect(connection == "c1")
            #expect(since == nil)
        } else {
            Issue.record("the waiter should get the connection")
        }

        #expect(machine.release("c1", healthy: true, now: now).resume?.waiter == 3)
        let last = machine.release("c1", healthy: true, now: now)
        #expect(last.resume == nil && last.close == nil)
        #expect(machine.idle.map(\.connection) == ["c1"])
        #expect(leasedConnection(machine.checkout(id: 4, waiter: 4)) == "c1")
        #expect(machine.open == 1)
    }

    @Test("idle connections are reused most recent first")
    func lifo() {
        var machine = Machine(maxConnections: 2, maxWaiters: 10)
        _ = machine.checkout(id: 1, waiter: 1)
        _ = machine.checkout(id: 2, waiter: 2)
        _ = machine.release("older", healthy: true, now: now)
        _ = machine.release("newer", healthy: true, now: now)
        #expect(leasedConnection(machine.checkout(id: 3, waiter: 3)) == "newer")
        #expect(leasedConnection(machine.checkout(id: 4, waiter: 4)) == "older")
    }

    @Test("an unhealthy connection is closed and its slot passes to a waiter")
    func discardPassesSlot() throws {
        var machine = Machine(maxConnections: 1, maxWaiters: 10)
        _ = machine.checkout(id: 1, waiter: 1)
        #expect(isWait(machine.checkout(id: 2, waiter: 2)))
        let action = machine.release("dead", healthy: false, now: now)
        #expect(action.close == "dead")
        let resumed = try #require(action.resume)
        #expect(resumed.waiter == 2)
        if case .open = resumed.lease {} else { Issue.record("the waiter should open a connection") }
        #expect(machine.open == 1)
        #expect(machine.discarded == 1)

        // Without waiters, the slot is freed.
        let alone = machine.release("dead again", healthy: false, now: now)
        #expect(alone.close == "dead again" && alone.resume == nil)
        #expect(machine.open == 0)
    }

    @Test("a failed open frees its slot or passes it on")
    func openFailure() {
        var machine = Machine(maxConnections: 1, maxWaiters: 10)
        _ = machine.checkout(id: 1, waiter: 1)
        _ = machine.checkout(id: 2, waiter: 2)
        #expect(machine.openFailed()?.waiter == 2)
        #expect(machine.open == 1)
        #expect(machine.openFailed() == nil)
        #expect(machine.open == 0)
    }

    @Test("a waiter that gives up leaves the line once")
    func removeWaiter() {
        var machine = Machine(maxConnections: 1, maxWaiters: 10)
        _ = machine.checkout(id: 1, waiter: 1)
        _ = machine.checkout(id: 2, waiter: 20)
        _ = machine.checkout(id: 3, waiter: 30)
        #expect(machine.removeWaiter(id: 2) == 20)
        #expect(machine.removeWaiter(id: 2) == nil)
        #expect(machine.release("c", healthy: true, now: now).resume?.waiter == 30)
    }

    @Test("closing fails waiters, closes idle connections and refuses new calls")
    func close() {
        var machine = Machine(maxConnections: 2, maxWaiters: 10)
        _ = machine.checkout(id: 1, waiter: 1)
        _ = machine.checkout(id: 2, waiter: 2)
        _ = machine.release("idle", healthy: true, now: now)
        _ = machine.checkout(id: 3, waiter: 3)  // takes "idle"
        _ = machine.release("idle", healthy: true, now: now)
        _ = machine.checkout(id: 4, waiter: 4)  // takes "idle" again
        _ = machine.checkout(id: 5, waiter: 5)  // waits
        let (idle, waiters) = machine.close()
        #expect(idle.isEmpty)
        #expect(waiters == [5])
        guard case .fail(let error) = machine.checkout(id: 6, waiter: 6) else {
            Issue.record("a closed pool must refuse")
            return
        }
        #expect(error.code == .poolClosed)
        // Connections lent out are closed when they come back.
        #expect(machine.release("lent", healthy: true, now: now).close == "lent")
        #expect(machine.release("idle", healthy: true, now: now).close == "idle")
        #expect(machine.open == 0)
    }
}

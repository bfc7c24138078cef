internal import DHRPC
internal import NIOCore
internal import Synchronization

/// What the application sends on one call, from its task to the event loop, in order.
///
/// A writer appends and returns at once while the outbox holds at most `limit` message bytes;
/// beyond that it waits until the event loop has handed enough to the connection, which it does
/// only while the stream is writable. So the bytes a call holds on its way out are bounded by
/// `limit` here plus the state machine's outbound limit, and a slow reader slows the writer.
final class Outbox: Sendable {
    enum Item: Sendable {
        case message([UInt8])
        case halfClose
        case trailers(RPCStatus, Metadata)
    }

    private enum End {
        /// Later writes are dropped quietly.
        case quiet
        /// Later writes throw this (kept as the struct: boxed only when thrown).
        case failing(RPCError)

        var error: (any Error)? {
            if case .failing(let error) = self { return error }
            return nil
        }
    }

    private struct State {
        var items = CircularBuffer<Item>(initialCapacity: 4)
        var bytes = 0
        var drainScheduled = false
        var waiters: [UInt64: CheckedContinuation<Void, any Error>] = [:]
        var nextWaiter: UInt64 = 0
        /// Set once the call ended.
        var ended: End?
    }

    private let state = Mutex(State())
    private let limit: Int
    /// Asks the event loop to drain; called once per batch of writes.
    private let scheduleDrain: @Sendable () -> Void

    init(limit: Int, scheduleDrain: @escaping @Sendable () -> Void) {
        self.limit = max(limit, 0)
        self.scheduleDrain = scheduleDrain
    }

    /// Bytes of messages waiting here.
    var bufferedBytes: Int { state.withLock { $0.bytes } }

    /// Appends an item (and `next` right after it, drained together); waits while the outbox
    /// holds more than its limit.
    ///
    /// Throws the call's end error when the call has ended with one, `CancellationError` when the
    /// task is cancelled while waiting.
    func write(_ item: Item, then next: Item? = nil) async throws {
        enum Step {
            case done
            case wait
            case fail(any Error)
        }
        let (step, schedule) = state.withLock { state -> (Step, Bool) in
            if let ended = state.ended {
                if let error = ended.error { return (.fail(error), false) }
                return (.done, false)
            }
            state.items.append(item)
            if case .message(let bytes) = item { state.bytes += bytes.count }
            if let next {
                state.items.append(next)
                if case .message(let bytes) = next { state.bytes += bytes.count }
            }
            let schedule = !state.drainScheduled
            state.drainScheduled = true
            return (state.bytes > limit ? .wait : .done, schedule)
        }
        if schedule { scheduleDrain() }
        switch step {
        case .done:
            return
        case .fail(let error):
            throw error
        case .wait:
            try await waitBelowLimit()
        }
    }

    private func waitBelowLimit() async throws {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let result = state.withLock { state -> Result<Void, any Error>? in
                    if let ended = state.ended { return ended.error.map { .failure($0) } ?? .success(()) }
                    if state.bytes <= limit { return .success(()) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    state.waiters[id] = continuation
                    return nil
                }
                if let result { continuation.resume(with: result) }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume(throwing: CancellationError())
        }
    }

    // MARK: Event loop side

    /// Starts a drain: writes from now on schedule another one.
    func beginDrain() {
        state.withLock { $0.drainScheduled = false }
    }

    /// Whether items wait here.
    var hasItems: Bool { state.withLock { !$0.items.isEmpty } }

    /// The next item, if it may go now (a message only when `messageAllowed`).
    func next(messageAllowed: Bool) -> Item? {
        state.withLock { state -> Item? in
            guard let first = state.items.first else { return nil }
            if case .message(let bytes) = first {
                guard messageAllowed else { return nil }
                state.bytes -= bytes.count
            }
            state.items.removeFirst()
            return first
        }
    }

    /// Resumes the writers once the outbox is back within its limit.
    func resumeWritersIfBelowLimit() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            guard state.bytes <= limit, !state.waiters.isEmpty else { return [] }
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// The call ended: drops what waits, resumes every writer (throwing `error` if given), and
    /// makes later writes throw it (or be dropped quietly).
    func close(error: RPCError?) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            guard state.ended == nil else { return [] }
            state.ended = error.map { .failing($0) } ?? .quiet
            state.items.removeAll(keepingCapacity: true)
            state.bytes = 0
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters {
            if let error { waiter.resume(throwing: error) } else { waiter.resume() }
        }
    }
}

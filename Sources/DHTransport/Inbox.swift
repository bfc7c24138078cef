internal import DHRPC
internal import Synchronization

/// The messages of one direction of one call, from the event loop to the task that reads them.
///
/// Never grows without bound: the connection delivers a message only within the flow-control
/// credit, and the credit returns (through `onConsumed`) only when the reader takes the message.
/// One reader at a time.
final class Inbox: Sendable {
    typealias Element = ClientResponsePart

    private struct State {
        var buffer: [Element] = []
        var head = 0
        var end: Result<Void, any Error>?
        var waiter: CheckedContinuation<Element?, any Error>?
    }

    private let state = Mutex(State())
    /// Consumption not yet reported: bytes and messages taken, and whether a report is due.
    private let consumed = Mutex<(bytes: Int, messages: Int, scheduled: Bool)>((0, 0, false))
    /// Asks the event loop to call ``takeConsumed()``; called once per batch of consumption.
    private let scheduleReport: @Sendable () -> Void
    /// The end comes only once the stream closed, which returned its credit: what the reader
    /// takes after the end needs no report.
    private let endClosesStream: Bool

    init(endClosesStream: Bool = false, scheduleReport: @escaping @Sendable () -> Void) {
        self.endClosesStream = endClosesStream
        self.scheduleReport = scheduleReport
    }

    /// The reader took an element: its credit is reported in a batch.
    private func onConsumed(_ element: Element, ended: Bool = false) {
        if ended && endClosesStream { return }
        // Only messages are flow controlled.
        guard case .message(let message) = element else { return }
        let bytes = message.count
        let schedule = consumed.withLock { consumed -> Bool in
            consumed.bytes += bytes
            consumed.messages += 1
            defer { consumed.scheduled = true }
            return !consumed.scheduled
        }
        if schedule { scheduleReport() }
    }

    /// What the reader took since the last call (event loop): message bytes and messages.
    func takeConsumed() -> (bytes: Int, messages: Int) {
        consumed.withLock { consumed in
            defer { consumed = (0, 0, false) }
            return (consumed.bytes, consumed.messages)
        }
    }

    /// Adds an element (event loop). Ignored after the end.
    func push(_ element: Element) {
        let waiter = state.withLock { state -> CheckedContinuation<Element?, any Error>? in
            guard state.end == nil else { return nil }
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.buffer.append(element)
            return nil
        }
        if let waiter {
            onConsumed(element)
            waiter.resume(returning: element)
        }
    }

    /// Ends the sequence after the buffered elements: normally, or with an error.
    func finish(throwing error: (any Error)? = nil) {
        let waiter = state.withLock { state -> CheckedContinuation<Element?, any Error>? in
            guard state.end == nil else { return nil }
            state.end = error.map { .failure($0) } ?? .success(())
            defer { state.waiter = nil }
            return state.waiter
        }
        if let waiter {
            if let error { waiter.resume(throwing: error) } else { waiter.resume(returning: nil) }
        }
    }

    /// Ends the sequence at once, dropping what is buffered.
    func fail(_ error: any Error) {
        let waiter = state.withLock { state -> CheckedContinuation<Element?, any Error>? in
            state.buffer.removeAll()
            state.head = 0
            if case .failure = state.end {} else { state.end = .failure(error) }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(throwing: error)
    }

    /// How many elements wait for the reader.
    var bufferedCount: Int { state.withLock { $0.buffer.count - $0.head } }

    private enum Take {
        /// `ended`: the end came already.
        case element(Element, ended: Bool)
        case end(Result<Void, any Error>)
        case wait
    }

    private func take(_ state: inout State) -> Take {
        if state.head < state.buffer.count {
            let element = state.buffer[state.head]
            state.head += 1
            if state.head == state.buffer.count {
                state.buffer.removeAll(keepingCapacity: true)
                state.head = 0
            } else if state.head >= 64, state.head * 2 >= state.buffer.count {
                state.buffer.removeFirst(state.head)
                state.head = 0
            }
            return .element(element, ended: state.end != nil)
        }
        if let end = state.end { return .end(end) }
        return .wait
    }

    func next() async throws -> Element? {
        switch state.withLock({ take(&$0) }) {
        case .element(let element, let ended):
            onConsumed(element, ended: ended)
            return element
        case .end(let end):
            try end.get()
            return nil
        case .wait:
            break
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Element?, any Error>) in
                let taken = state.withLock { state -> Take in
                    let taken = take(&state)
                    if case .wait = taken {
                        if Task.isCancelled { return .end(.failure(CancellationError())) }
                        state.waiter = continuation
                    }
                    return taken
                }
                switch taken {
                case .element(let element, let ended):
                    onConsumed(element, ended: ended)
                    continuation.resume(returning: element)
                case .end(let end):
                    continuation.resume(with: end.map { nil })
                case .wait:
                    break
                }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Element?, any Error>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(throwing: CancellationError())
        }
    }
}

/// A server call's request messages from its inbox, as an `AsyncSequence`.
struct InboxMessages: AsyncSequence, Sendable {
    typealias Element = [UInt8]
    typealias Failure = any Error
    let inbox: Inbox

    struct AsyncIterator: AsyncIteratorProtocol {
        let inbox: Inbox

        mutating func next() async throws -> [UInt8]? {
            // A server's inbox holds only messages (and its end).
            while let part = try await inbox.next() {
                if case .message(let bytes) = part { return bytes }
            }
            return nil
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(inbox: inbox) }
}

public import DHIdentity
internal import Synchronization

/// A client and a server transport joined in memory: every call reaches the server as it
/// would over the network (encoded messages, metadata, deadlines, cancellation, the caller's
/// identity), without sockets or TLS. Service tests use it.
public final class InProcessTransport: Sendable {
    private struct State {
        var handler: (@Sendable (ServerStream) async -> Void)?
        var waiters: [CheckedContinuation<Void, Never>] = []
        var servingWaiters: [CheckedContinuation<Void, Never>] = []
        var shutDown = false
    }

    private let state = Mutex(State())
    /// The identity calls arrive with, as if from a verified client certificate.
    public let peer: PeerIdentity

    public init(peer: PeerIdentity) {
        self.peer = peer
    }

    public var client: Client { Client(transport: self) }
    public var server: Server { Server(transport: self) }

    public struct Client: ClientTransport {
        let transport: InProcessTransport

        public func withStream<Result: Sendable>(
            method: MethodDescriptor, options: CallOptions,
            _ body: @escaping @Sendable (ClientStream) async throws -> Result
        ) async throws -> Result {
            try await transport.call(method: method, options: options, body)
        }
    }

    public struct Server: ServerTransport {
        let transport: InProcessTransport

        public func serve(_ handle: @escaping @Sendable (ServerStream) async -> Void) async throws {
            let (alreadyShutDown, servingWaiters) = transport.state.withLock { state in
                state.handler = handle
                defer { state.servingWaiters = [] }
                return (state.shutDown, state.servingWaiters)
            }
            for waiter in servingWaiters { waiter.resume() }
            guard !alreadyShutDown else { return }
            await withCheckedContinuation { continuation in
                let resumeNow = transport.state.withLock { state in
                    if state.shutDown { return true }
                    state.waiters.append(continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }

        public func beginGracefulShutdown() {
            let waiters = transport.state.withLock { state in
                state.shutDown = true
                state.handler = nil
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume() }
        }
    }

    /// Returns once a server is serving on this transport.
    public func waitUntilServing() async {
        await withCheckedContinuation { continuation in
            let serving = state.withLock { state in
                if state.handler != nil { return true }
                state.servingWaiters.append(continuation)
                return false
            }
            if serving { continuation.resume() }
        }
    }

    private func call<Result: Sendable>(
        method: MethodDescriptor, options: CallOptions,
        _ body: @escaping @Sendable (ClientStream) async throws -> Result
    ) async throws -> Result {
        guard let handler = state.withLock({ $0.handler }) else {
            throw RPCError(code: .unavailable, message: "the server is not serving")
        }
        let deadline = options.timeout.map { ContinuousClock.now.advanced(by: $0) }
        let (requests, requestInput) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        let (responses, responseInput) = AsyncStream<ClientResponsePart>.makeStream()
        let finished = Mutex(false)
        let sink = ServerResponseSink(
            sendHeaders: { metadata in responseInput.yield(.headers(metadata)) },
            sendMessage: { bytes in
                guard !finished.withLock({ $0 }) else {
                    throw RPCError(code: .internal, message: "the call has already ended")
                }
                responseInput.yield(.message(bytes))
            },
            finish: { status, metadata in
                let first = finished.withLock { done in
                    defer { done = true }
                    return !done
                }
                guard first else { return }
                responseInput.yield(.trailers(status, metadata))
                responseInput.finish()
            })
        let info = ServerCallInfo(
            path: method.path, requestMetadata: options.metadata, deadline: deadline, peer: peer,
            remoteAddress: "in-process")
        let serverTask = Task {
            await handler(ServerStream(info: info, requests: RPCAsyncSequence(requests), responses: sink))
        }
        let stream = ClientStream(
            requests: RPCWriter { bytes in
                if finished.withLock({ $0 }) { return }
                requestInput.yield(bytes)
            },
            finishRequests: { requestInput.finish() },
            responses: RPCAsyncSequence(responses))
        defer {
            // A call the client leaves before its status is cancelled on the server too.
            if !finished.withLock({ $0 }) {
                requestInput.finish(throwing: CancellationError())
                serverTask.cancel()
            }
        }
        do {
            return try await withDeadline(deadline) { [stream] in try await body(stream) }
        } catch is CancellationError {
            throw RPCError(code: .cancelled, message: "the call was cancelled")
        }
    }
}

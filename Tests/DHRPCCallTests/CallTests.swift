import DHIdentity
import DHRPC
import DHWire
import Synchronization
import Testing

typealias Request = Dh_Echo_V1_EchoRequest
typealias Response = Dh_Echo_V1_EchoResponse

typealias EchoMethods = Dh_Echo_V1_Echo.Method

struct Unexpected: Error {}

/// Events the test service reports, so tests wait on them instead of on time.
final class Events: Sendable {
    private struct State {
        var pending: [String] = []
        var waiter: CheckedContinuation<String, Never>?
    }

    private let state = Mutex(State())

    func report(_ event: String) {
        let waiter = state.withLock { state -> CheckedContinuation<String, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.pending.append(event)
            return nil
        }
        waiter?.resume(returning: event)
    }

    /// The next event, in the order reported; one reader at a time. Nil when the waiting task
    /// is cancelled (a test past its time limit), so a missing event fails the test instead of
    /// hanging the run.
    func next() async -> String? {
        let event = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<String, Never>) in
                let ready = state.withLock { state -> String? in
                    if !state.pending.isEmpty { return state.pending.removeFirst() }
                    if Task.isCancelled { return Self.cancelled }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: Self.cancelled)
        }
        return event == Self.cancelled ? nil : event
    }

    private static let cancelled = "\u{0}cancelled"
}

struct EchoService: Dh_Echo_V1_EchoHandler {
    let events: Events

    func respond(_ request: Request, context: ServerContext) async throws -> Response {
        if request.delayMs > 0 {
            events.report("started")
            do {
                try await Task.sleep(for: .milliseconds(Int(request.delayMs)))
            } catch {
                events.report("cancelled")
                throw error
            }
        }
        if request.failWithCode == 99 { throw Unexpected() }
        if request.failWithCode != 0 {
            throw RPCError(code: RPCStatus.Code(wireValue: UInt8(request.failWithCode)), message: "asked to fail")
        }
        var response = Response()
        response.text = request.text
        response.sequence = request.sequence
        response.peer = context.peer.uri
        response.payload = request.payload
        return response
    }

    func get(request: Request, context: ServerContext) async throws -> Response {
        try await respond(request, context: context)
    }

    func collect(requests: RPCAsyncSequence<Request>, context: ServerContext) async throws -> Response {
        var texts: [String] = []
        for try await request in requests { texts.append(request.text) }
        var response = Response()
        response.text = texts.joined(separator: ",")
        response.sequence = Int64(texts.count)
        return response
    }

    func expand(request: Request, responses: RPCWriter<Response>, context: ServerContext) async throws {
        do {
            var succeeding = request
            succeeding.failWithCode = 0
            for index in 0..<request.sequence {
                var response = try await respond(succeeding, context: context)
                response.sequence = index
                try await responses.write(response)
                // Let the reader run: a cancelled call must be noticed between two writes.
                await Task.yield()
                if request.failWithCode != 0, index == 2 {
                    throw RPCError(code: .aborted, message: "stopped after three")
                }
                try Task.checkCancellation()
            }
        } catch is CancellationError {
            events.report("cancelled")
            throw CancellationError()
        }
    }

    func update(
        requests: RPCAsyncSequence<Request>, responses: RPCWriter<Response>, context: ServerContext
    ) async throws {
        for try await request in requests {
            try await responses.write(try await respond(request, context: context))
        }
    }
}

/// Records every call's method and final status, as an audit interceptor would.
final class StatusRecorder: ServerInterceptor {
    let seen = Mutex<[String]>([])

    func intercept(_ context: ServerContext, next: @Sendable (ServerContext) async throws -> Void) async throws {
        do {
            try await next(context)
            seen.withLock { $0.append("\(context.method.method) OK") }
        } catch {
            let (status, _) = RPCServer.status(for: error)
            seen.withLock { $0.append("\(context.method.method) \(status.code)") }
            throw error
        }
    }
}

/// Refuses every caller but gateways.
struct GatewaysOnly: ServerInterceptor {
    func intercept(_ context: ServerContext, next: @Sendable (ServerContext) async throws -> Void) async throws {
        guard context.peer.role == .gateway else {
            throw RPCError(
                code: .permissionDenied, message: "\(context.peer.role.rawValue) may not call \(context.method)")
        }
        try await next(context)
    }
}

func request(_ text: String, sequence: Int64 = 0, delayMs: Int32 = 0, fail: Int32 = 0) -> Request {
    var request = Request()
    request.text = text
    request.sequence = sequence
    request.delayMs = delayMs
    request.failWithCode = fail
    return request
}

/// Request metadata naming a call: when the server is done with it (whether or not its
/// handler ran), `Events` gets "ended <name>".
let callNameKey = "test-call"

/// A server on an in-process transport, serving until the test ends.
func withServer<Result: Sendable>(
    peer: String = "dh://1312345678/gateway/gw-01", interceptors: [any ServerInterceptor] = [],
    _ body: (RPCClient, Events) async throws -> Result
) async throws -> Result {
    let events = Events()
    let transport = InProcessTransport(peer: try PeerIdentity(uri: peer))
    let server = RPCServer(services: [EchoService(events: events)], interceptors: interceptors)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            try await transport.server.serve { stream in
                await server.handle(stream)
                if let name = stream.info.requestMetadata.firstString(forKey: callNameKey) {
                    events.report("ended \(name)")
                }
            }
        }
        defer { transport.server.beginGracefulShutdown() }
        await transport.waitUntilServing()
        return try await body(RPCClient(transport: transport.client), events)
    }
}

func expectStatus(_ code: RPCStatus.Code, _ body: () async throws -> Void) async {
    do {
        try await body()
        Issue.record("expected \(code), the call succeeded")
    } catch let error as RPCError {
        #expect(error.code == code, "\(error)")
    } catch {
        Issue.record("expected RPCError \(code), got \(error)")
    }
}

@Suite("Calls over the in-process transport", .timeLimit(.minutes(1)))
struct CallTests {
    @Test("unary: the response, and the caller's identity as the server saw it")
    func unary() async throws {
        try await withServer { client, _ in
            let echo = Dh_Echo_V1_EchoClient(client)
            let response = try await echo.get(request("診療情報", sequence: 7))
            #expect(response.text == "診療情報")
            #expect(response.sequence == 7)
            #expect(response.peer == "dh://1312345678/gateway/gw-01")
        }
    }

    @Test("a status from the handler reaches the client; an unexpected error becomes INTERNAL without details")
    func statuses() async throws {
        try await withServer { client, _ in
            await expectStatus(.notFound) {
                let _: Response = try await client.unary(EchoMethods.get, request: request("x", fail: 5))
            }
            do {
                let _: Response = try await client.unary(EchoMethods.get, request: request("x", fail: 99))
                Issue.record("expected INTERNAL")
            } catch let error as RPCError {
                #expect(error.code == .internal)
                #expect(error.message == "internal error")
            }
        }
    }

    @Test("calls before the server serves are UNAVAILABLE")
    func notServing() async throws {
        let transport = InProcessTransport(peer: try PeerIdentity(uri: "dh://1312345678/gateway/gw-01"))
        await expectStatus(.unavailable) {
            let _: Response = try await RPCClient(transport: transport.client).unary(
                EchoMethods.get, request: request("x"))
        }
    }

    @Test("an unknown method is UNIMPLEMENTED")
    func unknownMethod() async throws {
        try await withServer { client, _ in
            await expectStatus(.unimplemented) {
                let missing = MethodDescriptor(service: "dh.echo.v1.Echo", method: "Missing", kind: .unary)
                let _: Response = try await client.unary(missing, request: request("x"))
            }
        }
    }

    @Test("bytes that are not the request message are INVALID_ARGUMENT; a unary call needs exactly one request")
    func badRequests() async throws {
        try await withServer { client, _ in
            await expectStatus(.invalidArgument) {
                try await client.transport.withStream(method: EchoMethods.get, options: CallOptions()) { stream in
                    try await stream.requests.write([0x0A, 0x05, 0x61])  // a string running past the end
                    try await stream.finishRequests()
                    let _: Response = try await RPCClientTesting.single(stream.responses)
                }
            }
            await expectStatus(.invalidArgument) {
                try await client.transport.withStream(method: EchoMethods.get, options: CallOptions()) { stream in
                    try await stream.finishRequests()
                    let _: Response = try await RPCClientTesting.single(stream.responses)
                }
            }
            await expectStatus(.invalidArgument) {
                try await client.transport.withStream(method: EchoMethods.get, options: CallOptions()) { stream in
                    try await stream.requests.write(request("a").serializedBytes())
                    try await stream.requests.write(request("b").serializedBytes())
                    try await stream.finishRequests()
                    let _: Response = try await RPCClientTesting.single(stream.responses)
                }
            }
        }
    }

    @Test("client streaming collects every request in order")
    func clientStreaming() async throws {
        try await withServer { client, _ in
            let response: Response = try await client.clientStreaming(EchoMethods.collect) { writer in
                for index in 0..<200 { try await writer.write(request("r\(index)")) }
            }
            #expect(response.sequence == 200)
            #expect(response.text.split(separator: ",").first == "r0")
            #expect(response.text.split(separator: ",").last == "r199")
        }
    }

    @Test("server streaming delivers every response, then the error that ended the stream")
    func serverStreaming() async throws {
        try await withServer { client, _ in
            let sequences = try await client.serverStreaming(EchoMethods.expand, request: request("e", sequence: 25)) {
                (responses: RPCAsyncSequence<Response>) in
                try await responses.reduce(into: [Int64]()) { $0.append($1.sequence) }
            }
            #expect(sequences == Array(0..<25))

            let received = Mutex<[Int64]>([])
            await expectStatus(.aborted) {
                _ = try await client.serverStreaming(EchoMethods.expand, request: request("e", sequence: 10, fail: 10))
                {
                    (responses: RPCAsyncSequence<Response>) in
                    for try await response in responses { received.withLock { $0.append(response.sequence) } }
                }
            }
            #expect(received.withLock { $0 } == [0, 1, 2])
        }
    }

    @Test("bidirectional streaming answers each request")
    func bidirectional() async throws {
        try await withServer { client, _ in
            let texts = try await Dh_Echo_V1_EchoClient(client).update { writer in
                for index in 0..<50 { try await writer.write(request("b\(index)", sequence: Int64(index))) }
            } responses: { responses in
                try await responses.reduce(into: [String]()) { $0.append($1.text) }
            }
            #expect(texts == (0..<50).map { "b\($0)" })
        }
    }

    @Test("a missed deadline is DEADLINE_EXCEEDED and the handler is cancelled")
    func deadline() async throws {
        try await withServer { client, events in
            // On a loaded machine the deadline can pass before the server starts the handler,
            // which it then never runs. Each attempt doubles the deadline until one starts the
            // handler; that handler must then be cancelled.
            var handlerRan = false
            for (attempt, seconds) in [1, 2, 4, 8, 16].enumerated() where !handlerRan {
                var options = CallOptions(timeout: .seconds(seconds))
                options.metadata.addString("\(attempt)", forKey: callNameKey)
                await expectStatus(.deadlineExceeded) {
                    let _: Response = try await client.unary(
                        EchoMethods.get, request: request("slow", delayMs: 600_000), options: options)
                }
                var seen: [String] = []
                while seen.last != "ended \(attempt)", let event = await events.next() { seen.append(event) }
                #expect(seen == ["ended \(attempt)"] || seen == ["started", "cancelled", "ended \(attempt)"])
                handlerRan = seen.first == "started"
            }
            #expect(handlerRan)
        }
    }

    @Test("a client that stops reading cancels the call on the server")
    func clientCancellation() async throws {
        try await withServer { client, events in
            // The server would stream for ever: only the client's cancellation can end the call.
            let firstThree = try await client.serverStreaming(
                EchoMethods.expand, request: request("many", sequence: .max)
            ) { (responses: RPCAsyncSequence<Response>) in
                var taken: [Int64] = []
                for try await response in responses {
                    taken.append(response.sequence)
                    if taken.count == 3 { break }
                }
                return taken
            }
            #expect(firstThree == [0, 1, 2])
            #expect(await events.next() == "cancelled")
        }
    }

    @Test("interceptors run in order, can refuse a call, and see every final status")
    func interceptors() async throws {
        let recorder = StatusRecorder()
        try await withServer(interceptors: [recorder, GatewaysOnly()]) { client, _ in
            let _: Response = try await client.unary(EchoMethods.get, request: request("ok"))
            await expectStatus(.notFound) {
                let _: Response = try await client.unary(EchoMethods.get, request: request("x", fail: 5))
            }
        }
        #expect(recorder.seen.withLock { $0 }.suffix(2) == ["Get OK", "Get NOT_FOUND"])

        let refused = StatusRecorder()
        try await withServer(peer: "dh://research-univ-a/researcher/r-17", interceptors: [refused, GatewaysOnly()]) {
            client, _ in
            await expectStatus(.permissionDenied) {
                let _: Response = try await client.unary(EchoMethods.get, request: request("no"))
            }
        }
        #expect(refused.seen.withLock { $0 }.last == "Get PERMISSION_DENIED")
    }
}

/// Reads a single response from raw parts, as RPCClient does.
enum RPCClientTesting {
    static func single(_ parts: RPCAsyncSequence<ClientResponsePart>) async throws -> Response {
        var response: Response?
        for try await part in parts {
            switch part {
            case .headers: continue
            case .message(let bytes): response = try Response(serializedBytes: bytes)
            case .trailers(let status, let metadata):
                if let error = RPCError(status: status, metadata: metadata) { throw error }
                guard let response else { throw RPCError(code: .internal, message: "no response") }
                return response
            }
        }
        throw RPCError(code: .unavailable, message: "no status")
    }
}

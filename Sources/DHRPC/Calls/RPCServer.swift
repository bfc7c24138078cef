public import DHWire

/// The methods a server offers, each with a handler that decodes requests, runs the
/// application's code and encodes responses.
public struct RPCRouter: Sendable {
    typealias Handler = @Sendable (ServerStream, ServerContext) async throws -> Void

    struct Route: Sendable {
        let method: MethodDescriptor
        let handler: Handler
    }

    private(set) var routes: [String: Route] = [:]

    public init() {}

    /// Every registered method, sorted by path.
    public var methods: [MethodDescriptor] { routes.values.map(\.method).sorted { $0.path < $1.path } }

    /// A unary method: exactly one request, exactly one response.
    public mutating func registerUnary<Request: DHWire.Message, Response: DHWire.Message>(
        _ method: MethodDescriptor, _ handler: @escaping @Sendable (Request, ServerContext) async throws -> Response
    ) {
        add(method) { stream, context in
            let request: Request = try await Self.single(stream.requests, method: method)
            let response = try await handler(request, context)
            try await stream.responses.sendMessage(response.serializedBytes())
        }
    }

    /// A client-streaming method: many requests, one response.
    public mutating func registerClientStreaming<Request: DHWire.Message, Response: DHWire.Message>(
        _ method: MethodDescriptor,
        _ handler: @escaping @Sendable (RPCAsyncSequence<Request>, ServerContext) async throws -> Response
    ) {
        add(method) { stream, context in
            let response = try await handler(Self.decoded(stream.requests), context)
            try await stream.responses.sendMessage(response.serializedBytes())
        }
    }

    /// A server-streaming method: one request, many responses.
    public mutating func registerServerStreaming<Request: DHWire.Message, Response: DHWire.Message>(
        _ method: MethodDescriptor,
        _ handler: @escaping @Sendable (Request, RPCWriter<Response>, ServerContext) async throws -> Void
    ) {
        add(method) { stream, context in
            let request: Request = try await Self.single(stream.requests, method: method)
            try await handler(request, Self.encoder(stream.responses), context)
        }
    }

    /// A bidirectional-streaming method.
    public mutating func registerBidirectionalStreaming<Request: DHWire.Message, Response: DHWire.Message>(
        _ method: MethodDescriptor,
        _ handler:
            @escaping @Sendable (RPCAsyncSequence<Request>, RPCWriter<Response>, ServerContext) async throws
            -> Void
    ) {
        add(method) { stream, context in
            try await handler(Self.decoded(stream.requests), Self.encoder(stream.responses), context)
        }
    }

    private mutating func add(_ method: MethodDescriptor, _ handler: @escaping Handler) {
        precondition(routes[method.path] == nil, "\(method.path) is registered twice")
        routes[method.path] = Route(method: method, handler: handler)
    }

    static func decode<Message: DHWire.Message>(_ bytes: [UInt8]) throws -> Message {
        do {
            return try Message(serializedBytes: bytes)
        } catch {
            throw RPCError(
                code: .invalidArgument, message: "the request is not a valid \(Message.self): \(error)", cause: error)
        }
    }

    static func decoded<Message: DHWire.Message>(_ requests: RPCAsyncSequence<[UInt8]>) -> RPCAsyncSequence<Message> {
        RPCAsyncSequence(requests.map { bytes throws -> Message in try decode(bytes) })
    }

    static func encoder<Message: DHWire.Message>(_ sink: ServerResponseSink) -> RPCWriter<Message> {
        RPCWriter { message in try await sink.sendMessage(message.serializedBytes()) }
    }

    /// The one request of a unary or server-streaming call.
    static func single<Message: DHWire.Message>(
        _ requests: RPCAsyncSequence<[UInt8]>, method: MethodDescriptor
    ) async throws -> Message {
        var iterator = requests.makeAsyncIterator()
        guard let first = try await iterator.next() else {
            throw RPCError(code: .invalidArgument, message: "\(method.path) needs one request message; none came")
        }
        guard try await iterator.next() == nil else {
            throw RPCError(code: .invalidArgument, message: "\(method.path) takes one request message; more came")
        }
        return try decode(first)
    }
}

/// A service's methods, as generated code registers them.
public protocol RPCService: Sendable {
    func register(with router: inout RPCRouter)
}

/// Runs around every call: identity, authorization, audit, metrics, logging. Call `next`
/// to continue; throw to refuse. `next` throws the handler's error, so an interceptor can
/// see every outcome (``RPCServer/status(for:)`` turns an error into the call's status).
public protocol ServerInterceptor: Sendable {
    func intercept(
        _ context: ServerContext, next: @Sendable (ServerContext) async throws -> Void
    ) async throws
}

/// Dispatches calls from a transport to registered services, through the interceptors,
/// within each call's deadline, and ends every call with exactly one status.
public struct RPCServer: Sendable {
    public let router: RPCRouter
    public let interceptors: [any ServerInterceptor]

    public init(services: [any RPCService], interceptors: [any ServerInterceptor] = []) {
        var router = RPCRouter()
        for service in services { service.register(with: &router) }
        self.router = router
        self.interceptors = interceptors
    }

    /// Serves calls from `transport` until it shuts down.
    public func serve(on transport: some ServerTransport) async throws {
        try await transport.serve { stream in await self.handle(stream) }
    }

    /// Handles one call to completion.
    public func handle(_ stream: ServerStream) async {
        guard let route = router.routes[stream.info.path] else {
            await stream.responses.finish(
                RPCStatus(code: .unimplemented, message: "unknown method \(stream.info.path)"), Metadata())
            return
        }
        let context = ServerContext(method: route.method, call: stream.info)
        do {
            if stream.transportEnforcesDeadline || stream.info.deadline == nil {
                try await run(context, index: 0) { context in try await route.handler(stream, context) }
            } else {
                try await withDeadline(stream.info.deadline) {
                    try await self.run(context, index: 0) { context in try await route.handler(stream, context) }
                }
            }
            await stream.responses.finish(.ok, Metadata())
        } catch {
            let (status, metadata) = Self.status(for: error)
            await stream.responses.finish(status, metadata)
        }
    }

    private func run(
        _ context: ServerContext, index: Int, handler: @escaping @Sendable (ServerContext) async throws -> Void
    ) async throws {
        guard index < interceptors.count else {
            try await handler(context)
            return
        }
        try await interceptors[index].intercept(context) { context in
            try await self.run(context, index: index + 1, handler: handler)
        }
    }

    /// The status a call ends with when its handler throws `error`. Details of unexpected
    /// errors stay on the server: the client sees only `INTERNAL`.
    public static func status(for error: any Error) -> (RPCStatus, Metadata) {
        switch error {
        case let error as RPCError:
            return (error.status, error.metadata)
        case let error as any RPCErrorConvertible:
            let converted = error.rpcError
            return (converted.status, converted.metadata)
        case is CancellationError:
            return (RPCStatus(code: .cancelled, message: "the call was cancelled"), Metadata())
        default:
            return (RPCStatus(code: .internal, message: "internal error"), Metadata())
        }
    }
}

/// Runs `body`, failing with `DEADLINE_EXCEEDED` (and cancelling it) when `deadline` passes first.
func withDeadline<Result: Sendable>(
    _ deadline: ContinuousClock.Instant?, _ body: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    guard let deadline else { return try await body() }
    guard deadline > .now else { throw RPCError(code: .deadlineExceeded, message: "the deadline passed") }
    return try await withThrowingTaskGroup(of: Result?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(until: deadline, clock: .continuous)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let result = first else {
            throw RPCError(code: .deadlineExceeded, message: "the deadline passed")
        }
        return result
    }
}

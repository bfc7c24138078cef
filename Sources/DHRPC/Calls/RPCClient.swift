public import DHWire

/// Makes typed calls over a client transport. Generated clients wrap one of these.
///
/// Every method throws ``RPCError`` for a call that ended with a status other than OK
/// (the server's status, or `UNAVAILABLE`, `DEADLINE_EXCEEDED`, `CANCELLED` from the
/// transport), and for a response that is not a valid message (`INTERNAL`).
public struct RPCClient: Sendable {
    public let transport: any ClientTransport

    public init(transport: any ClientTransport) {
        self.transport = transport
    }

    /// One request, one response.
    public func unary<Request: DHWire.Message, Response: DHWire.Message>(
        _ method: MethodDescriptor, request: Request, options: CallOptions = CallOptions()
    ) async throws -> Response {
        try Self.decode(await transport.unaryCall(method: method, options: options, request: request.serializedBytes()))
    }

    /// Many requests, written by `requests`, then one response.
    public func clientStreaming<Request: DHWire.Message, Response: DHWire.Message>(
        _ method: MethodDescriptor, options: CallOptions = CallOptions(),
        requests: @escaping @Sendable (RPCWriter<Request>) async throws -> Void
    ) async throws -> Response {
        try await transport.withStream(method: method, options: options) { stream in
            try await withThrowingTaskGroup(of: Response?.self) { group in
                group.addTask {
                    try await requests(stream.requests.map { (message: Request) in message.serializedBytes() })
                    try await stream.finishRequests()
                    return nil
                }
                group.addTask { try await Self.singleResponse(stream.responses, method: method) }
                // The response decides: a server that fails early ends the call while the
                // writer may still be waiting for credit.
                while let next = try await group.next() {
                    if let response = next {
                        group.cancelAll()
                        return response
                    }
                }
                throw RPCError(code: .internal, message: "\(method.path) ended without a response")
            }
        }
    }

    /// One request; `responses` reads the responses as they come and returns a result.
    public func serverStreaming<Request: DHWire.Message, Response: DHWire.Message, Result: Sendable>(
        _ method: MethodDescriptor, request: Request, options: CallOptions = CallOptions(),
        responses: @escaping @Sendable (RPCAsyncSequence<Response>) async throws -> Result
    ) async throws -> Result {
        try await transport.withStream(method: method, options: options) { stream in
            try await stream.writeLastRequest(request.serializedBytes())
            return try await responses(Self.decodedResponses(stream.responses))
        }
    }

    /// Requests written by `requests` while `responses` reads the responses.
    public func bidirectionalStreaming<Request: DHWire.Message, Response: DHWire.Message, Result: Sendable>(
        _ method: MethodDescriptor, options: CallOptions = CallOptions(),
        requests: @escaping @Sendable (RPCWriter<Request>) async throws -> Void,
        responses: @escaping @Sendable (RPCAsyncSequence<Response>) async throws -> Result
    ) async throws -> Result {
        try await transport.withStream(method: method, options: options) { stream in
            try await withThrowingTaskGroup(of: Result?.self) { group in
                group.addTask {
                    try await requests(stream.requests.map { (message: Request) in message.serializedBytes() })
                    try await stream.finishRequests()
                    return nil
                }
                group.addTask { try await responses(Self.decodedResponses(stream.responses)) }
                // Both sides must finish; the request writer's error counts only while the
                // responses have not decided the call.
                var result: Result?
                while true {
                    do {
                        guard let next = try await group.next() else { break }
                        if let value = next { result = value }
                    } catch {
                        if result == nil { throw error }
                    }
                }
                guard let result else {
                    throw RPCError(code: .internal, message: "\(method.path) ended without reading its responses")
                }
                return result
            }
        }
    }

    /// Any kind of call with encoded messages, for tools that know the types only at run time
    /// (`dh call`): writes the requests as `requests` yields them and half-closes, while each
    /// response message goes to `response` as it arrives. Returns the response headers and
    /// trailers' metadata; throws ``RPCError`` for a status other than OK.
    public func rawCall(
        _ method: MethodDescriptor, options: CallOptions = CallOptions(),
        requests: @escaping @Sendable (RPCWriter<[UInt8]>) async throws -> Void,
        response: @escaping @Sendable ([UInt8]) async throws -> Void
    ) async throws -> (headers: Metadata, trailers: Metadata) {
        try await transport.withStream(method: method, options: options) { stream in
            try await withThrowingTaskGroup(of: (Metadata, Metadata)?.self) { group in
                group.addTask {
                    try await requests(stream.requests)
                    try await stream.finishRequests()
                    return nil
                }
                group.addTask {
                    var headers = Metadata()
                    for try await part in stream.responses {
                        switch part {
                        case .headers(let metadata): headers = metadata
                        case .message(let bytes): try await response(bytes)
                        case .trailers(let status, let metadata):
                            if let error = RPCError(status: status, metadata: metadata) { throw error }
                            return (headers, metadata)
                        }
                    }
                    throw RPCError(code: .unavailable, message: "\(method.path) ended without a status")
                }
                // The responses decide; a writer still waiting for credit is cancelled then.
                while let next = try await group.next() {
                    if let result = next {
                        group.cancelAll()
                        return result
                    }
                }
                throw RPCError(code: .internal, message: "\(method.path) ended without a status")
            }
        }
    }

    // MARK: Reading responses

    static func singleResponse<Response: DHWire.Message>(
        _ parts: RPCAsyncSequence<ClientResponsePart>, method: MethodDescriptor
    ) async throws -> Response {
        var iterator = parts.makeAsyncIterator()
        return try decode(await singleResponse(method: method) { try await iterator.next() })
    }

    /// The one response message of a call whose parts `next` gives, once its trailers said OK.
    /// Throws the status of trailers other than OK, `INTERNAL` for no message or more than one, and
    /// `UNAVAILABLE` when the parts end without trailers.
    public static func singleResponse(
        method: MethodDescriptor, next: () async throws -> ClientResponsePart?
    ) async throws -> [UInt8] {
        var response: [UInt8]?
        while let part = try await next() {
            switch part {
            case .headers:
                continue
            case .message(let bytes):
                guard response == nil else {
                    throw RPCError(code: .internal, message: "\(method.path) sent more than one response")
                }
                response = bytes
            case .trailers(let status, let metadata):
                if let error = RPCError(status: status, metadata: metadata) { throw error }
                guard let response else {
                    throw RPCError(code: .internal, message: "\(method.path) ended OK without a response")
                }
                return response
            }
        }
        throw RPCError(code: .unavailable, message: "\(method.path) ended without a status")
    }

    static func decode<Response: DHWire.Message>(_ bytes: [UInt8]) throws -> Response {
        do {
            return try Response(serializedBytes: bytes)
        } catch {
            throw RPCError(
                code: .internal, message: "the response is not a valid \(Response.self): \(error)", cause: error)
        }
    }

    /// Response messages decoded; the sequence ends at an OK status and throws any other.
    static func decodedResponses<Response: DHWire.Message>(
        _ parts: RPCAsyncSequence<ClientResponsePart>
    ) -> RPCAsyncSequence<Response> {
        RPCAsyncSequence(DecodedResponses<Response>(parts: parts))
    }
}

/// The messages of a response stream, ending at its trailers.
struct DecodedResponses<Response: DHWire.Message>: AsyncSequence, Sendable {
    typealias Element = Response
    let parts: RPCAsyncSequence<ClientResponsePart>

    struct AsyncIterator: AsyncIteratorProtocol {
        var parts: RPCAsyncSequence<ClientResponsePart>.AsyncIterator
        var ended = false

        mutating func next() async throws -> Response? {
            guard !ended else { return nil }
            while let part = try await parts.next() {
                switch part {
                case .headers:
                    continue
                case .message(let bytes):
                    return try RPCClient.decode(bytes)
                case .trailers(let status, let metadata):
                    ended = true
                    if let error = RPCError(status: status, metadata: metadata) { throw error }
                    return nil
                }
            }
            ended = true
            throw RPCError(code: .unavailable, message: "the call ended without a status")
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(parts: parts.makeAsyncIterator()) }
}

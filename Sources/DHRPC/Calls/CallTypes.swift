public import DHIdentity

/// The four kinds of call (docs/PROTOCOL.md §7).
public enum CallKind: Sendable, Hashable {
    case unary
    case clientStreaming
    case serverStreaming
    case bidirectionalStreaming
}

/// A method as generated code names it: `/package.Service/Method` and its kind.
public struct MethodDescriptor: Sendable, Hashable, CustomStringConvertible {
    /// The fully-qualified service, e.g. `datahealth.v1.CareRecordService`.
    public var service: String { didSet { path = Self.path(service, method) } }
    public var method: String { didSet { path = Self.path(service, method) } }
    public var kind: CallKind
    /// `/package.Service/Method`, kept with the names (every call sends it).
    public private(set) var path: String

    public init(service: String, method: String, kind: CallKind) {
        self.service = service
        self.method = method
        self.kind = kind
        self.path = Self.path(service, method)
    }

    private static func path(_ service: String, _ method: String) -> String { "/\(service)/\(method)" }

    public var description: String { path }
}

/// What a client sets per call.
public struct CallOptions: Sendable {
    /// How long the call may take, from when it starts; nil: no deadline.
    public var timeout: Duration?
    /// Request metadata (keys starting with `dh-` are the protocol's own).
    public var metadata: Metadata

    public init(timeout: Duration? = nil, metadata: Metadata = Metadata()) {
        self.timeout = timeout
        self.metadata = metadata
    }
}

/// What a server transport knows of an incoming call.
public struct ServerCallInfo: Sendable {
    /// `/package.Service/Method` as the client sent it.
    public var path: String
    public var requestMetadata: Metadata
    /// When the call must be finished, on the continuous clock; nil: no deadline.
    public var deadline: ContinuousClock.Instant?
    /// The caller's certificate identity. Transports set it from the verified client
    /// certificate; a connection without one never carries a call.
    public var peer: PeerIdentity
    /// The caller's network address, for logs.
    public var remoteAddress: String

    public init(
        path: String, requestMetadata: Metadata, deadline: ContinuousClock.Instant?, peer: PeerIdentity,
        remoteAddress: String
    ) {
        self.path = path
        self.requestMetadata = requestMetadata
        self.deadline = deadline
        self.peer = peer
        self.remoteAddress = remoteAddress
    }
}

/// What a server handler knows about the call it serves.
public struct ServerContext: Sendable {
    public var method: MethodDescriptor
    public var call: ServerCallInfo

    public init(method: MethodDescriptor, call: ServerCallInfo) {
        self.method = method
        self.call = call
    }

    public var peer: PeerIdentity { call.peer }
    public var requestMetadata: Metadata { call.requestMetadata }
    public var deadline: ContinuousClock.Instant? { call.deadline }
}

/// A type-erased asynchronous sequence, so transports can hand out their own sequences.
public struct RPCAsyncSequence<Element: Sendable>: AsyncSequence, Sendable {
    public typealias Failure = any Error
    private let base: any AsyncSequence<Element, any Error> & Sendable

    public init<Base: AsyncSequence & Sendable>(_ base: Base) where Base.Element == Element {
        self.base = Erased(base: base)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var iterator: any AsyncIteratorProtocol<Element, any Error>

        public mutating func next() async throws -> Element? {
            try await iterator.next(isolation: nil)
        }

        public mutating func next(isolation actor: isolated (any Actor)?) async throws -> Element? {
            try await iterator.next(isolation: actor)
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(iterator: base.makeAsyncIterator())
    }

    /// Adapts any sequence's failure type to `any Error`.
    private struct Erased<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == Element {
        typealias Failure = any Error
        let base: Base

        struct AsyncIterator: AsyncIteratorProtocol {
            var iterator: Base.AsyncIterator
            mutating func next() async throws -> Element? { try await iterator.next() }
            mutating func next(isolation actor: isolated (any Actor)?) async throws -> Element? {
                try await iterator.next(isolation: actor)
            }
        }

        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(iterator: base.makeAsyncIterator()) }
    }
}

/// Writes the messages of one direction of a call. `write` suspends while flow control
/// holds the stream, so a slow reader slows the writer instead of filling memory.
public struct RPCWriter<Element: Sendable>: Sendable {
    private let writeElement: @Sendable (Element) async throws -> Void

    public init(_ write: @escaping @Sendable (Element) async throws -> Void) {
        self.writeElement = write
    }

    public func write(_ element: Element) async throws {
        try await writeElement(element)
    }

    public func write(contentsOf elements: some Sequence<Element>) async throws {
        for element in elements { try await writeElement(element) }
    }

    /// A writer of `Other` that converts each element before writing it here.
    public func map<Other: Sendable>(_ transform: @escaping @Sendable (Other) throws -> Element) -> RPCWriter<Other> {
        RPCWriter<Other> { other in try await self.write(try transform(other)) }
    }
}

/// What a client receives on a call, in order: optional headers, messages, then trailers.
public enum ClientResponsePart: Sendable, Hashable {
    case headers(Metadata)
    case message([UInt8])
    case trailers(RPCStatus, Metadata)
}

/// One call in flight, as a client transport carries it.
public struct ClientStream: Sendable {
    /// Request messages, already encoded.
    public var requests: RPCWriter<[UInt8]>
    /// Half-closes the request side: no more request messages.
    public var finishRequests: @Sendable () async throws -> Void
    /// Writes the last request message and half-closes, as `requests.write` then
    /// `finishRequests` do; a transport may send both at once (unary and server-streaming calls).
    public var writeLastRequest: @Sendable ([UInt8]) async throws -> Void
    /// The response parts; ends after `.trailers`.
    public var responses: RPCAsyncSequence<ClientResponsePart>

    public init(
        requests: RPCWriter<[UInt8]>, finishRequests: @escaping @Sendable () async throws -> Void,
        writeLastRequest: (@Sendable ([UInt8]) async throws -> Void)? = nil,
        responses: RPCAsyncSequence<ClientResponsePart>
    ) {
        self.requests = requests
        self.finishRequests = finishRequests
        self.writeLastRequest =
            writeLastRequest ?? { bytes in
                try await requests.write(bytes)
                try await finishRequests()
            }
        self.responses = responses
    }
}

/// Carries calls from a client to a server: the in-process transport, or TLS over TCP.
public protocol ClientTransport: Sendable {
    /// Opens a call and runs `body` with it. When `body` returns or throws before the
    /// response ended, the call is cancelled. Fails with `UNAVAILABLE` when no connection
    /// can be had within the call's deadline.
    func withStream<Result: Sendable>(
        method: MethodDescriptor, options: CallOptions,
        _ body: @escaping @Sendable (ClientStream) async throws -> Result
    ) async throws -> Result

    /// A unary call with an encoded request: returns the encoded response. Throws
    /// ``RPCError`` as ``RPCClient/unary(_:request:options:)`` documents. The default opens a
    /// stream with ``withStream(method:options:_:)``; a transport may take a shorter way.
    func unaryCall(method: MethodDescriptor, options: CallOptions, request: [UInt8]) async throws -> [UInt8]
}

extension ClientTransport {
    public func unaryCall(method: MethodDescriptor, options: CallOptions, request: [UInt8]) async throws -> [UInt8] {
        try await withStream(method: method, options: options) { stream in
            try await stream.writeLastRequest(request)
            var parts = stream.responses.makeAsyncIterator()
            return try await RPCClient.singleResponse(method: method) { try await parts.next() }
        }
    }
}

/// The server's side of one call: request messages in, response parts out.
public struct ServerStream: Sendable {
    public var info: ServerCallInfo
    /// Request messages, encoded; ends when the client half-closes. Consuming a message
    /// returns its flow-control credit to the client.
    public var requests: RPCAsyncSequence<[UInt8]>
    public var responses: ServerResponseSink
    /// The transport itself ends the call with `DEADLINE_EXCEEDED` and cancels its handler when
    /// `info.deadline` passes, so ``RPCServer`` need not keep a timer of its own for it.
    public var transportEnforcesDeadline: Bool

    public init(
        info: ServerCallInfo, requests: RPCAsyncSequence<[UInt8]>, responses: ServerResponseSink,
        transportEnforcesDeadline: Bool = false
    ) {
        self.info = info
        self.requests = requests
        self.responses = responses
        self.transportEnforcesDeadline = transportEnforcesDeadline
    }
}

/// Sends a call's response: headers at most once and first, messages, then one status.
public struct ServerResponseSink: Sendable {
    public var sendHeaders: @Sendable (Metadata) async throws -> Void
    public var sendMessage: @Sendable ([UInt8]) async throws -> Void
    public var finish: @Sendable (RPCStatus, Metadata) async -> Void

    public init(
        sendHeaders: @escaping @Sendable (Metadata) async throws -> Void,
        sendMessage: @escaping @Sendable ([UInt8]) async throws -> Void,
        finish: @escaping @Sendable (RPCStatus, Metadata) async -> Void
    ) {
        self.sendHeaders = sendHeaders
        self.sendMessage = sendMessage
        self.finish = finish
    }
}

/// Accepts calls and hands each one to the server.
public protocol ServerTransport: Sendable {
    /// Serves calls until the transport is shut down; `handle` runs once per call, concurrently,
    /// and the transport cancels it when the client cancels or the connection is lost.
    func serve(_ handle: @escaping @Sendable (ServerStream) async -> Void) async throws
    /// Stops accepting connections and calls; calls in flight finish; `serve` then returns.
    func beginGracefulShutdown()
}

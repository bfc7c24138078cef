import COpenSSL
import DHIdentity
import DHRPC
import DHWire
import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import DHTLS
@testable import DHTransport

typealias Request = Dh_Echo_V1_EchoRequest
typealias Response = Dh_Echo_V1_EchoResponse

enum EchoMethods {
    static let get = MethodDescriptor(service: "dh.echo.v1.Echo", method: "Get", kind: .unary)
    static let collect = MethodDescriptor(service: "dh.echo.v1.Echo", method: "Collect", kind: .clientStreaming)
    static let expand = MethodDescriptor(service: "dh.echo.v1.Echo", method: "Expand", kind: .serverStreaming)
    static let update = MethodDescriptor(service: "dh.echo.v1.Echo", method: "Update", kind: .bidirectionalStreaming)
}

/// Events reported by the test service, so tests wait on them instead of on time.
final class Events: Sendable {
    private let stream: AsyncStream<String>
    private let input: AsyncStream<String>.Continuation

    init() { (stream, input) = AsyncStream.makeStream() }
    func report(_ event: String) { input.yield(event) }

    /// The next event that satisfies `matching` (events before it are dropped).
    func next(where matching: (String) -> Bool = { _ in true }) async -> String? {
        for await event in stream where matching(event) { return event }
        return nil
    }
}

final class Counter: Sendable {
    let value = Mutex<Int>(0)
}

/// A gate a handler waits at until the test opens it.
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { continuation in
            let proceed = state.withLock { state -> Bool in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if proceed { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// The Echo service of the call tests, plus a gate and a count of streamed responses.
struct EchoService: RPCService {
    let events: Events
    let gate: Gate
    /// Responses a server-streaming handler has handed to its writer.
    let written = Counter()

    func respond(_ request: Request, context: ServerContext) async throws -> Response {
        if request.text == "gate" {
            events.report("entered")
            await gate.wait()
        }
        if request.delayMs > 0 {
            if request.text == "sleep" { events.report("entered") }
            do {
                try await Task.sleep(for: .milliseconds(Int(request.delayMs)))
            } catch {
                events.report("cancelled")
                throw error
            }
        }
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

    func register(with router: inout RPCRouter) {
        router.registerUnary(EchoMethods.get) { (request: Request, context) in
            try await respond(request, context: context)
        }
        router.registerClientStreaming(EchoMethods.collect) { (requests: RPCAsyncSequence<Request>, context) in
            var count: Int64 = 0
            var bytes = 0
            var last = ""
            for try await request in requests {
                count += 1
                bytes += request.payload.count
                last = request.text
            }
            var response = Response()
            response.text = "\(last) \(bytes)"
            response.sequence = count
            return response
        }
        router.registerServerStreaming(EchoMethods.expand) {
            (request: Request, responses: RPCWriter<Response>, context) in
            do {
                for index in 0..<request.sequence {
                    var response = Response()
                    response.sequence = index
                    response.payload = request.payload
                    try await responses.write(response)
                    written.value.withLock { $0 += 1 }
                    try Task.checkCancellation()
                }
            } catch {
                if Task.isCancelled { events.report("cancelled") }
                throw error
            }
        }
        router.registerBidirectionalStreaming(EchoMethods.update) {
            (requests: RPCAsyncSequence<Request>, responses: RPCWriter<Response>, context) in
            for try await request in requests {
                try await responses.write(try await respond(request, context: context))
            }
        }
    }
}

/// Records request metadata, as a logging interceptor would.
final class MetadataRecorder: ServerInterceptor {
    let seen = Mutex<[Metadata]>([])

    func intercept(_ context: ServerContext, next: @Sendable (ServerContext) async throws -> Void) async throws {
        seen.withLock { $0.append(context.requestMetadata) }
        try await next(context)
    }
}

func request(_ text: String, sequence: Int64 = 0, delayMs: Int32 = 0, fail: Int32 = 0, payload: Int = 0) -> Request {
    var request = Request()
    request.text = text
    request.sequence = sequence
    request.delayMs = delayMs
    request.failWithCode = fail
    request.payload = [UInt8](repeating: 0xA5, count: payload)
    return request
}

func expectStatus(
    _ code: RPCStatus.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void
) async {
    do {
        try await body()
        Issue.record("expected \(code), the call succeeded", sourceLocation: sourceLocation)
    } catch let error as RPCError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected RPCError \(code), got \(error)", sourceLocation: sourceLocation)
    }
}

/// Fails the test instead of hanging when `body` takes far longer than it should.
func withTimeLimit<Result: Sendable>(
    _ limit: Duration = .seconds(60), sourceLocation: SourceLocation = #_sourceLocation,
    _ body: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    try await withThrowingTaskGroup(of: Result?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let result = first else {
            Issue.record("the test did not finish within \(limit)", sourceLocation: sourceLocation)
            throw CancellationError()
        }
        return result
    }
}

/// A development PKI written to a temporary directory by the test run, with TLS contexts.
final class TransportPKI: Sendable {
    let directory: URL
    let pki: DevelopmentPKI
    let now = Date()
    let day: TimeInterval = 86_400
    let revoked: IssuedCertificate
    let crlPath: String

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("dh-transport-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        pki = try DevelopmentPKI.make()
        for file in pki.files {
            let url = directory.appendingPathComponent(file.name)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try file.contents.write(to: url, atomically: true, encoding: .utf8)
        }
        let identity = try PeerIdentity(organization: "1312345678", role: .gateway, id: "gw-revoked")
        revoked = try pki.authority.issueWithNewKey(
            .client(identity: identity, notBefore: now - 300, notAfter: now + day))
        let crl = try pki.authority.revoking(
            [revoked.certificate.serialNumber], in: pki.revocationList, at: now - 60, nextUpdate: now + day)
        crlPath = directory.appendingPathComponent("revoked.crl.pem").path
        try crl.pemString.write(toFile: crlPath, atomically: true, encoding: .utf8)
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func serverContext(requirePeerIdentity: Bool = true) throws -> TLSContext {
        var configuration = TLSConfiguration.server(
            certificateChain: .file(path("server.crt.pem")), privateKey: .file(path("server.key.pem")),
            trustRoots: [.file(path("ca.crt.pem"))], revocationLists: [.file(crlPath)])
        configuration.requirePeerIdentity = requirePeerIdentity
        return try TLSContext(configuration: configuration)
    }

    /// A client presenting `certificate` (by default the development gateway's).
    func clientContext(
        _ certificate: IssuedCertificate? = nil, trustRoots: [TLSConfiguration.Material]? = nil,
        change: (inout TLSConfiguration) -> Void = { _ in }, customize: (OpaquePointer) -> Void = { _ in }
    ) throws -> TLSContext {
        let pair = certificate ?? pki.clients[.gateway]!
        var configuration = TLSConfiguration.client(
            certificateChain: .pem(pair.certificate.pemString), privateKey: .pem(pair.privateKey.pemString),
            trustRoots: trustRoots ?? [.file(path("ca.crt.pem"))])
        change(&configuration)
        return try TLSContext(configuration: configuration, customize: customize)
    }

    var gatewayURI: String { (try? pki.clients[.gateway]!.certificate.peerIdentity().uri) ?? "" }
}

/// A client transport with quick reconnects, for tests.
func makeClient(
    port: Int, tls: TLSContext, observer: TransportObserver? = nil,
    change: (inout TLSClientTransport.Configuration) -> Void = { _ in }
) -> TLSClientTransport {
    var configuration = TLSClientTransport.Configuration()
    configuration.initialBackoff = .milliseconds(20)
    configuration.maximumBackoff = .milliseconds(200)
    configuration.observer = observer
    change(&configuration)
    return TLSClientTransport(host: "127.0.0.1", port: port, tls: tls, configuration: configuration)
}

/// A server on loopback with the Echo service, serving while `body` runs.
struct RunningServer: Sendable {
    let transport: TLSServerTransport
    let port: Int
    let events: Events
    let gate: Gate
    let service: EchoService
    let pki: TransportPKI

    /// A call with a good client on a fresh connection: the server still serves.
    func expectServing(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let client = makeClient(port: port, tls: try pki.clientContext())
        defer { Task { await client.close() } }
        let response: Response = try await RPCClient(transport: client).unary(
            EchoMethods.get, request: request("still serving"), options: CallOptions(timeout: .seconds(20)))
        #expect(response.text == "still serving", sourceLocation: sourceLocation)
    }
}

/// A server configuration on 127.0.0.1, any port, changed by `change`.
func serverConfiguration(
    _ change: (inout TLSServerTransport.Configuration) -> Void = { _ in }
) -> TLSServerTransport.Configuration {
    var configuration = TLSServerTransport.Configuration(host: "127.0.0.1", port: 0)
    change(&configuration)
    return configuration
}

/// Request metadata naming a call: when the server is done with it (whether or not its
/// handler ran), `Events` gets "ended <name>".
let callNameKey = "test-call"

func withServer<Result: Sendable>(
    pki: TransportPKI? = nil, interceptors: [any ServerInterceptor] = [], requirePeerIdentity: Bool = true,
    configuration: TLSServerTransport.Configuration = serverConfiguration(),
    _ body: @escaping @Sendable (RunningServer) async throws -> Result
) async throws -> Result {
    let pki = try pki ?? TransportPKI()
    let transport = TLSServerTransport(
        tls: try pki.serverContext(requirePeerIdentity: requirePeerIdentity), configuration: configuration)
    let events = Events()
    let gate = Gate()
    let service = EchoService(events: events, gate: gate)
    let server = RPCServer(services: [service], interceptors: interceptors)
    return try await withTimeLimit {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await transport.serve { stream in
                    await server.handle(stream)
                    if let name = stream.info.requestMetadata.firstString(forKey: callNameKey) {
                        events.report("ended \(name)")
                    }
                }
            }
            defer { transport.beginGracefulShutdown() }
            let port = try await transport.listeningPort()
            return try await body(
                RunningServer(transport: transport, port: port, events: events, gate: gate, service: service, pki: pki))
        }
    }
}

/// The largest values an observer saw.
final class BufferHighWater: Sendable {
    let inbound = Mutex<Int>(0)
    let outbound = Mutex<Int>(0)
    let parked: AsyncStream<Int>
    private let parkedInput: AsyncStream<Int>.Continuation

    init() { (parked, parkedInput) = AsyncStream.makeStream() }

    var observer: TransportObserver {
        { event in
            switch event {
            case .messageReceived(_, let bytes):
                self.inbound.withLock { $0 = max($0, bytes) }
            case .writeParked(_, let bytes):
                self.outbound.withLock { $0 = max($0, bytes) }
                self.parkedInput.yield(bytes)
            }
        }
    }
}

/// Raw SSL_CTX changes for clients DataHealth would never be.
enum RawPeer {
    static func tls12Only(_ context: OpaquePointer) {
        _ = dh_ssl_ctx_set_min_proto_version(context, TLS1_2_VERSION)
        _ = dh_ssl_ctx_set_max_proto_version(context, TLS1_2_VERSION)
    }

    static func noCertificate(_ context: OpaquePointer) {
        SSL_CTX_set_cert_cb(
            context,
            { ssl, _ in
                SSL_certs_clear(ssl)
                return 1
            }, nil)
    }
}

/// What a raw TLS client sees.
enum RawEvent: Sendable {
    case handshake
    case data([UInt8])
    case closed
}

/// Passes plaintext and the handshake to an AsyncStream.
final class RawCollector: ChannelInboundHandler {
    typealias InboundIn = [UInt8]
    let input: AsyncStream<RawEvent>.Continuation

    init(input: AsyncStream<RawEvent>.Continuation) { self.input = input }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is TLSHandshakeCompleted { input.yield(.handshake) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        input.yield(.data(unwrapInboundIn(data)))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        input.yield(.closed)
        input.finish()
    }
}

/// A TLS client that sends whatever bytes a test gives it, after a real handshake.
struct RawClient {
    let channel: any Channel
    let events: AsyncStream<RawEvent>

    static func connect(port: Int, tls: TLSContext) async throws -> RawClient {
        let (events, input) = AsyncStream<RawEvent>.makeStream()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let connection = try TLSConnection(context: tls, serverName: "127.0.0.1")
                    try channel.pipeline.syncOperations.addHandlers([
                        TLSHandler(connection: connection, handshakeTimeout: .seconds(10)),
                        RawCollector(input: input),
                    ])
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RawClient(channel: channel, events: events)
    }

    func send(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(bytes)
    }
}

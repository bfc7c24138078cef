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

@Suite("TLS transport: calls over mutual TLS 1.3 on loopback")
struct TransportCallTests {
    @Test("the four call kinds, with metadata and the caller's verified identity")
    func fourKinds() async throws {
        let recorder = MetadataRecorder()
        try await withServer(interceptors: [recorder]) { server in
            let transport = makeClient(port: server.port, tls: try server.pki.clientContext())
            let client = RPCClient(transport: transport)
            var metadata = Metadata()
            metadata.addString("42", forKey: "x-request-id")
            metadata.addBinary([0x00, 0xFF], forKey: "trace-bin")
            let unary: Response = try await client.unary(
                EchoMethods.get, request: request("診療情報", sequence: 7),
                options: CallOptions(timeout: .seconds(30), metadata: metadata))
            #expect(unary.text == "診療情報")
            #expect(unary.sequence == 7)
            #expect(unary.peer == server.pki.gatewayURI)
            #expect(recorder.seen.withLock { $0.first } == metadata)

            let collected: Response = try await client.clientStreaming(EchoMethods.collect) { writer in
                for index in 0..<100 { try await writer.write(request("c\(index)", payload: 10)) }
            }
            #expect(collected.sequence == 100)
            #expect(collected.text == "c99 1000")

            let sequences = try await client.serverStreaming(EchoMethods.expand, request: request("e", sequence: 25)) {
                (responses: RPCAsyncSequence<Response>) in
                try await responses.reduce(into: [Int64]()) { $0.append($1.sequence) }
            }
            #expect(sequences == Array(0..<25))

            let texts = try await client.bidirectionalStreaming(EchoMethods.update) { (writer: RPCWriter<Request>) in
                for index in 0..<50 { try await writer.write(request("b\(index)", sequence: Int64(index))) }
            } responses: { (responses: RPCAsyncSequence<Response>) in
                try await responses.reduce(into: [String]()) { $0.append($1.text) }
            }
            #expect(texts == (0..<50).map { "b\($0)" })

            await expectStatus(.notFound) {
                let _: Response = try await client.unary(EchoMethods.get, request: request("x", fail: 5))
            }
            #expect(server.transport.connectionCount == 1)
            await transport.close()
        }
    }

    @Test("200 concurrent unary calls share one connection (more than the server's stream limit)")
    func concurrentUnary() async throws {
        try await withServer { server in
            let transport = makeClient(port: server.port, tls: try server.pki.clientContext())
            let client = RPCClient(transport: transport)
            let texts = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        let response: Response = try await client.unary(
                            EchoMethods.get, request: request("u\(index)", sequence: Int64(index)))
                        #expect(response.sequence == Int64(index))
                        return response.text
                    }
                }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(texts == Set((0..<200).map { "u\($0)" }))
            #expect(server.transport.connectionCount == 1)
            await transport.close()
        }
    }

    @Test("an unknown method is UNIMPLEMENTED; the connection goes on")
    func unknownMethod() async throws {
        try await withServer { server in
            let transport = makeClient(port: server.port, tls: try server.pki.clientContext())
            let client = RPCClient(transport: transport)
            await expectStatus(.unimplemented) {
                let missing = MethodDescriptor(service: "dh.echo.v1.Echo", method: "Missing", kind: .unary)
                let _: Response = try await client.unary(missing, request: request("x"))
            }
            let response: Response = try await client.unary(EchoMethods.get, request: request("after"))
            #expect(response.text == "after")
            await transport.close()
        }
    }

    @Test("a message above the server's MAX_MESSAGE_SIZE is RESOURCE_EXHAUSTED; the connection goes on")
    func oversizedMessage() async throws {
        let configuration = serverConfiguration { $0.connection.maxMessageSize = 32 * 1024 }
        try await withServer(configuration: configuration) { server in
            let transport = makeClient(port: server.port, tls: try server.pki.clientContext())
            let client = RPCClient(transport: transport)
            await expectStatus(.resourceExhausted) {
                let _: Response = try await client.unary(EchoMethods.get, request: request("big", payload: 40 * 1024))
            }
            let response: Response = try await client.unary(EchoMethods.get, request: request("small", payload: 1024))
            #expect(response.payload.count == 1024)
            await transport.close()
        }
    }

    @Test("a missed deadline is DEADLINE_EXCEEDED and the handler is cancelled")
    func deadline() async throws {
        try await withServer { server in
            let transport = makeClient(port: server.port, tls: try server.pki.clientContext())
            // Connect first, so the deadline covers only the call.
            let _: Response = try await RPCClient(transport: transport).unary(EchoMethods.get, request: request("warm"))
            // On a loaded machine the deadline can pass before the server starts the handler,
            // which it then never runs. Each attempt doubles the deadline until one starts the
            // handler; that handler must then be cancelled.
            var handlerRan = false
            for (attempt, seconds) in [2, 4, 8, 16].enumerated() where !handlerRan {
                var options = CallOptions(timeout: .seconds(seconds))
                options.metadata.addString("\(attempt)", forKey: callNameKey)
                await expectStatus(.deadlineExceeded) {
                    let _: Response = try await RPCClient(transport: transport).unary(
                        EchoMethods.get, request: request("sleep", delayMs: 600_000), options: options)
                }
                var seen: [String] = []
                while seen.last != "ended \(attempt)", let event = await server.events.next() { seen.append(event) }
                #expect(seen == ["ended \(attempt)"] || seen == ["entered", "cancelled", "ended \(attempt)"])
                handlerRan = seen.first == "entered"
            }
            #expect(handlerRan)
            await transport.close()
        }
    }

    @Test("a client that stops reading cancels the call on the server")
    func clientStopsReading() async throws {
        try await withServer { server in
            let transport = makeClient(port: server.port, tls: try server.pki.clientContext())
            let firstThree = try await RPCClient(transport: transport).serverStreaming(
                EchoMethods.expand, request: request("many", sequence: 1_000_000)
            ) { (responses: RPCAsyncSequence<Response>) in
                var taken: [Int64] = []
                for try await response in responses {
                    taken.append(response.sequence)
                    if taken.count == 3 { break }
                }
                return taken
            }
            #expect(firstThree == [0, 1, 2])
            #expect(await server.events.next(where: { $0 == "cancelled" }) == "cancelled")
            await transport.close()
        }
    }

    @Test("a client vanishing mid-stream: the handler is cancelled and the client sees UNAVAILABLE")
    func clientVanishes() async throws {
        try await withServer { server in
            let transport = makeClient(port: server.port, tls: try server.pki.clientContext())
            await expectStatus(.unavailable) {
                _ = try await RPCClient(transport: transport).serverStreaming(
                    EchoMethods.expand, request: request("many", sequence: 1_000_000)
                ) { (responses: RPCAsyncSequence<Response>) in
                    var count = 0
                    for try await _ in responses {
                        count += 1
                        // The connection goes away while the server is still streaming.
                        if count == 3 { await transport.close() }
                    }
                    return count
                }
            }
            #expect(await server.events.next(where: { $0 == "cancelled" }) == "cancelled")
            try await server.expectServing()
        }
    }

    @Test("a call opens with its first read when nothing was written yet, and the read then gets the responses")
    func openedByRead() async throws {
        let recorder = MetadataRecorder()
        try await withServer(interceptors: [recorder]) { server in
            let transport = makeClient(port: server.port, tls: try server.pki.clientContext())
            let texts: [String] = try await transport.withStream(method: EchoMethods.update, options: CallOptions()) {
                stream in
                try await withThrowingTaskGroup(of: [String].self) { group in
                    group.addTask {
                        var texts: [String] = []
                        for try await part in stream.responses {
                            if case .message(let bytes) = part {
                                texts.append(try Response(serializedBytes: bytes).text)
                            }
                        }
                        return texts
                    }
                    // The server sees the call although nothing was written: the read opened it.
                    let clock = ContinuousClock()
                    let start = clock.now
                    while recorder.seen.withLock({ $0.isEmpty }) {
                        guard clock.now - start < .seconds(20) else {
                            Issue.record("the read did not open the call")
                            group.cancelAll()
                            return []
                        }
                        try await Task.sleep(for: .milliseconds(5))
                    }
                    try await stream.requests.write(request("after the read").serializedBytes())
                    try await stream.finishRequests()
                    return try await group.next() ?? []
                }
            }
            #expect(texts == ["after the read"])
            await transport.close()
        }
    }

    @Test("a call left before it wrote or read anything never reaches the server; the connection goes on")
    func abandonedBeforeOpening() async throws {
        let recorder = MetadataRecorder()
        try await withServer(interceptors: [recorder]) { server in
            let transport = makeClient(port: server.port, tls: try server.pki.clientContext())
            let client = RPCClient(transport: transport)
            // The connection is up first, so an opened call would surely reach the server.
            let first: Response = try await client.unary(EchoMethods.get, request: request("first"))
            #expect(first.text == "first")
            struct Abandoned: Error {}
            await #expect(throws: Abandoned.self) {
                try await transport.withStream(method: EchoMethods.get, options: CallOptions()) { _ in
                    throw Abandoned()
                }
            }
            let second: Response = try await client.unary(EchoMethods.get, request: request("second"))
            #expect(second.text == "second")
            // The interceptor saw the two unary calls and nothing between them.
            #expect(recorder.seen.withLock { $0.count } == 2)
            #expect(server.transport.connectionCount == 1)
            await transport.close()
        }
    }

    @Test("cancelling the calling task is CANCELLED on the client and cancels the handler")
    func taskCancellation() async throws {
        try await withServer { server in
            let transport = makeClient(port: server.port, tls: try server.pki.clientContext())
            let call = Task {
                let _: Response = try await RPCClient(transport: transport).unary(
                    EchoMethods.get, request: request("sleep", delayMs: 600_000))
            }
            #expect(await server.events.next() == "entered")
            call.cancel()
            await expectStatus(.cancelled) { try await call.value }
            #expect(await server.events.next(where: { $0 == "cancelled" }) == "cancelled")
            await transport.close()
        }
    }
}

@Suite("TLS transport: flow control keeps memory bounded")
struct TransportFlowControlTests {
    static let bound = 64 * 1024 + 2 * 1024

    @Test("a client stream of 10,000 × 1 KiB: neither side buffers more than a window")
    func largeClientStream() async throws {
        let serverMarks = BufferHighWater()
        let clientMarks = BufferHighWater()
        let configuration = serverConfiguration { $0.observer = serverMarks.observer }
        try await withServer(configuration: configuration) { server in
            let transport = makeClient(
                port: server.port, tls: try server.pki.clientContext(), observer: clientMarks.observer)
            let response: Response = try await RPCClient(transport: transport).clientStreaming(EchoMethods.collect) {
                writer in
                for index in 0..<10_000 { try await writer.write(request("m\(index)", payload: 1024)) }
            }
            #expect(response.sequence == 10_000)
            #expect(response.text == "m9999 \(10_000 * 1024)")
            await transport.close()
        }
        let inbound = serverMarks.inbound.withLock { $0 }
        let outbound = clientMarks.outbound.withLock { $0 }
        #expect(inbound > 0 && inbound <= Self.bound, "server held \(inbound) bytes")
        #expect(outbound <= 2 * Self.bound, "client queued \(outbound) bytes")
    }

    @Test("a slow reader: the server's writer waits for credit and nothing buffers beyond a window")
    func slowReader() async throws {
        let serverMarks = BufferHighWater()
        let clientMarks = BufferHighWater()
        let total = 2_000
        let configuration = serverConfiguration { $0.observer = serverMarks.observer }
        try await withServer(configuration: configuration) { server in
            let transport = makeClient(
                port: server.port, tls: try server.pki.clientContext(), observer: clientMarks.observer)
            let received = try await RPCClient(transport: transport).serverStreaming(
                EchoMethods.expand, request: request("s", sequence: Int64(total), payload: 1024)
            ) { (responses: RPCAsyncSequence<Response>) in
                var iterator = responses.makeAsyncIterator()
                guard let first = try await iterator.next() else { return 0 }
                #expect(first.sequence == 0)
                // The client stops reading until the server's writer has to wait for credit.
                var parked = serverMarks.parked.makeAsyncIterator()
                let parkedWith = await parked.next()
                #expect(parkedWith != nil)
                let writtenWhenParked = server.service.written.value.withLock { $0 }
                // Three windows' worth: the client's stream window, the server's outbound limit in
                // the state machine, and the same limit for what the handler wrote ahead.
                #expect(writtenWhenParked < 3 * Self.bound / 1024 + 8, "\(writtenWhenParked) written")
                var count = 1
                while let response = try await iterator.next() {
                    #expect(response.sequence == Int64(count))
                    count += 1
                }
                return count
            }
            #expect(received == total)
            await transport.close()
        }
        let inbound = clientMarks.inbound.withLock { $0 }
        let outbound = serverMarks.outbound.withLock { $0 }
        #expect(inbound > 0 && inbound <= Self.bound, "client held \(inbound) bytes")
        #expect(outbound > 0 && outbound <= 2 * Self.bound, "server queued \(outbound) bytes")
    }
}

@Suite("TLS transport: shutdown, reconnects and limits")
struct TransportLifecycleTests {
    @Test("graceful shutdown: the call in flight finishes, new calls are UNAVAILABLE, serve returns")
    func gracefulShutdown() async throws {
        let pki = try TransportPKI()
        let events = Events()
        let gate = Gate()
        let transport = TLSServerTransport(tls: try pki.serverContext())
        let server = RPCServer(services: [EchoService(events: events, gate: gate)])
        try await withTimeLimit {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await server.serve(on: transport) }
                let port = try await transport.listeningPort()
                let client = makeClient(port: port, tls: try pki.clientContext())
                group.addTask {
                    let response: Response = try await RPCClient(transport: client).unary(
                        EchoMethods.get, request: request("gate"))
                    #expect(response.text == "gate")
                }
                #expect(await events.next() == "entered")
                // Once every connection has taken the shutdown in, a new call is refused.
                await transport.beginGracefulShutdownAndWait()
                await expectStatus(.unavailable) {
                    let _: Response = try await RPCClient(transport: client).unary(
                        EchoMethods.get, request: request("late"))
                }
                let fresh = makeClient(port: port, tls: try pki.clientContext())
                await expectStatus(.unavailable) {
                    let _: Response = try await RPCClient(transport: fresh).unary(
                        EchoMethods.get, request: request("new connection"))
                }
                gate.open()
                // The call in flight ends OK, then serve returns.
                try await group.waitForAll()
                #expect(transport.connectionCount == 0)
                await client.close()
                await fresh.close()
            }
        }
    }

    @Test("server gone: UNAVAILABLE, then the client reconnects to a new server on the same port")
    func reconnect() async throws {
        let pki = try TransportPKI()
        try await withTimeLimit {
            let first = TLSServerTransport(tls: try pki.serverContext())
            let server = RPCServer(services: [EchoService(events: Events(), gate: Gate())])
            let serving = Task { try await server.serve(on: first) }
            let port = try await first.listeningPort()
            let client = makeClient(port: port, tls: try pki.clientContext())
            let rpc = RPCClient(transport: client)
            let before: Response = try await rpc.unary(EchoMethods.get, request: request("before"))
            #expect(before.text == "before")

            first.beginGracefulShutdown()
            try await serving.value
            await expectStatus(.unavailable) {
                let _: Response = try await rpc.unary(EchoMethods.get, request: request("nobody"))
            }

            let second = TLSServerTransport(
                tls: try pki.serverContext(), configuration: .init(host: "127.0.0.1", port: port))
            let servingAgain = Task { try await server.serve(on: second) }
            #expect(try await second.listeningPort() == port)
            let after: Response = try await rpc.unary(
                EchoMethods.get, request: request("after"), options: CallOptions(timeout: .seconds(30)))
            #expect(after.text == "after")
            await client.close()
            second.beginGracefulShutdown()
            try await servingAgain.value
        }
    }

    @Test("no connection within the deadline is UNAVAILABLE")
    func nothingListening() async throws {
        let pki = try TransportPKI()
        // A port that was just free: bind, read it, close.
        let probe = TLSServerTransport(tls: try pki.serverContext())
        let serving = Task { try await probe.serve { _ in } }
        let port = try await probe.listeningPort()
        probe.beginGracefulShutdown()
        try await serving.value
        let client = makeClient(port: port, tls: try pki.clientContext())
        await expectStatus(.unavailable) {
            let _: Response = try await RPCClient(transport: client).unary(
                EchoMethods.get, request: request("x"), options: CallOptions(timeout: .milliseconds(300)))
        }
        await client.close()
    }

    @Test("connections above maxConnections are closed; the others are served")
    func maxConnections() async throws {
        let configuration = serverConfiguration { $0.maxConnections = 1 }
        try await withServer(configuration: configuration) { server in
            let first = makeClient(port: server.port, tls: try server.pki.clientContext())
            let response: Response = try await RPCClient(transport: first).unary(EchoMethods.get, request: request("1"))
            #expect(response.text == "1")
            let second = makeClient(port: server.port, tls: try server.pki.clientContext())
            await expectStatus(.unavailable) {
                let _: Response = try await RPCClient(transport: second).unary(EchoMethods.get, request: request("2"))
            }
            await first.close()
            await second.close()
        }
    }
}

@Suite("TLS transport: timeouts")
struct TransportTimeoutTests {
    @Test("a client that never starts its TLS handshake is closed after the handshake timeout")
    func handshakeTimeout() async throws {
        let configuration = serverConfiguration { $0.handshakeTimeout = .milliseconds(200) }
        try await withServer(configuration: configuration) { server in
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: server.port).get()
            // The server closes the connection; nothing here closes it.
            try await channel.closeFuture.get()
            try await server.expectServing()
        }
    }

    @Test("a connection without calls is closed after the idle timeout with GOAWAY NO_ERROR \"idle\"")
    func idleTimeout() async throws {
        let configuration = serverConfiguration { $0.connection.idleTimeout = .milliseconds(200) }
        try await withServer(configuration: configuration) { server in
            let frame = try await TransportBadInputTests().goaway(
                after: try FrameEncoder.encode(.settingsAck), server: server)
            guard case .goaway(_, let code, let reason) = frame else {
                Issue.record("no GOAWAY: \(String(describing: frame))")
                return
            }
            #expect(code == .noError)
            #expect(reason == "idle")
        }
    }
}

@Suite("TLS transport: bad clients at the socket level")
struct TransportBadInputTests {
    enum BadClient: String, CaseIterable, Sendable {
        case noCertificate, unknownCA, expired, revoked, tls12, wrongALPN
    }

    @Test(
        "a refused TLS client gets UNAVAILABLE naming the reason, and the server keeps serving",
        arguments: BadClient.allCases)
    func badTLSClient(_ bad: BadClient) async throws {
        try await withServer { server in
            let pki = server.pki
            let context: TLSContext
            let reason: String
            switch bad {
            case .noCertificate:
                context = try pki.clientContext(customize: RawPeer.noCertificate)
                reason = "noClientCertificate"
            case .unknownCA:
                let other = try DevelopmentPKI.make()
                context = try pki.clientContext(other.clients[.gateway]!)
                reason = "unknownCA"
            case .expired:
                let identity = try PeerIdentity(organization: "1312345678", role: .gateway, id: "gw-old")
                let expired = try pki.pki.authority.issueWithNewKey(
                    .client(identity: identity, notBefore: pki.now - 2 * pki.day, notAfter: pki.now - pki.day))
                context = try pki.clientContext(expired)
                reason = "expired"
            case .revoked:
                context = try pki.clientContext(pki.revoked)
                reason = "revoked"
            case .tls12:
                context = try pki.clientContext(customize: RawPeer.tls12Only)
                reason = "protocolVersion"
            case .wrongALPN:
                context = try pki.clientContext(change: { $0.applicationProtocols = ["h2"] })
                reason = "noALPNMatch"
            }
            let client = makeClient(port: server.port, tls: context)
            do {
                let _: Response = try await RPCClient(transport: client).unary(EchoMethods.get, request: request("x"))
                Issue.record("\(bad): the call succeeded")
            } catch let error as RPCError {
                #expect(error.code == .unavailable, "\(bad): \(error)")
                #expect(error.message.contains(reason), "\(bad): \(error)")
            }
            await client.close()
            try await server.expectServing()
        }
    }

    @Test("no identity, no call: a certificate without a dh:// identity gets no call even if TLS lets it through")
    func noIdentity() async throws {
        try await withServer(requirePeerIdentity: false) { server in
            let pki = server.pki
            var profile = CertificateProfile.client(
                identity: try PeerIdentity(organization: "1312345678", role: .gateway, id: "gw-x"),
                notBefore: pki.now - 300, notAfter: pki.now + pki.day)
            profile.subjectAlternativeNames.uris = ["https://example.org/gw-x"]
            let anonymous = try pki.pki.authority.issueWithNewKey(profile)
            let client = makeClient(port: server.port, tls: try pki.clientContext(anonymous))
            do {
                let _: Response = try await RPCClient(transport: client).unary(EchoMethods.get, request: request("x"))
                Issue.record("a caller without identity was served")
            } catch let error as RPCError {
                #expect(error.code == .unavailable, "\(error)")
            }
            await client.close()
            try await server.expectServing()
        }
    }

    /// Connects with a good certificate, sends SETTINGS and then `bytes`; returns the GOAWAY the
    /// server answers with, once the server closed the connection.
    func goaway(after bytes: [UInt8], server: RunningServer) async throws -> Frame? {
        let raw = try await RawClient.connect(port: server.port, tls: try server.pki.clientContext())
        var decoder = FrameDecoder(maxFrameSize: FrameLayout.hardMaxFrameSize)
        var goaway: Frame?
        var sent = false
        for await event in raw.events {
            switch event {
            case .handshake:
                guard !sent else { continue }
                sent = true
                // The server may have closed already (the idle test): its GOAWAY still arrives.
                try? await raw.send(try FrameEncoder.encode(.settings([])) + bytes)
            case .data(let data):
                decoder.append(data)
                while let frame = try decoder.next() {
                    if case .goaway = frame { goaway = frame }
                }
            case .closed:
                break
            }
        }
        return goaway
    }

    @Test("garbage bytes after the handshake: GOAWAY PROTOCOL_ERROR, connection closed; the server keeps serving")
    func garbage() async throws {
        try await withServer { server in
            let garbage: [UInt8] = [0x00, 0x00, 0x00, 0x04, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0xDE, 0xAD, 0xBE, 0xEF]
            let frame = try await goaway(after: garbage, server: server)
            guard case .goaway(_, let code, _) = frame else {
                Issue.record("no GOAWAY: \(String(describing: frame))")
                return
            }
            #expect(code == .protocolError)
            try await server.expectServing()
        }
    }

    @Test("an oversized frame: GOAWAY FRAME_TOO_LARGE, connection closed; the server keeps serving")
    func oversizedFrame() async throws {
        try await withServer { server in
            // A MESSAGE header announcing 1 MiB on stream 1, above the 16 KiB MAX_FRAME_SIZE.
            let header: [UInt8] = [0x00, 0x10, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]
            let frame = try await goaway(after: header, server: server)
            guard case .goaway(_, let code, _) = frame else {
                Issue.record("no GOAWAY: \(String(describing: frame))")
                return
            }
            #expect(code == .frameTooLarge)
            #expect(code.callStatusCode == .resourceExhausted)
            try await server.expectServing()
        }
    }
}

/// Records whether each call's handler ran on an event loop thread.
final class ExecutionRecorder: ServerInterceptor {
    let onEventLoop = Mutex<[Bool]>([])

    func intercept(_ context: ServerContext, next: @Sendable (ServerContext) async throws -> Void) async throws {
        onEventLoop.withLock { $0.append(MultiThreadedEventLoopGroup.currentEventLoop != nil) }
        try await next(context)
        onEventLoop.withLock { $0.append(MultiThreadedEventLoopGroup.currentEventLoop != nil) }
    }
}

@Suite("TLS transport: where handlers and callers run")
struct TransportExecutionTests {
    @Test(
        "handlers run on their connection's event loop or on the global executor, as configured",
        arguments: [TLSServerTransport.HandlerExecution.connectionEventLoop, .globalExecutor])
    func handlerExecution(_ execution: TLSServerTransport.HandlerExecution) async throws {
        let recorder = ExecutionRecorder()
        try await withServer(
            interceptors: [recorder], configuration: serverConfiguration { $0.handlerExecution = execution }
        ) { server in
            let transport = makeClient(port: server.port, tls: try server.pki.clientContext())
            let client = RPCClient(transport: transport)
            for index in 0..<20 {
                let response: Response = try await client.unary(
                    EchoMethods.get,
                    request: request("h\(index)", sequence: Int64(index), delayMs: index % 2 == 0 ? 0 : 1))
                #expect(response.sequence == Int64(index))
            }
            let collected: Response = try await client.clientStreaming(EchoMethods.collect) { writer in
                for index in 0..<100 { try await writer.write(request("c\(index)", payload: 100)) }
            }
            #expect(collected.sequence == 100)
            let seen = recorder.onEventLoop.withLock { $0 }
            #expect(seen.count == 42)
            // Before and after the handler's awaits (a sleep, a stream of requests).
            #expect(seen.allSatisfy { $0 == (execution == .connectionEventLoop) })
            await transport.close()
        }
    }

    @Test("a caller that prefers the client's executor makes its calls on the connection's event loop")
    func callerOnEventLoop() async throws {
        try await withServer { server in
            let transport = makeClient(port: server.port, tls: try server.pki.clientContext())
            let client = RPCClient(transport: transport)
            let results = try await withTaskExecutorPreference(transport.executor) {
                var results: [(sequence: Int64, onLoop: Bool)] = []
                for index in 0..<50 {
                    let response: Response = try await client.unary(
                        EchoMethods.get, request: request("l\(index)", sequence: Int64(index)))
                    results.append((response.sequence, MultiThreadedEventLoopGroup.currentEventLoop != nil))
                }
                let sequences = try await client.serverStreaming(
                    EchoMethods.expand, request: request("e", sequence: 25)
                ) { (responses: RPCAsyncSequence<Response>) in
                    try await responses.reduce(into: [Int64]()) { $0.append($1.sequence) }
                }
                #expect(sequences == Array(0..<25))
                return results
            }
            #expect(results.map(\.sequence) == Array(0..<50))
            #expect(results.allSatisfy { $0.onLoop })
            await transport.close()
        }
    }
}

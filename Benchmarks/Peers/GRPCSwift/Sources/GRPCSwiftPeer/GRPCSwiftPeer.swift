// grpc-swift-2 over HTTP/2 and mutual TLS on loopback: the peer of
// Benchmarks/Tools/TransportBenchmarks, measuring the same figures (a)-(d) in the same way and
// printing them in the same format. One process runs the server and the client, both on
// NIO's shared event loops.
//
//   GRPCSwiftPeer PKI_DIRECTORY [FOREIGN_PKI_DIRECTORY] [--quick]
//
// PKI_DIRECTORY is what `dh pki init` writes: ca.crt.pem, server.crt.pem, server.key.pem,
// clients/gateway.crt.pem and clients/gateway.key.pem. With FOREIGN_PKI_DIRECTORY (a second
// `dh pki init`), a client holding a certificate of that other authority must be refused too.

internal import Foundation
internal import GRPCCore
internal import GRPCNIOTransportHTTP2
internal import NIOCore
internal import NIOSSL
internal import Synchronization

#if canImport(Glibc)
internal import Glibc
#endif

struct PeerError: Error, CustomStringConvertible {
    let code: String
    let description: String
}

/// The mutual TLS settings of both ends. grpc-swift-nio-transport 2.9.2 sets the minimum TLS
/// version to 1.2 itself and offers no setting for it; both ends are BoringSSL (swift-nio-ssl),
/// which negotiates 1.3, and the benchmark refuses to run on anything else.
struct PKI {
    let directory: String

    func file(_ name: String) -> String { directory + "/" + name }

    var trustRoots: TLSConfig.TrustRootsSource {
        .certificates([.file(path: file("ca.crt.pem"), format: .pem)])
    }

    /// The server requires a client certificate and verifies it against the CA (not its name:
    /// a client's certificate names the client, not a host).
    var server: HTTP2ServerTransport.Posix.TransportSecurity {
        .mTLS(
            certificateChain: [.file(path: file("server.crt.pem"), format: .pem)],
            privateKey: .file(path: file("server.key.pem"), format: .pem)
        ) { config in
            config.clientCertificateVerification = .noHostnameVerification
            config.trustRoots = trustRoots
            config.requireALPN = true
        }
    }

    /// The client verifies the server's certificate against the CA and its name (the target is
    /// 127.0.0.1, which the server certificate carries as an IP address).
    func client(certificate name: String? = "gateway") -> HTTP2ClientTransport.Posix.TransportSecurity {
        guard let name else {
            return .tls { config in
                config.serverCertificateVerification = .fullVerification
                config.trustRoots = trustRoots
            }
        }
        return .mTLS(
            certificateChain: [.file(path: file("clients/\(name).crt.pem"), format: .pem)],
            privateKey: .file(path: file("clients/\(name).key.pem"), format: .pem)
        ) { config in
            config.serverCertificateVerification = .fullVerification
            config.trustRoots = trustRoots
        }
    }
}

/// A client with its connection task.
struct RunningClient: Sendable {
    let client: GRPCClient<HTTP2ClientTransport.Posix>
    let connections: Task<Void, any Error>

    var echo: EchoClient<HTTP2ClientTransport.Posix> { EchoClient(client: client) }

    init(
        port: Int, security: HTTP2ClientTransport.Posix.TransportSecurity,
        config: HTTP2ClientTransport.Posix.Config = .defaults
    ) throws {
        let transport = try HTTP2ClientTransport.Posix(
            target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: security, config: config)
        let client = GRPCClient(transport: transport)
        self.client = client
        self.connections = Task { try await client.runConnections() }
    }

    func close() async {
        client.beginGracefulShutdown()
        _ = try? await connections.value
    }
}

@main
enum GRPCSwiftPeer {
    static func main() async throws {
        // `main` is isolated to the main actor; the clients run as callers usually do, in tasks
        // on the global executor (as TransportBenchmarks' do).
        try await Task.detached { try await run() }.value
    }

    static func run() async throws {
        let arguments = CommandLine.arguments.dropFirst().filter { !$0.hasPrefix("--") }
        guard let directory = arguments.first else {
            throw PeerError(
                code: "usage", description: "usage: GRPCSwiftPeer PKI_DIRECTORY [FOREIGN_PKI_DIRECTORY] [--quick]")
        }
        let foreign = arguments.dropFirst().first.map(PKI.init(directory:))
        let quick = CommandLine.arguments.contains("--quick")
        let sequentialCalls = quick ? 2_000 : 20_000
        let concurrentCalls = quick ? 8_000 : 64_000
        let streamMessages = quick ? 10_000 : 50_000
        let pki = PKI(directory: directory)

        let accepted = Atomic<Int>(0)
        var serverConfig = HTTP2ServerTransport.Posix.Config.defaults
        serverConfig.channelDebuggingCallbacks.onAcceptTCPConnection = { channel in
            accepted.add(1, ordering: .relaxed)
            return channel.eventLoop.makeSucceededVoidFuture()
        }
        let transport = HTTP2ServerTransport.Posix(
            address: .ipv4(host: "127.0.0.1", port: 0), transportSecurity: pki.server, config: serverConfig)
        let server = GRPCServer(transport: transport, services: [EchoService()])
        let serving = Task { try await server.serve() }
        guard let port = try await transport.listeningAddress.ipv4?.port else {
            throw PeerError(code: "no-port", description: "the server listens on no IPv4 port")
        }

        // The client's connection, kept to read the TLS version it negotiated.
        let connection = Mutex<(any Channel)?>(nil)
        var clientConfig = HTTP2ClientTransport.Posix.Config.defaults
        clientConfig.channelDebuggingCallbacks.onCreateTCPConnection = { channel in
            connection.withLock { $0 = channel }
            return channel.eventLoop.makeSucceededVoidFuture()
        }
        let main = try RunningClient(port: port, security: pki.client(), config: clientConfig)
        let client = main.echo

        var message = EchoRequest()
        message.payload = Data(repeating: 0x5A, count: 1024)

        // Warm up: connection, TLS, allocator.
        for _ in 0..<500 { _ = try await client.get(message) }
        let version = try await connection.withLock { $0 }?.nioSSL_tlsVersion().get()
        guard version == .tlsv13, accepted.load(ordering: .relaxed) == 1 else {
            throw PeerError(
                code: "setup",
                description:
                    "expected one TLS 1.3 connection, have \(accepted.load(ordering: .relaxed)), \(String(describing: version))"
            )
        }
        print(
            "grpc-swift-2 2.4.3 over HTTP/2 and mutual TLS 1.3 (swift-nio-ssl), loopback, 1 KiB messages, one connection"
        )

        // (a) Sequential unary.
        var sequential = Latencies()
        sequential.samples.reserveCapacity(sequentialCalls)
        let clock = ContinuousClock()
        let sequentialStart = clock.now
        let sequentialCPU = cpuTime()
        for index in 0..<sequentialCalls {
            var request = message
            request.sequence = Int64(index)
            let start = clock.now
            _ = try await client.get(request)
            sequential.samples.append(clock.now - start)
        }
        let sequentialTime = clock.now - sequentialStart
        let sequentialCPUPerCall = (cpuTime() - sequentialCPU) / sequentialCalls
        print(
            "(a) sequential unary: \(sequentialCalls) calls, \(Int(Double(sequentialCalls) / seconds(sequentialTime))) calls/s, "
                + "p50 \(microseconds(sequential.percentile(0.5))), p99 \(microseconds(sequential.percentile(0.99))), "
                + "CPU \(microseconds(sequentialCPUPerCall)) per call (client and server)")

        // (b) 32 calls in flight.
        let inFlight = 32
        let perTask = concurrentCalls / inFlight
        let concurrentStart = clock.now
        let concurrentCPU = cpuTime()
        let concurrent = try await withThrowingTaskGroup(of: [Duration].self) { group in
            for _ in 0..<inFlight {
                group.addTask { [message] in
                    var samples: [Duration] = []
                    samples.reserveCapacity(perTask)
                    for _ in 0..<perTask {
                        let start = clock.now
                        _ = try await client.get(message)
                        samples.append(clock.now - start)
                    }
                    return samples
                }
            }
            var all = Latencies()
            for try await samples in group { all.samples += samples }
            return all
        }
        let concurrentTime = clock.now - concurrentStart
        let concurrentCPUPerCall = (cpuTime() - concurrentCPU) / (perTask * inFlight)
        print(
            "(b) unary, 32 in flight: \(perTask * inFlight) calls, "
                + "\(Int(Double(perTask * inFlight) / seconds(concurrentTime))) calls/s, "
                + "p50 \(microseconds(concurrent.percentile(0.5))), p99 \(microseconds(concurrent.percentile(0.99))), "
                + "CPU \(microseconds(concurrentCPUPerCall)) per call")

        // (c) Client streaming.
        let streamStart = clock.now
        let streamCPU = cpuTime()
        let summary = try await client.collect { [message] writer in
            for _ in 0..<streamMessages { try await writer.write(message) }
        }
        let streamTime = clock.now - streamStart
        precondition(summary.sequence == Int64(streamMessages))
        let rate = Double(streamMessages) / seconds(streamTime)
        let streamCPUPerMessage = (cpuTime() - streamCPU) / streamMessages
        print(
            "(c) client stream: \(streamMessages) × 1 KiB, \(Int(rate)) msgs/s, "
                + String(format: "%.1f MB/s", rate * 1024 / 1_000_000)
                + ", CPU \(microseconds(streamCPUPerMessage)) per message")

        // (d) Memory per idle connection: resident memory before and after opening idle
        // connections, each its own client made by one call. Client and server share this
        // process, so the figure holds both ends of each connection.
        let idleConnections = quick ? 50 : 200
        let acceptedBefore = accepted.load(ordering: .relaxed)
        let before = residentBytes()
        var idle: [RunningClient] = []
        for _ in 0..<idleConnections {
            let extra = try RunningClient(port: port, security: pki.client())
            _ = try await extra.echo.get(EchoRequest())
            idle.append(extra)
        }
        let after = residentBytes()
        precondition(accepted.load(ordering: .relaxed) - acceptedBefore >= idleConnections)
        print(
            "(d) idle connections: \(idleConnections), resident memory +\((after - before) / idleConnections / 1024) KiB "
                + "per connection (client and server ends together)")
        for extra in idle { await extra.close() }

        // The server must refuse a client without a certificate and, given another authority,
        // a client whose certificate that authority signed.
        var refusals = [("without a certificate", pki.client(certificate: nil))]
        if let foreign {
            refusals.append(
                (
                    "with another authority's certificate",
                    .mTLS(
                        certificateChain: [.file(path: foreign.file("clients/gateway.crt.pem"), format: .pem)],
                        privateKey: .file(path: foreign.file("clients/gateway.key.pem"), format: .pem)
                    ) { config in
                        config.serverCertificateVerification = .fullVerification
                        config.trustRoots = pki.trustRoots
                    }
                ))
        }
        for (name, security) in refusals {
            let intruder = try RunningClient(port: port, security: security)
            var options = CallOptions.defaults
            options.timeout = .seconds(5)
            let refused: Bool
            do {
                _ = try await intruder.echo.get(EchoRequest(), options: options)
                refused = false
            } catch {
                refused = true
            }
            await intruder.close()
            guard refused else { throw PeerError(code: "mtls", description: "a client \(name) was served") }
            print("mTLS: a client \(name) is refused")
        }

        await main.close()
        server.beginGracefulShutdown()
        try await serving.value
    }
}

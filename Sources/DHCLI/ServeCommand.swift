internal import ArgumentParser
internal import DHRPC
internal import DHTLS
internal import DHTransport
internal import Dispatch
internal import Foundation
internal import Synchronization

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// `dh serve`: the DataHealth server over mutual TLS 1.3 (docs/TRANSPORT.md).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the registered services over dh-rpc/1 with mutual TLS 1.3.",
        discussion: """
            TLS material comes from --cert, --key, --ca and --crl, or from a directory laid out
            as `dh pki init` writes it (--pki DIR: server.crt.pem, server.key.pem, ca.crt.pem,
            ca.crl.pem). Every client must present a certificate from a trusted CA with a
            dh://ORG/ROLE/ID identity. SIGINT or SIGTERM starts a graceful shutdown: calls in
            flight finish, new ones are refused; a second signal closes every connection at once.

            No service is registered yet: every call is answered UNIMPLEMENTED.

            Examples:
              dh serve --pki dev-pki --listen 127.0.0.1:7443
              dh serve --listen 0.0.0.0:7443 --cert server.crt.pem --key server.key.pem \\
                       --ca clients-ca.pem --crl clients-ca.crl.pem
            """)

    @Option(help: "The address to listen on, HOST:PORT (port 0: any free port).")
    var listen = "127.0.0.1:7443"

    @Option(help: "A directory laid out as `dh pki init` writes it.")
    var pki: String?

    @Option(help: "The server's certificate chain (PEM, leaf first).")
    var cert: String?

    @Option(help: "The server's private key (PEM).")
    var key: String?

    @Option(help: "A CA bundle client certificates must chain to (PEM; repeatable).")
    var ca: [String] = []

    @Option(help: "A certificate revocation list (PEM; repeatable).")
    var crl: [String] = []

    @Option(help: "The most connections open at once.")
    var maxConnections = 1024

    @Option(help: "The most concurrent calls per connection.")
    var maxConcurrentStreams = 100

    @Option(help: "The largest message accepted, in bytes.")
    var maxMessageSize = 4 * 1024 * 1024

    @Option(help: "Seconds allowed for a TLS handshake.")
    var handshakeTimeout = 10

    @Option(help: "Seconds after which a connection without calls is closed.")
    var idleTimeout = 300

    func validate() throws {
        guard (try? Self.parseListen(listen)) != nil else {
            throw ValidationError("--listen must be HOST:PORT, got '\(listen)'")
        }
        if pki == nil {
            guard cert != nil, key != nil, !ca.isEmpty else {
                throw ValidationError("give --pki DIR, or --cert, --key and at least one --ca")
            }
        }
    }

    static func parseListen(_ text: String) throws -> (host: String, port: Int) {
        guard let colon = text.lastIndex(of: ":") else { throw CLIError("no port in '\(text)'") }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port) else {
            throw CLIError("'\(text)' is not HOST:PORT")
        }
        return (host, port)
    }

    /// The TLS configuration from the flags or the PKI directory.
    func tlsConfiguration() -> TLSConfiguration {
        var certificate = cert
        var privateKey = key
        var trustRoots = ca
        var revocationLists = crl
        if let pki {
            let directory = URL(fileURLWithPath: pki)
            func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
            certificate = certificate ?? path("server.crt.pem")
            privateKey = privateKey ?? path("server.key.pem")
            if trustRoots.isEmpty { trustRoots = [path("ca.crt.pem")] }
            if revocationLists.isEmpty, FileManager.default.fileExists(atPath: path("ca.crl.pem")) {
                revocationLists = [path("ca.crl.pem")]
            }
        }
        return .server(
            certificateChain: .file(certificate ?? ""), privateKey: .file(privateKey ?? ""),
            trustRoots: trustRoots.map { .file($0) }, revocationLists: revocationLists.map { .file($0) })
    }

    func run() async throws {
        try await serve { line in
            print(line)
            fflush(nil)
        }
    }

    /// Serves until SIGINT or SIGTERM; `report` gets each status line (`dh serve: listening on
    /// HOST:PORT`, …).
    func serve(report: @escaping @Sendable (String) -> Void) async throws {
        let (host, port) = try Self.parseListen(listen)
        let context: TLSContext
        do {
            context = try TLSContext(configuration: tlsConfiguration())
        } catch {
            throw CLIError("cannot load the TLS material: \(error)")
        }
        var connection = RPCConnectionConfiguration.server
        connection.maxConcurrentStreams = maxConcurrentStreams
        connection.maxMessageSize = maxMessageSize
        connection.idleTimeout = idleTimeout > 0 ? .seconds(idleTimeout) : nil
        let transport = TLSServerTransport(
            tls: context,
            configuration: .init(
                host: host, port: port, connection: connection, maxConnections: maxConnections,
                handshakeTimeout: .seconds(max(handshakeTimeout, 1))))
        let server = RPCServer(services: [])

        let serving = Task { try await server.serve(on: transport) }
        let signals = SignalHandling(transport: transport, serving: serving, report: report)
        defer { signals.stop() }
        let address: SocketAddressText
        do {
            address = SocketAddressText(try await transport.listeningAddress())
        } catch {
            serving.cancel()
            _ = try? await serving.value
            throw CLIError("cannot listen on \(listen): \(error)")
        }
        report("dh serve: listening on \(address.text)")
        do {
            try await serving.value
        } catch is CancellationError {}
        report("dh serve: stopped")
    }
}

/// An address as `HOST:PORT`.
private struct SocketAddressText {
    var text: String
    init(_ address: some CustomStringConvertible & Sendable) {
        // NIO prints `[IPv4]127.0.0.1/127.0.0.1:7443`; keep what follows the last '/'.
        let description = "\(address)"
        if let slash = description.lastIndex(of: "/") {
            text = String(description[description.index(after: slash)...])
        } else {
            text = description
        }
    }
}

/// SIGINT and SIGTERM: the first starts a graceful shutdown, the second cancels serving.
private final class SignalHandling {
    private let sources: [any DispatchSourceSignal]

    private static let numbers = [SIGINT, SIGTERM]

    init(transport: TLSServerTransport, serving: Task<Void, any Error>, report: @escaping @Sendable (String) -> Void) {
        let queue = DispatchQueue(label: "dh-serve-signals")
        let count = SignalCount()
        var sources: [any DispatchSourceSignal] = []
        for number in Self.numbers {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                if count.increment() == 1 {
                    report("dh serve: shutting down (calls in flight finish; signal again to stop at once)")
                    transport.beginGracefulShutdown()
                } else {
                    serving.cancel()
                }
            }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    /// Stops handling the signals and gives them their default action back.
    func stop() {
        for source in sources { source.cancel() }
        for number in Self.numbers { signal(number, SIG_DFL) }
    }
}

private final class SignalCount: Sendable {
    private let value = Mutex(0)
    func increment() -> Int {
        value.withLock {
            $0 += 1
            return $0
        }
    }
}

internal import ArgumentParser
internal import DHRPC
internal import DHServer
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
        abstract: "Serve DataHealth's services over dh-rpc/1 with mutual TLS 1.3.",
        discussion: """
            Hosts datahealth.v1.CareRecordService behind the access interceptor: every call is
            tied to its client certificate's dh://ORG/ROLE/ID identity, checked against the
            policy (--policy, docs/POLICY.md) and written to the tamper-evident audit log.

            The data directory holds the server's secrets, created on first start with mode
            0600: audit-log.key.pem (signs the audit log's tree heads; `dh audit public-key`
            prints its public half) and pseudonym.key (turns insurance numbers into patient
            ids; back it up with the directory). Without --database-url the server runs its own
            PostgreSQL cluster in DIR/postgres on a Unix socket, and stops it on shutdown.
            Pending migrations are applied on start.

            TLS material comes from --cert, --key, --ca and --crl, or from a directory laid out
            as `dh pki init` writes it (--pki DIR: server.crt.pem, server.key.pem, ca.crt.pem,
            ca.crl.pem).

            Signals: SIGHUP rereads the policy (a broken file keeps the one in force, and says
            why). SIGINT or SIGTERM starts a graceful shutdown: calls in flight finish, new ones
            are refused with UNAVAILABLE; a second signal closes every connection at once.

            Examples:
              dh serve --data-dir /var/lib/datahealth --policy /etc/datahealth/policy.conf \\
                       --pki dev-pki --listen 127.0.0.1:7443
              dh serve --data-dir /var/lib/datahealth --policy policy.conf \\
                       --database-url postgresql://datahealth@db.internal/datahealth \\
                       --listen 0.0.0.0:7443 --cert server.crt.pem --key server.key.pem \\
                       --ca clients-ca.pem --crl clients-ca.crl.pem
              kill -HUP $(pidof dh)      # reload the policy
            """)

    @Option(help: "The address to listen on, HOST:PORT (port 0: any free port).")
    var listen = "127.0.0.1:7443"

    @Option(
        name: .customLong("data-dir"),
        help: ArgumentHelp(
            "The server's data directory (secrets; the embedded cluster in DIR/postgres).", valueName: "dir"))
    var dataDirectory: String

    @Option(
        name: .customLong("database-url"),
        help: ArgumentHelp(
            "A PostgreSQL server instead of the embedded cluster: postgresql://USER@HOST:PORT/DB.", valueName: "url"))
    var databaseURL: String?

    @Option(help: ArgumentHelp("The authorization policy file (docs/POLICY.md).", valueName: "file"))
    var policy: String

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

    @Option(help: "The most database connections open at once (default: four per processor core, 4 to 16).")
    var databaseConnections: Int?

    func validate() throws {
        guard (try? Self.parseListen(listen)) != nil else {
            throw ValidationError("--listen must be HOST:PORT, got '\(listen)'")
        }
        if pki == nil {
            guard cert != nil, key != nil, !ca.isEmpty else {
                throw ValidationError("give --pki DIR, or --cert, --key and at least one --ca")
            }
        }
        if let databaseConnections, databaseConnections < 1 {
            throw ValidationError("--database-connections must be at least 1")
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

    /// The server's configuration from the flags.
    func serverConfiguration() throws -> DataHealthServerConfiguration {
        let (host, port) = try Self.parseListen(listen)
        var connection = RPCConnectionConfiguration.server
        connection.maxConcurrentStreams = maxConcurrentStreams
        connection.maxMessageSize = maxMessageSize
        connection.idleTimeout = idleTimeout > 0 ? .seconds(idleTimeout) : nil
        var configuration = DataHealthServerConfiguration(
            dataDirectory: dataDirectory, databaseURL: databaseURL, policyPath: policy, tls: tlsConfiguration(),
            transport: .init(
                host: host, port: port, connection: connection, maxConnections: maxConnections,
                handshakeTimeout: .seconds(max(handshakeTimeout, 1))))
        if let databaseConnections { configuration.databaseConnections = databaseConnections }
        return configuration
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
        let say: @Sendable (String) -> Void = { report("dh serve: " + $0) }
        let server: DataHealthServer
        do {
            server = try await DataHealthServer.start(try serverConfiguration(), report: say)
        } catch let error as ServerError {
            throw CLIError(error.message)
        }
        let signals = SignalHandling(server: server, report: say)
        defer { signals.stop() }
        say("serving \(server.serviceNames.joined(separator: ", "))")
        say("listening on \(try await server.listeningAddress())")
        do {
            try await server.run()
        } catch let error as ServerError {
            throw CLIError(error.message)
        }
        say("stopped")
    }
}

/// SIGHUP reloads the policy. SIGINT and SIGTERM: the first starts a graceful shutdown, the
/// second stops at once.
private final class SignalHandling {
    private let sources: [any DispatchSourceSignal]

    private static let numbers = [SIGINT, SIGTERM, SIGHUP]

    init(server: DataHealthServer, report: @escaping @Sendable (String) -> Void) {
        let queue = DispatchQueue(label: "dh-serve-signals")
        let count = SignalCount()
        var sources: [any DispatchSourceSignal] = []
        for number in Self.numbers {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                if number == SIGHUP {
                    report(server.reloadPolicy())
                } else if count.increment() == 1 {
                    report("shutting down (calls in flight finish; signal again to stop at once)")
                    server.beginGracefulShutdown()
                } else {
                    server.stopNow()
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

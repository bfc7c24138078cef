internal import DHAccess
public import DHAudit
public import DHCareRecord
public import DHIdentity
internal import DHOps
internal import DHRPC
internal import DHRepositories
internal import DHSchemas
package import DHStorage
public import DHTLS
public import DHTransport
internal import Synchronization

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// A server failure before or after serving: what could not be set up, and why.
public struct ServerError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        /// A file, flag or setting is wrong.
        public static let invalidConfiguration = Code(rawValue: "invalid-configuration")
        /// The database cannot be reached or prepared.
        public static let databaseUnavailable = Code(rawValue: "database-unavailable")
        /// The address cannot be listened on.
        public static let listenFailed = Code(rawValue: "listen-failed")
        public static let internalError = Code(rawValue: "internal-error")
        public var description: String { rawValue }
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

/// Everything a DataHealth server needs; the defaults are safe.
public struct DataHealthServerConfiguration: Sendable {
    /// Holds the server's secrets (audit signing key, pseudonym secret) and, without
    /// ``databaseURL``, its embedded PostgreSQL cluster in `postgres/`.
    public var dataDirectory: String
    /// A PostgreSQL server (libpq URL or key=value string); nil runs the embedded cluster.
    public var databaseURL: String?
    /// The authorization policy file (docs/POLICY.md), reloaded by ``DataHealthServer/reloadPolicy()``.
    public var policyPath: String
    /// The server's certificate, key, client CAs and CRLs.
    public var tls: TLSConfiguration
    /// Address, connection limits and timers.
    public var transport: TLSServerTransport.Configuration
    /// The most database connections open at once: by default four per processor core, at
    /// least 4 and at most 16. More transactions at once than the cores can run only contend
    /// (measured with the embedded cluster on 2 cores and 32 gateways: 0.41-0.51x the raw COPY
    /// rate with 40 connections, 0.54-0.63x with 8).
    public var databaseConnections = min(16, max(4, 4 * ProcessInfo.processInfo.activeProcessorCount))
    /// How long a call waits for a database connection before it fails with UNAVAILABLE.
    public var databaseCheckoutTimeout: Duration = .seconds(5)
    /// Apply pending schema migrations on start (as `dh migrate up` does).
    public var applyMigrations = true
    /// Audit log batching and head signing by count.
    public var audit = AuditLog.Configuration()
    /// Sign a tree head at least this often while the log grows, so a head covers every entry
    /// within this time even under light load.
    public var treeHeadInterval: Duration = .seconds(10)
    /// Consent timings (per-visit viewing consent, break-glass grants).
    public var consent = ConsentConfiguration()
    /// The care-record service's limits and display windows.
    public var careRecords = CareRecordService.Configuration()
    /// Host the reflection service (`dh list`, `dh describe`, `dh call` without .proto files).
    public var reflection = true

    public init(
        dataDirectory: String, databaseURL: String? = nil, policyPath: String, tls: TLSConfiguration,
        transport: TLSServerTransport.Configuration = .init()
    ) {
        self.dataDirectory = dataDirectory
        self.databaseURL = databaseURL
        self.policyPath = policyPath
        self.tls = tls
        self.transport = transport
    }
}

/// The assembled DataHealth server: the database (embedded cluster or URL) with its migrations,
/// the audit log and its signing key, consent, the policy, the services, and the access
/// interceptor in front of every call, served over mutual TLS (docs/ARCHITECTURE.md).
///
/// ``start(_:report:)`` sets everything up and starts listening; ``run()`` serves until a
/// graceful shutdown (``beginGracefulShutdown()``) or cancellation, then signs a last tree
/// head, closes the database pool and stops an embedded cluster it started.
public final class DataHealthServer: Sendable {
    public let configuration: DataHealthServerConfiguration
    /// The policy in force.
    public let policy: PolicyStore
    /// The audit log every call is written to.
    public let auditLog: AuditLog
    /// The public half of the audit signing key, for `dh audit verify`.
    public let auditPublicKey: PublicKey

    private let transport: TLSServerTransport
    private let serving: Task<Void, any Error>
    private let pool: PostgresConnectionPool
    private let cluster: EmbeddedPostgres?
    private let report: @Sendable (String) -> Void
    private let services: [String]
    private let health: HealthService
    private let lock: DataDirectoryLock

    private init(
        configuration: DataHealthServerConfiguration, policy: PolicyStore, auditLog: AuditLog,
        auditPublicKey: PublicKey, transport: TLSServerTransport, serving: Task<Void, any Error>,
        pool: PostgresConnectionPool, cluster: EmbeddedPostgres?, health: HealthService, services: [String],
        lock: DataDirectoryLock, report: @escaping @Sendable (String) -> Void
    ) {
        self.lock = lock
        self.health = health
        self.configuration = configuration
        self.policy = policy
        self.auditLog = auditLog
        self.auditPublicKey = auditPublicKey
        self.transport = transport
        self.serving = serving
        self.pool = pool
        self.cluster = cluster
        self.services = services
        self.report = report
    }

    /// The database pool, for tests and ops tools in this package.
    package var database: PostgresConnectionPool { pool }

    /// The names of the services served.
    public var serviceNames: [String] { services }

    /// Sets up and starts listening; `report` gets one line per step.
    public static func start(
        _ configuration: DataHealthServerConfiguration, report: @escaping @Sendable (String) -> Void
    ) async throws -> DataHealthServer {
        var configuration = configuration
        let manager = FileManager.default
        if !configuration.dataDirectory.hasPrefix("/") {
            configuration.dataDirectory = manager.currentDirectoryPath + "/" + configuration.dataDirectory
        }
        do {
            try manager.createDirectory(
                atPath: configuration.dataDirectory, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o711])
            // The embedded cluster runs as an unprivileged user when the server runs as root: it
            // must be able to pass through (not list) the data directory to reach DIR/postgres.
            if configuration.databaseURL == nil,
                let mode = try manager.attributesOfItem(atPath: configuration.dataDirectory)[.posixPermissions] as? Int,
                mode & 0o001 == 0
            {
                try manager.setAttributes(
                    [.posixPermissions: mode | 0o011], ofItemAtPath: configuration.dataDirectory)
            }
        } catch {
            throw ServerError(
                code: .invalidConfiguration, message: "cannot create the data directory \(configuration.dataDirectory)")
        }
        let lock = try DataDirectoryLock(directory: configuration.dataDirectory)
        do {
            return try await start(configuration, lock: lock, report: report)
        } catch {
            lock.release()
            throw error
        }
    }

    private static func start(
        _ configuration: DataHealthServerConfiguration, lock: DataDirectoryLock,
        report: @escaping @Sendable (String) -> Void
    ) async throws -> DataHealthServer {
        let secrets = try ServerSecrets.loadOrCreate(in: configuration.dataDirectory)
        for path in secrets.created { report("created \(path)") }

        let policy: PolicyStore
        do {
            policy = try PolicyStore(path: configuration.policyPath)
        } catch {
            throw ServerError(code: .invalidConfiguration, message: "policy \(configuration.policyPath): \(error)")
        }
        let tls: TLSContext
        do {
            tls = try TLSContext(configuration: configuration.tls)
        } catch {
            throw ServerError(code: .invalidConfiguration, message: "cannot load the TLS material: \(error)")
        }

        let (pool, cluster) = try await openDatabase(configuration, report: report)
        do {
            if configuration.applyMigrations {
                let applied = try await DataHealthMigrations.migrator().migrate(on: pool)
                for migration in applied { report("applied migration \(migration.version) \(migration.name)") }
            }
            let signingKey = secrets.auditSigningKey
            let auditLog = try await AuditLog(
                store: PostgresAuditStore(database: pool), signingKey: signingKey, configuration: configuration.audit,
                nowMilliseconds: { UInt64(max(0, Date().timeIntervalSince1970 * 1000)) })
            report("audit log: \(await auditLog.size) entries")
            let consent = PostgresConsentStore(database: pool, configuration: configuration.consent)
            let careRecords = CareRecordService(
                repository: PostgresCareRecordRepository(database: pool), consent: consent,
                pseudonymizer: PatientPseudonymizer(secret: secrets.pseudonymSecret),
                configuration: configuration.careRecords)
            let access = AccessInterceptor(
                policy: policy, auditLog: auditLog,
                nowMicroseconds: { Int64((Date().timeIntervalSince1970 * 1_000_000).rounded()) })
            let database: HealthService.Probe = {
                await pool.ping(timeout: .seconds(2))
                    ? .serving : HealthService.Status(serving: false, detail: "the database does not answer")
            }
            var probes: [String: HealthService.Probe] = [
                Datahealth_V1_CareRecordService.name: database, Datahealth_Ops_V1_Health.name: { .serving },
            ]
            var services: [any RPCService] = [careRecords]
            var descriptorSets = [
                Datahealth_V1_CareRecordService.descriptorSet, Datahealth_Ops_V1_Health.descriptorSet,
            ]
            if configuration.reflection {
                probes[Datahealth_Ops_V1_Reflection.name] = { .serving }
                descriptorSets.append(Datahealth_Ops_V1_Reflection.descriptorSet)
            }
            let health = HealthService(probes: probes)
            services.append(health)
            let hosted = probes.keys.sorted()
            if configuration.reflection {
                services.append(try ReflectionService(services: hosted, descriptorSets: descriptorSets))
            }
            let server = RPCServer(services: services, interceptors: [access])
            let transport = TLSServerTransport(tls: tls, configuration: configuration.transport)
            let serving = Task { try await server.serve(on: transport) }
            do {
                _ = try await transport.listeningAddress()
            } catch {
                serving.cancel()
                _ = try? await serving.value
                throw ServerError(
                    code: .listenFailed,
                    message:
                        "cannot listen on \(configuration.transport.host):\(configuration.transport.port): \(error)")
            }
            return DataHealthServer(
                configuration: configuration, policy: policy, auditLog: auditLog,
                auditPublicKey: try signingKey.publicKey(), transport: transport, serving: serving, pool: pool,
                cluster: cluster, health: health, services: hosted, lock: lock, report: report)
        } catch {
            await pool.close()
            if let cluster { try? await cluster.stop() }
            if let error = error as? ServerError { throw error }
            throw ServerError(code: .databaseUnavailable, message: "cannot prepare the database: \(error)")
        }
    }

    private static func openDatabase(
        _ configuration: DataHealthServerConfiguration, report: @Sendable (String) -> Void
    ) async throws -> (PostgresConnectionPool, EmbeddedPostgres?) {
        var cluster: EmbeddedPostgres?
        let connection: PostgresConnectionConfiguration
        if let url = configuration.databaseURL {
            connection = PostgresConnectionConfiguration(conninfo: url)
        } else {
            let directory = configuration.dataDirectory + "/postgres"
            do {
                let embedded = try EmbeddedPostgres(configuration: EmbeddedPostgresConfiguration(directory: directory))
                if try await embedded.isRunning() {
                    // This server holds the data directory's lock, so no live server uses the
                    // cluster: a server before it died without stopping it.
                    report("database: taking over the embedded cluster left running by a server that did not stop")
                }
                try await embedded.start()
                cluster = embedded
                connection = embedded.connectionConfiguration
                report("database: embedded PostgreSQL cluster in \(directory) (Unix socket only)")
            } catch let error as ServerError {
                throw error
            } catch {
                throw ServerError(
                    code: .databaseUnavailable,
                    message: "cannot start the embedded PostgreSQL cluster in \(directory): \(error)")
            }
        }
        var poolConfiguration = PostgresPoolConfiguration(connection: connection)
        poolConfiguration.maxConnections = configuration.databaseConnections
        poolConfiguration.checkoutTimeout = configuration.databaseCheckoutTimeout
        do {
            let pool = try PostgresConnectionPool(configuration: poolConfiguration)
            guard await pool.ping(timeout: .seconds(10)) else {
                await pool.close()
                throw ServerError(code: .databaseUnavailable, message: "the database does not answer")
            }
            if configuration.databaseURL != nil { report("database: \(redacted(configuration.databaseURL ?? ""))") }
            return (pool, cluster)
        } catch {
            if let cluster { try? await cluster.stop() }
            if let error = error as? ServerError { throw error }
            throw ServerError(code: .databaseUnavailable, message: "cannot reach the database: \(error)")
        }
    }

    /// A database URL without its password.
    static func redacted(_ url: String) -> String {
        guard let at = url.firstIndex(of: "@"), let scheme = url.range(of: "://") else {
            return url.contains("password") ? "(a libpq connection string)" : url
        }
        let credentials = url[scheme.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return url }
        return url[..<colon] + ":***" + url[at...]
    }

    /// The address the server listens on, `HOST:PORT`.
    public func listeningAddress() async throws -> String {
        let address = "\(try await transport.listeningAddress())"
        // NIO prints `[IPv4]127.0.0.1/127.0.0.1:7443`; keep what follows the last '/'.
        if let slash = address.lastIndex(of: "/") { return String(address[address.index(after: slash)...]) }
        return address
    }

    /// The port the server listens on.
    public func listeningPort() async throws -> Int { try await transport.listeningPort() }

    /// Rereads the policy file; a broken file keeps the policy in force. Returns a line saying
    /// what happened.
    @discardableResult
    public func reloadPolicy() -> String {
        do {
            switch try policy.reload() {
            case .replaced: return "policy reloaded from \(configuration.policyPath) (generation \(policy.generation))"
            case .unchanged: return "policy unchanged (\(configuration.policyPath))"
            }
        } catch {
            return "policy NOT reloaded, the previous one stays in force: \(error)"
        }
    }

    /// Calls in flight finish; new calls and connections are refused.
    public func beginGracefulShutdown() {
        health.beginShutdown()
        transport.beginGracefulShutdown()
    }

    /// Ends serving at once (a second signal).
    public func stopNow() { serving.cancel() }

    /// Serves until shut down, then tears down: signs a last tree head, closes the pool and
    /// stops an embedded cluster started here.
    public func run() async throws {
        let heads = Task { [auditLog, configuration] in
            var signedSize = await auditLog.size
            while !Task.isCancelled {
                try? await Task.sleep(for: configuration.treeHeadInterval)
                let size = await auditLog.size
                if size > signedSize, (try? await auditLog.signTreeHead()) != nil { signedSize = size }
            }
        }
        var failure: (any Error)?
        do {
            try await serving.value
        } catch is CancellationError {
        } catch {
            failure = error
        }
        heads.cancel()
        await heads.value
        if let head = try? await auditLog.signTreeHead() {
            report("audit log: \(head.head.treeSize) entries, signed head saved")
        }
        await pool.close()
        if let cluster {
            do {
                try await cluster.stop()
                report("database: embedded cluster stopped")
            } catch {
                report("database: the embedded cluster did not stop cleanly: \(error)")
            }
        }
        lock.release()
        if let failure { throw ServerError(code: .internalError, message: "serving failed: \(failure)") }
    }
}

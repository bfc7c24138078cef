import DHAudit
import DHRepositories
import DHStorage
import Foundation
import Synchronization
import Testing

/// The cluster shared by every test under ``RepositoryTests``.
enum SharedCluster {
    @TaskLocal static var current: EmbeddedPostgres?

    static func require() throws -> EmbeddedPostgres {
        try #require(current, "tests that need PostgreSQL must run inside RepositoryTests")
    }
}

/// Makes a fresh directory under the system's temporary directory.
func makeTemporaryDirectory(_ prefix: String) throws -> String {
    let base = NSTemporaryDirectory().hasSuffix("/") ? NSTemporaryDirectory() : NSTemporaryDirectory() + "/"
    var template = Array((base + "\(prefix)-XXXXXX").utf8CString)
    let made = template.withUnsafeMutableBufferPointer { buffer in
        mkdtemp(buffer.baseAddress!).map { String(cString: $0) }
    }
    return try #require(made)
}

/// Starts one throwaway embedded cluster (synchronous_commit on, as in production) for the
/// suite, and stops and deletes it afterwards.
struct EmbeddedClusterTrait: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        let directory = try makeTemporaryDirectory("dh-repository-tests")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = EmbeddedPostgresConfiguration(directory: directory)
        configuration.port = 54_331
        configuration.synchronousCommit = true
        configuration.maxConnections = 60
        let cluster = try EmbeddedPostgres(configuration: configuration)
        try await cluster.start()
        do {
            try await SharedCluster.$current.withValue(cluster) { try await function() }
        } catch {
            try? await cluster.stop()
            throw error
        }
        try await cluster.stop()
    }
}

extension Trait where Self == EmbeddedClusterTrait {
    static var embeddedCluster: Self { Self() }
}

/// A database of its own on `cluster`, for one test.
struct TestDatabase {
    let name: String
    let connection: PostgresConnectionConfiguration

    /// Creates an empty database; with `migrated`, applies ``DataHealthMigrations/all``.
    static func make(on cluster: EmbeddedPostgres? = nil, migrated: Bool = true) async throws -> TestDatabase {
        let cluster = try cluster ?? SharedCluster.require()
        let name = "t_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")
        let admin = try PostgresConnectionPool(configuration: .init(connection: cluster.connectionConfiguration))
        try await admin.execute("CREATE DATABASE \(identifier: name)")
        await admin.close()
        let connection = PostgresConnectionConfiguration(
            socketDirectory: cluster.socketDirectory, port: cluster.configuration.port,
            user: cluster.configuration.superuser, database: name)
        let database = TestDatabase(name: name, connection: connection)
        if migrated {
            let pool = try database.pool()
            try await DataHealthMigrations.migrator().migrate(on: pool)
            await pool.close()
        }
        return database
    }

    func pool(maxConnections: Int = 4) throws -> PostgresConnectionPool {
        var configuration = PostgresPoolConfiguration(connection: connection)
        configuration.maxConnections = maxConnections
        return try PostgresConnectionPool(configuration: configuration)
    }

    /// `--database-url` for the CLI.
    var url: String { connection.conninfo }
}

/// A plausible entry; `number` varies every field a query filters on.
func auditEntry(_ number: Int, patients: Int = 7) -> AuditEntry {
    AuditEntry(
        timeMicroseconds: 1_800_000_000_000_000 + Int64(number) * 1_000_000,
        identity: number % 3 == 0 ? "dh://2712345678/gateway/gw-02" : "dh://1312345678/gateway/gw-01",
        actingUser: "dh://1312345678/clinician/D\(number % 4)", purpose: number % 11 == 0 ? "emergency" : "treatment",
        method: number % 2 == 0 ? "/datahealth.records.v1.Records/Get" : "/datahealth.records.v1.Records/List",
        patient: "P-\(number % patients)", outcome: number % 5 == 0 ? .denied : .allowed,
        statusCode: number % 5 == 0 ? 7 : 0, breakGlass: number % 11 == 0,
        reason: number % 11 == 0 ? "unconscious on arrival" : (number % 5 == 0 ? "no viewing consent" : ""))
}

@Suite("Repositories on PostgreSQL", .serialized, .embeddedCluster)
struct RepositoryTests {}

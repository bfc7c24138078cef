import Benchmark
import DHAudit
import DHRepositories
import DHStorage
import DHTLS
import Foundation
import Synchronization

/// What one benchmark's setup made: a cluster, a pool, and a log over a fresh schema.
final class AuditFixture: Sendable {
    let directory: String
    let cluster: EmbeddedPostgres
    let pool: PostgresConnectionPool
    let log: AuditLog
    let counter = Atomic<Int>(0)

    init(directory: String, cluster: EmbeddedPostgres, pool: PostgresConnectionPool, log: AuditLog) {
        self.directory = directory
        self.cluster = cluster
        self.pool = pool
        self.log = log
    }

    static func start() async throws -> AuditFixture {
        var template = Array((NSTemporaryDirectory() + "/dh-audit-bench-XXXXXX").utf8CString)
        let directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        var configuration = EmbeddedPostgresConfiguration(directory: directory)
        configuration.port = 54_340
        configuration.synchronousCommit = true
        let cluster = try EmbeddedPostgres(configuration: configuration)
        try await cluster.start()
        var poolConfiguration = PostgresPoolConfiguration(connection: cluster.connectionConfiguration)
        poolConfiguration.maxConnections = 4
        let pool = try PostgresConnectionPool(configuration: poolConfiguration)
        try await DataHealthMigrations.migrator().migrate(on: pool)
        let log = try await AuditLog(
            store: PostgresAuditStore(database: pool), signingKey: try PrivateKey.generate(),
            nowMilliseconds: { UInt64(Date().timeIntervalSince1970 * 1000) })
        return AuditFixture(directory: directory, cluster: cluster, pool: pool, log: log)
    }

    func stop() async throws {
        await pool.close()
        try await cluster.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Appends `count` entries from `appenders` concurrent callers, each waiting for its own
    /// append to be durable before the next.
    func append(_ count: Int, appenders: Int) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for appender in 0..<appenders {
                let share = count / appenders + (appender < count % appenders ? 1 : 0)
                group.addTask {
                    for _ in 0..<share {
                        let number = self.counter.add(1, ordering: .relaxed).newValue
                        _ = try await self.log.append(
                            AuditEntry(
                                timeMicroseconds: Int64(Date().timeIntervalSince1970 * 1_000_000),
                                identity: "dh://1312345678/gateway/gw-01",
                                actingUser: "dh://1312345678/clinician/D\(number % 50)", purpose: "treatment",
                                method: "/datahealth.records.v1.Records/Get", patient: "P-\(number % 10_000)",
                                outcome: .allowed, statusCode: 0))
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}

let fixture = Mutex<AuditFixture?>(nil)

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput],
        timeUnits: .microseconds,
        scalingFactor: .kilo,
        maxDuration: .seconds(5),
        maxIterations: 20
    )

    for appenders in [1, 8, 32, 256] {
        Benchmark(
            "Audit append, \(appenders) appender\(appenders == 1 ? "" : "s") (1,000 entries per iteration)",
            closure: { benchmark async throws in
                let current = try require(fixture.withLock { $0 })
                try await current.append(benchmark.scaledIterations.count, appenders: appenders)
            },
            setup: {
                let started = try await AuditFixture.start()
                fixture.withLock { $0 = started }
            },
            teardown: {
                let stopping = fixture.withLock { current in
                    defer { current = nil }
                    return current
                }
                try await stopping?.stop()
            })
    }
}

struct MissingFixture: Error {}

func require<T>(_ value: T?) throws -> T {
    guard let value else { throw MissingFixture() }
    return value
}

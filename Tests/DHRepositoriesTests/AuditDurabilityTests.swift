import DHAudit
import DHRepositories
import DHStorage
import DHTLS
import Foundation
import Synchronization
import Testing

/// Opens once `count` arrivals have been counted; later arrivals change nothing.
final class Latch: Sendable {
    private let state = Mutex<(remaining: Int, waiters: [CheckedContinuation<Void, Never>])>((0, []))

    init(count: Int) { state.withLock { $0.remaining = count } }

    func arrive() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.remaining -= 1
            guard state.remaining == 0 else { return [] }
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let passes = state.withLock { state -> Bool in
                if state.remaining <= 0 { return true }
                state.waiters.append(continuation)
                return false
            }
            if passes { continuation.resume() }
        }
    }
}

extension RepositoryTests {
    @Suite("Audit appends: throughput and a dead database")
    struct AuditDurabilityTests {
        /// Prints entries/s for 1, 8 and 32 concurrent appenders with synchronous_commit on.
        /// The figures are for reading (docs/AUDIT.md); nothing here asserts a speed.
        @Test("appenders 1, 8, 32: every append durable, indices continuous (prints entries/s)")
        func throughput() async throws {
            for (appenders, each) in [(1, 300), (8, 250), (32, 125)] {
                let database = try await TestDatabase.make()
                let pool = try database.pool(maxConnections: 4)
                let store = PostgresAuditStore(database: pool)
                let key = try PrivateKey.generate()
                let log = try await AuditLog(store: store, signingKey: key, nowMilliseconds: { 1_800_000_000_000 })
                let clock = ContinuousClock()
                let start = clock.now
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for appender in 0..<appenders {
                        group.addTask {
                            for number in 0..<each { _ = try await log.append(auditEntry(appender * each + number)) }
                        }
                    }
                    try await group.waitForAll()
                }
                let elapsed = clock.now - start
                let total = appenders * each
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                let rate = Double(total) / seconds
                print("audit append throughput: \(appenders) appenders, \(total) entries, \(Int(rate)) entries/s")
                #expect(try await store.count() == UInt64(total))
                _ = try await log.signTreeHead()
                #expect(try await store.verify(publicKey: try key.publicKey()).passed)
                await pool.close()
            }
        }

        @Test("a database stopped during appends fails them, leaves no half-written batch, and the log recovers")
        func deadDatabase() async throws {
            let directory = try makeTemporaryDirectory("dh-audit-dead")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            var clusterConfiguration = EmbeddedPostgresConfiguration(directory: directory)
            clusterConfiguration.port = 54_332
            let cluster = try EmbeddedPostgres(configuration: clusterConfiguration)
            try await cluster.start()
            do {
                try await appendThroughOutage(cluster)
            } catch {
                try? await cluster.stop()
                throw error
            }
            // Stopped before the directory goes, or its server would outlive the test.
            try await cluster.stop()
        }

        private func appendThroughOutage(_ cluster: EmbeddedPostgres) async throws {
            let database = try await TestDatabase.make(on: cluster)
            var poolConfiguration = PostgresPoolConfiguration(connection: database.connection)
            poolConfiguration.maxConnections = 4
            poolConfiguration.checkoutTimeout = .seconds(5)
            poolConfiguration.connection.defaultCallTimeout = .seconds(5)
            let pool = try PostgresConnectionPool(configuration: poolConfiguration)
            defer { Task { await pool.close() } }
            let store = PostgresAuditStore(database: pool)
            let key = try PrivateKey.generate()
            let log = try await AuditLog(store: store, signingKey: key, nowMilliseconds: { 1_800_000_000_000 })

            // Eight appenders append until their first failure (at most 2,000 each).
            let appenders = 8
            let started = Latch(count: 100)
            let stored = try await withThrowingTaskGroup(of: ([UInt64: AuditEntry], Bool).self) { group in
                for appender in 0..<appenders {
                    group.addTask {
                        var mine: [UInt64: AuditEntry] = [:]
                        for number in 0..<2_000 {
                            let entry = auditEntry(appender * 2_000 + number)
                            do {
                                mine[try await log.append(entry)] = entry
                                started.arrive()
                            } catch {
                                started.arrive()
                                return (mine, true)
                            }
                        }
                        return (mine, false)
                    }
                }
                await started.wait()
                try await cluster.stop()
                var all: [UInt64: AuditEntry] = [:]
                var failures = 0
                for try await (mine, failed) in group {
                    all.merge(mine) { first, _ in first }
                    if failed { failures += 1 }
                }
                #expect(failures == appenders, "every appender saw its append fail once the database stopped")
                return all
            }
            #expect(stored.count >= 50)

            try await cluster.start()
            // Every append that returned is there, at its index; the rows are a continuous
            // prefix of whole batches (nothing half-written), and their hashes are right.
            let count = try await store.count()
            let records = try await store.records(in: 0..<count)
            #expect(records.map(\.index) == (0..<count).map { $0 })
            #expect(count >= UInt64(stored.count))
            let attempted = Set((0..<appenders * 2_000).map { auditEntry($0).encoded() })
            for record in records {
                #expect(MerkleHash.leaf(record.entryBytes) == record.leafHash)
                #expect(attempted.contains(record.entryBytes))
            }
            for (index, entry) in stored {
                #expect(records[Int(index)].entryBytes == entry.encoded(), "entry \(index)")
            }

            // The same log continues after the restart: its failed write made it reload.
            let next = try await log.append(auditEntry(99_999))
            #expect(next == count)
            _ = try await log.signTreeHead()
            #expect(try await store.verify(publicKey: try key.publicKey()).passed)
        }
    }
}

import DHAudit
import DHRepositories
import DHStorage
import DHTLS
import Foundation
import Testing

private let clock: @Sendable () -> UInt64 = { 1_800_000_000_000 }

extension RepositoryTests {
    @Suite("PostgreSQL audit store")
    struct AuditStoreTests {
        @Test("concurrent appends get continuous indices, no gaps, no duplicates, and verify after reopening")
        func concurrentAppends() async throws {
            let database = try await TestDatabase.make()
            let pool = try database.pool(maxConnections: 4)
            defer { Task { await pool.close() } }
            let store = PostgresAuditStore(database: pool)
            let key = try PrivateKey.generate()
            var configuration = AuditLog.Configuration()
            configuration.signEvery = 100
            let log = try await AuditLog(
                store: store, signingKey: key, configuration: configuration, nowMilliseconds: clock)
            let tasks = 32
            let each = 25
            let indices = try await withThrowingTaskGroup(of: [UInt64].self) { group in
                for task in 0..<tasks {
                    group.addTask {
                        var mine: [UInt64] = []
                        for number in 0..<each { mine.append(try await log.append(auditEntry(task * each + number))) }
                        return mine
                    }
                }
                var all: [UInt64] = []
                for try await mine in group { all += mine }
                return all
            }
            let total = tasks * each
            #expect(indices.sorted() == (0..<UInt64(total)).map { $0 })
            let row = try #require(
                try await pool.query(
                    "SELECT count(*), min(index), max(index), count(DISTINCT index) FROM audit_entries"
                )
                .singleRow())
            let (count, lowest, highest, distinct) = try row.decode(Int.self, Int.self, Int.self, Int.self)
            #expect(count == total)
            #expect(lowest == 0)
            #expect(highest == total - 1)
            #expect(distinct == total)

            // Every stored entry is the one its caller appended at that index.
            let records = try await store.records(in: 0..<UInt64(total))
            #expect(records.map(\.index) == (0..<UInt64(total)).map { $0 })
            for record in records { #expect(MerkleHash.leaf(record.entryBytes) == record.leafHash) }

            let head = try await log.signTreeHead()
            #expect(head.head.treeSize == UInt64(total))
            let verification = try await store.verify(publicKey: try key.publicKey())
            #expect(verification.passed, "\(verification)")
            // Heads were signed automatically (every 100 entries or more, batch by batch) and on request.
            #expect(verification.headsChecked == (try await store.treeHeads()).count)
            #expect(verification.headsChecked >= 2)

            // A log reopened over the store rebuilds the same tree and continues it.
            let reopened = try await AuditLog(store: store, signingKey: key, nowMilliseconds: clock)
            #expect(await reopened.size == total)
            #expect(try await reopened.signTreeHead().head.rootHash == head.head.rootHash)
            #expect(try await reopened.append(auditEntry(9999)) == UInt64(total))
        }

        @Test("an append that does not continue the stored log is refused and writes nothing")
        func divergedAppend() async throws {
            let database = try await TestDatabase.make()
            let pool = try database.pool()
            defer { Task { await pool.close() } }
            let store = PostgresAuditStore(database: pool)
            func record(_ index: UInt64) -> AuditRecord {
                let bytes = auditEntry(Int(index)).encoded()
                return AuditRecord(index: index, entryBytes: bytes, leafHash: MerkleHash.leaf(bytes))
            }
            try await store.append([record(0), record(1)])
            // A gap, a repeat, and a batch whose indices are not consecutive.
            for batch in [[record(3)], [record(1), record(2)], [record(2), record(4)]] {
                let error = try await #require(throws: RepositoryError.self) { try await store.append(batch) }
                #expect(error.code == .logDiverged || error.code == .invalidArgument)
            }
            #expect(try await store.count() == 2)
            try await store.append([record(2)])
            #expect(try await store.leafHashes() == (0..<3).map { record($0).leafHash })
        }

        @Test("a second log over the same store notices it is behind and catches up after one failed write")
        func twoWriters() async throws {
            let database = try await TestDatabase.make()
            let pool = try database.pool()
            defer { Task { await pool.close() } }
            let store = PostgresAuditStore(database: pool)
            let key = try PrivateKey.generate()
            let first = try await AuditLog(store: store, signingKey: key, nowMilliseconds: clock)
            let second = try await AuditLog(store: store, signingKey: key, nowMilliseconds: clock)
            #expect(try await first.append(auditEntry(0)) == 0)
            let error = try await #require(throws: RepositoryError.self) { try await second.append(auditEntry(1)) }
            #expect(error.code == .logDiverged)
            // The failed write made it reload: it continues the stored log.
            #expect(try await second.append(auditEntry(1)) == 1)
            #expect(try await store.count() == 2)
        }

        @Test("tree heads round-trip in order of size")
        func heads() async throws {
            let database = try await TestDatabase.make()
            let pool = try database.pool()
            defer { Task { await pool.close() } }
            let store = PostgresAuditStore(database: pool)
            let key = try PrivateKey.generate(.ed25519)
            var configuration = AuditLog.Configuration()
            configuration.signEvery = 0
            let log = try await AuditLog(
                store: store, signingKey: key, configuration: configuration, nowMilliseconds: clock)
            var signed: [SignedTreeHead] = []
            for round in 0..<3 {
                for number in 0..<(round + 2) { _ = try await log.append(auditEntry(number)) }
                signed.append(try await log.signTreeHead())
            }
            #expect(try await store.treeHeads() == signed)
            #expect(signed.map(\.head.treeSize) == [2, 5, 9])
        }
    }
}

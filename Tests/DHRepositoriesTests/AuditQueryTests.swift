import DHAudit
import DHStorage
import Foundation
import Testing

@testable import DHCLI
@testable import DHRepositories

/// Stores entries 0..<count directly through the store, in batches.
func storeEntries(_ store: PostgresAuditStore, count: Int, patients: Int = 7, batch: Int = 1_000) async throws {
    var next = 0
    while next < count {
        let records = (next..<min(count, next + batch)).map { number in
            let bytes = auditEntry(number, patients: patients).encoded()
            return AuditRecord(index: UInt64(number), entryBytes: bytes, leafHash: MerkleHash.leaf(bytes))
        }
        try await store.append(records)
        next += records.count
    }
}

extension RepositoryTests {
    @Suite("Audit queries")
    struct AuditQueryTests {
        @Test("a patient's access history: who, when and why, newest first, page by page")
        func accessHistory() async throws {
            let database = try await TestDatabase.make()
            let pool = try database.pool()
            defer { Task { await pool.close() } }
            let store = PostgresAuditStore(database: pool)
            try await storeEntries(store, count: 300)

            let expected = (0..<300).filter { $0 % 7 == 3 }.reversed().map { UInt64($0) }
            var seen: [UInt64] = []
            var cursor: UInt64?
            var pages = 0
            repeat {
                let page = try await store.search(.accessHistory(patient: "P-3", limit: 10, before: cursor))
                for result in page.results {
                    #expect(result.entry == auditEntry(Int(result.index)))
                    #expect(result.entry.patient == "P-3")
                }
                seen += page.results.map(\.index)
                cursor = page.nextCursor
                pages += 1
            } while cursor != nil && pages < 100
            #expect(seen == expected)
            #expect(pages == (expected.count + 9) / 10)

            // The same through dh audit query.
            let output = try await command(
                ["audit", "query", "--database-url", database.url, "--patient", "P-3", "--limit", "5"],
                as: AuditQueryCommand.self
            ).execute()
            #expect(output.hasPrefix("#297 "))
            #expect(output.contains("  patient P-3\n"))
            #expect(output.contains("more: repeat with --before \(expected[4])\n"))
            #expect(!output.contains("patient P-4"))
            // Break-glass entries show why.
            let emergency = try await command(
                ["audit", "query", "--database-url", database.url, "--patient", "P-3", "--break-glass"],
                as: AuditQueryCommand.self
            ).execute()
            #expect(emergency.contains("BREAK-GLASS (flagged for review)"))
            #expect(emergency.contains("reason: unconscious on arrival"))
            #expect(!emergency.contains("more:"))
        }

        @Test("filters by identity, acting user, method, outcome and time combine")
        func filters() async throws {
            let database = try await TestDatabase.make()
            let pool = try database.pool()
            defer { Task { await pool.close() } }
            let store = PostgresAuditStore(database: pool)
            try await storeEntries(store, count: 200)
            let start = Date(timeIntervalSince1970: 1_800_000_000)
            let all = (0..<200).map { auditEntry($0) }

            func check(_ query: AuditQuery, _ predicate: (AuditEntry) -> Bool) async throws {
                var query = query
                query.limit = 1_000
                let page = try await store.search(query)
                let expected = all.indices.filter { predicate(all[$0]) }.reversed().map { UInt64($0) }
                #expect(page.results.map(\.index) == expected, "\(query)")
                #expect(page.nextCursor == nil)
            }
            try await check(AuditQuery(identity: "dh://2712345678/gateway/gw-02")) {
                $0.identity == "dh://2712345678/gateway/gw-02"
            }
            try await check(AuditQuery(actingUser: "dh://1312345678/clinician/D1", outcome: .allowed)) {
                $0.actingUser == "dh://1312345678/clinician/D1" && $0.outcome == .allowed
            }
            try await check(AuditQuery(method: "/datahealth.records.v1.Records/Get", outcome: .denied)) {
                $0.method == "/datahealth.records.v1.Records/Get" && $0.outcome == .denied
            }
            // Entry n is at start + n seconds: [50 s, 120 s) holds entries 50...119.
            try await check(
                AuditQuery(patient: "P-2", since: start + 50, until: start + 120)
            ) {
                $0.patient == "P-2" && (50_000_000..<120_000_000).contains($0.timeMicroseconds - 1_800_000_000_000_000)
            }
            try await check(AuditQuery(breakGlass: true)) { $0.breakGlass }
            try await check(AuditQuery(patient: "P-4", purpose: "emergency")) {
                $0.patient == "P-4" && $0.purpose == "emergency"
            }
            try await check(AuditQuery(patient: "P-99")) { _ in false }
            #expect(throws: RepositoryError.self) { try AuditQuery(limit: 0).statement() }

            let output = try await command(
                [
                    "audit", "query", "--database-url", database.url, "--identity", "dh://2712345678/gateway/gw-02",
                    "--method", "/datahealth.records.v1.Records/Get", "--since", "2027-01-15T08:00:50Z",
                    "--until", "2027-01-15T08:01:00Z",
                ], as: AuditQueryCommand.self
            ).execute()
            // 1_800_000_000 s is 2027-01-15T08:00:00Z: entries 50..<60, of gw-02 (n % 3 == 0), Get (even): 54.
            #expect(
                output.hasPrefix("#54 2027-01-15T08:00:54Z denied")
                    || output.hasPrefix("#54 2027-01-15T08:00:54Z allowed"), "\(output)")
            #expect(output.components(separatedBy: "\n#").count == 1)
            #expect(throws: (any Error).self) {
                try DataHealthCommand.parseAsRoot(["audit", "query", "--data-dir", "d", "--since", "yesterday"])
            }
            #expect(throws: (any Error).self) {
                try DataHealthCommand.parseAsRoot(["audit", "query", "--data-dir", "d", "--outcome", "maybe"])
            }
        }

        @Test("the patient query is answered from an index, not a scan of the log")
        func indexBacked() async throws {
            let database = try await TestDatabase.make()
            let pool = try database.pool()
            defer { Task { await pool.close() } }
            let store = PostgresAuditStore(database: pool)
            try await storeEntries(store, count: 20_000, patients: 2_000, batch: 5_000)
            try await pool.execute("ANALYZE audit_entries")
            for (query, index) in [
                (AuditQuery.accessHistory(patient: "P-42"), "audit_entries_patient"),
                (AuditQuery(identity: "dh://2712345678/gateway/gw-09", limit: 10), "audit_entries_identity"),
                (AuditQuery(actingUser: "dh://1312345678/clinician/D9", limit: 10), "audit_entries_acting_user"),
            ] {
                let statement = try query.statement()
                let plan = try await pool.query(
                    PostgresQuery(unsafeSQL: "EXPLAIN " + statement.sql, parameters: statement.parameters)
                ).decode(String.self).joined(separator: "\n")
                #expect(plan.contains("Index Scan") && plan.contains(" \(index) "), "\(plan)")
                #expect(!plan.contains("Seq Scan"), "\(plan)")
            }
            let page = try await store.search(.accessHistory(patient: "P-42"))
            let expected: [UInt64] = (0..<10).reversed().map { (round: Int) -> UInt64 in UInt64(round * 2_000 + 42) }
            #expect(page.results.map(\.index) == expected)
        }
    }
}

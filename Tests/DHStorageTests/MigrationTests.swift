import DHStorage
import Foundation
import Testing

extension PostgresTests {
    @Suite("Migrations")
    struct MigrationTests {
        /// Migrations on tables named after `prefix`, recorded in their own table.
        func migrations(_ prefix: String) -> [Migration] {
            [
                Migration(
                    version: 1, name: "patients",
                    sql: """
                        CREATE TABLE \(prefix)_patients (id bigint PRIMARY KEY, pseudonym text NOT NULL);
                        CREATE INDEX \(prefix)_patients_pseudonym ON \(prefix)_patients (pseudonym);
                        """),
                Migration(
                    version: 2, name: "records",
                    sql: "CREATE TABLE \(prefix)_records (id bigint PRIMARY KEY, patient bigint REFERENCES \(prefix)_patients)"),
                Migration(
                    version: 5, name: "seed",
                    sql: "INSERT INTO \(prefix)_patients VALUES (1, 'p-1'), (2, 'p-2')"),
            ]
        }

        func appliedVersions(_ statuses: [MigrationStatus]) -> [Int64] {
            statuses.compactMap { if case .applied = $0.state { $0.version } else { nil } }
        }

        @Test("migrations apply in order from an empty database, and again is a no-op")
        func fromEmptyAndRepeated() async throws {
            let pool = try makePool(maxConnections: 2)
            let prefix = uniqueName("m")
            let migrator = try Migrator(migrations: migrations(prefix), table: prefix + "_schema_migrations")

            let before = try await migrator.status(on: pool)
            #expect(before.map(\.version) == [1, 2, 5])
            #expect(before.allSatisfy { $0.state == .pending })

            let applied = try await migrator.migrate(on: pool)
            #expect(applied.map(\.version) == [1, 2, 5])
            let after = try await migrator.status(on: pool)
            #expect(appliedVersions(after) == [1, 2, 5])
            let seeded = try await pool.query("SELECT count(*) FROM \(identifier: prefix + "_patients")").singleRow()?
                .decode(Int.self, column: 0)
            #expect(seeded == 2)

            // Running again applies nothing and changes nothing.
            #expect(try await migrator.migrate(on: pool).isEmpty)
            #expect(try await migrator.migrate(on: pool).isEmpty)
            let reseeded = try await pool.query("SELECT count(*) FROM \(identifier: prefix + "_patients")").singleRow()?
                .decode(Int.self, column: 0)
            #expect(reseeded == 2)

            // A newer list applies only what is new.
            let extended = try Migrator(
                migrations: migrations(prefix) + [
                    Migration(version: 6, name: "notes", sql: "ALTER TABLE \(prefix)_records ADD COLUMN note text")
                ], table: prefix + "_schema_migrations")
            #expect(try await extended.migrate(on: pool).map(\.version) == [6])
            #expect(appliedVersions(try await extended.status(on: pool)) == [1, 2, 5, 6])
            // The older list sees version 6 as unknown.
            let olderView = try await migrator.status(on: pool)
            #expect(olderView.last?.version == 6)
            if case .unknown = olderView.last?.state {} else { Issue.record("version 6 should be unknown") }
            await pool.close()
        }

        @Test("the default table is schema_migrations")
        func defaultTable() async throws {
            let pool = try makePool(maxConnections: 1)
            let prefix = uniqueName("d")
            let migrator = try Migrator(migrations: [
                Migration(version: 1, name: "one", sql: "CREATE TABLE \(prefix)_one (id int)")
            ])
            #expect(migrator.table == "schema_migrations")
            // No other test uses the default table.
            #expect(try await migrator.migrate(on: pool).map(\.version) == [1])
            let recorded = try await pool.query(
                "SELECT count(*) FROM schema_migrations WHERE version = \(Int64(1))"
            ).singleRow()?.decode(Int.self, column: 0)
            #expect(recorded == 1)
            await pool.close()
        }

        @Test("a failing migration is rolled back and not recorded; earlier ones stay")
        func failingMigration() async throws {
            let pool = try makePool(maxConnections: 1)
            let prefix = uniqueName("f")
            let table = prefix + "_schema_migrations"
            let migrator = try Migrator(
                migrations: [
                    Migration(version: 1, name: "good", sql: "CREATE TABLE \(prefix)_good (id int)"),
                    Migration(
                        version: 2, name: "bad",
                        sql: "CREATE TABLE \(prefix)_half (id int); INSERT INTO \(prefix)_missing VALUES (1);"),
                ], table: table)
            let error = try await #require(throws: PostgresError.self) { try await migrator.migrate(on: pool) }
            #expect(error.sqlState == .undefinedTable)
            #expect(!error.description.contains("INSERT"))
            let statuses = try await migrator.status(on: pool)
            #expect(appliedVersions(statuses) == [1])
            #expect(statuses.last?.state == .pending)
            let halfExists = try await pool.query("SELECT to_regclass(\(prefix + "_half")) IS NOT NULL").singleRow()?
                .decode(Bool.self, column: 0)
            #expect(halfExists == false)
            await pool.close()
        }

        @Test("an applied migration whose SQL changed stops the run")
        func changedMigration() async throws {
            let pool = try makePool(maxConnections: 1)
            let prefix = uniqueName("c")
            let table = prefix + "_schema_migrations"
            _ = try await Migrator(
                migrations: [Migration(version: 1, name: "one", sql: "CREATE TABLE \(prefix)_one (id int)")],
                table: table
            ).migrate(on: pool)
            let edited = try Migrator(
                migrations: [
                    Migration(version: 1, name: "one", sql: "CREATE TABLE \(prefix)_one (id bigint)"),
                    Migration(version: 2, name: "two", sql: "CREATE TABLE \(prefix)_two (id int)"),
                ], table: table)
            let error = try await #require(throws: PostgresError.self) { try await edited.migrate(on: pool) }
            #expect(error.code == .migrationFailed)
            let statuses = try await edited.status(on: pool)
            if case .checksumMismatch = statuses.first?.state {} else { Issue.record("expected a checksum mismatch") }
            #expect(statuses.last?.state == .pending)
            await pool.close()
        }

        @Test("concurrent migrators apply each migration exactly once")
        func concurrentMigrators() async throws {
            let pool = try makePool(maxConnections: 4)
            let prefix = uniqueName("k")
            let migrator = try Migrator(migrations: migrations(prefix), table: prefix + "_schema_migrations")
            let appliedCounts = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<4 { group.addTask { try await migrator.migrate(on: pool).count } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(appliedCounts.reduce(0, +) == 3)
            #expect(appliedVersions(try await migrator.status(on: pool)) == [1, 2, 5])
            await pool.close()
        }

        @Test("versions must increase")
        func invalidVersions() {
            #expect(throws: PostgresError.self) {
                try Migrator(migrations: [
                    Migration(version: 2, name: "b", sql: "SELECT 1"), Migration(version: 1, name: "a", sql: "SELECT 1"),
                ])
            }
            #expect(throws: PostgresError.self) {
                try Migrator(migrations: [Migration(version: 0, name: "zero", sql: "SELECT 1")])
            }
        }
    }
}

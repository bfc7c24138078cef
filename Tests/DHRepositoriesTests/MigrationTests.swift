import DHRepositories
import DHStorage
import Testing

extension RepositoryTests {
    @Suite("DataHealth migrations")
    struct MigrationTests {
        @Test("the schema applies from an empty database, and again is a no-op")
        func fromEmptyAndRepeated() async throws {
            let database = try await TestDatabase.make(migrated: false)
            let pool = try database.pool()
            defer { Task { await pool.close() } }
            let migrator = try DataHealthMigrations.migrator()

            let before = try await migrator.status(on: pool)
            #expect(before.map(\.version) == DataHealthMigrations.all.map(\.version))
            #expect(before.allSatisfy { $0.state == .pending })

            #expect(try await migrator.migrate(on: pool).map(\.version) == [1, 2, 3, 4, 5, 6, 7])
            let after = try await migrator.status(on: pool)
            #expect(after.allSatisfy { if case .applied = $0.state { true } else { false } })
            let tables = try await pool.query(
                """
                SELECT table_name::text FROM information_schema.tables \
                WHERE table_schema = 'public' ORDER BY table_name
                """
            ).decode(String.self)
            #expect(
                tables == [
                    "audit_entries", "audit_tree_heads", "break_glass_grants", "care_changes", "care_idempotency_keys",
                    "care_patient_facts", "care_patients", "care_records", "consent_patients", "consent_phr_links",
                    "consent_viewing", "schema_migrations",
                ])

            // Again: nothing applied, nothing changed.
            #expect(try await migrator.migrate(on: pool).isEmpty)
            #expect(try await migrator.migrate(on: pool).isEmpty)
            #expect(try await migrator.status(on: pool) == after)
        }

        @Test("concurrent migrators apply each migration once")
        func concurrent() async throws {
            let database = try await TestDatabase.make(migrated: false)
            let pool = try database.pool(maxConnections: 8)
            defer { Task { await pool.close() } }
            let applied = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for _ in 0..<6 {
                    group.addTask { try await DataHealthMigrations.migrator().migrate(on: pool).map(\.version) }
                }
                var all: [Int64] = []
                for try await versions in group { all += versions }
                return all
            }
            #expect(applied.sorted() == [1, 2, 3, 4, 5, 6, 7])
            let recorded = try await pool.query("SELECT count(*) FROM schema_migrations").singleRow()?
                .decode(Int.self, column: 0)
            #expect(recorded == 7)
        }
    }
}

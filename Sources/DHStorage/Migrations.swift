public import Foundation

/// One versioned schema change. The SQL is owned by the code (never built from values) and
/// may hold several statements.
public struct Migration: Sendable, Hashable {
    public let version: Int64
    public let name: String
    public let sql: String

    public init(version: Int64, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// FNV-1a over the SQL, recorded so that an edited, already applied migration is noticed.
    public var checksum: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in sql.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// Where one migration stands in a database.
public struct MigrationStatus: Sendable, Hashable {
    public enum State: Sendable, Hashable {
        case pending
        case applied(at: Date)
        /// Applied, but the SQL has changed since.
        case checksumMismatch(appliedAt: Date)
        /// Recorded in the database but absent from the list (the database is newer than the code).
        case unknown(appliedAt: Date)
    }
    public var version: Int64
    public var name: String
    public var state: State
}

/// Applies versioned migrations in order, each in its own transaction under a transaction-level
/// advisory lock (so concurrent migrators wait for each other), and records them in a table.
/// Running it again applies nothing.
public struct Migrator: Sendable {
    public let migrations: [Migration]
    /// The table that records applied migrations (a plain name, created if missing).
    public let table: String
    /// The `pg_advisory_xact_lock` key all migrators of this table share.
    public let lockKey: Int64

    /// - Throws: `invalidArgument` if versions are not positive, unique and increasing.
    public init(migrations: [Migration], table: String = "schema_migrations", lockKey: Int64 = 0x4448_4d49_4752) throws {
        var previous: Int64 = 0
        for migration in migrations {
            guard migration.version > previous else {
                throw PostgresError(
                    code: .invalidArgument,
                    message: "migration versions must be positive and strictly increasing (at \(migration.version))")
            }
            previous = migration.version
        }
        self.migrations = migrations
        self.table = table
        self.lockKey = lockKey
    }

    /// Every migration in the list and every one recorded in the database, by version.
    public func status(on database: some PostgresQueryable) async throws -> [MigrationStatus] {
        let applied = try await database.withConnection(timeout: nil) { connection in
            let exists = try await connection.query("SELECT to_regclass(\(quoteIdentifier(table))) IS NOT NULL")
            guard try exists.singleRow()?.decode(Bool.self, column: 0) == true else { return [AppliedMigration]() }
            return try await appliedMigrations(on: connection)
        }
        return report(applied: applied)
    }

    /// Applies the pending migrations in order and returns them.
    ///
    /// - Throws: `migrationFailed` if an applied migration's SQL has changed; the error of the
    ///   failing migration otherwise (that migration is rolled back, earlier ones stay).
    @discardableResult
    public func migrate(on database: some PostgresQueryable) async throws -> [Migration] {
        var appliedNow: [Migration] = []
        for migration in migrations {
            let didApply = try await database.withTransaction(isolation: .readCommitted, maxAttempts: 1) {
                connection in
                try await connection.run("SELECT pg_advisory_xact_lock(\(lockKey))", timeout: nil)
                try await connection.runSimple(
                    """
                    CREATE TABLE IF NOT EXISTS \(quoteIdentifier(table)) (
                        version bigint PRIMARY KEY,
                        name text NOT NULL,
                        checksum text NOT NULL,
                        applied_at timestamptz NOT NULL DEFAULT now()
                    )
                    """)
                let recorded = try await appliedMigrations(on: connection)
                if let existing = recorded.first(where: { $0.version == migration.version }) {
                    guard existing.checksum == migration.checksum else {
                        throw PostgresError(
                            code: .migrationFailed,
                            message: "migration \(migration.version) was changed after it was applied")
                    }
                    return false
                }
                do {
                    try await connection.runSimple(migration.sql, timeout: .seconds(3600))
                } catch var error as PostgresError {
                    error.message = "migration \(migration.version) failed: \(error.message)"
                    throw error
                }
                try await connection.run(
                    """
                    INSERT INTO \(identifier: table) (version, name, checksum) \
                    VALUES (\(migration.version), \(migration.name), \(migration.checksum))
                    """, timeout: nil)
                return true
            }
            if didApply { appliedNow.append(migration) }
        }
        return appliedNow
    }

    private struct AppliedMigration: Sendable {
        var version: Int64
        var name: String
        var checksum: String
        var appliedAt: Date
    }

    private func appliedMigrations(on connection: PostgresConnection) async throws -> [AppliedMigration] {
        let result = try await connection.run(
            "SELECT version, name, checksum, applied_at FROM \(identifier: table) ORDER BY version", timeout: nil)
        return try result.decode(Int64.self, String.self, String.self, Date.self).map {
            AppliedMigration(version: $0.0, name: $0.1, checksum: $0.2, appliedAt: $0.3)
        }
    }

    private func report(applied: [AppliedMigration]) -> [MigrationStatus] {
        var byVersion = Dictionary(applied.map { ($0.version, $0) }, uniquingKeysWith: { first, _ in first })
        var statuses: [MigrationStatus] = migrations.map { migration in
            guard let record = byVersion.removeValue(forKey: migration.version) else {
                return MigrationStatus(version: migration.version, name: migration.name, state: .pending)
            }
            let state: MigrationStatus.State =
                record.checksum == migration.checksum
                ? .applied(at: record.appliedAt) : .checksumMismatch(appliedAt: record.appliedAt)
            return MigrationStatus(version: migration.version, name: migration.name, state: state)
        }
        statuses += byVersion.values.map {
            MigrationStatus(version: $0.version, name: $0.name, state: .unknown(appliedAt: $0.appliedAt))
        }
        return statuses.sorted { $0.version < $1.version }
    }
}

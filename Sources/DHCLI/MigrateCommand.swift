internal import ArgumentParser
internal import DHRepositories
internal import DHStorage
import Foundation

/// `dh migrate`: the database schema.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Show or apply the database schema's versioned migrations.",
        discussion: """
            Migrations are applied in order, each in its own transaction under an advisory lock, \
            and recorded in the table schema_migrations (docs/STORAGE.md). Running `up` again \
            applies nothing.

            Examples:
              dh migrate status --data-dir /var/lib/datahealth
              dh migrate up --data-dir /var/lib/datahealth
              dh migrate up --database-url postgresql://datahealth@db.internal:5432/datahealth
            """,
        subcommands: [MigrateStatusCommand.self, MigrateUpCommand.self]
    )
}

/// `dh migrate status`.
struct MigrateStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "List every migration and whether it is applied.",
        discussion: """
            Exit status: 0 all applied, 1 some pending, 2 an applied migration was edited or the \
            database has migrations this build does not know.

            Example:
              dh migrate status --data-dir /var/lib/datahealth
            """)

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let (output, status) = try await execute()
        print(output, terminator: "")
        if status != 0 { throw ExitCode(status) }
    }

    func execute() async throws -> (output: String, status: Int32) {
        let statuses = try await database.withDatabase { try await DataHealthMigrations.migrator().status(on: $0) }
        var output = ""
        var status: Int32 = 0
        for migration in statuses {
            let state: String
            switch migration.state {
            case .pending:
                state = "pending"
                status = max(status, 1)
            case .applied(let date):
                state = "applied \(date.ISO8601Format())"
            case .checksumMismatch(let date):
                state = "EDITED after it was applied \(date.ISO8601Format())"
                status = 2
            case .unknown(let date):
                state = "applied \(date.ISO8601Format()), unknown to this build"
                status = 2
            }
            output += "\(migration.version)\t\(migration.name)\t\(state)\n"
        }
        return (output, status)
    }
}

/// `dh migrate up`.
struct MigrateUpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Apply every pending migration, in order.",
        discussion: """
            Example:
              dh migrate up --data-dir /var/lib/datahealth
            """)

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        print(try await execute(), terminator: "")
    }

    func execute() async throws -> String {
        let applied = try await database.withDatabase { try await DataHealthMigrations.migrator().migrate(on: $0) }
        if applied.isEmpty { return "nothing to apply: the schema is current\n" }
        return applied.map { "applied \($0.version)\t\($0.name)\n" }.joined()
    }
}

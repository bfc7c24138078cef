import DHRepositories
import DHStorage
import Foundation
import Testing

@testable import DHCLI

extension RepositoryTests {
    @Suite("dh migrate")
    struct MigrateCommandTests {
        @Test("status and up against a database URL: pending, applied, then nothing to apply")
        func databaseURL() async throws {
            let database = try await TestDatabase.make(migrated: false)
            let url = database.url
            let pending = try await command(
                ["migrate", "status", "--database-url", url], as: MigrateStatusCommand.self
            ).execute()
            #expect(pending.status == 1)
            #expect(
                pending.output
                    == "1\taudit log\tpending\n2\tconsent\tpending\n3\tcare records\tpending\n4\tcare record changes\tpending\n5\tpatient facts\tpending\n6\tchange log in transaction order\tpending\n7\tdeferred patient references\tpending\n"
            )

            let up = try await command(["migrate", "up", "--database-url", url], as: MigrateUpCommand.self).execute()
            #expect(
                up
                    == "applied 1\taudit log\napplied 2\tconsent\napplied 3\tcare records\napplied 4\tcare record changes\napplied 5\tpatient facts\napplied 6\tchange log in transaction order\napplied 7\tdeferred patient references\n"
            )
            let again = try await command(["migrate", "up", "--database-url", url], as: MigrateUpCommand.self)
                .execute()
            #expect(again == "nothing to apply: the schema is current\n")

            let applied = try await command(
                ["migrate", "status", "--database-url", url], as: MigrateStatusCommand.self
            ).execute()
            #expect(applied.status == 0)
            #expect(applied.output.split(separator: "\n").allSatisfy { $0.contains("\tapplied 20") })

            // A migration recorded by a newer build is reported, with exit status 2.
            let pool = try database.pool()
            try await pool.execute(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES (99, 'future', '0')")
            await pool.close()
            let newer = try await command(
                ["migrate", "status", "--database-url", url], as: MigrateStatusCommand.self
            ).execute()
            #expect(newer.status == 2)
            #expect(newer.output.contains("99\tfuture\tapplied "))
            #expect(newer.output.contains("unknown to this build"))
        }

        @Test("--data-dir starts the data directory's embedded cluster, migrates it, and stops it again")
        func dataDirectory() async throws {
            let directory = try makeTemporaryDirectory("dh-migrate-data")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            // As a server's data directory: the cluster's system user must be able to enter it.
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory)
            let up = try await command(["migrate", "up", "--data-dir", directory], as: MigrateUpCommand.self)
                .execute()
            #expect(up.contains("applied 2\tconsent"))
            let cluster = try EmbeddedPostgres(
                configuration: EmbeddedPostgresConfiguration(directory: directory + "/postgres"))
            #expect(try await cluster.isRunning() == false)
            let status = try await command(
                ["migrate", "status", "--data-dir", directory], as: MigrateStatusCommand.self
            ).execute()
            #expect(status.status == 0, "\(status.output)")
            #expect(try await cluster.isRunning() == false)
        }

        @Test("exactly one of --database-url and --data-dir")
        func options() {
            #expect(throws: (any Error).self) { try DataHealthCommand.parseAsRoot(["migrate", "up"]) }
            #expect(throws: (any Error).self) {
                try DataHealthCommand.parseAsRoot(["migrate", "up", "--database-url", "u", "--data-dir", "d"])
            }
            let help = DataHealthCommand.helpMessage(for: MigrateCommand.self)
            #expect(help.contains("dh migrate up --data-dir /var/lib/datahealth"))
            let auditHelp = DataHealthCommand.helpMessage(for: AuditCommand.self)
            #expect(auditHelp.contains("dh audit check-proof entry-1200.proof --public-key audit-log.pub.pem"))
        }
    }
}

import DHStorage
import Foundation
import Testing

extension PostgresTests {
    @Suite("Embedded cluster")
    struct EmbeddedPostgresTests {
        @Test("the shared cluster listens on its private Unix socket only")
        func socketOnly() async throws {
            let cluster = try SharedCluster.require()
            #expect(try await cluster.isRunning())
            #expect(FileManager.default.fileExists(atPath: cluster.socketDirectory + "/.s.PGSQL.54321"))
            let connection = try await PostgresConnection.connect(configuration: cluster.connectionConfiguration)
            defer { Task { await connection.close() } }
            let settings = try await connection.query(
                "SELECT current_setting('listen_addresses'), current_setting('unix_socket_directories'), current_database(), current_user")
            let row = try #require(try settings.singleRow())
            let (listen, socketDirectory, database, user) = try row.decode(String.self, String.self, String.self, String.self)
            #expect(listen == "")
            #expect(socketDirectory == cluster.socketDirectory)
            #expect(database == "datahealth")
            #expect(user == "datahealth")
            if geteuid() == 0 {
                // initdb refuses root: the cluster's files belong to the postgres system user.
                let attributes = try FileManager.default.attributesOfItem(atPath: cluster.dataDirectory)
                let owner = try #require(attributes[.ownerAccountID] as? NSNumber)
                let postgres = try #require(getpwnam("postgres"))
                #expect(owner.uint32Value == postgres.pointee.pw_uid)
                #expect(owner.uint32Value != 0)
            }
        }

        @Test("start is idempotent on a running cluster")
        func startTwice() async throws {
            let cluster = try SharedCluster.require()
            try await cluster.start()
            #expect(try await cluster.isRunning())
            let pool = try makePool(maxConnections: 1)
            let one = try await pool.query("SELECT 1::int4").singleRow()?.decode(Int.self, column: 0)
            #expect(one == 1)
            await pool.close()
        }

        @Test("a cluster keeps its data across stop and start, and stops when released")
        func restartKeepsData() async throws {
            let directory = try makeTemporaryDirectory("dh-embedded")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            var configuration = EmbeddedPostgresConfiguration(directory: directory)
            configuration.port = 54_322
            configuration.database = "restart_db"
            configuration.settings = ["max_wal_size": "64MB"]

            do {
                let cluster = try EmbeddedPostgres(configuration: configuration)
                try await cluster.start()
                let connection = try await PostgresConnection.connect(configuration: cluster.connectionConfiguration)
                try await connection.execute("CREATE TABLE kept (value text NOT NULL)")
                try await connection.execute("INSERT INTO kept VALUES (\("still here"))")
                await connection.close()
                try await cluster.stop()
                #expect(try await cluster.isRunning() == false)

                // Starting again reuses the cluster (no initdb) and its data.
                try await cluster.start()
                let again = try await PostgresConnection.connect(configuration: cluster.connectionConfiguration)
                let value = try await again.query("SELECT value FROM kept").singleRow()?.decode(String.self, column: 0)
                #expect(value == "still here")
                let walSize = try await again.query("SELECT current_setting('max_wal_size')").singleRow()?
                    .decode(String.self, column: 0)
                #expect(walSize == "64MB")
                await again.close()
                #expect(try await cluster.isRunning())
            }
            // The object that started the cluster is gone: its deinit stopped the server.
            let observer = try EmbeddedPostgres(configuration: configuration)
            #expect(try await observer.isRunning() == false)
        }

        @Test("a relative directory is rejected")
        func relativeDirectory() throws {
            let error = try #require(throws: PostgresError.self) {
                try EmbeddedPostgres(configuration: EmbeddedPostgresConfiguration(directory: "relative/dir"))
            }
            #expect(error.code == .invalidArgument)
        }
    }
}
